"""Accounts: users, departments, roles and permissions, sign-in, API tokens."""

import hashlib

from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload

from interaction.accounts.models import ApiToken, User
from interaction.core.errors import Unauthorized, wants_json
from interaction.core.extensions import db, login_manager
from interaction.core.time import now_utc


def load_user(user_id: str) -> User | None:
    """Load the user of a cookie session; a stale session version means signed out.

    Every signed-in request runs this: the user row alone (the department loads if a page asks).
    """
    try:
        raw_id, version = user_id.split(":")
        user = db.session.get(User, int(raw_id), options=[lazyload(User.department)])
    except ValueError:
        return None
    if user is None or not user.is_enabled or str(user.session_version) != version:
        return None
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Built once: the user of a valid token, and the token's id, in one round trip (every API call needs
# both). Only the user becomes an object (the token's validity is the WHERE clause, its id a column),
# and the user's department loads if used (most API calls never look at it): not joined into every call.
_USER_BY_TOKEN = (select(User, ApiToken.id).join(ApiToken, ApiToken.user_id == User.id)
                  .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.valid_at(bindparam("now")))
                  .options(lazyload(User.department)))


def load_user_from_bearer(req) -> User | None:
    """Authenticate ``Authorization: Bearer <token>`` requests (the API's clients): a valid token's user."""
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    row = db.session.execute(_USER_BY_TOKEN, {"token_hash": hash_token(header[7:].strip()), "now": now_utc()}).first()
    if row is None:
        return None
    user, token_id = row
    req.environ["interaction.api_token_id"] = token_id
    return user


def unauthorized():
    if wants_json():
        raise Unauthorized()
    return redirect(url_for(login_manager.login_view, next=request.full_path.rstrip("?")))


def register_account_link(app: Flask, endpoint: str, title) -> None:
    """List a feature's "my items" page (my letters, my questions...) on the account page."""
    app.extensions.setdefault("interaction.account_links", []).append((endpoint, title))


def init_app(app: Flask) -> None:
    from interaction.accounts import admin, cli, views
    from interaction.accounts.permissions import Permission
    from interaction.core.web import NavLink, register_nav_link

    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_bearer)
    login_manager.unauthorized_handler(unauthorized)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    app.cli.add_command(cli.departments_cli)
    app.cli.add_command(cli.users_cli)
    register_nav_link(app, NavLink("admin.index", _l("管理"), Permission.ADMIN))

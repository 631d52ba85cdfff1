"""Accounts API: tokens and registration (mounted under ``/api/v1``).

``POST /auth/token`` answers wrong credentials (unknown e-mail or wrong password, one
message) with 401 ``invalid_credentials`` and a locked e-mail (for 15 minutes: from the
caller's address after 5 failures from it within 15 minutes, from everywhere after 20 from
several addresses; see ``services.authenticate``) with **429** ``account_locked`` and a
``Retry-After`` header, the same lock the sign-in page applies.
"""

from math import ceil

from flask import Blueprint, jsonify, request
from flask_login import current_user

from interaction.accounts import services
from interaction.accounts.forms import LoginForm, RegisterForm
from interaction.accounts.models import User
from interaction.accounts.views import sign_in_rate
from interaction.core.api import idempotent, json_body, validate
from interaction.core.apidoc import INTEGER, STRING, documented, nullable, obj
from interaction.core.db import db
from interaction.core.errors import DomainError, Unauthorized, error_response
from interaction.core.extensions import limiter
from interaction.core.time import now_utc

bp = Blueprint("accounts", __name__)

TOKEN_ID_KEY = "interaction.api_token_id"

#: What :func:`serialize_user` answers (the OpenAPI document's success schema).
USER_SCHEMA = obj({"id": INTEGER, "email": STRING, "name": STRING, "role": STRING, "department": nullable(STRING)})


def serialize_user(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "department": user.department.code if user.department else None,
    }


@bp.post("/auth/token")
@documented(request=LoginForm, response=obj({"token": STRING, "user": USER_SCHEMA}), errors=(401, 429))
@limiter.limit(sign_in_rate)
def create_token():
    """Exchange e-mail and password for a bearer token: 200 ``{"token", "user"}``."""
    form = validate(LoginForm, json_body())
    try:
        user = services.authenticate(form.email.data, form.password.data, ip=request.remote_addr)
    except services.AccountLocked as exc:
        db.session.commit()
        response, status = error_response(exc.status, exc.code, exc.message)
        response.headers["Retry-After"] = str(max(1, ceil((exc.until - now_utc()).total_seconds())))
        return response, status
    except DomainError:
        db.session.commit()  # the failed attempt counts towards the lock
        raise
    plaintext, _token = services.issue_token(user)
    db.session.commit()
    return jsonify(token=plaintext, user=serialize_user(user))


@bp.delete("/auth/token")
@documented(status=204, errors=(401,))
def revoke_token():
    """Revoke the bearer token this request was made with: 204."""
    if not current_user.is_authenticated:  # loads the bearer token, which notes its id in the environ
        raise Unauthorized()
    token_id = request.environ.get(TOKEN_ID_KEY)
    if token_id is None:  # signed in by a cookie session: there is no token to revoke
        raise Unauthorized()
    services.revoke_token(token_id, actor=current_user._get_current_object())
    db.session.commit()
    return "", 204


@bp.post("/auth/register")
@documented(request=RegisterForm, response=USER_SCHEMA, status=201, errors=(409, 429))
@limiter.limit(sign_in_rate)
@idempotent
def register():
    """Create a citizen account: 201 with the user; 422 for bad fields, 409 ``email_taken``."""
    form = validate(RegisterForm, json_body())
    user = services.register_citizen(form.email.data, form.password.data, form.name.data, form.phone.data)
    db.session.commit()
    return jsonify(serialize_user(user)), 201


@bp.get("/auth/me")
@documented(response=USER_SCHEMA, errors=(401,))
def me():
    """The signed-in user (cookie session or bearer token)."""
    if not current_user.is_authenticated:
        raise Unauthorized()
    return jsonify(serialize_user(current_user))

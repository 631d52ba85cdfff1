"""Sign-in, registration, sign-out, password change and the account page."""

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from interaction.accounts import services
from interaction.accounts.forms import ROLE_LABELS, ChangePasswordForm, LoginForm, RegisterPageForm
from interaction.core.db import db
from interaction.core.errors import Conflict, DomainError, ValidationFailed
from interaction.core.extensions import limiter
from interaction.core.forms import show_errors
from interaction.core.redirects import safe_next
from interaction.core.signals import user_signed_in

bp = Blueprint("accounts", __name__)


def sign_in_rate() -> str:
    """The rate limit of sign-in and registration per address (``SIGN_IN_RATE_LIMIT``)."""
    return current_app.config.get("SIGN_IN_RATE_LIMIT", "10/minute")


def clear_session() -> None:
    """Empty the session, with the CSRF token this request cached from it."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def start_session(user) -> None:
    """A fresh session for *user*: nothing of the anonymous session survives (session fixation)."""
    clear_session()
    login_user(user)
    user_signed_in.send("accounts", user=user)


#: Conflicts that belong next to one field of a form (``core.forms.show_errors``' *code_fields*).
CONFLICT_FIELDS = {"email_taken": "email", "department_code_taken": "code"}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(sign_in_rate, methods=["POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or url_for("accounts.account"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, ip=request.remote_addr)
        except DomainError as exc:
            db.session.commit()  # failed attempts and locks must be kept
            error = exc.message
        else:
            start_session(user)
            db.session.commit()
            flash(_("您已登录。"), "success")
            return redirect(safe_next(form.next.data) or url_for("accounts.account"))
    return render_template("accounts/user_login.html", form=form, error=error)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(sign_in_rate, methods=["POST"])
def register():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("accounts.account"))
    form = RegisterPageForm()
    if form.validate_on_submit():
        try:
            user = services.register_citizen(form.email.data, form.password.data, form.name.data, form.phone.data)
        except (ValidationFailed, Conflict) as exc:  # raised before anything changed
            show_errors(form, exc, code_fields=CONFLICT_FIELDS)
        else:
            start_session(user)
            db.session.commit()
            flash(_("注册成功，欢迎使用政民互动平台。"), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/user_register.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.sign_out(current_user._get_current_object())
        db.session.commit()
    logout_user()
    clear_session()
    flash(_("您已安全退出。"), "success")
    return redirect(url_for("web.index"))


@bp.get("/account")
@login_required
def account():
    links = current_app.extensions.get("interaction.account_links", [])
    return render_template("accounts/account_view.html", links=links, role_labels=ROLE_LABELS)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.new_password.data, actor=user)
        except ValidationFailed as exc:  # raised before anything changed
            show_errors(form, exc)
        else:
            start_session(user)  # this session continues with the new session version; all others end
            db.session.commit()
            flash(_("密码已修改。其他设备上的登录已全部退出。"), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/password_change.html", form=form)

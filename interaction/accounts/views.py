"""Sign-in, registration, sign-out, password change and the account page."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)


@bp.route("/login")
def login():
    return "login"


@bp.route("/register")
def register():
    return "register"


@bp.route("/account")
def account():
    return "account"


@bp.post("/logout")
def logout():
    return "logout"

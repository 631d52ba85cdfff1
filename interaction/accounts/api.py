"""Accounts API: tokens and registration."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

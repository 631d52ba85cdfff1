"""One vocabulary for authorization: roles, permission flags, decorators, predicates."""

from enum import IntFlag, StrEnum
from functools import wraps

from flask import abort
from flask_login import current_user


class Role(StrEnum):
    citizen = "citizen"
    staff = "staff"
    moderator = "moderator"
    admin = "admin"


class Permission(IntFlag):
    WRITE = 1  # submit letters, questions, ballots, interview questions
    HANDLE = 2  # handle the own department's letters and questions
    MANAGE_POLLS = 4
    MODERATE = 8  # decide moderation cases
    RUN_INTERVIEWS = 16
    OVERSEE = 32  # electronic supervision and performance figures
    ADMIN = 64  # users, departments, mailboxes, calendar, word lists, audit log


ROLE_PERMISSIONS: dict[Role, Permission] = {
    Role.citizen: Permission.WRITE,
    Role.staff: Permission.WRITE | Permission.HANDLE | Permission.MANAGE_POLLS,
    Role.moderator: Permission.WRITE | Permission.MODERATE | Permission.RUN_INTERVIEWS,
    Role.admin: Permission(sum(Permission)),
}


def permission_required(permission: Permission):
    """Route decorator: 401 (login page) for anonymous users, 403 without *permission*."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from interaction.core.extensions import login_manager

                return login_manager.unauthorized()
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def admin_required(view):
    return permission_required(Permission.ADMIN)(view)

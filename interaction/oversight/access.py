"""Who sees which departments' figures: oversight staff and administrators all, a department's staff only its own."""

from __future__ import annotations

from interaction.accounts.permissions import Permission
from interaction.core.errors import Forbidden


def can_see_performance(user) -> bool:
    """Oversight staff and administrators, and the staff of a department (their own department's figures)."""
    return bool(user.is_authenticated and (user.can(Permission.OVERSEE)
                                           or (user.can(Permission.HANDLE) and user.department_id is not None)))


def scope(user, department) -> int | None:
    """The department id the figures are limited to (None: every department) for *user* asking for *department*.

    ``Forbidden`` (403) for anyone who may not see performance figures, and for a department's staff
    asking for another department.
    """
    if user.can(Permission.OVERSEE):
        return department.id if department is not None else None
    if not can_see_performance(user):
        raise Forbidden()
    if department is not None and department.id != user.department_id:
        raise Forbidden()
    return user.department_id

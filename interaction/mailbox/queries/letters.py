"""Reads of letters for staff: the inbox and the lists it is made of, the mailboxes, a writer's letters.

The inbox is shaped for an index (see ``Letter.__table_args__``) so that it costs the same with
10,000 letters as with 1,000,000: ``department_id = ? AND status IN (open) ORDER BY due_dt`` on
``(department_id, status, due_dt)``; "all states" on ``(department_id, due_dt)``.
"""

from __future__ import annotations

import functools

from sqlalchemy import Select, bindparam, select

from interaction.accounts.models import Department
from interaction.core import pagination
from interaction.core.db import db
from interaction.core.time import now_utc
from interaction.mailbox.models import Letter, Mailbox, due_soon_limit, open_clause

DUE_FILTERS = ("soon", "overdue")


def active_mailboxes() -> Select:
    return select(Mailbox).where(Mailbox.is_active.is_(True)).order_by(Mailbox.sort_order, Mailbox.id)


_ACTIVE_MAILBOX = select(Mailbox).where(Mailbox.code == bindparam("code"), Mailbox.is_active.is_(True))


def active_mailbox(code: str) -> Mailbox | None:
    """The active mailbox *code* with its department (joined: every letter sent through the API names its mailbox)."""
    return db.session.scalar(_ACTIVE_MAILBOX, {"code": code})


def query_letters(*, department_id: int | None = None, status: str | None = None, category: str | None = None,
                  due: str | None = None, open_only: bool = False) -> Select:
    """Letters by deadline (soonest first), filtered.

    Optionally of one department, state, category, or only those due soon / overdue
    (``due`` = "soon" | "overdue").
    """
    stmt = select(Letter)
    if department_id is not None:
        stmt = stmt.where(Letter.department_id == department_id)
    if status:
        stmt = stmt.where(Letter.status == status)
    elif open_only or due:
        stmt = stmt.where(open_clause())
    if category:
        stmt = stmt.where(Letter.category == category)
    if due == "overdue":
        stmt = stmt.where(Letter.due_dt < now_utc())
    elif due == "soon":
        now = now_utc()
        stmt = stmt.where(Letter.due_dt >= now, Letter.due_dt <= due_soon_limit(now))
    return stmt.order_by(Letter.due_dt, Letter.id)


_NO_DEPARTMENT = object()


def _inbox_scope(user):
    """The department whose letters *user* handles.

    None for administrators (every department), else their department, or ``_NO_DEPARTMENT`` for
    staff without one (they see nothing).
    """
    if user.is_admin:
        return None
    return user.department_id if user.department_id is not None else _NO_DEPARTMENT


def query_inbox(user, **filters) -> Select:
    """The letters *user* handles: their department's (administrators: every department's)."""
    scope = _inbox_scope(user)
    if scope is _NO_DEPARTMENT:
        return select(Letter).where(Letter.id.is_(None))
    return query_letters(department_id=scope, **filters)


#: The totals of the lists staff open all day (the inbox, the supervision board's sections) are counted up to
#: this ("200+" past it): each count scans up to that many index entries on every request, which at a
#: million letters was most of the board's database time with a higher cap (figures: bench/README.md).
#: A section's own page and the public search count up to ``pagination.COUNT_CAP``.
STAFF_COUNT_CAP = 200


def inbox_page(user, *, per_page: int, status: str | None = None, category: str | None = None,
               due: str | None = None, open_only: bool = False) -> pagination.CappedPage:
    """The request's page of the letters *user* handles, as :func:`list_rows`, with the total up to the cap.

    The default view (open letters, no other filter) is the one staff open all day: its window is
    built once per department and runs at the driver (``core.pagination.PageWindow``). The other
    views are built when asked (those with a deadline filter depend on the moment).
    """
    scope = _inbox_scope(user)
    if status or category or due or not open_only or scope is _NO_DEPARTMENT:
        stmt = list_rows(query_inbox(user, status=status, category=category, due=due, open_only=open_only))
        return pagination.paginate_capped(stmt, Letter.id, per_page=per_page, rows=True, cap=STAFF_COUNT_CAP)
    return _open_inbox_window(scope).page(per_page=per_page, cap=STAFF_COUNT_CAP)


@functools.cache
def _open_inbox_window(department_id: int | None) -> pagination.PageWindow:
    return pagination.PageWindow(list_rows(query_letters(department_id=department_id, open_only=True)), Letter.id)


def query_author_letters(user_id: int) -> Select:
    return select(Letter).where(Letter.author_id == user_id).order_by(Letter.received_dt.desc())


def list_rows(stmt: Select) -> Select:
    """*stmt* (a :func:`query_letters` / :func:`query_inbox`) as plain rows of what the inbox's table shows.

    The rows (with ``department_name``) have the attributes of the same names as ``Letter``'s; a list
    page does not need ``Letter`` objects with their texts, mailbox and departments.
    """
    return with_department_name(stmt, Letter.id, Letter.number, Letter.subject, Letter.category, Letter.status,
                                 Letter.department_id, Letter.received_dt, Letter.due_dt, Letter.transfer_count)


def with_department_name(stmt: Select, *columns) -> Select:
    """*stmt* selecting only *columns* and its letters' department name (``department_name``)."""
    return (stmt.with_only_columns(*columns, Department.name.label("department_name"))
            .join(Department, Department.id == Letter.department_id))

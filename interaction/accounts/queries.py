"""Reads of accounts data as ``select()`` builders (views paginate them, oversight reuses them)."""

from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select

from interaction.accounts.models import Department, User, normalize_email
from interaction.core.audit import AuditEntry
from interaction.core.time import SHANGHAI


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def query_users(*, q: str | None = None, role: str | None = None, department_id: int | None = None):
    """Users matching a name/e-mail search, a role and a department, newest first."""
    stmt = select(User).order_by(User.created_dt.desc(), User.id.desc())
    if q:
        stmt = stmt.where(or_(User.name.ilike(_like(q), escape="\\"),
                              User.email.ilike(_like(normalize_email(q)), escape="\\")))
    if role:
        stmt = stmt.where(User.role == role)
    if department_id:
        stmt = stmt.where(User.department_id == department_id)
    return stmt


def query_departments():
    """Every department, in display order (the view arranges them as a tree)."""
    return select(Department).order_by(Department.sort_order, Department.id)


def department_tree(departments) -> list[tuple[Department, int]]:
    """(department, depth) pairs in tree order."""
    by_parent: dict[int | None, list[Department]] = {}
    for d in departments:
        by_parent.setdefault(d.parent_id, []).append(d)
    result = []

    def walk(parent_id, depth):
        for d in by_parent.get(parent_id, []):
            result.append((d, depth))
            walk(d.id, depth + 1)

    walk(None, 0)
    return result


def _local_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def query_audit(*, actor_email: str | None = None, action: str | None = None, target: str | None = None,
                date_from: date | None = None, date_to: date | None = None):
    """Audit entries, newest first; dates are whole days in Asia/Shanghai, both ends included.

    *target* is a table name (``users``) or ``table:id`` (``users:12``).
    """
    stmt = select(AuditEntry).order_by(AuditEntry.at_dt.desc(), AuditEntry.id.desc())
    if actor_email:
        stmt = stmt.join(User, AuditEntry.actor_id == User.id).where(
            User.email.ilike(_like(normalize_email(actor_email)), escape="\\"))
    if action:
        stmt = stmt.where(AuditEntry.action.ilike(_like(action), escape="\\"))
    if target:
        target_type, _sep, target_id = target.partition(":")
        stmt = stmt.where(AuditEntry.target_type == target_type.strip())
        if target_id.strip():
            stmt = stmt.where(AuditEntry.target_id == target_id.strip())
    if date_from:
        stmt = stmt.where(AuditEntry.at_dt >= _local_day_start(date_from))
    if date_to:
        stmt = stmt.where(AuditEntry.at_dt < _local_day_start(date_to + timedelta(days=1)))
    return stmt



def query_admin_emails():
    """E-mail addresses of the enabled administrators (oversight writes to them when a self-check turns red)."""
    return select(User.email).where(User.role == "admin", User.is_enabled.is_(True)).order_by(User.id)

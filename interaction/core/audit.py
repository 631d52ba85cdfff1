"""Append-only audit log: who did what, to what, when, and from where."""

from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column

from interaction.core.db import db
from interaction.core.time import now_utc


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at_dt: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    actor = db.relationship("User", lazy="joined")


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(*_args):
    raise RuntimeError("the audit log is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(*_args):
    raise RuntimeError("the audit log is append-only")


#: One statement for every entry: built and compiled once (``insert(...).values(...)`` per call was built anew).
_INSERT = AuditEntry.__table__.insert()


def record(action: str, *, actor=None, target=None, target_type: str | None = None,
           target_id=None, **detail) -> None:
    """Append an entry in the current transaction; *target* is a model instance (its table and id are kept).

    The row is written at once by one plain ``INSERT`` (no ORM object: nothing ever reads an entry
    back in the transaction that writes it). It commits or rolls back with everything else; in a
    request that reads without a transaction (a GET: ``core.db``) it is committed as it runs. The
    address comes from the current request when there is one: the audit log is infrastructure, the
    one place outside views allowed to look at it.
    """
    if target is not None:
        target_type = target_type or target.__tablename__
        target_id = target_id if target_id is not None else getattr(target, "id", None)
    db.session.execute(_INSERT, {
        "at_dt": now_utc(),
        "actor_id": getattr(actor, "id", None),
        "action": action,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id),
        "ip": request.remote_addr if has_request_context() else None,
        "detail": detail,
    })

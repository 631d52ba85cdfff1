"""Mailboxes (省长信箱, 厅长信箱), and the snapshot of the figures their public pages show."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interaction.accounts.models import Department
from interaction.core.db import db
from interaction.mailbox.models.states import WriteRule


class Mailbox(db.Model):
    """Where letters are addressed (省长信箱, 厅长信箱); belongs to a department."""

    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    reply_days: Mapped[int] = mapped_column(default=15)
    description: Mapped[str] = mapped_column(String(500), default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    write_rule: Mapped[str] = mapped_column(String(16), default=WriteRule.anyone.value, server_default="anyone")

    department: Mapped[Department] = relationship(lazy="joined")

    def __repr__(self):
        return f"<Mailbox {self.code}>"


class MailboxSnapshot(db.Model):
    """Figures the public pages show, computed by ``flask mailbox sweep``; requests only read them.

    ``key`` "public": ``{"strip": {"month": {...}, "year": {...}}, "published": n}`` (see
    ``queries.public_figures``).
    """

    __tablename__ = "mailbox_snapshots"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)
    computed_dt: Mapped[datetime]

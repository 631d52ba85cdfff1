"""Mailboxes and letters."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interaction.accounts.models import Department
from interaction.core.db import db


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

    department: Mapped[Department] = relationship(lazy="joined")

    def __repr__(self):
        return f"<Mailbox {self.code}>"

"""The moderation queue: one ``ModerationCase`` per thing awaiting (or past) a decision, and the word lists."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interaction.core.db import db
from interaction.core.time import now_utc


class CaseState(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class Verdict(StrEnum):
    approve = "approve"
    reject = "reject"


class ModerationCase(db.Model):
    """One item of the shared queue: a target of some registered kind, screened, then decided once."""

    __tablename__ = "moderation_cases"
    __table_args__ = (
        Index("ix_moderation_cases_queue", "state", "kind", "created_dt"),
        Index("ix_moderation_cases_author", "author_id", "created_dt"),
        Index("ix_moderation_cases_target", "kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=CaseState.pending.value)
    screening: Mapped[dict] = mapped_column(JSON, default=dict)
    text: Mapped[str] = mapped_column(Text, default="")  # what was screened, kept for the moderator
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)
    decided_dt: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    is_automatic: Mapped[bool] = mapped_column(default=False)

    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined")

    def __repr__(self):
        return f"<ModerationCase {self.id} {self.kind}:{self.target_id} {self.state}>"

    @property
    def is_pending(self) -> bool:
        return self.state == CaseState.pending


class WordList(StrEnum):
    block = "block"  # the submission is refused outright
    review = "review"  # a person must look at it


class SensitiveWord(db.Model):
    """A word of one of the two lists administrators keep."""

    __tablename__ = "sensitive_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(100), unique=True)
    list: Mapped[str] = mapped_column(String(16), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(default=now_utc)

    created_by = relationship("User", lazy="joined")

    def __repr__(self):
        return f"<SensitiveWord {self.list} {self.word!r}>"


class WordListVersion(db.Model):
    """One row whose counter goes up on every edit of the word lists.

    Each process keeps the compiled screen with the version it was built from and
    rebuilds only when the counter moved: one tiny read per submission, not a reload.
    """

    __tablename__ = "sensitive_word_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    updated_dt: Mapped[datetime | None]

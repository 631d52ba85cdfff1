"""Reads of the moderation queue as ``select()`` builders (views paginate them, oversight reuses them)."""

from datetime import datetime

from sqlalchemy import Select, func, select

from interaction.core.db import db
from interaction.moderation.models import CaseState, ModerationCase, SensitiveWord, WordList


def query_cases(*, state: str | None = CaseState.pending.value, kind: str | None = None) -> Select:
    """Cases in the queue, oldest first (first come, first decided); None means any state or kind."""
    stmt = select(ModerationCase)
    if state:
        stmt = stmt.where(ModerationCase.state == state)
    if kind:
        stmt = stmt.where(ModerationCase.kind == kind)
    return stmt.order_by(ModerationCase.created_dt, ModerationCase.id)


def query_cases_by_author(author_id: int) -> Select:
    """What *author_id* submitted, newest first."""
    return (select(ModerationCase).where(ModerationCase.author_id == author_id)
            .order_by(ModerationCase.created_dt.desc(), ModerationCase.id.desc()))


def query_cases_for_target(kind: str, target_id) -> Select:
    """Every case opened for one target, newest first (a target may be submitted again after a rejection)."""
    return (select(ModerationCase).where(ModerationCase.kind == kind, ModerationCase.target_id == str(target_id))
            .order_by(ModerationCase.created_dt.desc(), ModerationCase.id.desc()))


def latest_case_for_target(kind: str, target_id) -> ModerationCase | None:
    return db.session.scalars(query_cases_for_target(kind, target_id).limit(1)).first()


def count_pending_by_kind() -> dict[str, int]:
    rows = db.session.execute(
        select(ModerationCase.kind, func.count(ModerationCase.id))
        .where(ModerationCase.state == CaseState.pending).group_by(ModerationCase.kind)
    ).all()
    return dict(rows)


def oldest_pending_dt() -> datetime | None:
    return db.session.scalar(select(func.min(ModerationCase.created_dt))
                             .where(ModerationCase.state == CaseState.pending))


def query_words(list_name: str | None = None) -> Select:
    stmt = select(SensitiveWord)
    if list_name:
        stmt = stmt.where(SensitiveWord.list == list_name)
    return stmt.order_by(SensitiveWord.list, SensitiveWord.word)


def count_words() -> dict[str, int]:
    rows = db.session.execute(select(SensitiveWord.list, func.count(SensitiveWord.id))
                              .group_by(SensitiveWord.list)).all()
    counts = {w.value: 0 for w in WordList}
    counts.update(rows)
    return counts

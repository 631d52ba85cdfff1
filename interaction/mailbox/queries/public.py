"""Reads of the published letters: the public list, its search and snippets, the public timeline.

The public list is shaped for an index: ``is_published ORDER BY replied_dt DESC`` on
``(is_published, replied_dt)``.
"""

from __future__ import annotations

import functools

from sqlalchemy import Select, func, select, true
from sqlalchemy.orm import aliased

from interaction.accounts.models import Department
from interaction.core import pagination, search
from interaction.mailbox.models import Letter, LetterEvent

SEARCH_MAX_LENGTH = 50


#: The replying department of a public row (made once: an alias is costly to make and adapt per request).
_REPLY_DEPARTMENT = aliased(Department, name="reply_department")


def satisfaction(score: int | None) -> str | None:
    """The writer's overall rating as the public sees it: satisfied (4–5), basic (3), unsatisfied (1–2), None."""
    if score is None:
        return None
    return "satisfied" if score >= 4 else "basic" if score == 3 else "unsatisfied"


def public_rows(stmt: Select) -> Select:
    """*stmt* (a :func:`query_published`) as plain rows of what the public list shows.

    The masked texts (for :func:`search_snippet`), dates, category, the writer's rating (shown as
    :func:`satisfaction`), and ``department_name``: the replying department's, else the handling one's.
    """
    return (stmt.with_only_columns(Letter.id, Letter.number, Letter.category, Letter.received_dt, Letter.accepted_dt,
                                   Letter.replied_dt, Letter.published_subject, Letter.published_body,
                                   Letter.published_reply, Letter.rating_score,
                                   func.coalesce(_REPLY_DEPARTMENT.name, Department.name).label("department_name"))
            .join(Department, Department.id == Letter.department_id)
            .outerjoin(_REPLY_DEPARTMENT, _REPLY_DEPARTMENT.id == Letter.reply_department_id))


def public_page(q: str | None, category: str | None, *, per_page: int, total: int) -> pagination.CappedPage:
    """The request's page of :func:`public_rows` of :func:`query_published`.

    A search has its total counted up to the cap. The plain list (no search, no category) is what
    nearly every visitor opens: its *total* is the kept figure, so it stays as fast with a large
    archive, and its window is built once and runs at the driver (``core.pagination.PageWindow``).
    """
    if q or category:
        return pagination.paginate_capped(public_rows(query_published(q, category)), Letter.id, per_page=per_page,
                                          rows=True)
    return _plain_public_window().page(per_page=per_page, total=total)


@functools.cache
def _plain_public_window() -> pagination.PageWindow:
    return pagination.PageWindow(public_rows(query_published()), Letter.id, counted=False)


def query_published(q: str | None = None, category: str | None = None) -> Select:
    """Published letters, newest reply first; *q* searches the MASKED subject, letter and reply.

    The search is core's (``core.search``: word-aware, every published letter is in its index):
    the list keeps its order and shows the letters among the newest ``search.MAX_TOTAL`` that match.
    """
    # "= true", not "IS true": PostgreSQL can use the (is_published, replied_dt) index only for the former.
    stmt = select(Letter).where(Letter.is_published == true())
    if category:
        stmt = stmt.where(Letter.category == category)
    numbers = search.matching_keys((q or "")[:SEARCH_MAX_LENGTH * 5], types=("letter",)) if q else None
    if numbers is not None:
        stmt = stmt.where(Letter.number.in_(numbers))
    return stmt.order_by(Letter.replied_dt.desc(), Letter.id.desc())


def search_snippet(letter: Letter, q: str | None, width: int = 80) -> str:
    """A piece of the masked text around the first search word (or the start of the letter)."""
    text = letter.published_body or ""
    words = (q or "").split()
    for source in (letter.published_body or "", letter.published_reply or ""):
        for word in words:
            at = source.find(word)
            if at >= 0:
                start = max(0, at - width // 3)
                return ("…" if start else "") + source[start:start + width] + \
                    ("…" if start + width < len(source) else "")
    return text[:width] + ("…" if len(text) > width else "")


def public_events(letter: Letter) -> list[LetterEvent]:
    """The timeline as the writer and the public may see it (internal notes dropped, no staff names)."""
    return [event for event in letter.events if not (event.is_internal and event.action != "supervised")]

"""The questions in the site's search index (``core.search``), kept in step with their public state.

A question is in the index exactly while it is public (``Question.is_public``: an approved public
question, or a published consultation), with its public texts: the title, the question, and the
current answer (a consultation's masked versions). :func:`sync_index` is called by every service
that changes a question's public state or public text, in the same transaction; the registered
source (:func:`all_documents`) rebuilds the index with ``flask search reindex``. Private things
(a consultation not published, a pending, rejected or withdrawn question) are never put.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from interaction.core import search
from interaction.core.db import db
from interaction.qa.models import Question
from interaction.qa.services.common import question_url

DOCUMENT_TYPE = "question"


def document_for(question: Question) -> search.Document:
    """The public document of *question* (call only for a public one)."""
    parts = [question.public_body or "", question.public_answer or ""]
    published = (question.published_dt if question.is_consultation else question.decided_dt) or question.created_dt
    return search.Document(type=DOCUMENT_TYPE, key=str(question.id), title=question.public_title,
                           body="\n\n".join(p for p in parts if p), url=question_url(question.id),
                           published_at=published, department_id=question.department_id)


def sync_index(question: Question) -> None:
    """Put *question* in the index if it is public, else take it out (flush only; the caller commits)."""
    db.session.flush()
    if question.is_public:
        search.put(document_for(question))
    else:
        search.remove(DOCUMENT_TYPE, str(question.id))


def all_documents() -> Iterator[search.Document]:
    """Every public question, for ``flask search reindex``."""
    stmt = select(Question).where(Question.is_public.is_(True)).order_by(Question.id).execution_options(
        yield_per=500)
    for question in db.session.scalars(stmt):
        yield document_for(question)

"""The transcripts in the search (core.search): an ended interview's transcript is public, so it is indexed.

:func:`put_transcript` runs in the transaction that ends the interview and in the one that corrects
a line of an ended interview's transcript; :func:`public_documents` lists every published transcript
for ``flask search reindex``. Type ``transcript``, keyed by the interview's id.
"""

from sqlalchemy import select

from interaction.core import search
from interaction.core.db import db
from interaction.interviews.models import Interview, InterviewStatus, TranscriptEntry

SEARCH_TYPE = "transcript"


def transcript_document(interview: Interview) -> search.Document:
    """The interview's title and topic, and its transcript as the public reads it (speaker: words)."""
    entries = db.session.scalars(select(TranscriptEntry).where(TranscriptEntry.interview_id == interview.id)
                                 .order_by(TranscriptEntry.seq)).all()
    lines = [f"{entry.author_name}：{entry.body}" if entry.author_name else entry.body for entry in entries]
    body = "\n".join([interview.topic, *lines] if interview.topic else lines)
    return search.Document(type=SEARCH_TYPE, key=str(interview.id), title=interview.title, body=body,
                           url=search.public_url("interviews.transcript", interview_id=interview.id),
                           published_at=interview.ended_dt or interview.scheduled_dt,
                           department_id=interview.department_id)


def put_transcript(interview: Interview) -> None:
    """Index the transcript of an ended interview (a transcript is public once the interview ended)."""
    if interview.status == InterviewStatus.ended:
        search.put(transcript_document(interview))


def public_documents():
    stmt = select(Interview).where(Interview.status == InterviewStatus.ended.value).order_by(Interview.id)
    for interview in db.session.scalars(stmt).all():
        yield transcript_document(interview)

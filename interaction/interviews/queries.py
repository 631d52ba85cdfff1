"""Reads of live interviews, as ``select()`` builders that views and the API paginate."""

from datetime import datetime

from sqlalchemy import case, exists, func, select

from interaction.core.db import db
from interaction.interviews.models import Interview, InterviewStatus, LiveQuestion, QuestionState, TranscriptEntry


def query_interviews(status: str | None = None):
    """Interviews, live first, then upcoming (soonest first), then ended (latest first)."""
    order = case({InterviewStatus.live.value: 0, InterviewStatus.scheduled.value: 1}, value=Interview.status, else_=2)
    stmt = select(Interview).order_by(order, Interview.scheduled_dt.desc(), Interview.id.desc())
    if status:
        stmt = stmt.where(Interview.status == status)
    return stmt


def query_transcript(interview_id: int, after: int = 0):
    return (select(TranscriptEntry).where(TranscriptEntry.interview_id == interview_id, TranscriptEntry.seq > after)
            .order_by(TranscriptEntry.seq))


def query_questions(interview_id: int, state: str | None = None):
    stmt = select(LiveQuestion).where(LiveQuestion.interview_id == interview_id).order_by(LiveQuestion.id)
    if state:
        stmt = stmt.where(LiveQuestion.state == state)
    return stmt


def query_waiting(interview_id: int):
    """Approved questions still waiting for an answer, most upvoted first: the guests' queue."""
    return (select(LiveQuestion).where(LiveQuestion.interview_id == interview_id,
                                       LiveQuestion.state == QuestionState.approved)
            .order_by(LiveQuestion.upvotes.desc(), LiveQuestion.id))


def query_own_questions(user_id: int):
    return select(LiveQuestion).where(LiveQuestion.asker_id == user_id).order_by(LiveQuestion.id.desc())


def query_handovers(department_id: int | None = None):
    """Questions handed over after interviews, for the department (None: every department)."""
    stmt = (select(LiveQuestion).join(Interview, Interview.id == LiveQuestion.interview_id)
            .where(LiveQuestion.state == QuestionState.handed_over)
            .order_by(LiveQuestion.handover_due_dt, LiveQuestion.id))
    if department_id is not None:
        stmt = stmt.where(Interview.department_id == department_id)
    return stmt


def qa_pairs(entries: list[TranscriptEntry]) -> list[dict]:
    """Group a transcript into question/answer pairs, in order; remarks stand alone."""
    pairs, by_question = [], {}
    for entry in entries:
        if entry.kind == "question":
            item = {"question": entry, "answers": []}
            by_question[entry.question_id] = item
            pairs.append(item)
        elif entry.kind == "answer" and entry.question_id in by_question:
            by_question[entry.question_id]["answers"].append(entry)
        else:
            pairs.append({"question": None, "answers": [entry]})
    return pairs


# -- what oversight reads -----------------------------------------------------------------------------------------

def _has_transcript():
    return exists().where(TranscriptEntry.interview_id == Interview.id)


def interviews_by_department(start: datetime | None = None, end: datetime | None = None) -> dict[int, dict]:
    """Per department id: ``{"held", "transcripts"}`` over interviews ended within ``[start, end)``.

    An ended interview's transcript is public (ending publishes it); "published" here means it has at
    least one line, so an interview ended with an empty transcript counts as held without one.
    """
    stmt = (select(Interview.department_id, func.count(), func.count().filter(_has_transcript()))
            .where(Interview.status == InterviewStatus.ended.value).group_by(Interview.department_id))
    if start is not None:
        stmt = stmt.where(Interview.ended_dt >= start)
    if end is not None:
        stmt = stmt.where(Interview.ended_dt < end)
    return {dept: {"held": held, "transcripts": with_transcript}
            for dept, held, with_transcript in db.session.execute(stmt)}


def ended_without_transcript(limit: int = 200) -> list[tuple]:
    """Interviews held (ended) whose transcript has no line: ``(id, title, department_id, ended_dt)``, oldest first."""
    stmt = (select(Interview.id, Interview.title, Interview.department_id, Interview.ended_dt)
            .where(Interview.status == InterviewStatus.ended.value, ~_has_transcript())
            .order_by(Interview.ended_dt, Interview.id).limit(limit))
    return [tuple(row) for row in db.session.execute(stmt)]

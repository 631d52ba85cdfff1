"""Reads of polls: lists, who may see results, the results themselves (aggregates only), own answers.

Results are counts grouped in the database (one statement for choices and ratings, one for the
respondents per question, one for the ballots); no query here returns who voted what to staff.
``count_polls_run`` and ``query_closed_without_report`` are the figures oversight reads.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import distinct, func, select

from interaction.accounts.permissions import Permission
from interaction.core.db import db
from interaction.core.time import now_utc
from interaction.polls.models import (Ballot, BallotAnswer, Poll, PollState, PollStatus, QuestionKind,
                                      ResultsVisibility, TextState, status_expression)

#: Approved text answers shown per question on the results page and in the API.
TEXTS_SHOWN = 50


def query_public_polls(status: str | None = None):
    """Published polls (scheduled, open, closed), open first, then by closing time; ``status`` filters."""
    now = now_utc()
    stmt = select(Poll).where(Poll.state == PollState.published.value)
    if status == PollStatus.open:
        stmt = stmt.where(Poll.is_open_at(now))
    elif status == PollStatus.closed:
        stmt = stmt.where(Poll.closes_dt <= now)
    elif status == PollStatus.scheduled:
        stmt = stmt.where(Poll.opens_dt > now)
    return stmt.order_by(status_expression(now) != PollStatus.open.value, Poll.closes_dt.desc(), Poll.id.desc())


def query_staff_polls(user):
    """The polls a staff member manages: their department's (administrators: all), newest first."""
    stmt = select(Poll)
    if not user.is_admin:
        stmt = stmt.where(Poll.department_id == user.department_id)
    return stmt.order_by(Poll.created_dt.desc(), Poll.id.desc())


def is_staff_of(poll: Poll, user) -> bool:
    return user is not None and user.is_authenticated and user.can(Permission.MANAGE_POLLS) \
        and user.belongs_to(poll.department_id)


def is_visible(poll: Poll, user) -> bool:
    """Drafts only to their department's staff; everything else to everyone (a withdrawn poll shows why)."""
    return poll.state != PollState.draft or is_staff_of(poll, user)


def results_refusal(poll: Poll, user, now: datetime | None = None) -> str | None:
    """Why *user* may not see *poll*'s results now, or None when they may.

    ``live``: once the poll opened. ``after_close``: sealed for everyone (staff too: nobody acts on
    partial results) until it closes. ``staff``: only the department's staff and administrators.
    """
    status = poll.status_at(now or now_utc())
    if status in (PollStatus.draft, PollStatus.withdrawn):
        return _("该调查没有可公开的结果。")
    if poll.results_visibility == ResultsVisibility.staff:
        return None if is_staff_of(poll, user) else _("该调查的结果仅供工作人员查看。")
    if status == PollStatus.scheduled:
        return _("调查尚未开始。")
    if poll.results_visibility == ResultsVisibility.after_close and status != PollStatus.closed:
        return _("调查结束后公布结果，以免影响正在进行的投票。")
    return None


def count_ballots(poll_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id))


def results(poll: Poll, *, texts: bool = True) -> dict:
    """The aggregate results of *poll*: API.md's ``{"ballots", "questions": [{"id", "options": [{"id", "votes"}]}]}``.

    Each question also carries its ``kind``, ``prompt`` and ``respondents`` (ballots that answered
    it); options their ``label`` and ``percent`` (of the question's respondents); rating questions
    ``mean`` and ``ratings`` (votes per value 1–5); text questions ``answered`` and, with *texts*,
    up to :data:`TEXTS_SHOWN` approved ``texts``.
    """
    ballots = count_ballots(poll.id)
    # Read from the index on (poll, question, option, value) alone, without visiting a row: a live poll's
    # results are read twice a second however many ballots it holds. A text answer (no option, no value)
    # falls in its question's (question, NULL, NULL) group.
    counts = db.session.execute(
        select(BallotAnswer.question_id, BallotAnswer.option_id, BallotAnswer.value, func.count())
        .where(BallotAnswer.poll_id == poll.id)
        .group_by(BallotAnswer.question_id, BallotAnswer.option_id, BallotAnswer.value)).all()
    # A single choice, a rating or a text has one row per ballot that answered it: its respondents are its
    # rows. Multiple choices (several rows per ballot) are counted by distinct ballots, and only they.
    counted = [q.id for q in poll.questions if q.kind == QuestionKind.multiple]
    respondents = dict(db.session.execute(
        select(BallotAnswer.question_id, func.count(distinct(BallotAnswer.ballot_id)))
        .where(BallotAnswer.poll_id == poll.id, BallotAnswer.question_id.in_(counted))
        .group_by(BallotAnswer.question_id)).all()) if counted else {}
    by_option, by_value = {}, {}
    for question_id, option_id, value, n in counts:
        if option_id is not None:
            by_option[option_id] = n
        elif value is not None:
            by_value[(question_id, value)] = n
        if question_id not in counted:
            respondents[question_id] = respondents.get(question_id, 0) + n
    questions = []
    for question in poll.questions:
        answered = respondents.get(question.id, 0)
        item = {"id": question.id, "kind": question.kind, "prompt": question.prompt, "respondents": answered,
                "options": [{"id": o.id, "label": o.label, "votes": by_option.get(o.id, 0),
                             "percent": _percent(by_option.get(o.id, 0), answered)} for o in question.options]}
        if question.kind == QuestionKind.rating:
            ratings = {str(v): by_value.get((question.id, v), 0) for v in range(1, 6)}
            total = sum(int(v) * n for v, n in ratings.items())
            item["ratings"] = ratings
            item["mean"] = round(total / answered, 2) if answered else None
        elif question.kind == QuestionKind.text:
            item["answered"] = answered
            if texts:
                item["texts"] = approved_texts(question.id)
        questions.append(item)
    return {"poll": poll.id, "ballots": ballots, "questions": questions}


def _percent(votes: int, of: int) -> float:
    return round(100.0 * votes / of, 1) if of else 0.0


def approved_texts(question_id: int, limit: int = TEXTS_SHOWN) -> list[str]:
    """Approved free-text answers of a question, without author or time, in a fixed (id) order."""
    return list(db.session.scalars(
        select(BallotAnswer.text).where(BallotAnswer.question_id == question_id,
                                        BallotAnswer.text_state == TextState.approved.value)
        .order_by(BallotAnswer.id).limit(limit)))


def own_ballot(poll: Poll, user) -> dict | None:
    """*user*'s own ballot on *poll*: ``{"question_id": [option ids] | value | text}``, or None if they did not vote."""
    if user is None or not user.is_authenticated:
        return None
    ballot_id = db.session.scalar(select(Ballot.id).where(Ballot.poll_id == poll.id, Ballot.user_id == user.id))
    if ballot_id is None:
        return None
    answers: dict = {}
    for row in db.session.execute(select(BallotAnswer.question_id, BallotAnswer.option_id, BallotAnswer.value,
                                         BallotAnswer.text).where(BallotAnswer.ballot_id == ballot_id)
                                  .order_by(BallotAnswer.id)):
        if row.option_id is not None:
            answers.setdefault(row.question_id, []).append(row.option_id)
        else:
            answers[row.question_id] = row.value if row.value is not None else row.text
    return answers


def voted_poll_ids(user, poll_ids) -> set[int]:
    if user is None or not user.is_authenticated or not poll_ids:
        return set()
    return set(db.session.scalars(select(Ballot.poll_id).where(Ballot.user_id == user.id,
                                                               Ballot.poll_id.in_(list(poll_ids)))))


# -- what oversight reads ----------------------------------------------------------------------------------------

def count_polls_run(start: datetime | None = None, end: datetime | None = None,
                    department_id: int | None = None) -> int:
    """Polls published and opened within [start, end) (withdrawn ones not counted)."""
    stmt = select(func.count()).select_from(Poll).where(Poll.state == PollState.published.value)
    if start is not None:
        stmt = stmt.where(Poll.opens_dt >= start)
    if end is not None:
        stmt = stmt.where(Poll.opens_dt < end)
    if department_id is not None:
        stmt = stmt.where(Poll.department_id == department_id)
    return db.session.scalar(stmt)


def query_closed_without_report(now: datetime | None = None):
    """Closed polls whose results report (结果反馈) is not published yet, longest waiting first."""
    now = now or now_utc()
    return (select(Poll).where(Poll.state == PollState.published.value, Poll.closes_dt <= now,
                               Poll.report_published_dt.is_(None))
            .order_by(Poll.closes_dt, Poll.id))


def polls_by_department(start: datetime | None = None, end: datetime | None = None) -> dict[int, dict]:
    """Per department id: ``{"run", "closed", "reported"}`` over polls opened within [start, end)."""
    now = now_utc()
    stmt = (select(Poll.department_id, func.count(),
                   func.count().filter(Poll.closes_dt <= now),
                   func.count().filter(Poll.report_published_dt.is_not(None)))
            .where(Poll.state == PollState.published.value).group_by(Poll.department_id))
    if start is not None:
        stmt = stmt.where(Poll.opens_dt >= start)
    if end is not None:
        stmt = stmt.where(Poll.opens_dt < end)
    return {dept: {"run": run, "closed": closed, "reported": reported}
            for dept, run, closed, reported in db.session.execute(stmt)}

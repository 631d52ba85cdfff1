"""A citizen's ballot: checked whole, stored whole in the caller's one transaction, once per person.

The ballot is refused before anything is written when it breaks a rule (409 outside the open
window, 422 naming what is wrong), so a refusal stores nothing. One ballot per person is the
unique constraint on ``ballots (poll_id, user_id)``; the row is inserted with ``ON CONFLICT DO
NOTHING`` (SQLite and PostgreSQL alike), so a concurrent second ballot of the same person finds
nothing inserted and is told 409, and its transaction is not left aborted by an error. On
PostgreSQL the second insert waits for the first's transaction: if that one rolls back, the
second is stored; nothing is lost. On SQLite writers queue behind ``BEGIN IMMEDIATE`` (core.db).

No audit entry is written for a ballot: the audit log would tell administrators who took part.
"""

import json
import threading
from dataclasses import dataclass

from cachetools import LRUCache
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, select, text

from interaction.accounts.permissions import Permission
from interaction.core.db import MAX_ID, UTCDateTime, after_commit, db
from interaction.core.errors import Conflict, Forbidden, Unauthorized, ValidationFailed
from interaction.core.time import now_utc
from interaction.moderation.services import submit_for_moderation
from interaction.polls.models import (RATING_MAX, RATING_MIN, Ballot, BallotAnswer, Poll, PollState, PollStatus,
                                      QuestionKind, ResultsVisibility, TextState, status_of)

MODERATION_KIND = "polls.text_answer"
MAX_TEXT = 2000
ANSWER_KEYS = frozenset({"question", "options", "value", "text"})


class AlreadyVoted(Conflict):
    code = "already_voted"


class PollNotOpen(Conflict):
    code = "poll_not_open"


@dataclass(frozen=True)
class QuestionShape:
    """What checking an answer needs of a question: its kind, rules and option ids."""

    id: int
    kind: str
    is_required: bool
    min_choices: int | None
    max_choices: int | None
    option_ids: frozenset[int]

    @property
    def has_options(self) -> bool:
        return self.kind in (QuestionKind.single, QuestionKind.multiple)


#: Per app: poll id → its questions' shapes. Published questions never change (a correction is a new poll),
#: so a process reads them once, not on every ballot; a draft's are read every time.
SHAPES_KEY = "interaction.polls.shapes"


def poll_shape(poll: Poll) -> tuple[QuestionShape, ...]:
    """The shapes of *poll*'s questions, in order (from the app's cache once the poll is published)."""
    return shape_of(poll.id, poll.state, lambda: poll)


def shape_of(poll_id: int, state: str, load) -> tuple[QuestionShape, ...]:
    """The shapes of the questions of poll *poll_id* in *state*; *load()* gives the poll if they must be read."""
    cache, lock = current_app.extensions.setdefault(SHAPES_KEY, (LRUCache(512), threading.Lock()))
    if state != PollState.draft:
        with lock:
            shape = cache.get(poll_id)
        if shape is not None:
            return shape
    shape = tuple(QuestionShape(q.id, q.kind, q.is_required, q.min_choices, q.max_choices,
                                frozenset(o.id for o in q.options)) for q in load().questions)
    if state != PollState.draft:
        with lock:
            cache[poll_id] = shape
    return shape


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def not_open_message(status: PollStatus) -> str:
    return {
        PollStatus.draft: _("该调查尚未发布。"),
        PollStatus.scheduled: _("该调查尚未开始。"),
        PollStatus.closed: _("该调查已结束。"),
        PollStatus.withdrawn: _("该调查已撤下。"),
    }.get(status, _("该调查当前不能投票。"))


def _choice_rows(question: QuestionShape, chosen) -> tuple[list[dict], str | None]:
    if not isinstance(chosen, list) or not all(_is_id(o) for o in chosen):
        return [], _("选项应为选项编号的列表。")
    if len(chosen) > len(question.option_ids):
        return [], _("选择的选项过多。")
    if len(set(chosen)) != len(chosen):
        return [], _("同一个选项不能重复选择。")
    if any(option not in question.option_ids for option in chosen):
        return [], _("所选选项不属于这道题。")
    if not chosen:
        return [], None
    if question.kind == QuestionKind.single and len(chosen) != 1:
        return [], _("单选题只能选择一项。")
    if question.kind == QuestionKind.multiple:
        if len(chosen) < (question.min_choices or 1):
            return [], _("请至少选择 %(n)s 项。", n=question.min_choices)
        if question.max_choices and len(chosen) > question.max_choices:
            return [], _("最多只能选择 %(n)s 项。", n=question.max_choices)
    return [{"option_id": option} for option in chosen], None


def _answer_rows(question: QuestionShape, item: dict) -> tuple[list[dict], str | None]:
    """The rows of one answer (none: unanswered) or why it is refused."""
    if question.has_options:
        if "value" in item or "text" in item:
            return [], _("选择题应以 options 作答。")
        return _choice_rows(question, item.get("options", []))
    if question.kind == QuestionKind.rating:
        if "options" in item or "text" in item:
            return [], _("评分题应以 value 作答。")
        value = item.get("value")
        if value is None:
            return [], None
        if isinstance(value, bool) or not isinstance(value, int) or not RATING_MIN <= value <= RATING_MAX:
            return [], _("评分应为 %(low)s 到 %(high)s 的整数。", low=RATING_MIN, high=RATING_MAX)
        return [{"value": value}], None
    if "options" in item or "value" in item:
        return [], _("填空题应以 text 作答。")
    text = item.get("text")
    if text is None:
        return [], None
    if not isinstance(text, str):
        return [], _("回答应为字符串。")
    if len(text) > MAX_TEXT:
        return [], _("回答不能超过 %(n)s 个字。", n=MAX_TEXT)
    text = text.strip()
    return ([{"text": text, "text_state": TextState.pending.value}] if text else []), None


def check_answers(poll: Poll, answers, shape: tuple[QuestionShape, ...] | None = None) -> list[dict]:
    """The answer rows of a ballot (each with ``question_id``), or 422 naming every question that breaks a rule.

    Field names: ``answers`` (not a list, too long), ``answers[i]`` (an item that names no question
    of this poll, or names one twice), ``q<id>`` (a question's own rule: an option of another
    question, too few or too many choices, a rating out of range, a required question unanswered).
    """
    if not isinstance(answers, list):
        raise ValidationFailed({"answers": _("answers 应为列表。")})
    shape = poll_shape(poll) if shape is None else shape
    questions = {question.id: question for question in shape}
    if len(answers) > len(questions):
        raise ValidationFailed({"answers": _("回答数超过了题目数。")})
    fields, rows, answered = {}, [], set()
    for i, item in enumerate(answers):
        if not isinstance(item, dict) or not ANSWER_KEYS.issuperset(item) or "question" not in item:
            fields[f"answers[{i}]"] = _("每个回答应为 {question, options | value | text}。")
            continue
        question = questions.get(item["question"]) if _is_id(item["question"]) else None
        if question is None:
            fields[f"answers[{i}]"] = _("该题目不属于这次调查。")
            continue
        if question.id in answered:
            fields[f"answers[{i}]"] = _("同一道题只能回答一次。")
            continue
        answered.add(question.id)
        answer_rows, error = _answer_rows(question, item)
        if error:
            fields[f"q{question.id}"] = error
        elif not answer_rows:
            answered.discard(question.id)
        rows += [{"question_id": question.id, **row} for row in answer_rows]
    for question in shape:
        if question.is_required and question.id not in answered and f"q{question.id}" not in fields:
            fields[f"q{question.id}"] = _("这道题必须回答。")
    if fields:
        raise ValidationFailed(fields, message=_("答卷有误，未保存，请检查后重新提交。"))
    return rows


#: The ballot row, unless the person has one: its id, or no row. Written as SQL because SQLAlchemy 2.0's
#: dialect inserts (``insert(...).on_conflict_do_nothing()`` of ``dialects.sqlite``/``postgresql``) have no
#: cache key and were compiled again on every ballot, on SQLite while holding the write lock; a ``text()``
#: statement is compiled once. SQLite (3.35+) and PostgreSQL read the same SQL.
_INSERT_BALLOT = text(
    "INSERT INTO ballots (poll_id, user_id, created_dt) VALUES (:poll_id, :user_id, :at) "
    "ON CONFLICT (poll_id, user_id) DO NOTHING RETURNING id").bindparams(bindparam("at", type_=UTCDateTime()))

#: PostgreSQL: the ballot row and its answers in one statement, one round trip. A data-modifying ``WITH``
#: runs once and whole whatever the outer query reads (PostgreSQL's "Data-Modifying Statements in WITH"),
#: and a statement is atomic by itself: on a conflict the ballot's ``INSERT`` gives no row, so no answer is
#: inserted, and the statement answers no id. The answers come as one JSON array of
#: ``{question_id, option_id | value}`` (``jsonb_to_recordset``): one SQL text for any number of answers.
_INSERT_BALLOT_WITH_ANSWERS = text("""
    WITH ballot AS (
        INSERT INTO ballots (poll_id, user_id, created_dt) VALUES (:poll_id, :user_id, :at)
        ON CONFLICT (poll_id, user_id) DO NOTHING RETURNING id
    ), answers AS (
        INSERT INTO ballot_answers (ballot_id, poll_id, question_id, option_id, value)
        SELECT ballot.id, :poll_id, answer.question_id, answer.option_id, answer.value
        FROM ballot CROSS JOIN jsonb_to_recordset(CAST(:answers AS jsonb))
            AS answer(question_id integer, option_id integer, value smallint)
    )
    SELECT id FROM ballot""").bindparams(bindparam("at", type_=UTCDateTime()))

_ANSWERS = BallotAnswer.__table__
_INSERT_ANSWERS = _ANSWERS.insert()
_INSERT_TEXT = _ANSWERS.insert().returning(_ANSWERS.c.id)


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _insert_ballot(poll_id: int, user_id: int, answers: list[dict]) -> int | None:
    """Insert the ballot row and its *answers* (options and ratings) unless the person has a ballot: its id, or None.

    PostgreSQL: one statement (:data:`_INSERT_BALLOT_WITH_ANSWERS`). SQLite, in-process, has no data-modifying
    ``WITH``: the ballot's row, then the answers (one ``executemany``, a loop in C), in the caller's transaction.
    """
    connection = db.session.connection()
    params = {"poll_id": poll_id, "user_id": user_id, "at": now_utc()}
    if connection.dialect.name == "postgresql":
        return connection.execute(_INSERT_BALLOT_WITH_ANSWERS,
                                  {**params, "answers": json.dumps(answers)}).scalar_one_or_none()
    ballot_id = connection.execute(_INSERT_BALLOT, params).scalar_one_or_none()
    if ballot_id is not None and answers:
        connection.execute(_INSERT_ANSWERS, [{"ballot_id": ballot_id, "poll_id": poll_id, "option_id": None,
                                              "value": None, "text": None, "text_state": None, **answer}
                                             for answer in answers])
    return ballot_id


def stored_in_one_statement(rows: list[dict]) -> bool:
    """Whether :func:`store_ballot` writes these checked rows in one statement, atomic without a transaction.

    On PostgreSQL, a ballot without text answers (a text answer is inserted apart, and sent to moderation).
    """
    return _on_postgresql() and not any("text" in row for row in rows)


def has_voted(poll: Poll, user) -> bool:
    return bool(db.session.scalar(select(exists().where(Ballot.poll_id == poll.id, Ballot.user_id == user.id))))


def require_voter(actor) -> None:
    """401 for anonymous callers, 403 for accounts without the right to take part."""
    if actor is None or not actor.is_authenticated:
        raise Unauthorized()
    if not actor.can(Permission.WRITE):
        raise Forbidden()


def check_ballot(poll: Poll, answers) -> list[dict]:
    """What :func:`cast_ballot` checks of the poll and the answers before it writes; the rows to store. Reads only."""
    status = poll.status_at(now_utc())
    if status != PollStatus.open:
        raise PollNotOpen(not_open_message(status))
    return check_answers(poll, answers)


_POLLS = Poll.__table__
#: What a ballot needs of its poll, in one short read by primary key (no ORM object: the API's hot path).
_WINDOW = select(_POLLS.c.id, _POLLS.c.state, _POLLS.c.opens_dt, _POLLS.c.closes_dt, _POLLS.c.results_visibility,
                 _POLLS.c.department_id).where(_POLLS.c.id == bindparam("poll_id"))


def read_window(poll_id: int):
    """The poll's ``(id, state, opens_dt, closes_dt, results_visibility, department_id)`` row, or None."""
    return db.session.execute(_WINDOW, {"poll_id": poll_id}).first()


def check_ballot_by_window(window, answers) -> list[dict]:
    """:func:`check_ballot` from :func:`read_window`'s row (the questions' shape from the app's cache)."""
    status = status_of(window.state, window.opens_dt, window.closes_dt, now_utc())
    if status != PollStatus.open:
        raise PollNotOpen(not_open_message(status))
    shape = shape_of(window.id, window.state, lambda: db.session.get(Poll, window.id))
    return check_answers(None, answers, shape)


def store_ballot(poll_id: int, rows: list[dict], *, user_id: int, live: bool) -> int:
    """Write a checked ballot (:func:`check_ballot`): the ballot row, its answers, text answers to moderation.

    409 ``already_voted`` when the person has a ballot (nothing written). *live*: the poll's results
    are broadcast (after commit, throttled: :mod:`interaction.polls.live`).
    """
    ballot_id = _insert_ballot(poll_id, user_id, [row for row in rows if "text" not in row])
    if ballot_id is None:
        raise AlreadyVoted(_("您已参加过这次调查，每人只能提交一次。"))
    for row in rows:
        if "text" in row:
            answer_id = db.session.execute(_INSERT_TEXT, {"ballot_id": ballot_id, "poll_id": poll_id, "option_id": None,
                                                          "value": None, **row}).scalar_one()
            submit_for_moderation(MODERATION_KIND, answer_id, text=row["text"], author=None)
    if live:
        from interaction.polls import live as broadcasts

        after_commit(lambda: broadcasts.results_changed(poll_id))
    return ballot_id


def cast_ballot(poll: Poll, answers, *, actor) -> int:
    """Store *actor*'s ballot on *poll* (all answers, or nothing); returns the ballot's id.

    401 anonymous; 403 without the right to take part; 409 outside the open window
    (``poll_not_open``) or for a second ballot (``already_voted``); 422 for answers that break a
    rule (:func:`check_answers`). Free-text answers go to moderation (kind ``polls.text_answer``)
    without their author: moderators do not learn who wrote what either. Callers that read and
    write in two steps (the API on SQLite) call :func:`require_voter`, :func:`check_ballot` and
    :func:`store_ballot` in turn.
    """
    require_voter(actor)
    rows = check_ballot(poll, answers)
    return store_ballot(poll.id, rows, user_id=actor.id, live=poll.results_visibility == ResultsVisibility.live)

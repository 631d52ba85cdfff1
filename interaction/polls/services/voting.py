"""A citizen's ballot: checked whole, stored whole (one transaction, or one statement), once per person.

The ballot is refused before anything is written when it breaks a rule (409 outside the open
window, 422 naming what is wrong), so a refusal stores nothing. One ballot per person is the
unique constraint on ``ballots (poll_id, user_id)``; the row is inserted with ``ON CONFLICT DO
NOTHING`` (SQLite and PostgreSQL alike), so a concurrent second ballot of the same person finds
nothing inserted and is told 409, and its transaction is not left aborted by an error. On
PostgreSQL the second insert waits for the first's transaction: if that one rolls back, the
second is stored; nothing is lost. On SQLite writers queue behind ``BEGIN IMMEDIATE`` (core.db).
The same insert checks that the poll is open, so a poll closed while a ballot was being checked
refuses it too.

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
from interaction.core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from interaction.core.time import now_utc
from interaction.moderation.services import submit_for_moderation
from interaction.polls.services.authoring import can_manage
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


@dataclass(frozen=True)
class BallotRules:
    """What checking and storing a ballot needs of its poll: the questions' shapes, and whether results are live."""

    questions: tuple[QuestionShape, ...]
    live: bool


#: Per app: poll id → :class:`BallotRules`. A published poll's questions and results visibility never change
#: (a correction is a new poll), so a process reads them once, not on every ballot; a draft's are read every time.
RULES_KEY = "interaction.polls.ballot_rules"


def _rules_cache() -> tuple[LRUCache, threading.Lock]:
    return current_app.extensions.setdefault(RULES_KEY, (LRUCache(512), threading.Lock()))


def cached_rules(poll_id: int) -> BallotRules | None:
    """The rules of poll *poll_id* if this process read them since it was published (a draft's never are)."""
    cache, lock = _rules_cache()
    with lock:
        return cache.get(poll_id)


def rules_of(poll: Poll) -> BallotRules:
    """*poll*'s ballot rules (from the app's cache once the poll is published)."""
    rules = cached_rules(poll.id)
    if rules is None:
        rules = BallotRules(tuple(QuestionShape(q.id, q.kind, q.is_required, q.min_choices, q.max_choices,
                                                frozenset(o.id for o in q.options)) for q in poll.questions),
                            poll.results_visibility == ResultsVisibility.live)
        if poll.state != PollState.draft:
            cache, lock = _rules_cache()
            with lock:
                cache[poll.id] = rules
    return rules


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


def check_answers(shape: tuple[QuestionShape, ...], answers) -> list[dict]:
    """The answer rows of a ballot (each with ``question_id``), or 422 naming every question that breaks a rule.

    Field names: ``answers`` (not a list, too long), ``answers[i]`` (an item that names no question
    of this poll, or names one twice), ``q<id>`` (a question's own rule: an option of another
    question, too few or too many choices, a rating out of range, a required question unanswered).
    """
    if not isinstance(answers, list):
        raise ValidationFailed({"answers": _("answers 应为列表。")})
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


#: The ballot row, if the poll is open at ``:at`` and the person has none: its id, or no row. The poll's
#: window is checked by the insert itself (the rule of ``models.status_of``: published, opened, not yet
#: closed), so a ballot cannot slip in after staff closed the poll while it was being checked. Written as SQL
#: because SQLAlchemy 2.0's dialect inserts (``insert(...).on_conflict_do_nothing()``) have no cache key
#: and were compiled again on every ballot, on SQLite while holding the write lock; a ``text()`` statement
#: is compiled once. SQLite (3.35+) and PostgreSQL read the same SQL.
_BALLOT_IF_OPEN = """
    INSERT INTO ballots (poll_id, user_id, created_dt)
    SELECT id, :user_id, :at FROM polls
    WHERE id = :poll_id AND state = :published AND opens_dt <= :at AND closes_dt > :at
    ON CONFLICT (poll_id, user_id) DO NOTHING RETURNING id"""
_BALLOT_PARAMETERS = (bindparam("at", type_=UTCDateTime()), bindparam("published", PollState.published.value))
_INSERT_BALLOT = text(_BALLOT_IF_OPEN).bindparams(*_BALLOT_PARAMETERS)

#: PostgreSQL: the ballot row and its answers in one statement, one round trip. A data-modifying ``WITH``
#: runs once and whole whatever the outer query reads (PostgreSQL's "Data-Modifying Statements in WITH"),
#: and a statement is atomic by itself: when the ballot's ``INSERT`` gives no row, no answer is inserted
#: and the statement answers no id. The answers come as one JSON array of ``{question_id, option_id | value}``
#: (``jsonb_to_recordset``): one SQL text for any number of answers.
_INSERT_BALLOT_WITH_ANSWERS = text(f"""
    WITH ballot AS ({_BALLOT_IF_OPEN}
    ), answers AS (
        INSERT INTO ballot_answers (ballot_id, poll_id, question_id, option_id, value)
        SELECT ballot.id, :poll_id, answer.question_id, answer.option_id, answer.value
        FROM ballot CROSS JOIN jsonb_to_recordset(CAST(:answers AS jsonb))
            AS answer(question_id integer, option_id integer, value smallint)
    )
    SELECT id FROM ballot""").bindparams(*_BALLOT_PARAMETERS)

_ANSWERS = BallotAnswer.__table__
_INSERT_ANSWERS = _ANSWERS.insert()
_INSERT_TEXT = _ANSWERS.insert().returning(_ANSWERS.c.id)


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _insert_ballot(poll_id: int, user_id: int, answers: list[dict]) -> int | None:
    """The new ballot's id, with its *answers* (options, ratings) inserted; None if the poll is not open or has one.

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


def require_open(status: PollStatus) -> None:
    """409 ``poll_not_open`` unless *status* is open, saying why."""
    if status != PollStatus.open:
        raise PollNotOpen(not_open_message(status))


def check_ballot(poll: Poll, answers) -> list[dict]:
    """What :func:`cast_ballot` checks of the poll and the answers before it writes; the rows to store. Reads only."""
    require_open(poll.status_at(now_utc()))
    return check_answers(rules_of(poll).questions, answers)


_POLLS = Poll.__table__
#: What a ballot needs of its poll, in one short read by primary key (no ORM object: the API's hot path).
_WINDOW = select(_POLLS.c.state, _POLLS.c.opens_dt, _POLLS.c.closes_dt, _POLLS.c.department_id
                 ).where(_POLLS.c.id == bindparam("poll_id"))


def read_window(poll_id: int):
    """The poll's ``(state, opens_dt, closes_dt, department_id)`` row, or None."""
    return db.session.execute(_WINDOW, {"poll_id": poll_id}).first()


def status_now(window) -> PollStatus:
    """The status now of the poll whose :func:`read_window` row is *window*."""
    return status_of(window.state, window.opens_dt, window.closes_dt, now_utc())


def require_open_by_id(poll_id: int) -> None:
    """:func:`require_open` for poll *poll_id* now, by a short read (404 if there is none)."""
    window = read_window(poll_id)
    if window is None:
        raise NotFound()
    require_open(status_now(window))


def check_ballot_by_id(poll_id: int, answers, *, actor) -> tuple[list[dict], BallotRules]:
    """:func:`check_ballot` for the API, by the poll's id: the rows to store, and the poll's rules.

    404 for no such poll (or a draft *actor* may not manage). The poll is read only when this process
    has not its rules yet (:func:`cached_rules`): otherwise whether it is open is checked by the insert
    (:func:`store_ballot`), and read here only to refuse a ballot whose answers break a rule: a poll that
    is not open says so (409) before the answers are judged (422), as :func:`check_ballot` does.
    """
    rules = cached_rules(poll_id)
    if rules is None:
        window = read_window(poll_id)
        if window is None or window.state == PollState.draft and not can_manage(
                actor, department_id=window.department_id):
            raise NotFound()
        require_open(status_now(window))
        rules = rules_of(db.session.get(Poll, poll_id))
    try:
        return check_answers(rules.questions, answers), rules
    except ValidationFailed:
        require_open_by_id(poll_id)
        raise


def store_ballot(poll_id: int, rows: list[dict], *, user_id: int, live: bool) -> int:
    """Write a checked ballot (:func:`check_ballot`): the ballot row, its answers, text answers to moderation.

    Nothing is written when the poll is not open (409 ``poll_not_open``: it may have closed since it was
    checked) or the person has a ballot (409 ``already_voted``). *live*: the poll's results are broadcast
    (after commit, throttled: :mod:`interaction.polls.live`).
    """
    ballot_id = _insert_ballot(poll_id, user_id, [row for row in rows if "text" not in row])
    if ballot_id is None:
        require_open_by_id(poll_id)
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
    return store_ballot(poll.id, rows, user_id=actor.id, live=rules_of(poll).live)

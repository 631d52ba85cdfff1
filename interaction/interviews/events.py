"""The ``/interviews`` Socket.IO namespace (API.md "Live interviews"): thin handlers over the services.

Connect: authenticated from the page's session cookie, an ``Authorization: Bearer`` header or
``auth: {"token": "<API token>"}``; anonymous clients may watch. A bad token is refused.

Every event handler acknowledges with ``{"ok": true, ...}`` or ``{"ok": false, "error": code,
"message"}`` (``"fields"`` too for invalid input) and never raises. A payload is refused whole if
any of its strings holds a character no database stores (:mod:`interaction.core.untrusted`, the
check HTTP bodies get too); then its ids and types are checked field by field, and its text goes
through the same WTForms form as the same text posted from the page (:func:`interaction.core.api.validate`),
so the two refuse alike, with the same messages. Privileges are re-read from the database on each
event, and a client sending more than its budget of events (a flood) is disconnected. Its effects
are committed before any broadcast (see :mod:`.live`).
"""

import logging
from functools import wraps

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, disconnect
from sqlalchemy import select

from interaction.accounts import hash_token
from interaction.accounts.models import ApiToken
from interaction.core.api import validate
from interaction.core.db import MAX_ID, db, end_reading, read_without_transaction
from interaction.core.errors import DomainError, NotFound, ValidationFailed
from interaction.core.untrusted import has_unstorable_text, is_unstorable
from interaction.interviews import delivery, live, services
from interaction.interviews.delivery import NAMESPACE, SocketAuth
from interaction.interviews.forms import AnswerForm, ApproveForm, AskForm, RejectForm
from interaction.interviews.models import Interview, LiveQuestion, QuestionState, TranscriptEntry

log = logging.getLogger(__name__)

MAX_TOKEN = 200


class BadPayload(ValidationFailed):
    """A payload of the wrong shape (types, ids): refused before any service sees it."""

    code = "invalid_payload"


def _refuse_unstorable(data: dict) -> None:
    """Refuse the whole payload if a string in it holds a NUL or a lone surrogate (never stored, never echoed)."""
    if has_unstorable_text(data):
        message = _("内容含有无法保存的字符（如空字符），请删除后重试。")
        # Name the fields whose values hold one; a key holding one is not sent back (it cannot be encoded).
        raise BadPayload({name: message for name, value in data.items()
                          if has_unstorable_text(value) and not is_unstorable(name)}, message=message)


def _field(data: dict, name: str, kind: str, required: bool):
    value = data.get(name)
    if value is None:
        if required:
            raise BadPayload({name: _("请填写内容。")})
        return None
    if kind in {"id", "seq"}:
        # Up to the databases' integer range (core.db.MAX_ID): a larger number is bad input, not a failed query.
        if isinstance(value, bool) or not isinstance(value, int) or not (0 if kind == "seq" else 1) <= value <= MAX_ID:
            raise BadPayload({name: _("编号应为有效的正整数。") if kind == "id" else _("序号应为有效的非负整数。")})
    elif kind == "text" and not isinstance(value, str):
        raise BadPayload({name: _("类型不正确。")})
    return value


def handler(schema: dict, *, form=None, writes: bool = True):
    """Wrap an ``on_<event>`` method: flood control, payload checks, one commit, an ack, no exceptions.

    *schema* maps field → (kind, required), kind ``"id"``, ``"seq"`` or ``"text"``; the ``"text"``
    fields are then validated with *form*, the WTForms class the page posts the same text with
    (lengths, required text, messages). The method receives the checked values as keyword arguments
    and returns the ack's extra fields. A handler that only reads (*writes* False) runs without a
    transaction (``core.db.read_without_transaction``); the others in one transaction, committed.
    """

    def decorator(method):
        @wraps(method)
        def wrapped(self, data=None, *extra):
            sid = request.sid
            manager = live.manager()
            if not manager.allow_event(sid):
                log.warning("socket %s flooded events; disconnected", sid)
                disconnect()
                return {"ok": False, "error": "flood", "message": _("操作太频繁，连接已断开，请稍后再试。")}
            if not isinstance(data, dict) or extra or len(data) > 10:
                return {"ok": False, "error": "invalid_payload", "message": str(BadPayload.default_message)}
            try:
                if not writes:
                    read_without_transaction(lazily=True)
                _refuse_unstorable(data)
                values = {name: _field(data, name, kind, required) for name, (kind, required) in schema.items()}
                if form is not None:
                    validate(form, {name: values[name] for name, (kind, _required) in schema.items() if kind == "text"})
                result = method(self, **values) or {}
                if writes:
                    db.session.commit()
                else:
                    end_reading()
                return {"ok": True, **result}
            except DomainError as exc:
                db.session.rollback()
                answer = {"ok": False, "error": exc.code, "message": str(exc.message)}
                if exc.fields:
                    answer["fields"] = exc.fields
                return answer
            except Exception:  # noqa: BLE001 - a socket event must never take the server down
                db.session.rollback()
                log.exception("interview event %s failed", method.__name__)
                return {"ok": False, "error": "server_error", "message": _("暂时无法处理，请稍后再试。")}

        return wrapped

    return decorator


def _interview(interview_id: int) -> Interview:
    interview = db.session.get(Interview, interview_id)
    if interview is None:
        raise NotFound()
    return interview


def _question(question_id: int) -> LiveQuestion:
    question = db.session.get(LiveQuestion, question_id)
    if question is None:
        raise NotFound()
    return question


def _read_room_state(interview_id: int) -> tuple | None:
    """``(status, current question)`` of the interview as committed, or None if there is none."""
    row = db.session.execute(select(Interview.status, Interview.current_question_id)
                             .where(Interview.id == interview_id)).one_or_none()
    return None if row is None else tuple(row)


def _token_auth(raw) -> SocketAuth:
    """The connection's auth from ``auth: {"token"}`` (an API token); refused if it is not a valid one."""
    if not isinstance(raw, str) or not raw or len(raw) > MAX_TOKEN or is_unstorable(raw):
        raise ConnectionRefusedError("unauthorized")
    read_without_transaction(lazily=True)
    try:
        api_token = db.session.scalar(select(ApiToken).filter_by(token_hash=hash_token(raw)))
        if api_token is None or not api_token.is_valid:
            raise ConnectionRefusedError("unauthorized")
        return SocketAuth(api_token.user_id, token_id=api_token.id)
    finally:
        db.session.rollback()


class InterviewNamespace(Namespace):
    """Live interview rooms: :func:`delivery.room`, :func:`delivery.moderators_room`, :func:`delivery.user_room`."""

    def _auth(self) -> SocketAuth | None:
        return live.manager().auth.get(request.sid)

    def _user(self):
        """The connection's user as the database says now (demoted, signed out, revoked: at once)."""
        return live.resolve_user(self._auth())

    def on_connect(self, auth=None):
        """In: optional ``{"token": "<API token>"}``. Refused: a token that is not valid. Out: nothing."""
        manager = live.manager()
        if not manager.allow_connect(request.remote_addr):
            log.warning("connections from %s flood the live room; refused", request.remote_addr)
            raise ConnectionRefusedError("too_many_connections")
        socket_auth = None
        if isinstance(auth, dict) and auth.get("token") is not None:
            socket_auth = _token_auth(auth["token"])
        elif auth is not None and not isinstance(auth, dict):
            raise ConnectionRefusedError("invalid_auth")
        elif request.cookies or "Authorization" in request.headers:
            # Credentials to look at; a viewer without any is anonymous at once (no session, no read).
            read_without_transaction(lazily=True)
            try:
                if current_user.is_authenticated:
                    token_id = request.environ.get("interaction.api_token_id")
                    socket_auth = SocketAuth(current_user.id, token_id=token_id,
                                             session_version=None if token_id else current_user.session_version)
            finally:
                db.session.rollback()
        manager.auth[request.sid] = socket_auth
        manager.await_join(request.sid)
        if socket_auth is not None:
            manager.enter_room(request.sid, NAMESPACE, delivery.user_room(socket_auth.user_id))
        manager.start_presence(current_app.config["INTERVIEWS_PRESENCE_SECONDS"])

    def on_disconnect(self, reason=None):
        manager = live.manager()
        rooms = [r for r in manager.get_rooms(request.sid, NAMESPACE) or [] if delivery.is_public_room(r)]
        manager.forget(request.sid)
        for name in rooms:
            self._presence_changed(name)

    def _presence_changed(self, room_name: str) -> None:
        # Without the presence loop (tests, a single small process) counts are pushed on every change.
        if current_app.config["INTERVIEWS_PRESENCE_SECONDS"] <= 0:
            manager = live.manager()
            self.emit("presence", {"interview": delivery.interview_of(room_name),
                                   "viewers": manager.local_viewers(room_name)}, room=room_name)

    @handler({"interview": ("id", True), "since": ("seq", False)}, writes=False)
    def on_join(self, interview, since=None):
        """In: ``{"interview": id, "since": seq?}``. Out: every entry after *since* in order, then live ones.

        Ack: ``{"ok", "interview", "status", "last_seq", "viewers", "moderator", "speaker"}``. Moderators
        also get the pending questions (``question`` events) and join the moderators' room.
        """
        user = self._user()
        manager = live.manager()
        # Most who join only watch: two columns, read once for this process's joins of the moment.
        state = manager.room_state(interview, _read_room_state)
        if state is None:
            raise NotFound()
        interview_id, (status, current_question) = interview, state
        sid = request.sid
        moderator = live.can_moderate(user)
        speaker = user is not None and services.can_speak(_interview(interview_id), user)
        pending = []
        if moderator:
            # Into the room first, then read: a question asked in between is sent twice, never missed.
            manager.enter_room(sid, NAMESPACE, delivery.moderators_room(interview_id))
            pending = [live.question_payload(q) for q in db.session.scalars(select(LiveQuestion).where(
                LiveQuestion.interview_id == interview_id, LiveQuestion.state == QuestionState.pending)
                .order_by(LiveQuestion.id))]
        # Give the connection back before waiting for the room (its lock is busy while a broadcast goes
        # out): a few hundred viewers joining at once must not hold the pool's connections meanwhile.
        end_reading()

        def load(after: int):
            try:
                db_last = db.session.scalar(select(Interview.next_seq).where(Interview.id == interview_id)) - 1
                rows = db.session.scalars(select(TranscriptEntry).where(
                    TranscriptEntry.interview_id == interview_id, TranscriptEntry.seq > after,
                    TranscriptEntry.seq <= db_last).order_by(TranscriptEntry.seq)).all()
                return [live.entry_payload(row) for row in rows], db_last
            finally:
                db.session.rollback()

        last = manager.join_in_order(sid, delivery.room(interview_id), since or 0, load)
        manager.joined(sid)
        for payload in pending:
            manager.local_emit("question", payload, sid)
        self._presence_changed(delivery.room(interview_id))
        return {"interview": interview_id, "status": status, "last_seq": last,
                "current_question": current_question,
                "viewers": manager.viewers(delivery.room(interview_id)), "moderator": moderator,
                "speaker": speaker}

    @handler({"interview": ("id", True)}, writes=False)
    def on_leave(self, interview):
        """In: ``{"interview": id}``. Leaves the interview's rooms."""
        manager = live.manager()
        manager.leave(request.sid, delivery.room(interview))
        manager.basic_leave_room(request.sid, NAMESPACE, delivery.moderators_room(interview))
        self._presence_changed(delivery.room(interview))
        return {}

    @handler({"interview": ("id", True), "body": ("text", True)}, form=AskForm)
    def on_ask(self, interview, body):
        """In: ``{"interview": id, "body"}`` (signed-in; ≤ 500 chars; one per 30 s). Ack: ``{"ok", "id", "state"}``.

        The question goes to the moderators' room only; viewers see it once approved. A question
        the screening blocks is acknowledged with ``error: "screening_rejected"`` and the reason.
        """
        question = services.ask_question(_interview(interview), body, actor=self._user())
        if question.state == QuestionState.rejected:
            db.session.commit()  # the rejected question is kept: its asker sees it and why
            raise DomainError(question.reject_reason, code="screening_rejected")
        return {"id": question.id, "state": question.state}

    @handler({"question": ("id", True), "body": ("text", False)}, form=ApproveForm)
    def on_approve(self, question, body=None):
        """In: ``{"question": id, "body"?}`` (moderators; *body* corrects typos). Out: an ``entry`` to the room."""
        found = services.approve_question(_question(question), actor=self._user(), body=body)
        return {"id": found.id, "state": found.state}

    @handler({"question": ("id", True), "reason": ("text", False)}, form=RejectForm)
    def on_reject(self, question, reason=None):
        """In: ``{"question": id, "reason"?}`` (moderators). The asker gets ``my_question`` with the reason."""
        found = services.reject_question(_question(question), actor=self._user(), reason=reason)
        return {"id": found.id, "state": found.state}

    @handler({"question": ("id", True)})
    def on_pick(self, question):
        """In: ``{"question": id}`` (moderators): the question guests answer next. Out: ``next`` to the room."""
        services.pick_question(_question(question), actor=self._user())
        return {"id": question}

    @handler({"interview": ("id", False), "question": ("id", False), "body": ("text", True),
              "guest": ("id", False)}, form=AnswerForm)
    def on_answer(self, body, interview=None, question=None, guest=None):
        """In: ``{"question"?: id, "interview"?: id, "body", "guest"?: id}`` (guests, hosts). Out: an ``entry``.

        Without a question, a host's words are a remark (kind ``host``).
        """
        found_question = _question(question) if question is not None else None
        if interview is None and found_question is None:
            raise BadPayload({"interview": _("请指明访谈或问题。")})
        found = _interview(interview if interview is not None else found_question.interview_id)
        entry = services.answer(found, body, actor=self._user(), question=found_question, guest_id=guest)
        return {"seq": entry.seq, "kind": entry.kind}

    @handler({"interview": ("id", True), "body": ("text", True)}, form=AnswerForm)  # the page posts remarks with it
    def on_remark(self, interview, body):
        """In: ``{"interview": id, "body"}`` (hosts). Out: an ``entry`` of kind ``host``."""
        entry = services.post_remark(_interview(interview), body, actor=self._user())
        return {"seq": entry.seq, "kind": entry.kind}

    @handler({"question": ("id", True)})
    def on_upvote(self, question):
        """In: ``{"question": id}`` (signed-in, once per question). Out: ``votes`` to the room."""
        found = services.vote_question(_question(question), actor=self._user())
        return {"id": found.id, "upvotes": found.upvotes}

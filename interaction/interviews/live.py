"""The live side of interviews: payload shapes, broadcasts after commit, who a socket is.

Services call the ``broadcast_*`` functions; each serialises what it needs *inside* the
transaction and emits only once it committed (``core.db.after_commit``), so nothing that
rolled back is ever shown. What goes where:

========================  =====================================  =====================================
event                     room                                   payload
========================  =====================================  =====================================
``entry``                 ``delivery.room(id)`` (everyone)       a transcript entry, see :func:`entry_payload`
``status``                everyone                               ``{"interview", "status"}``; from
                                                                 :mod:`.delivery` when Redis goes and
                                                                 returns: ``{"interview", "connection":
                                                                 "degraded"|"ok"}``
``votes``                 everyone                               ``{"interview", "question", "upvotes"}``
``next``                  everyone                               ``{"interview", "question"}`` (picked)
``question``              ``delivery.moderators_room(id)``       :func:`question_payload` (incl. pending)
``my_question``           ``delivery.user_room(asker)``          state, reason, where it was handed over
``presence``              everyone (by :mod:`.delivery`)         ``{"interview", "viewers"}``
========================  =====================================  =====================================
"""

from flask import Flask
from sqlalchemy import select

from interaction.accounts.models import ApiToken, User
from interaction.accounts.permissions import Permission
from interaction.core.db import after_commit, db, read_without_transaction
from interaction.core.extensions import socketio
from interaction.core.privacy import mask_name
from interaction.core.time import isoformat
from interaction.interviews import delivery, redis_delivery
from interaction.interviews.delivery import NAMESPACE, SocketAuth
from interaction.interviews.models import Interview, LiveQuestion, TranscriptEntry


# -- payloads ------------------------------------------------------------------------------------------------

def entry_payload(entry: TranscriptEntry) -> dict:
    """A transcript entry as the API and the socket show it (contract: seq, kind, body, at)."""
    data = {
        "interview": entry.interview_id,
        "seq": entry.seq,
        "kind": entry.kind,
        "body": entry.body,
        "at": isoformat(entry.at_dt),
        "author": entry.author_name,
        "question": entry.question_id,
    }
    if entry.kind == "question" and entry.question is not None:
        data["upvotes"] = entry.question.upvotes
        data["state"] = entry.question.state
    return data


def asker_label(question: LiveQuestion) -> str:
    """How an asker appears in public: the masked name (pages put 网友 before it)."""
    name = question.asker.name if question.asker is not None else ""
    return mask_name(name) if name else ""


def question_payload(question: LiveQuestion) -> dict:
    """A question as moderators (and its asker) see it, whatever its state."""
    return {
        "id": question.id,
        "interview": question.interview_id,
        "body": question.body,
        "original_body": question.original_body,
        "state": question.state,
        "reason": question.reject_reason,
        "asker": asker_label(question),
        "upvotes": question.upvotes,
        "pre_question": question.is_pre_question,
        "created_at": isoformat(question.created_dt),
        "handed_to": question.handed_to,
        "handover_due_at": isoformat(question.handover_due_dt),
    }


def own_question_payload(question: LiveQuestion) -> dict:
    """What the asker is told about their own question."""
    data = question_payload(question)
    data.pop("asker")
    return data


# -- broadcasts (after commit) ---------------------------------------------------------------------------------

def _emit_after_commit(event: str, payload: dict, to: str) -> None:
    """Emit once the transaction commits; a transaction's emits leave together (one Redis round trip).

    The batch lives among the transaction's after-commit callbacks, so a rollback drops it with them.
    """
    batch = next((fn for fn in db.session.info.get("after_commit", ()) if hasattr(fn, "emits")), None)
    if batch is None:
        def batch():
            if socketio.server is None:
                return
            with socketio.server.manager.batched():
                for name, data, room in batch.emits:
                    socketio.emit(name, data, to=room, namespace=NAMESPACE)

        batch.emits = []
        after_commit(batch)
    batch.emits.append((event, payload, to))


def broadcast_entry(entry: TranscriptEntry) -> None:
    _emit_after_commit(delivery.ENTRY_EVENT, entry_payload(entry), delivery.room(entry.interview_id))


def broadcast_question(question: LiveQuestion) -> None:
    """Tell the interview's moderators, and the asker, about a question (any state)."""
    _emit_after_commit("question", question_payload(question), delivery.moderators_room(question.interview_id))
    if question.asker_id is not None:
        _emit_after_commit("my_question", own_question_payload(question), delivery.user_room(question.asker_id))


def broadcast_status(interview: Interview) -> None:
    _emit_after_commit(delivery.STATUS_EVENT, {"interview": interview.id, "status": interview.status},
                       delivery.room(interview.id))


def broadcast_votes(question: LiveQuestion) -> None:
    _emit_after_commit("votes", {"interview": question.interview_id, "question": question.id,
                                 "upvotes": question.upvotes}, delivery.room(question.interview_id))


def broadcast_next(interview: Interview) -> None:
    _emit_after_commit(delivery.NEXT_EVENT, {"interview": interview.id, "question": interview.current_question_id},
                       delivery.room(interview.id))


# -- who a socket is -----------------------------------------------------------------------------------------

def resolve_user(auth: SocketAuth | None) -> User | None:
    """The user behind *auth* as the database says now, or None (signed out, disabled, token revoked)."""
    if auth is None:
        return None
    user = db.session.get(User, auth.user_id, populate_existing=True)
    if user is None or not user.is_enabled:
        return None
    if auth.session_version is not None and user.session_version != auth.session_version:
        return None
    if auth.token_id is not None:
        token = db.session.get(ApiToken, auth.token_id, populate_existing=True)
        if token is None or not token.is_valid or token.user_id != user.id:
            return None
    return user


def can_moderate(user: User | None) -> bool:
    return user is not None and user.can(Permission.MODERATE)


# -- hooks the delivery manager calls, outside any request -------------------------------------------------------

def make_manager(app: Flask):
    """The client manager for *app*'s Socket.IO server (registered in ``init_app``, used by ``core.web``)."""

    def load_entries(interview_id: int, after: int, upto: int) -> list[dict]:
        with app.app_context():
            read_without_transaction()
            try:
                rows = db.session.scalars(
                    select(TranscriptEntry).where(TranscriptEntry.interview_id == interview_id,
                                                  TranscriptEntry.seq > after, TranscriptEntry.seq <= upto)
                    .order_by(TranscriptEntry.seq)).all()
                return [entry_payload(row) for row in rows]
            finally:
                db.session.rollback()

    def moderators_only(room_name: str, auths: dict) -> set[str]:
        with app.app_context():
            read_without_transaction()
            try:
                return {sid for sid, auth in auths.items() if can_moderate(resolve_user(auth))}
            finally:
                db.session.rollback()

    url = app.config.get("REDIS_URL")
    if url:
        manager = redis_delivery.RedisLiveManager(url, channel=app.config.get("SOCKETIO_CHANNEL", "flask-socketio"),
                                                  entry_loader=load_entries, private_filter=moderators_only)
    else:
        manager = delivery.LiveManager(entry_loader=load_entries, private_filter=moderators_only)
    manager.gap_wait = app.config["INTERVIEWS_GAP_WAIT_SECONDS"]
    manager.event_burst = app.config["INTERVIEWS_EVENT_BURST"]
    manager.event_rate = app.config["INTERVIEWS_EVENT_RATE"]
    manager.join_timeout = app.config["INTERVIEWS_JOIN_TIMEOUT_SECONDS"]
    manager.connect_burst = app.config["INTERVIEWS_CONNECT_BURST"]
    manager.connect_rate = app.config["INTERVIEWS_CONNECT_RATE"]
    return manager


def manager():
    """The delivery manager of the running Socket.IO server."""
    return socketio.server.manager

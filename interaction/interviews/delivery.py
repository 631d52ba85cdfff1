"""How interview events reach the sockets of one server process: in order, privately, and counted.

python-socketio's client manager decides who receives an emit. :class:`LiveManager` (one process)
and :class:`RedisLiveManager` (several processes sharing rooms through Redis) add three rules to it
for the ``/interviews`` namespace, and leave every other emit alone:

* **Entries in ``seq`` order, exactly once.** Entries are committed in ``seq`` order (row lock on the
  interview), but two writers' broadcasts may cross on their way here, especially through Redis.
  Each process keeps, per room, the next ``seq`` it owes its viewers and holds back anything that
  runs ahead; a gap that does not close by itself within :attr:`gap_wait` seconds is filled from
  the database. A joining client is "gated" while its missed entries are read from the database:
  live entries meant for it are buffered, then sent after the replay, without duplicates.
* **Private rooms stay private.** The moderators' room of an interview receives pending
  questions. Before every such emit the recipients are checked again against the database (a
  moderator demoted mid-interview stops receiving at once and is taken out of the room).
* **Upvotes coalesced**: ``votes`` (a question's count) reach a room at most once a second per
  question (:mod:`.votes`).

Presence (viewer counts) is :mod:`.presence`'s, flood control (a budget of events per connection)
:mod:`.flood`'s, the status a join tells :mod:`.room_state`'s, upvote counts :mod:`.votes`'s, all mixed
into :class:`LiveManager`. Several processes: :mod:`.redis_delivery`
(the Redis queue, batched publishing, recovery from a Redis outage).

Broadcasts are encoded and framed once per room, however many viewers, and written straight to
each WebSocket where it can take them; a socket that cannot (long polling, packets still queued)
gets the same packet through engine.io's queue (:func:`interaction.core.websocket.send_to_many`,
the realtime adapter).
"""

import contextlib
import logging
import threading
import uuid

import socketio

from interaction.core import websocket
from interaction.interviews.flood import FloodControl
from interaction.interviews import rooms
from interaction.interviews.presence import Presence
from interaction.interviews.room_state import RoomStates
from interaction.interviews.votes import VoteCounts
from interaction.interviews.rooms import (  # noqa: F401 - the feature names its rooms through delivery
    ENTRY_EVENT,
    LAST_POSSIBLE_SEQ,
    NAMESPACE,
    NEXT_EVENT,
    PRESENCE_EVENT,
    ROOM_STATE_EVENTS,
    STATUS_EVENT,
    VOTES_EVENT,
    SocketAuth,
    interview_of,
    is_moderators_room,
    is_public_room,
    moderators_room,
    user_room,
)

room = rooms.room  # everyone watching the interview (the parameters named room below are room names)

log = logging.getLogger(__name__)


class _RoomSeq:
    __slots__ = ("filling", "first_load", "held", "next")

    def __init__(self):
        self.next: int | None = None  # the seq owed next to this process's viewers; None until one joined
        self.held: dict[int, dict] = {}  # entries that arrived ahead of a gap
        self.filling = False
        self.first_load = None  # an Event while the first join's read is under way (next is None until it ends)


#: Seconds a join waits for the first join of its room in this process to read the transcript.
FIRST_LOAD_WAIT_SECONDS = 5.0


class LiveManager(Presence, FloodControl, RoomStates, VoteCounts, socketio.Manager):
    """The client manager of one process (see the module docstring)."""

    #: Seconds a gap in the entry sequence may stay open before it is filled from the database.
    gap_wait = 1.0

    def __init__(self, *args, entry_loader=None, private_filter=None, **kwargs):
        super().__init__(*args, **kwargs)
        #: ``entry_loader(interview_id, after, upto)`` → entry payloads with after < seq <= upto.
        self.entry_loader = entry_loader
        #: ``private_filter(room, {sid: SocketAuth | None})`` → the sids still allowed in *room*.
        self.private_filter = private_filter
        self.host_id = getattr(self, "host_id", None) or uuid.uuid4().hex
        self.lock = threading.RLock()
        self.auth: dict[str, SocketAuth | None] = {}
        self._gates: dict[str, dict[str, list[dict]]] = {}  # room → joining sid → entries buffered
        self._ahead: dict[str, dict[str, int]] = {}  # room → sid → last seq it already has
        self._seqs: dict[str, _RoomSeq] = {}

    def set_server(self, server):
        super().set_server(server)
        if str(getattr(server, "async_mode", "")).startswith("gevent"):
            from gevent.event import Event
            from gevent.lock import RLock  # a thread lock would block every greenlet of the process

            self.lock = RLock()
            self.event_class = Event

    # -- emit ------------------------------------------------------------------------------------------------

    def batched(self):
        """Emits inside the block may leave together (:class:`RedisLiveManager`: one round trip)."""
        return contextlib.nullcontext()

    def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        room = to or room
        if namespace == NAMESPACE and event in ROOM_STATE_EVENTS and is_public_room(room):
            self.forget_room_state(interview_of(room))
        if namespace == NAMESPACE and callback is None:
            if event == ENTRY_EVENT and is_public_room(room) and isinstance(data, dict):
                return self._deliver_entry(room, data)
            if event == VOTES_EVENT and is_public_room(room) and isinstance(data, dict):
                return self.coalesce_votes(room, data)
            if is_moderators_room(room):
                return self._emit_private(event, data, room, skip_sid)
        return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)

    def local_emit(self, event, data, room, skip_sid=None):
        """Send to this process's sockets in *room* only (never through the message queue).

        One socket.io packet, one engine.io packet and one WebSocket frame for the whole room
        (:func:`interaction.core.websocket.send_to_many`).
        """
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        eio_sids = [eio_sid for sid, eio_sid in self.get_participants(NAMESPACE, room) if sid not in skip]
        if not websocket.send_to_many(self.server, NAMESPACE, event, data, eio_sids):  # binary attachments
            socketio.Manager.emit(self, event, data, NAMESPACE, room=room, skip_sid=skip_sid)

    def _deliver_entry(self, room_name: str, data: dict) -> None:
        try:
            seq = int(data["seq"])
        except (KeyError, TypeError, ValueError):
            log.error("entry without seq for %s dropped", room_name)
            return
        with self.lock:
            state = self._seqs.get(room_name)
            if state is None:
                return  # no socket of this process watches the interview
            if state.next is None or seq > state.next:
                # Baseline unknown (a viewer is still joining) or a gap: hold until the order is sure.
                state.held[seq] = data
                if state.next is not None and not state.filling:
                    state.filling = True
                    self.server.start_background_task(self._fill_gap, room_name)
                return
            if seq < state.next:
                return  # already delivered (a gap filled from the database, then the late broadcast)
            self._send_entry(room_name, data)
            state.next += 1
            self._drain(room_name, state)

    def _drain(self, room_name: str, state: _RoomSeq) -> None:
        for stale in [s for s in state.held if s < state.next]:
            del state.held[stale]
        while state.next in state.held:
            self._send_entry(room_name, state.held.pop(state.next))
            state.next += 1

    def _send_entry(self, room_name: str, data: dict) -> None:
        """Send one in-order entry to the room: buffered for joining sockets, skipped where already had."""
        seq = data["seq"]
        skip = []
        for sid, buffer in self._gates.get(room_name, {}).items():
            buffer.append(data)
            skip.append(sid)
        ahead = self._ahead.get(room_name)
        if ahead:
            for sid, last in list(ahead.items()):
                if last >= seq:
                    skip.append(sid)
                else:
                    del ahead[sid]
            if not ahead:
                del self._ahead[room_name]
        self.local_emit(ENTRY_EVENT, data, room_name, skip_sid=skip)

    def _fill_gap(self, room_name: str) -> None:
        self.server.sleep(self.gap_wait)
        with self.lock:
            state = self._seqs.get(room_name)
            if state is None or state.next is None or not state.held:
                if state is not None:
                    state.filling = False
                return
            after, upto = state.next - 1, min(state.held) - 1
        rows = []
        if self.entry_loader is not None:
            try:
                rows = self.entry_loader(interview_of(room_name), after, upto)
            except Exception:  # noqa: BLE001 - a failed fill must not stall the room for good
                log.exception("could not fill entries %s..%s of %s", after + 1, upto, room_name)
        with self.lock:
            state = self._seqs.get(room_name)
            if state is None or state.next is None:
                return
            state.filling = False
            self._take_loaded(room_name, state, rows)

    def _take_loaded(self, room_name: str, state: _RoomSeq, rows: list[dict]) -> None:
        """Send entries read from the database, with those held, in order (under the lock)."""
        for row in rows:
            if row["seq"] >= state.next:
                state.held.setdefault(row["seq"], row)
        if state.held and state.next not in state.held:
            log.warning("entries %s..%s of %s lost; skipping them", state.next, min(state.held) - 1, room_name)
            state.next = min(state.held)
        self._drain(room_name, state)

    def catch_up(self, room_name: str) -> None:
        """Send the room every entry committed after the last one it got (the queue lost some: Redis was down)."""
        with self.lock:
            state = self._seqs.get(room_name)
            if state is None or state.next is None or self.entry_loader is None:
                return
            after = state.next - 1
        try:
            rows = self.entry_loader(interview_of(room_name), after, LAST_POSSIBLE_SEQ)
        except Exception:  # noqa: BLE001 - the next live entry finds the gap and fills it
            log.exception("could not catch %s up after %s", room_name, after)
            return
        with self.lock:
            state = self._seqs.get(room_name)
            if state is not None and state.next is not None:
                self._take_loaded(room_name, state, rows)

    def tell_rooms(self, connection: str) -> None:
        """Send every public room of this process ``status {"interview", "connection"}`` ("degraded", "ok").

        The room page shows it ("连接中断，正在恢复"): viewers know why nothing arrives meanwhile.
        """
        for name in list(self._local_counts()):
            self.local_emit(STATUS_EVENT, {"interview": interview_of(name), "connection": connection}, name)

    def _emit_private(self, event, data, room_name, skip_sid) -> None:
        sids = [sid for sid, _eio in self.get_participants(NAMESPACE, room_name)]
        if not sids:
            return
        allowed = set()
        if self.private_filter is not None:
            try:
                allowed = set(self.private_filter(room_name, {sid: self.auth.get(sid) for sid in sids}))
            except Exception:  # noqa: BLE001 - fail closed: nobody gets a private event unchecked
                log.exception("private filter failed for %s", room_name)
        refused = [sid for sid in sids if sid not in allowed]
        for sid in refused:
            self.basic_leave_room(sid, NAMESPACE, room_name)
        if allowed:
            skip = refused + (skip_sid if isinstance(skip_sid, list) else [skip_sid] if skip_sid else [])
            self.local_emit(event, data, room_name, skip_sid=skip)

    def public_rooms(self) -> list[str]:
        """The interview rooms this process's viewers joined (:meth:`join_in_order` keeps their order)."""
        return list(self._seqs)

    # -- joining in order ------------------------------------------------------------------------------------

    def join_in_order(self, sid: str, room_name: str, since: int, load) -> int:
        """Put *sid* in *room_name* and send it every entry after *since*, then live ones, in order.

        ``load(since)`` runs outside the lock and returns ``(entries after since, last seq in the
        database)``. Returns the last seq the socket has now.

        No database read when the client already has everything this process delivered to the
        room (``since`` is exactly the last seq sent here): whatever comes later reaches the room
        through :meth:`_deliver_entry`, in order, and the client is in the room by then. This is
        the common join (a new viewer of a room whose viewers are up to date, a reconnect).

        Until the first join of a room in this process has read the transcript, the process does not
        know what its viewers are owed: the joins that arrive meanwhile (a popular interview's first
        seconds) wait for that read, then join as above, instead of each reading too.
        """
        waited = False
        while True:
            with self.lock:
                state = self._seqs.get(room_name)
                if state is not None and state.next is not None and since == state.next - 1:
                    self.enter_room(sid, NAMESPACE, room_name)
                    return since
                first_load = state.first_load if state is not None and state.next is None else None
                if first_load is None or waited:  # read: the first read is done, failed or slow
                    state = self._seqs.setdefault(room_name, _RoomSeq())
                    self._gates.setdefault(room_name, {})[sid] = []
                    self.enter_room(sid, NAMESPACE, room_name)
                    mine = None
                    if state.next is None and state.first_load is None:
                        state.first_load = mine = self.event_class()
                    break
            first_load.wait(FIRST_LOAD_WAIT_SECONDS)
            waited = True
        try:
            rows, db_last = load(since)
        except BaseException:
            with self.lock:
                self._close_gate(room_name, sid)
                self.basic_leave_room(sid, NAMESPACE, room_name)
                self._forget_room_if_empty(room_name)
                self._end_first_load(state, mine)
            raise
        with self.lock:
            buffered = self._close_gate(room_name, sid)
            last = min(since, db_last)
            for row in rows:
                if row["seq"] > last:
                    self.local_emit(ENTRY_EVENT, row, sid)
                    last = row["seq"]
            for row in sorted(buffered, key=lambda r: r["seq"]):
                if row["seq"] > last:
                    self.local_emit(ENTRY_EVENT, row, sid)
                    last = row["seq"]
            state = self._seqs.setdefault(room_name, state)
            if state.next is None:
                state.next = last + 1
                self._drain(room_name, state)
            elif state.next <= last:
                self._ahead.setdefault(room_name, {})[sid] = last
            self._end_first_load(state, mine)
            return last

    @staticmethod
    def _end_first_load(state: _RoomSeq, first_load) -> None:
        """The first read of a room ended (the room's next seq is known, or it failed): the waiting joins go on."""
        if first_load is not None:
            if state.first_load is first_load:
                state.first_load = None
            first_load.set()

    def _close_gate(self, room_name: str, sid: str) -> list[dict]:
        gates = self._gates.get(room_name, {})
        buffered = gates.pop(sid, [])
        if not gates:
            self._gates.pop(room_name, None)
        return buffered

    def _forget_room_if_empty(self, room_name: str) -> None:
        if not self.rooms.get(NAMESPACE, {}).get(room_name):
            self._seqs.pop(room_name, None)
            self._ahead.pop(room_name, None)
            self._gates.pop(room_name, None)
            self.forget_votes(room_name)

    def leave(self, sid: str, room_name: str) -> None:
        with self.lock:
            self._close_gate(room_name, sid)
            self._ahead.get(room_name, {}).pop(sid, None)
            self.basic_leave_room(sid, NAMESPACE, room_name)
            self._forget_room_if_empty(room_name)

    def forget(self, sid: str) -> None:
        """Drop everything kept about *sid* (called on disconnect): memory stays flat."""
        with self.lock:
            self.auth.pop(sid, None)
            self.forget_budget(sid)
            for room_name in list(self.get_rooms(sid, NAMESPACE) or []):
                if is_public_room(room_name):
                    self.leave(sid, room_name)
                elif room_name != sid:
                    self.basic_leave_room(sid, NAMESPACE, room_name)

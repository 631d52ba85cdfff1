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
* **Upvotes coalesced**: ``votes`` (a question's count) reach a room at most once per
  :attr:`LiveManager.votes_interval` per question: the first at once, then only the highest
  count of the interval at its end. A popular question upvoted by thousands of viewers would
  otherwise cost viewers × votes deliveries; counts never go down on a viewer's screen.
* **Presence**: viewers per room, from the local room sizes; with Redis each process publishes
  its counts with a heartbeat and sums everyone's (see :meth:`LiveManager.start_presence`).
* **Redis outages**: a process that loses Redis tells its rooms (``status {"connection":
  "degraded"}``), tries again every :attr:`RedisLiveManager.reconnect_interval`, and once back tells
  them ``status {"connection": "ok"}`` and sends what they missed from the database, in order
  (:meth:`RedisLiveManager.listen_to_redis`).

Broadcasts are encoded and framed once per room, however many viewers, and written straight to
each WebSocket where it can take them (:func:`interaction.core.websocket.write_direct`); a socket
that cannot (long polling, packets still queued) gets the same packet through engine.io's queue.
"""

import contextlib
import logging
import threading
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

import redis
import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from interaction.core import websocket

log = logging.getLogger(__name__)

NAMESPACE = "/interviews"
ENTRY_EVENT = "entry"
VOTES_EVENT = "votes"
PRESENCE_EVENT = "presence"
STATUS_EVENT = "status"
#: Higher than any entry's seq: "everything after" for the entry loader.
LAST_POSSIBLE_SEQ = 2**31 - 1
_batch: ContextVar[list | None] = ContextVar("interview_publish_batch", default=None)
_ROOM_PREFIX = "interview:"
_MODERATORS_SUFFIX = ":moderators"


# -- room names: the one helper every part of the feature uses ---------------------------------------------

def room(interview_id: int) -> str:
    """Everyone watching the interview: approved questions, answers, remarks, presence."""
    return f"{_ROOM_PREFIX}{int(interview_id)}"


def moderators_room(interview_id: int) -> str:
    """The interview's moderators only: incoming (pending) questions and decisions."""
    return f"{_ROOM_PREFIX}{int(interview_id)}{_MODERATORS_SUFFIX}"


def user_room(user_id: int) -> str:
    """Every socket of one signed-in user: what happened to the questions they asked."""
    return f"user:{int(user_id)}"


def is_public_room(name) -> bool:
    return isinstance(name, str) and name.startswith(_ROOM_PREFIX) and not name.endswith(_MODERATORS_SUFFIX)


def is_moderators_room(name) -> bool:
    return isinstance(name, str) and name.startswith(_ROOM_PREFIX) and name.endswith(_MODERATORS_SUFFIX)


def interview_of(name: str) -> int:
    return int(name[len(_ROOM_PREFIX):].removesuffix(_MODERATORS_SUFFIX))


# -- per-connection state --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SocketAuth:
    """Who a connection was authenticated as at connect; re-checked against the database on use."""

    user_id: int
    session_version: int | None = None  # cookie sessions: signing out elsewhere bumps the user's version
    token_id: int | None = None  # API tokens: revocation and expiry are checked


class _RoomSeq:
    __slots__ = ("filling", "held", "next")

    def __init__(self):
        self.next: int | None = None  # the seq owed next to this process's viewers; None until one joined
        self.held: dict[int, dict] = {}  # entries that arrived ahead of a gap
        self.filling = False


class LiveManager(socketio.Manager):
    """The client manager of one process (see the module docstring)."""

    #: Seconds a gap in the entry sequence may stay open before it is filled from the database.
    gap_wait = 1.0
    #: Per-connection event budget: a burst of this many, refilled at ``event_rate`` per second.
    event_burst = 20
    event_rate = 5.0
    #: Seconds between two ``votes`` events of one room (see the module docstring).
    votes_interval = 1.0

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
        self._buckets: dict[str, tuple[float, float]] = {}
        self._votes_held: dict[str, dict[int, dict]] = {}  # room → question → latest votes payload
        self._votes_sent: dict[str, dict[int, int]] = {}  # room → question → count last sent
        self._presence_started = False
        self.viewer_totals: dict[str, int] = {}

    def set_server(self, server):
        super().set_server(server)
        if str(getattr(server, "async_mode", "")).startswith("gevent"):
            from gevent.lock import RLock  # a thread lock would block every greenlet of the process

            self.lock = RLock()

    # -- emit ------------------------------------------------------------------------------------------------

    def batched(self):
        """Emits inside the block may leave together (:class:`RedisLiveManager`: one round trip)."""
        return contextlib.nullcontext()

    def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        room = to or room
        if namespace == NAMESPACE and callback is None:
            if event == ENTRY_EVENT and is_public_room(room) and isinstance(data, dict):
                return self._deliver_entry(room, data)
            if event == VOTES_EVENT and is_public_room(room) and isinstance(data, dict):
                return self._coalesce_votes(room, data)
            if is_moderators_room(room):
                return self._emit_private(event, data, room, skip_sid)
        return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)

    def local_emit(self, event, data, room, skip_sid=None):
        """Send to this process's sockets in *room* only (never through the message queue).

        One socket.io packet, one engine.io packet and one WebSocket frame for the whole room.
        """
        encoded = self.server.packet_class(sio_packet.EVENT, namespace=NAMESPACE,
                                           data=[event, data]).encode()
        if isinstance(encoded, list):  # binary attachments: the library's path
            socketio.Manager.emit(self, event, data, NAMESPACE, room=room, skip_sid=skip_sid)
            return
        packet = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        frame = websocket.text_frame(packet.encode())
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        sockets = self.server.eio.sockets
        send_queued = self.server._send_eio_packet
        websocket.broadcast(((eio_sid, sockets.get(eio_sid)) for sid, eio_sid in self.get_participants(NAMESPACE, room)
                             if sid not in skip), frame, lambda eio_sid: send_queued(eio_sid, packet))

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

    def _coalesce_votes(self, room_name: str, data: dict) -> None:
        try:
            question, count = int(data["question"]), int(data["upvotes"])
        except (KeyError, TypeError, ValueError):
            log.error("votes without question or count for %s dropped", room_name)
            return
        with self.lock:
            if not self.rooms.get(NAMESPACE, {}).get(room_name):
                return
            sent = self._votes_sent.setdefault(room_name, {})
            if count <= sent.get(question, -1):
                return  # an older count overtaken by a newer one
            held = self._votes_held.get(room_name)
            if held is None:  # nothing sent to this room in the current interval: send now, then hold
                self._votes_held[room_name] = {}
                sent[question] = count
                self.local_emit(VOTES_EVENT, data, room_name)
                self.server.start_background_task(self._release_votes, room_name)
            elif count > held.get(question, {}).get("upvotes", -1):
                held[question] = data

    def _release_votes(self, room_name: str) -> None:
        """End of an interval: send the held counts (then hold again for one more interval if any)."""
        while True:
            self.server.sleep(self.votes_interval)
            with self.lock:
                held = self._votes_held.pop(room_name, None) or {}
                if not held:
                    return
                self._votes_held[room_name] = {}
                sent = self._votes_sent.setdefault(room_name, {})
                for question, data in held.items():
                    if data["upvotes"] > sent.get(question, -1):
                        sent[question] = data["upvotes"]
                        self.local_emit(VOTES_EVENT, data, room_name)

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

    # -- joining in order ------------------------------------------------------------------------------------

    def join_in_order(self, sid: str, room_name: str, since: int, load) -> int:
        """Put *sid* in *room_name* and send it every entry after *since*, then live ones, in order.

        ``load(since)`` runs outside the lock and returns ``(entries after since, last seq in the
        database)``. Returns the last seq the socket has now.

        No database read when the client already has everything this process delivered to the
        room (``since`` is exactly the last seq sent here): whatever comes later reaches the room
        through :meth:`_deliver_entry`, in order, and the client is in the room by then. This is
        the common join (a new viewer of a room whose viewers are up to date, a reconnect).
        """
        with self.lock:
            state = self._seqs.get(room_name)
            if state is not None and state.next is not None and since == state.next - 1:
                self.enter_room(sid, NAMESPACE, room_name)
                return since
            state = self._seqs.setdefault(room_name, _RoomSeq())
            self._gates.setdefault(room_name, {})[sid] = []
            self.enter_room(sid, NAMESPACE, room_name)
        try:
            rows, db_last = load(since)
        except BaseException:
            with self.lock:
                self._close_gate(room_name, sid)
                self.basic_leave_room(sid, NAMESPACE, room_name)
                self._forget_room_if_empty(room_name)
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
            return last

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
            self._votes_sent.pop(room_name, None)

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
            self._buckets.pop(sid, None)
            for room_name in list(self.get_rooms(sid, NAMESPACE) or []):
                if is_public_room(room_name):
                    self.leave(sid, room_name)
                elif room_name != sid:
                    self.basic_leave_room(sid, NAMESPACE, room_name)

    # -- flood control ---------------------------------------------------------------------------------------

    def allow_event(self, sid: str) -> bool:
        """Take one event from *sid*'s budget; False once a flood has used it up."""
        now = time.monotonic()
        with self.lock:
            tokens, then = self._buckets.get(sid, (float(self.event_burst), now))
            tokens = min(float(self.event_burst), tokens + (now - then) * self.event_rate)
            allowed = tokens >= 1.0
            self._buckets[sid] = (tokens - 1.0 if allowed else tokens, now)
            return allowed

    # -- presence --------------------------------------------------------------------------------------------

    def local_viewers(self, room_name: str) -> int:
        return len(self.rooms.get(NAMESPACE, {}).get(room_name, {}))

    def viewers(self, room_name: str) -> int:
        """The last known total across processes (this process's count before the first round)."""
        return max(self.viewer_totals.get(room_name, 0), self.local_viewers(room_name))

    def _local_counts(self) -> dict[str, int]:
        rooms = self.rooms.get(NAMESPACE, {})
        return {name: len(members) for name, members in list(rooms.items()) if is_public_room(name)}

    def _totals(self, counts: dict[str, int], interval: float) -> dict[str, int]:
        return counts

    def start_presence(self, interval: float) -> None:
        """Every *interval* seconds, tell each room its viewer count if it changed (one emit per room)."""
        with self.lock:
            if self._presence_started or interval <= 0:
                return
            self._presence_started = True
        self.server.start_background_task(self._presence_loop, interval)

    def _presence_loop(self, interval: float) -> None:
        sent: dict[str, int] = {}
        while True:
            self.server.sleep(interval)
            try:
                counts = self._local_counts()
                totals = self._totals(counts, interval)
                self.viewer_totals = totals
                for name in counts:
                    total = totals.get(name, counts[name])
                    if sent.get(name) != total:
                        sent[name] = total
                        self.local_emit(PRESENCE_EVENT, {"interview": interview_of(name), "viewers": total}, name)
                for name in [n for n in sent if n not in counts]:
                    del sent[name]
            except Exception:  # noqa: BLE001 - presence is best effort; the loop must survive Redis hiccups
                log.exception("presence round failed")


class RedisLiveManager(socketio.RedisManager, LiveManager):
    """:class:`LiveManager` for several processes: python-socketio's Redis queue carries the emits.

    The method order puts the queue first (an emit is published to every process) and the
    ordering/privacy rules second (each process applies them when it delivers).
    Presence: each process writes its counts to ``interviews:presence:<room>`` (a hash of
    process id → viewers) and refreshes ``interviews:process:<id>`` (expires after three missed
    rounds); the total counts only processes whose heartbeat is alive.
    """

    #: Seconds between two tries to subscribe again once the listener lost Redis. The library's own
    #: listener doubles its wait up to a minute: viewers on other processes then got nothing for half
    #: a minute after Redis had returned.
    reconnect_interval = 0.25
    #: Seconds a silent subscription waits before it pings Redis: a link that died without a word shows up.
    health_check_interval = 5.0

    def __init__(self, url, *args, entry_loader=None, private_filter=None, **kwargs):
        # Publishing must not hang on an unreachable Redis either (the library passes these to redis-py).
        kwargs.setdefault("redis_options", {"socket_connect_timeout": 1.0, "socket_timeout": 2.0})
        super().__init__(url, *args, **kwargs)  # cooperative: runs LiveManager.__init__ too
        self.redis_url = url
        self.entry_loader = entry_loader
        self.private_filter = private_filter
        self._presence_client = None
        self._reported: set[str] = set()
        #: True from the listener losing Redis until it subscribed again.
        self.redis_down = False

    # -- the listener --------------------------------------------------------------------------------------

    def _listen(self):
        """The channel's messages, for ever: python-socketio's hook for a pub/sub backend (see below)."""
        return self.listen_to_redis()

    def listen_to_redis(self):
        """Yield the messages of the channel; when Redis goes, tell the rooms and subscribe again quickly.

        Redis lost (killed, restarted, the link cut): the rooms of this process hear ``status
        "degraded"`` once, and a new subscription is tried every :attr:`reconnect_interval`. Once
        subscribed again, the rooms hear ``status "ok"`` and receive the entries they missed, read
        from the database after subscribing (whatever is committed later arrives through the queue;
        an entry that comes both ways is sent once).
        """
        channel = self.channel.encode()
        while True:
            pubsub = None
            try:
                pubsub = self._subscribe()
                self._redis_returned()
                while True:
                    message = pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message and message["type"] == "message" and message["channel"] == channel:
                        yield message["data"]
            except Exception as exc:  # noqa: BLE001 - whatever broke the subscription, subscribe again
                self._redis_lost(exc)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        pubsub.close()
            self.server.sleep(self.reconnect_interval)

    def _subscribe(self):
        """A subscription to the channel that Redis confirmed: whatever is published from now on reaches it.

        Confirmed before the rooms catch up from the database, so that an entry committed after that
        read cannot have been published before the subscription counted.
        """
        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=1.0, socket_keepalive=True,
                                      health_check_interval=self.health_check_interval)
        pubsub = client.pubsub()
        pubsub.subscribe(self.channel)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.5)
            if message and message["type"] == "subscribe":
                return pubsub
        pubsub.close()
        raise redis.TimeoutError("Redis did not confirm the subscription")

    def _redis_lost(self, exc: Exception) -> None:
        if self.redis_down:
            return
        self.redis_down = True
        log.warning("lost Redis (%s); live rooms told, subscribing again every %ss", exc, self.reconnect_interval)
        with self.lock:
            self.tell_rooms("degraded")

    def _redis_returned(self) -> None:
        if not self.redis_down:
            return
        self.redis_down = False
        log.warning("Redis is back; live rooms catching up")
        with self.lock:
            self.tell_rooms("ok")
            rooms = list(self._local_counts())
        for name in rooms:
            self.catch_up(name)

    @contextlib.contextmanager
    def batched(self):
        """Publish the block's emits in one pipeline, in order, when it ends (each is delivered here at once)."""
        if _batch.get() is not None:  # already inside a batch: it publishes everything
            yield
            return
        token = _batch.set([])
        try:
            yield
        finally:
            messages = _batch.get()
            _batch.reset(token)
            self._publish_all(messages)

    def _publish(self, data):
        batch = _batch.get()
        if batch is None:
            return super()._publish(data)
        batch.append(data)

    def _publish_all(self, messages: list) -> None:
        if len(messages) <= 1:
            for message in messages:
                super()._publish(message)
            return
        for attempt in (1, 2):  # as the library's _publish: reconnect once
            try:
                if not self.connected:
                    self._redis_connect()
                pipe = self.redis.pipeline(transaction=False)
                for message in messages:
                    pipe.publish(self.channel, self.json.dumps(message))
                pipe.execute()
                return
            except Exception as exc:  # noqa: BLE001 - as the library: log, retry once, give up
                if isinstance(exc, redis.RedisError):  # an outage: a line, not a traceback per batch
                    log.warning("cannot publish %d interview events to Redis (attempt %d): %s",
                                len(messages), attempt, exc)
                else:
                    log.exception("cannot publish %d interview events to Redis (attempt %d)", len(messages), attempt)
                self.connected = False

    def _totals(self, counts: dict[str, int], interval: float) -> dict[str, int]:
        """Every process's viewers summed; this process's own while Redis is down."""
        try:
            return self._summed_totals(counts, interval)
        except redis.RedisError as exc:
            if not self.redis_down:  # else the listener said so already
                log.warning("presence counted by this process only: %s", exc)
            return counts

    def _summed_totals(self, counts: dict[str, int], interval: float) -> dict[str, int]:
        if self._presence_client is None:
            self._presence_client = redis.Redis.from_url(self.redis_url)
        client = self._presence_client
        ttl = max(3, int(interval * 3 + 1))
        pipe = client.pipeline()
        pipe.set(f"interviews:process:{self.host_id}", 1, ex=ttl)
        for name, n in counts.items():
            key = f"interviews:presence:{name}"
            pipe.hset(key, self.host_id, n)
            pipe.expire(key, ttl * 10)
        for name in self._reported - counts.keys():
            pipe.hdel(f"interviews:presence:{name}", self.host_id)
        self._reported = set(counts)
        for name in counts:
            pipe.hgetall(f"interviews:presence:{name}")
        results = pipe.execute()[-len(counts):] if counts else []
        hosts = {h for result in results for h in result}
        alive_flags = client.mget([f"interviews:process:{h.decode()}" for h in hosts]) if hosts else []
        alive = {h for h, flag in zip(hosts, alive_flags) if flag is not None}
        return {name: sum(int(v) for h, v in result.items() if h in alive)
                for name, result in zip(counts, results)}

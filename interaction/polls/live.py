"""Live results of ``live`` polls: one broadcast of the aggregate per poll at most every half second.

However many ballots arrive, open browsers get the poll's whole result (``queries.results``,
without texts) in one ``results`` event to the room ``poll:<id>`` of the ``/polls`` namespace,
at most :data:`INTERVAL` apart per poll; never one event per ballot.

How: after a ballot commits (``core.db.after_commit``) :func:`results_changed` asks the throttle
for the poll. The first ask of an interval takes a lock for :data:`INTERVAL` seconds and schedules
one broadcast for when the lock has expired (a little after); asks while it is held do nothing.
The broadcast reads the results when it runs, after the lock expired, so it includes every ballot
committed while the lock was held; a ballot committed after the lock expired takes a new one. So
each interval has at most one broadcast and no ballot is left out of the last one.

With ``REDIS_URL`` (several processes) the lock is a Redis key (``SET NX PX``): the limit holds
for all processes together, and the broadcast reaches every process's viewers through the
Socket.IO message queue. Without Redis (one process) the lock is kept in the process; several
processes without Redis would each keep their own (at most twice a second per process). If Redis
does not answer, the process falls back to its own lock and logs it.
"""

import logging
import threading
import time

import redis
from flask import Flask

from interaction.core.db import db, read_without_transaction
from interaction.core.extensions import socketio

log = logging.getLogger(__name__)

NAMESPACE = "/polls"
RESULTS_EVENT = "results"
#: Seconds between two broadcasts of one poll.
INTERVAL = 0.5
#: How long after the lock expires the broadcast reads (the lock's clock is Redis's, the timer is ours).
MARGIN = 0.05
EXTENSION_KEY = "interaction.polls.throttle"


def room(poll_id: int) -> str:
    return f"poll:{poll_id}"


class LocalLocks:
    """Per-poll locks that expire, in this process."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.expires: dict[int, float] = {}
        self.mutex = threading.Lock()

    def acquire(self, poll_id: int, seconds: float) -> bool:
        now = self.clock()
        with self.mutex:
            if self.expires.get(poll_id, 0.0) > now:
                return False
            self.expires[poll_id] = now + seconds
            if len(self.expires) > 10_000:  # forget expired polls now and then
                self.expires = {k: v for k, v in self.expires.items() if v > now}
            return True


class RedisLocks:
    """The same locks in Redis, shared by every process of the deployment."""

    def __init__(self, url: str, prefix: str):
        self.client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self.prefix = prefix
        self.fallback = LocalLocks()

    def acquire(self, poll_id: int, seconds: float) -> bool:
        try:
            return bool(self.client.set(f"{self.prefix}:{poll_id}", b"1", nx=True, px=int(seconds * 1000)))
        except redis.RedisError:
            log.warning("Redis did not answer; throttling poll %s broadcasts in this process only", poll_id)
            return self.fallback.acquire(poll_id, seconds)


class Throttle:
    """At most one :func:`broadcast` per poll and *interval*, each reading the results when it runs."""

    def __init__(self, app: Flask, locks, interval: float = INTERVAL, schedule=None):
        self.app, self.locks, self.interval = app, locks, interval
        self.schedule = schedule or _background
        self.sent = 0  # broadcasts made by this process (tests and the benchmark read it)

    def request(self, poll_id: int) -> bool:
        """A ballot of *poll_id* committed; True if this call scheduled the next broadcast."""
        if self.interval <= 0:
            self.broadcast(poll_id)
            return True
        if not self.locks.acquire(poll_id, self.interval):
            return False
        self.schedule(self.interval + MARGIN, lambda: self.broadcast(poll_id))
        return True

    def broadcast(self, poll_id: int) -> None:
        """Read the poll's results and emit them to its room (outside any request)."""
        from interaction.polls import queries
        from interaction.polls.models import Poll

        with self.app.app_context():
            read_without_transaction()
            try:
                poll = db.session.get(Poll, poll_id)
                payload = queries.results(poll, texts=False) if poll is not None else None
            except Exception:  # noqa: BLE001 - a failed broadcast must not take a worker down; the next one comes
                log.exception("reading results of poll %s for broadcast failed", poll_id)
                payload = None
            finally:
                db.session.remove()
            if payload is not None and socketio.server is not None:
                socketio.emit(RESULTS_EVENT, payload, to=room(poll_id), namespace=NAMESPACE)
                self.sent += 1


def _background(delay: float, fn) -> None:
    def run():
        socketio.sleep(delay)
        fn()

    socketio.start_background_task(run)


def make_throttle(app: Flask) -> Throttle:
    url = app.config.get("REDIS_URL")
    channel = app.config.get("SOCKETIO_CHANNEL", "flask-socketio")
    locks = RedisLocks(url, f"interaction:polls:broadcast:{channel}") if url else LocalLocks()
    return Throttle(app, locks, app.config.get("POLLS_LIVE_INTERVAL", INTERVAL))


def results_changed(poll_id: int) -> None:
    """Called after a ballot of a ``live`` poll committed."""
    from flask import current_app

    throttle = current_app.extensions.get(EXTENSION_KEY)
    if throttle is not None:
        throttle.request(poll_id)

"""Live rooms shared by several processes: python-socketio's Redis queue, batched, and surviving Redis outages.

* **Batches**: the emits of one transaction leave in one Redis pipeline, in order (:meth:`RedisLiveManager.batched`).
* **Redis outages**: a process that loses Redis tells its rooms (``status {"connection":
  "degraded"}``), tries again every :attr:`RedisLiveManager.reconnect_interval`, and once back tells
  them ``status {"connection": "ok"}`` and sends what they missed from the database, in order
  (:meth:`RedisLiveManager.listen_to_redis`).

Each process then applies :mod:`.delivery`'s rules (order, privacy, coalesced votes) to what it receives.
"""

import contextlib
import logging
import time
from contextvars import ContextVar

import redis

from interaction.core import websocket
from interaction.interviews.delivery import LiveManager
from interaction.interviews.presence import RedisPresence

log = logging.getLogger(__name__)

_batch: ContextVar[list | None] = ContextVar("interview_publish_batch", default=None)


class RedisLiveManager(websocket.RedisManager, RedisPresence, LiveManager):
    """:class:`LiveManager` for several processes: python-socketio's Redis queue carries the emits.

    The method order puts the queue first (an emit is published to every process) and the
    ordering/privacy rules second (each process applies them when it delivers). Presence is
    summed over the processes (:class:`~interaction.interviews.presence.RedisPresence`).
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
        self._batch_client = None  # publishes a batch in one pipeline (see _publish_all)
        #: True from the listener losing Redis until it subscribed again.
        self.redis_down = False

    # -- the listener --------------------------------------------------------------------------------------

    def listen_to_redis(self):
        """Yield the messages of the channel; when Redis goes, tell the rooms and subscribe again quickly.

        Redis lost (killed, restarted, the link cut): the rooms of this process hear ``status
        "degraded"`` once, and a new subscription is tried every :attr:`reconnect_interval`. Once
        subscribed again, the rooms hear ``status "ok"`` and receive the entries they missed, read
        from the database after subscribing (whatever is committed later arrives through the queue;
        an entry that comes both ways is sent once). python-socketio reads the channel through this
        (the realtime adapter's :class:`~interaction.core.websocket.RedisManager`).
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

    def publish(self, data) -> None:
        """Publish at once, or with the batch if inside :meth:`batched` (python-socketio publishes through this)."""
        batch = _batch.get()
        if batch is None:
            return super().publish(data)
        batch.append(data)

    def _publish_all(self, messages: list) -> None:
        if len(messages) <= 1:
            for message in messages:
                super().publish(message)
            return
        for attempt in (1, 2):  # as the library's publishing: reconnect once
            try:
                if self._batch_client is None:
                    self._batch_client = redis.Redis.from_url(self.redis_url, **self.redis_options)
                pipe = self._batch_client.pipeline(transaction=False)
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
                self._batch_client = None

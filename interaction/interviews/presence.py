"""Presence in the live room: how many watch each interview, told to its viewers when it changes.

Counted from the local room sizes; with Redis each process publishes its counts with a heartbeat
and sums everyone's (:class:`RedisPresence`): each process writes its counts to
``interviews:presence:<room>`` (a hash of process id → viewers) and refreshes
``interviews:process:<id>`` (expires after three missed rounds); the total counts only processes
whose heartbeat is alive. Mixins of the delivery managers: they use the manager's ``lock``,
``rooms``, ``server``, ``host_id`` and ``local_emit``.
"""

import logging
import time

import redis

from interaction.interviews.rooms import NAMESPACE, PRESENCE_EVENT, interview_of, is_public_room

log = logging.getLogger(__name__)


class Presence:
    """Viewer counts of one process's rooms, and the loop that tells the rooms (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._presence_started = False
        #: The last known total per room across processes.
        self.viewer_totals: dict[str, int] = {}

    def local_viewers(self, room_name: str) -> int:
        return len(self.rooms.get(NAMESPACE, {}).get(room_name, {}))

    def viewers(self, room_name: str) -> int:
        """The last known total across processes (this process's count before the first round)."""
        return max(self.viewer_totals.get(room_name, 0), self.local_viewers(room_name))

    def _local_counts(self) -> dict[str, int]:
        # The interviews' rooms only: socket.io also keeps a room per connection, thousands of them.
        rooms = self.rooms.get(NAMESPACE, {})
        return {name: len(rooms[name]) for name in self.public_rooms() if name in rooms}

    def public_rooms(self) -> list[str]:
        """The names of this process's interview rooms (the manager's: the rooms its viewers joined)."""
        return [name for name in list(self.rooms.get(NAMESPACE, {})) if is_public_room(name)]

    def _totals(self, counts: dict[str, int], interval: float) -> dict[str, int]:
        return counts

    #: A room's count goes out at most every ``interval × its local viewers ÷ this`` seconds (never more
    #: often than every *interval*): a count is one frame per viewer, and in a room of thousands filling
    #: up, a count every two seconds would cost as much as the joins themselves.
    viewers_per_interval = 500

    def start_presence(self, interval: float) -> None:
        """Every *interval* seconds, tell each room its viewer count if it changed (one emit per room).

        A large room is told less often (:attr:`viewers_per_interval`): 2,500 viewers of a process
        every 10 s, 10,000 every 40 s.
        """
        with self.lock:
            if self._presence_started or interval <= 0:
                return
            self._presence_started = True
        self.server.start_background_task(self._presence_loop, interval)

    def _presence_loop(self, interval: float) -> None:
        sent: dict[str, tuple[int, float]] = {}  # room → (count sent, monotonic time sent)
        while True:
            self.server.sleep(interval)
            try:
                counts = self._local_counts()
                totals = self._totals(counts, interval)
                self.viewer_totals = totals
                now = time.monotonic()
                for name, local in counts.items():
                    total = totals.get(name, counts[name])
                    last_count, last_time = sent.get(name, (None, 0.0))
                    due = last_time + interval * max(1.0, local / self.viewers_per_interval)
                    if last_count != total and now >= due - interval / 2:
                        sent[name] = (total, now)
                        self.local_emit(PRESENCE_EVENT, {"interview": interview_of(name), "viewers": total}, name)
                for name in [n for n in sent if n not in counts]:
                    del sent[name]
            except Exception:  # noqa: BLE001 - presence is best effort; the loop must survive Redis hiccups
                log.exception("presence round failed")


class RedisPresence(Presence):
    """:class:`Presence` summed over the processes through Redis; needs ``redis_url`` and ``redis_down``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._presence_client = None
        self._reported: set[str] = set()

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

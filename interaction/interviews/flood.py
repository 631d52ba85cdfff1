"""Flood control for the live room: a per-connection budget of events, and no connection that never joins.

A client may send :attr:`FloodControl.event_burst` events at once, then :attr:`FloodControl.event_rate`
a second; one that sends more is disconnected by the namespace (``events.py``). A connection that
has not joined an interview :attr:`FloodControl.join_timeout` seconds after connecting is
disconnected (one loop per process looks every few seconds): an idle socket costs memory and a
ping every interval, and nobody watching needs one. A mixin of the delivery manager, so that the
budgets are kept and forgotten with the rest of a connection's state under the manager's lock.
"""

import logging
import time

from interaction.interviews.rooms import NAMESPACE

log = logging.getLogger(__name__)


def take_token(buckets: dict, key, burst: float, rate: float, now: float) -> bool:
    """A token bucket: take one from *key*'s (*burst* at most, refilled at *rate* a second); False if empty."""
    tokens, then = buckets.get(key, (float(burst), now))
    tokens = min(float(burst), tokens + (now - then) * rate)
    allowed = tokens >= 1.0
    buckets[key] = (tokens - 1.0 if allowed else tokens, now)
    return allowed


class FloodControl:
    """Per-connection event budgets; needs ``self.lock`` (the manager's)."""

    #: Per-connection event budget: a burst of this many, refilled at ``event_rate`` per second.
    event_burst = 20
    event_rate = 5.0

    #: Seconds a connection may stay without joining an interview (0: for ever).
    join_timeout = 30.0
    #: New connections from one address: a burst of this many, refilled at ``connect_rate`` a second
    #: (0: no limit). Generous: a school or an office behind one address joins a popular interview together.
    connect_burst = 200
    connect_rate = 20.0
    #: Addresses whose budget is kept at most; beyond, full budgets are forgotten (they would start full anyway).
    max_addresses = 50_000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._buckets: dict[str, tuple[float, float]] = {}  # sid → (tokens left, monotonic time of the last event)
        self._awaiting_join: dict[str, float] = {}  # sid → monotonic time by which it must have joined
        self._join_watch_started = False
        self._connects: dict[str, tuple[float, float]] = {}  # address → (tokens left, monotonic time)

    def allow_connect(self, address: str | None) -> bool:
        """Take one connection from *address*'s budget; False while it floods (other addresses are not touched)."""
        if self.connect_rate <= 0 or not address:
            return True
        now = time.monotonic()
        with self.lock:
            allowed = take_token(self._connects, address, self.connect_burst, self.connect_rate, now)
            if len(self._connects) > self.max_addresses:
                refill = self.connect_burst / self.connect_rate
                self._connects = {a: b for a, b in self._connects.items() if now - b[1] < refill}
            return allowed

    def await_join(self, sid: str) -> None:
        """*sid* just connected: it is disconnected unless it joins within :attr:`join_timeout` seconds."""
        if self.join_timeout <= 0:
            return
        with self.lock:
            self._awaiting_join[sid] = time.monotonic() + self.join_timeout
            if self._join_watch_started:
                return
            self._join_watch_started = True
        self.server.start_background_task(self._join_watch)

    def joined(self, sid: str) -> None:
        self._awaiting_join.pop(sid, None)

    def disconnect_unjoined(self, now: float) -> list[str]:
        """Disconnect the connections whose time to join ran out by *now*; their sids."""
        with self.lock:
            late = [sid for sid, deadline in self._awaiting_join.items() if deadline <= now]
            for sid in late:
                del self._awaiting_join[sid]
        for sid in late:
            log.info("socket %s did not join an interview in %.0f s; disconnected", sid, self.join_timeout)
            self.server.disconnect(sid, namespace=NAMESPACE)
        return late

    def _join_watch(self) -> None:
        while True:
            self.server.sleep(max(1.0, self.join_timeout / 6))
            try:
                self.disconnect_unjoined(time.monotonic())
            except Exception:  # noqa: BLE001 - the loop watches every connection of the process: it must survive
                log.exception("join timeout round failed")

    def allow_event(self, sid: str) -> bool:
        """Take one event from *sid*'s budget; False once a flood has used it up."""
        with self.lock:
            return take_token(self._buckets, sid, self.event_burst, self.event_rate, time.monotonic())

    def forget_budget(self, sid: str) -> None:
        """Drop *sid*'s budget and join deadline (on disconnect): memory stays flat."""
        self._buckets.pop(sid, None)
        self._awaiting_join.pop(sid, None)

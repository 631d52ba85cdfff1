"""Flood control for the live room: a per-connection budget of events (a token bucket).

A client may send :attr:`FloodControl.event_burst` events at once, then :attr:`FloodControl.event_rate`
a second; one that sends more is disconnected by the namespace (``events.py``). A mixin of the
delivery manager, so that the budgets are kept and forgotten with the rest of a connection's state
under the manager's lock.
"""

import time


class FloodControl:
    """Per-connection event budgets; needs ``self.lock`` (the manager's)."""

    #: Per-connection event budget: a burst of this many, refilled at ``event_rate`` per second.
    event_burst = 20
    event_rate = 5.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._buckets: dict[str, tuple[float, float]] = {}  # sid → (tokens left, monotonic time of the last event)

    def allow_event(self, sid: str) -> bool:
        """Take one event from *sid*'s budget; False once a flood has used it up."""
        now = time.monotonic()
        with self.lock:
            tokens, then = self._buckets.get(sid, (float(self.event_burst), now))
            tokens = min(float(self.event_burst), tokens + (now - then) * self.event_rate)
            allowed = tokens >= 1.0
            self._buckets[sid] = (tokens - 1.0 if allowed else tokens, now)
            return allowed

    def forget_budget(self, sid: str) -> None:
        """Drop *sid*'s budget (on disconnect): memory stays flat."""
        self._buckets.pop(sid, None)

"""What a join tells the viewer of the interview itself (its status, its current question), read once for many joins.

A popular interview draws thousands of viewers in the minute it starts; each join's acknowledgement
carries the interview's status and current question. :meth:`RoomStates.room_state` reads them once
and lets this process's joins reuse the answer for :attr:`RoomStates.room_state_seconds`, unless a
``status`` or ``next`` event of the interview passed through the process meanwhile (every process
sees them, :meth:`RoomStates.forget_room_state`). While a read is under way, the joins that arrive
wait for it instead of reading too: with gevent a read waits for the database, and hundreds of
joins would otherwise each send the same query in that time. A mixin of the delivery manager.
"""

import threading
import time

#: Seconds a join waits for another join's read of the interview's status before reading itself.
READ_WAIT_SECONDS = 5.0
#: Interviews whose status is kept at most; beyond, those not joined lately are forgotten.
MAX_KEPT = 1000


class _Read:
    """A read of an interview's status under way: joins arriving meanwhile wait for its answer."""

    __slots__ = ("changes", "done", "read", "state")

    def __init__(self, done, changes: int):
        self.done = done  # an Event, set once the read ended (answered or failed)
        self.changes = changes  # how many status events of the interview had passed when it began
        self.read = False
        self.state = None


class RoomStates:
    """The interviews' status for joins; ``event_class`` is the manager's (gevent's Event under gevent)."""

    #: Seconds a join may use the interview's status as an earlier join of this process read it.
    room_state_seconds = 1.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.event_class = threading.Event
        # interview → (monotonic time read, (status, current question)); and how often each was forgotten.
        self._room_states: dict[int, tuple[float, tuple]] = {}
        self._room_state_changes: dict[int, int] = {}
        self._room_state_reads: dict[int, _Read] = {}  # interview → the read under way

    def room_state(self, interview_id: int, read):
        """``(status, current question)`` of an interview for a join, or None if there is none.

        ``read(interview_id)`` (one database read) answers it, or an earlier join's answer (see the
        module docstring). A join gets what was committed before the events it has not seen, as it
        would from the database.
        """
        now = time.monotonic()
        cached = self._room_states.get(interview_id)
        if cached is not None and now - cached[0] < self.room_state_seconds:
            return cached[1]
        changes = self._room_state_changes.get(interview_id, 0)
        mine = _Read(self.event_class(), changes)
        under_way = self._room_state_reads.setdefault(interview_id, mine)  # one atomic step: one join reads
        if under_way is not mine:
            under_way.done.wait(READ_WAIT_SECONDS)
            changes = self._room_state_changes.get(interview_id, 0)
            if under_way.read and under_way.changes == changes:
                return under_way.state
            # The read failed, is slow, or a status event passed since it began: read now.
            return self._keep(interview_id, read(interview_id), changes, time.monotonic())
        try:
            mine.state = state = read(interview_id)
            mine.read = True
        finally:
            del self._room_state_reads[interview_id]
            mine.done.set()
        return self._keep(interview_id, state, changes, now)

    def _keep(self, interview_id: int, state, changes: int, now: float):
        """Keep *state*, read at *now*, unless no such interview or a status event passed since (*changes*)."""
        if state is not None and self._room_state_changes.get(interview_id, 0) == changes:
            if len(self._room_states) > MAX_KEPT:
                self._room_states = {k: v for k, v in self._room_states.items()
                                     if now - v[0] < self.room_state_seconds}
            self._room_states[interview_id] = (now, state)
        return state

    def forget_room_state(self, interview_id: int | None) -> None:
        """The interview's status or current question changed: the next join reads it again."""
        if interview_id is None:
            return
        self._room_states.pop(interview_id, None)
        self._room_state_changes[interview_id] = self._room_state_changes.get(interview_id, 0) + 1

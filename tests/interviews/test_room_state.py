"""The interview's status for joins (interviews/room_state.py): one read for the joins that arrive during it."""

import threading
import time

import pytest

from interaction.interviews.room_state import RoomStates


class SlowReads:
    """A read of the status that waits until released, answering *answers* in turn (an exception is raised)."""

    def __init__(self, *answers):
        self.answers, self.calls = list(answers), 0
        self.started, self.release = threading.Event(), threading.Event()

    def __call__(self, interview_id):
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        self.started.set()
        assert self.release.wait(5)
        if isinstance(answer, Exception):
            raise answer
        return answer


def in_threads(count, fn):
    results, threads = [], [threading.Thread(target=lambda: results.append(fn())) for _ in range(count)]
    for thread in threads:
        thread.start()
    return results, threads


def finish(threads):
    for thread in threads:
        thread.join(5)
        assert not thread.is_alive()


def test_joins_arriving_while_the_status_is_read_wait_for_that_read():
    states, read = RoomStates(), SlowReads(("live", 7))
    first, reader = in_threads(1, lambda: states.room_state(1, read))
    assert read.started.wait(5)
    later, waiters = in_threads(20, lambda: states.room_state(1, read))
    time.sleep(0.1)  # the twenty are waiting (or, if slower, find the answer kept once the read is done)
    read.release.set()
    finish(reader + waiters)
    assert first + later == [("live", 7)] * 21
    assert read.calls == 1


def test_a_status_event_during_the_read_makes_the_waiting_joins_read_again():
    states, read = RoomStates(), SlowReads(("live", None), ("ended", None))
    first, reader = in_threads(1, lambda: states.room_state(1, read))
    assert read.started.wait(5)
    later, waiter = in_threads(1, lambda: states.room_state(1, read))
    time.sleep(0.1)
    states.forget_room_state(1)  # the interview ended while the first read was on its way
    read.release.set()
    finish(reader + waiter)
    assert first == [("live", None)] and later == [("ended", None)]
    assert states.room_state(1, read) == ("ended", None)  # the later read is the one kept
    assert read.calls == 2


def test_when_the_read_fails_the_waiting_joins_read_for_themselves():
    states, read = RoomStates(), SlowReads(OSError("the database went away"), ("live", None))
    failed = []

    def first_join():
        with pytest.raises(OSError):
            states.room_state(1, read)
        failed.append(True)

    reader = threading.Thread(target=first_join)
    reader.start()
    assert read.started.wait(5)
    later, waiter = in_threads(1, lambda: states.room_state(1, read))
    time.sleep(0.1)
    read.release.set()
    finish([reader] + waiter)
    assert failed == [True] and later == [("live", None)]
    assert read.calls == 2

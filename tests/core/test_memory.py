"""core.memory: memory goes back to the operating system after a crowd of connections ended."""

import pytest

from interaction.core import memory


@pytest.fixture
def releases(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "release", lambda: calls.append(True))
    return calls


def test_a_thousand_gone_since_the_peak_releases_once(releases):
    watch = memory.ReleaseAfterDrops(drop=1000)
    for count in (10, 3000, 5000, 4500, 4200):
        assert not watch.observe(count)
    assert watch.observe(4000)  # 1,000 fewer than the peak of 5,000
    assert len(releases) == 1
    assert watch.observe(4000)  # once more: what the departed still held at the first is garbage now
    assert not watch.observe(4000)  # nothing more went: nothing more to give back
    assert len(releases) == 2


def test_the_stragglers_of_a_crowd_are_released_at_the_next_look(releases):
    watch = memory.ReleaseAfterDrops(drop=1000)
    watch.observe(5000)
    assert watch.observe(3500)  # the crowd leaves over two looks of the monitor
    assert watch.observe(3000)  # the next look releases again: the 500 more since go back too
    assert not watch.observe(2990)  # then a viewer at a time: no collection at every look
    assert not watch.observe(2980)
    assert len(releases) == 2


def test_a_new_crowd_sets_a_new_peak(releases):
    watch = memory.ReleaseAfterDrops(drop=1000)
    watch.observe(5000)
    assert watch.observe(0)
    assert watch.observe(0)  # the look after a release
    assert not watch.observe(0)
    assert not watch.observe(800)
    assert not watch.observe(1500)
    assert watch.observe(400)
    assert len(releases) == 3


def test_release_lets_go_of_attribute_names_made_on_the_fly():
    """A name built at run time and looked up on a class stays in CPython's method cache until it is emptied.

    python-socketio looks its handlers up as ``"on_" + event``: a new string at every event, which the
    cache kept after the crowd left, in the crowd's memory (core.memory).
    """
    import sys

    if sys.implementation.name != "cpython":
        pytest.skip("CPython's method cache")

    class Handler:
        def on_join(self):
            return True

    handler, event = Handler(), "join"
    name = "on_" + event  # a new string, not the interned name of the method
    unreferenced = sys.getrefcount(name)
    assert getattr(handler, name)()
    assert sys.getrefcount(name) == unreferenced + 1  # the method cache holds it
    memory.release()
    assert sys.getrefcount(name) == unreferenced


def test_a_fresh_process_is_asked_for_once_a_crowd_has_left_and_none_is_open():
    asked = []
    watch = memory.ReplaceWhenEmptied(crowd=1000, ask=asked.append)
    for count in (0, 10, 2500, 1800, 300):  # a crowd leaves over several looks of the monitor
        assert not watch.observe(count)
    assert not watch.observe(1)  # one viewer stays: nobody is dropped
    assert watch.observe(0)
    assert asked == [2500]
    assert not watch.observe(0)  # asked once
    for count in (600, 999, 0):  # a small room that empties is no crowd
        assert not watch.observe(count)
    assert asked == [2500]


class _Worker:
    """What :func:`memory.replace_worker_when_emptied` uses of a gunicorn worker."""

    def __init__(self, workers: int, ppid: int):
        import logging
        from types import SimpleNamespace

        self.cfg, self.ppid, self.log = SimpleNamespace(workers=workers), ppid, logging.getLogger("test.worker")


def test_a_gunicorn_worker_asks_its_master_with_sighup(monkeypatch):
    import os
    import signal

    monkeypatch.setattr(memory, "replacement", None)
    monkeypatch.setattr(os, "getppid", os.getpid)  # this process plays the worker's master
    hangups = []
    previous = signal.signal(signal.SIGHUP, lambda *_: hangups.append(True))
    try:
        assert memory.replace_worker_when_emptied(_Worker(1, os.getpid()), crowd=3)
        memory.replacement.observe(3)
        assert memory.replacement.observe(0)
        assert hangups == [True]

        monkeypatch.setattr(os, "getppid", lambda: 1)  # the master is gone: the worker was handed to init
        memory.replacement.observe(3)
        memory.replacement.observe(0)
        assert hangups == [True]  # no signal to the pid its master had
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_no_replacement_for_a_master_of_several_workers_or_a_crowd_of_zero(monkeypatch, caplog):
    monkeypatch.setattr(memory, "replacement", None)
    assert not memory.replace_worker_when_emptied(_Worker(2, 1), crowd=1000)  # a reload would stop every worker
    assert "would replace all 2 workers" in caplog.text
    assert not memory.replace_worker_when_emptied(_Worker(1, 1), crowd=0)
    assert memory.replacement is None

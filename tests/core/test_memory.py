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

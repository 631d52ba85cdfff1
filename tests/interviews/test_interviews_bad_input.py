"""Bad input over the socket: an error acknowledgement or a disconnect, never a crash, never an effect."""

import pytest
from sqlalchemy import func, select

from interaction.core.db import db
from interaction.interviews import live
from interaction.interviews.models import LiveQuestion, TranscriptEntry
from tests.interviews.helpers import NS, emit, join, received

TWO_MB = "问" * (2 * 1024 * 1024 // 3)


def _count(model):
    return db.session.scalar(select(func.count(model.id)))


@pytest.mark.parametrize("event, payload", [
    ("join", None),
    ("join", "1"),
    ("join", []),
    ("join", {}),
    ("join", {"interview": "1"}),
    ("join", {"interview": 1.5}),
    ("join", {"interview": True}),
    ("join", {"interview": -3}),
    ("join", {"interview": 2**70}),
    ("join", {"interview": 1, "since": "0"}),
    ("join", {"interview": 1, "since": -1}),
    ("join", {"interview": {"id": 1}}),
    ("ask", {"interview": 1}),
    ("ask", {"body": "没有访谈编号"}),
    ("ask", {"interview": 1, "body": 12345}),
    ("ask", {"interview": 1, "body": ["列表"]}),
    ("ask", {"interview": 1, "body": TWO_MB}),
    ("ask", {"interview": 1, "body": "x", **{f"k{n}": n for n in range(20)}}),
    ("approve", {"question": "1"}),
    ("approve", {"question": 1, "body": {"a": 1}}),
    ("reject", {"question": None}),
    ("answer", {"body": "没有访谈也没有问题"}),
    ("answer", {"interview": 1, "body": TWO_MB}),
    ("upvote", {"question": [1]}),
    ("pick", {}),
])
def test_malformed_events_get_an_error_ack_and_change_nothing(people, interview, sio, event, payload):
    moderator = sio(people["moderator"])  # the most privileged client: rejection is down to the payload
    before = (_count(LiveQuestion), _count(TranscriptEntry))
    ack = moderator.emit(event, payload, namespace=NS, callback=True)
    assert isinstance(ack, dict) and ack["ok"] is False and ack["error"], ack
    assert (_count(LiveQuestion), _count(TranscriptEntry)) == before
    assert moderator.is_connected(NS)
    assert join(moderator, interview.id)["ok"]  # still serving


def test_unknown_ids_and_extra_arguments(people, interview, sio):
    moderator = sio(people["moderator"])
    assert emit(moderator, "approve", {"question": 424242})["error"] == "not_found"
    assert emit(moderator, "answer", {"question": 424242, "body": "答"})["error"] == "not_found"
    assert moderator.emit("join", {"interview": interview.id}, "extra", namespace=NS, callback=True)["error"] \
        == "invalid_payload"
    moderator.emit("no_such_event", {"x": 1}, namespace=NS)  # ignored, no crash
    assert join(moderator, interview.id)["ok"]


def test_answering_as_a_viewer_or_in_an_ended_interview(people, interview, sio):
    viewer = sio()
    assert emit(viewer, "answer", {"interview": interview.id, "body": "观众的回答"})["error"] == "unauthorized"
    from interaction.interviews import services

    services.end_interview(interview, actor=people["moderator"])
    db.session.commit()
    guest = sio(people["official"])
    assert emit(guest, "answer", {"interview": interview.id, "body": "结束后的回答"})["error"] == "not_live"
    assert _count(TranscriptEntry) == 0


def test_a_flood_of_events_disconnects_the_client(people, interview, sio, app):
    live.manager().event_rate = 0.0  # no refill during the test: exactly the burst is allowed
    flooder = sio(people["citizen"])
    acks = [flooder.emit("join", {"interview": interview.id}, namespace=NS, callback=True) for _ in range(40)
            if flooder.is_connected(NS)]
    assert not flooder.is_connected(NS)
    assert [ack["error"] for ack in acks if not ack["ok"]] == ["flood"] and acks[-1]["message"]
    assert len(acks) == app.config["INTERVIEWS_EVENT_BURST"] + 1
    other = sio(people["citizen2"])  # everyone else is unaffected
    assert join(other, interview.id)["ok"]


def test_memory_stays_flat_over_many_connections(people, interview, sio):
    manager = live.manager()

    def sizes():
        rooms = manager.rooms.get(NS, {})
        return (len(manager.auth), len(manager._buckets), len(manager._gates), len(manager._ahead),
                len(manager._seqs), len(rooms))

    keeper = sio(people["citizen"])
    join(keeper, interview.id)
    baseline = sizes()
    for n in range(60):
        client = sio(people["citizen2"] if n % 2 else None)
        join(client, interview.id)
        emit(client, "ask", {"interview": interview.id, "body": "x" * 10})
        client.disconnect(namespace=NS)
    assert sizes() == baseline
    assert received(keeper, "entry") == []

"""Live results: one broadcast of the aggregate per poll and half second, whatever the number of ballots."""

import os
import uuid

import pytest
import redis
from flask_socketio import SocketIOTestClient

from interaction.accounts.services import issue_token
from interaction.core.db import db
from interaction.core.extensions import socketio
from interaction.polls import live
from tests.helpers import server_unavailable
from tests.polls.helpers import answers_for, make_poll

NS = live.NAMESPACE


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_the_throttle_schedules_one_broadcast_per_interval_however_many_ballots(app):
    clock, scheduled = FakeClock(), []
    throttle = live.Throttle(app, live.LocalLocks(clock=clock), interval=0.5,
                             schedule=lambda delay, fn: scheduled.append(delay))
    assert sum(throttle.request(7) for _ in range(1000)) == 1  # a thousand ballots, one broadcast
    assert scheduled == [0.5 + live.MARGIN]  # sent once the interval is over: it reads every ballot of it
    assert throttle.request(8)  # each poll has its own
    clock.now += 0.49
    assert not throttle.request(7)
    clock.now += 0.02
    assert throttle.request(7)
    assert len(scheduled) == 3


def test_redis_locks_hold_across_processes():
    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        server_unavailable(f"Redis at {url} is not reachable")
    prefix = f"test:polls:{uuid.uuid4().hex}"
    one, other = live.RedisLocks(url, prefix), live.RedisLocks(url, prefix)  # two processes' locks
    assert one.acquire(5, 0.2)
    assert not other.acquire(5, 0.2) and not one.acquire(5, 0.2)
    assert other.acquire(6, 0.2)
    import time

    time.sleep(0.25)
    assert other.acquire(5, 0.2)


def test_redis_down_falls_back_to_the_process(app):
    locks = live.RedisLocks("redis://127.0.0.1:1/0", "test")
    assert locks.acquire(1, 0.5) and not locks.acquire(1, 0.5)


@pytest.fixture
def watcher(app, client):
    socket = SocketIOTestClient(app, socketio, namespace=NS, flask_test_client=client)
    yield socket
    if socket.is_connected(NS):
        socket.disconnect(NS)


def _results(socket):
    return [event["args"][0] for event in socket.get_received(NS) if event["name"] == live.RESULTS_EVENT]


def test_an_open_browser_gets_the_aggregate_after_each_commit(app, people, watcher, clock):
    app.extensions[live.EXTENSION_KEY] = live.Throttle(app, live.LocalLocks(), interval=0)  # no waiting in tests
    with app.test_request_context():
        poll = make_poll(people.department, people.staff, visibility="live")
        ballot = answers_for(poll, single=2)
        sealed = make_poll(people.department, people.staff, title="结束后公布")
        poll_id, sealed_id = poll.id, sealed.id
        token = issue_token(people.citizen)[0]
        db.session.commit()
    ack = watcher.emit("join", {"poll": poll_id}, namespace=NS, callback=True)
    assert ack["ok"] and ack["results"]["ballots"] == 0
    refused = watcher.emit("join", {"poll": sealed_id}, namespace=NS, callback=True)
    assert refused["error"] == "results_sealed" and refused["message"]
    for bad in ({"poll": "1"}, {"poll": True}, {"poll": 2**40}, {}, [], {"poll": 1, "x": 2}):
        assert watcher.emit("join", bad, namespace=NS, callback=True)["error"] == "invalid_payload"
    assert watcher.emit("join", {"poll": 999}, namespace=NS, callback=True)["error"] == "not_found"
    client = app.test_client()
    response = client.post(f"/api/v1/polls/{poll_id}/ballots", json={"answers": ballot},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    events = _results(watcher)
    assert len(events) == 1 and events[0]["poll"] == poll_id and events[0]["ballots"] == 1
    assert events[0]["questions"][0]["options"][2]["votes"] == 1
    assert "texts" not in events[0]["questions"][3]  # texts are never broadcast
    # A refused ballot commits nothing and broadcasts nothing.
    again = client.post(f"/api/v1/polls/{poll_id}/ballots", json={"answers": ballot},
                        headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 409 and _results(watcher) == []


def test_ballots_of_a_sealed_poll_are_not_broadcast(app, people, watcher, clock):
    sent = []
    app.extensions[live.EXTENSION_KEY] = live.Throttle(app, live.LocalLocks(), interval=0.5,
                                                       schedule=lambda delay, fn: sent.append(fn))
    with app.test_request_context():
        from interaction.polls import services

        poll = make_poll(people.department, people.staff)
        services.cast_ballot(poll, answers_for(poll), actor=people.citizen)
        db.session.commit()
    assert sent == []

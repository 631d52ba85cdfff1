"""A transaction's emits leave for the other processes together: one Redis pipeline, in order.

Against the Redis server of the run (``REDIS_TEST_URL``), on a channel of the test's own.
"""

import json
import time
import uuid

from interaction.interviews import delivery, redis_delivery
from tests.interviews.test_interviews_multiprocess import _redis_url


def _manager(url, channel):
    """A manager that publishes (write_only: no listener) for a server nobody is connected to."""
    import socketio

    manager = redis_delivery.RedisLiveManager(url, channel=channel, write_only=True)
    socketio.Server(client_manager=manager, async_mode="threading")
    return manager


def _published(pubsub, count, timeout=5.0):
    got, deadline = [], time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message and message["type"] == "message":
            got.append(json.loads(message["data"]))
    return got


def test_emits_in_a_batch_are_published_together_in_order():
    import redis

    url, channel = _redis_url(), f"interviews-test-{uuid.uuid4().hex}"
    listener = redis.Redis.from_url(url).pubsub()
    listener.subscribe(channel)
    assert _published(listener, 0) == [] and listener.get_message(timeout=1)  # the subscription itself
    manager = _manager(url, channel)
    calls = []
    original = manager._publish_all
    manager._publish_all = lambda messages: (calls.append(len(messages)), original(messages))

    with manager.batched():
        with manager.batched():  # nested: the outer batch publishes
            manager.emit("entry", {"seq": 1}, delivery.NAMESPACE, room=delivery.room(1))
        manager.emit("question", {"id": 9}, delivery.NAMESPACE, room=delivery.moderators_room(1))
        manager.emit("my_question", {"id": 9}, delivery.NAMESPACE, room=delivery.user_room(3))
        assert _published(listener, 1, timeout=0.5) == []  # nothing leaves before the block ends

    assert calls == [3]
    got = _published(listener, 3)
    assert [(m["event"], m["room"]) for m in got] == [
        ("entry", "interview:1"), ("question", "interview:1:moderators"), ("my_question", "user:3")]

    manager.emit("entry", {"seq": 2}, delivery.NAMESPACE, room=delivery.room(1))  # outside a batch: at once
    assert [m["data"] for m in _published(listener, 1)] == [[{"seq": 2}]]
    listener.close()

"""Redis dies (``kill -9``) under two server processes sharing a live interview, then returns (issue 13, item 5).

Processes as in ``test_interviews_multiprocess.py`` (the production command of ``deploy/``), but on
a ``redis-server`` of the test's own (:class:`tests.redis_server.RedisServer`). The viewers of the
other process are told of the outage (``status`` ``degraded``), the listener subscribes again
within 2 s of Redis returning, and the viewers then get ``status`` ``ok`` and the entries they
missed, in order; sign-in and ``/healthz`` keep answering meanwhile.
"""

import os
import time
import uuid

import pytest

from tests.helpers import free_port, start_desk, stop_processes, wait_ready
from tests.interviews.test_interviews_multiprocess import NS, Client
from tests.redis_server import RedisServer


def _prepare(app) -> tuple[int, int]:
    """A moderator and a live interview with one guest in the test's database: (interview id, guest id)."""
    from interaction.core.db import db
    from interaction.interviews.services import GuestData
    from tests.factories import make_department, make_interview, make_user

    with app.test_request_context():
        moderator = make_user(role="moderator", email="outage-moderator@example.com", name="审核员")
        interview = make_interview(make_department(code="ro", name="断线测试部门"), status="live",
                                   actor=moderator, guests=[GuestData("李明", "主任")])
        ids = interview.id, interview.guests[0].id
        db.session.commit()  # and nothing read after it: SQLite's lock would stay with this process
    return ids


def test_the_room_page_has_a_live_region_for_the_outage_message(client, people, interview):
    response = client.get(f"/interviews/{interview.id}")
    html = response.get_data(as_text=True)
    assert 'data-msg-degraded="连接中断，正在恢复"' in html
    assert '<p id="connection-status" class="hint" role="status" aria-live="polite"' in html
    client.set_cookie("lang", "en")
    assert 'data-msg-degraded="Connection interrupted, recovering"' in client.get(
        f"/interviews/{interview.id}").get_data(as_text=True)


@pytest.mark.redis
def test_viewers_on_the_other_process_are_told_and_catch_up_in_order(app, database_url):
    import requests

    redis_server = RedisServer()
    redis_server.start()
    interview_id, guest_id = _prepare(app)
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_server.url,
           "INTERACTION_SECRET_KEY": "ro-secret", "INTERACTION_SOCKETIO_CHANNEL": f"test-{uuid.uuid4().hex}"}
    env.pop("INTERACTION_ASYNC_MODE", None)
    ports = [free_port(), free_port()]
    processes = [start_desk(port, env) for port in ports]
    clients = []
    try:
        deadline = time.monotonic() + 60
        for port, process in zip(ports, processes):
            wait_ready(port, process, deadline)
        a, b = ports

        def sign_in(port):
            return requests.post(f"http://127.0.0.1:{port}/api/v1/auth/token", timeout=10, json={
                "email": "outage-moderator@example.com", "password": "correct horse battery"})

        moderator = Client(a, sign_in(a).json()["token"])
        viewer = Client(b)
        viewer.sio.on("status", viewer._recorder("status"), namespace=NS)
        clients += [moderator, viewer]
        for client in (moderator, viewer):
            assert client.call("join", {"interview": interview_id})["ok"]

        def speak(body):
            ack = moderator.call("answer", {"interview": interview_id, "guest": guest_id, "body": body})
            assert ack["ok"], ack
            return ack["seq"]

        speak("断线之前")
        assert viewer.wait_for("entry")[0]["seq"] == 1

        redis_server.kill()
        status, _ = viewer.wait_for("status", lambda s: s.get("connection") == "degraded", timeout=5)
        assert status == {"interview": interview_id, "connection": "degraded"}
        missed = [speak(f"断线期间第{n}条") for n in (1, 2, 3)]
        assert missed == [2, 3, 4]
        # The desk keeps serving: sign-in answers, /healthz says degraded (still 200).
        assert sign_in(b).status_code == 200
        health = requests.get(f"http://127.0.0.1:{b}/healthz", timeout=5)
        assert health.status_code == 200
        assert health.json() == {"status": "degraded",
                                 "checks": {"database": "ok", "redis": "down", "realtime": "fast"}}
        assert not [e for e in viewer.drain() if e[0] == "entry"], "nothing can cross while Redis is down"

        redis_server.start()
        back = time.monotonic()
        viewer.wait_for("status", lambda s: s.get("connection") == "ok", timeout=5)
        assert time.monotonic() - back <= 2.0, "the listener subscribes again within 2 s"
        caught_up = [viewer.wait_for("entry")[0] for _ in missed]
        assert [e["seq"] for e in caught_up] == missed
        assert [e["body"] for e in caught_up] == ["断线期间第1条", "断线期间第2条", "断线期间第3条"]

        # And the queue carries live entries again, once each.
        assert speak("恢复之后") == 5
        assert viewer.wait_for("entry")[0]["seq"] == 5
        time.sleep(0.5)
        assert not [e for e in viewer.drain() if e[0] == "entry"], "no entry twice"
    finally:
        for client in clients:
            try:
                client.sio.disconnect()
            except Exception:  # noqa: BLE001 - teardown of a client that may already be gone
                pass
        stop_processes(*processes)
        redis_server.kill()

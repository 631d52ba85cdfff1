"""Two server processes share interview rooms through Redis: approved on one, seen on the other.

Each process is started with the production command of ``deploy/`` (gunicorn, one gevent
worker) on its own free port, against one temporary SQLite database and one Redis database
(``REDIS_TEST_URL``, default ``redis://127.0.0.1:6379/15``) on a channel of its own.
"""

import os
import queue
import time
import uuid

import pytest

from tests.helpers import free_port, server_unavailable, start_desk, stop_processes, wait_ready

NS = "/interviews"


def _redis_url() -> str:
    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        server_unavailable(f"Redis at {url} is not reachable ({exc})")
    return url



def _prepare_database(url: str) -> int:
    """Schema, a department, people and a live interview, in the database both processes share."""
    from interaction.core.db import db
    from interaction.interviews.services import GuestData
    from tests.helpers import make_test_app
    from tests.factories import make_department, make_interview, make_user

    app = make_test_app(url)
    with app.app_context(), app.test_request_context():
        db.create_all()
        department = make_department(code="mp", name="多进程测试部门")
        make_user(role="citizen", email="mp-citizen@example.com", name="张三")
        moderator = make_user(role="moderator", email="mp-moderator@example.com", name="审核员")
        interview = make_interview(department, status="live", actor=moderator,
                                   guests=[GuestData("李明", "主任")])
        db.session.commit()
        interview_id = interview.id
        db.session.remove()
    return interview_id


class Client:
    """A python-socketio client that queues what it receives."""

    def __init__(self, port: int, token: str | None = None):
        import socketio

        self.events: queue.Queue = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        for name in ("entry", "question", "presence", "my_question"):
            self.sio.on(name, self._recorder(name), namespace=NS)
        self.sio.connect(f"http://127.0.0.1:{port}", namespaces=[NS], transports=["websocket"],
                         auth={"token": token} if token else None, wait_timeout=10)

    def _recorder(self, name):
        return lambda data: self.events.put((name, data))

    def call(self, event, payload):
        return self.sio.call(event, payload, namespace=NS, timeout=10)

    def wait_for(self, name, predicate=lambda data: True, timeout=10.0):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                got, data = self.events.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            seen.append((got, data))
            if got == name and predicate(data):
                return data, seen
        raise AssertionError(f"no {name} event in {timeout}s; got {seen}")

    def drain(self):
        items = []
        while not self.events.empty():
            items.append(self.events.get_nowait())
        return items


@pytest.mark.redis
def test_question_approved_on_one_process_reaches_viewers_on_the_other(tmp_path):
    import requests

    redis_url = _redis_url()
    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    interview_id = _prepare_database(db_url)
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "INTERACTION_SECRET_KEY": "mp-secret",
           "INTERACTION_RATELIMIT": "0", "INTERACTION_SOCKETIO_CHANNEL": f"test-{uuid.uuid4().hex}"}
    env.pop("INTERACTION_ASYNC_MODE", None)
    ports = [free_port(), free_port()]
    processes = [start_desk(port, env) for port in ports]
    clients = []
    try:
        deadline = time.monotonic() + 60
        for port, process in zip(ports, processes):
            wait_ready(port, process, deadline)
        a, b = ports

        def token(email):
            response = requests.post(f"http://127.0.0.1:{a}/api/v1/auth/token",
                                     json={"email": email, "password": "correct horse battery"}, timeout=10)
            assert response.status_code == 200, response.text
            return response.json()["token"]

        moderator = Client(a, token("mp-moderator@example.com"))
        citizen = Client(a, token("mp-citizen@example.com"))
        viewer = Client(b)
        clients += [moderator, citizen, viewer]
        for client in (moderator, citizen, viewer):
            assert client.call("join", {"interview": interview_id})["ok"]

        ack = citizen.call("ask", {"interview": interview_id, "body": "跨进程的问题：审核前谁也看不到"})
        assert ack["ok"], ack
        moderator.wait_for("question", lambda q: q["id"] == ack["id"] and q["state"] == "pending")
        assert moderator.call("approve", {"question": ack["id"]})["ok"]

        entry, seen = viewer.wait_for("entry")
        assert (entry["seq"], entry["kind"], entry["body"]) == (1, "question", "跨进程的问题：审核前谁也看不到")
        assert not [data for name, data in seen if name == "question"], "a pending question reached a viewer"

        # Presence is summed over both processes through Redis (3 sockets in the room).
        viewer.wait_for("presence", lambda p: p["viewers"] == 3, timeout=15)

        # A late viewer on the other process replays exactly what it missed.
        late = Client(b)
        clients.append(late)
        assert late.call("join", {"interview": interview_id, "since": 0})["ok"]
        replay, _ = late.wait_for("entry")
        assert replay["seq"] == 1
    finally:
        for client in clients:
            try:
                client.sio.disconnect()
            except Exception:  # noqa: BLE001 - teardown of a client that may already be gone
                pass
        stop_processes(*processes)

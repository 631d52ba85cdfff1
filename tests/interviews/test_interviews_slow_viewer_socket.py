"""A viewer that never reads is cut off within seconds on the production server; the others get everything.

Issue 13 item 10: a socket that stopped reading could hold megabytes of broadcasts in the kernel's
buffers (Linux grows a socket's send buffer up to 4 MB) before the 1 MiB bound of core.websocket
applied. Now the send buffer is set (``SOCKETIO_SEND_BUFFER_BYTES``) and a viewer whose output has
waited longer than ``SOCKETIO_MAX_LAG_SECONDS`` is disconnected; it catches up with ``since``.

The production command (gunicorn, one gevent worker) serves a live interview; a raw WebSocket
(wsproto's client side, a small receive buffer) joins it and then reads nothing while a host posts
entries through the API, each broadcast to the room. Both write paths are run: the direct writes
and the libraries' per-viewer queue (``INTERACTION_WS_DIRECT_WRITES=0``). Pings are set far apart,
so that only the lag bound can close the silent socket.
"""

import json
import os
import socket
import time

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage

from tests.helpers import free_port, start_desk, stop_processes, wait_ready
from tests.interviews.test_interviews_multiprocess import Client

NS = "/interviews"
ENTRIES = 250
BODY = "慢" * 1000  # ~3 KB a frame: ~750 KB in all, under the 1 MiB bound, far over the buffers now allowed
PASSWORD = "correct horse battery"
MAX_LAG = 5  # seconds, the default


def _prepare_database(url: str) -> int:
    from interaction.core.db import db
    from interaction.interviews.services import GuestData
    from tests.factories import make_department, make_interview, make_user
    from tests.helpers import make_test_app

    app = make_test_app(url)
    with app.app_context(), app.test_request_context():
        db.create_all()
        department = make_department(code="slow", name="慢速测试部门")
        make_user(role="staff", department=department, email="slow-host@example.com", name="王芳")
        interview = make_interview(department, status="live", guests=[
            GuestData("王芳", "主持人", role="host", user_email="slow-host@example.com")])
        db.session.commit()
        interview_id = interview.id
        db.session.remove()
    return interview_id


class SilentViewer:
    """A raw engine.io/Socket.IO client that joins the interview and then stops reading."""

    def __init__(self, port: int, interview_id: int):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)  # before connect: a small window
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        self.ws = WSConnection(ConnectionType.CLIENT)
        handshake = Request(host=f"127.0.0.1:{port}", target="/socket.io/?EIO=4&transport=websocket")
        self.sock.sendall(self.ws.send(handshake))
        self.received = 0
        self.messages: list[str] = []
        self._partial = ""
        self.closed = False
        self._read_until(lambda: any(m.startswith("0{") for m in self.messages))
        self._send(f"40{NS},")
        self._read_until(lambda: any(m.startswith(f"40{NS},") for m in self.messages))
        self._send(f'42{NS},1["join",{{"interview":{interview_id}}}]')
        self._read_until(lambda: any(m.startswith(f"43{NS},1") for m in self.messages))
        ack = next(m for m in self.messages if m.startswith(f"43{NS},1"))
        assert json.loads(ack[len(f"43{NS},1"):])[0]["ok"] is True, ack

    def _send(self, text: str) -> None:
        self.sock.sendall(self.ws.send(TextMessage(data=text)))

    def _read_until(self, done, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not done() and not self.closed and time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:
                self.closed = True
                break
            if not data:
                self.closed = True
                break
            self.received += len(data)
            self.ws.receive_data(data)
            for event in self.ws.events():
                if isinstance(event, AcceptConnection):
                    self.messages.append("accepted")
                elif isinstance(event, TextMessage):  # a message may come in parts
                    self._partial += event.data
                    if event.message_finished:
                        self.messages.append(self._partial)
                        self._partial = ""
                elif isinstance(event, CloseConnection):
                    self.closed = True

    def read_to_the_end(self, timeout: float) -> None:
        """Read what the kernel kept for it until the server's end of the connection (or *timeout*)."""
        self._read_until(lambda: False, timeout)

    def last_seq(self) -> int:
        seqs = [json.loads(m[m.index("["):])[1]["seq"] for m in self.messages if m.startswith(f'42{NS},["entry"')]
        assert seqs == list(range(1, len(seqs) + 1))  # what it got, it got in order
        return seqs[-1] if seqs else 0


@pytest.mark.parametrize("direct_writes", ["1", "0"])
def test_a_viewer_that_never_reads_is_closed_within_seconds_and_the_others_get_everything(tmp_path, direct_writes):
    import requests

    db_url = f"sqlite:///{tmp_path / 'slow.db'}"
    interview_id = _prepare_database(db_url)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "INTERACTION_SECRET_KEY": "slow-secret", "INTERACTION_RATELIMIT": "0",
           "INTERACTION_WS_DIRECT_WRITES": direct_writes, "INTERACTION_WS_MAX_LAG": str(MAX_LAG),
           "INTERACTION_WS_SEND_BUFFER": str(64 * 1024),
           "INTERACTION_PING_INTERVAL": "300", "INTERACTION_PING_TIMEOUT": "300"}
    for name in ("INTERACTION_ASYNC_MODE", "REDIS_URL"):
        env.pop(name, None)
    process = start_desk(port, env)
    clients = []
    try:
        wait_ready(port, process, time.monotonic() + 60)
        http = requests.Session()
        response = http.post(f"http://127.0.0.1:{port}/api/v1/auth/token",
                             json={"email": "slow-host@example.com", "password": PASSWORD}, timeout=10)
        assert response.status_code == 200, response.text
        http.headers["Authorization"] = f"Bearer {response.json()['token']}"

        viewer = Client(port)
        clients.append(viewer)
        assert viewer.call("join", {"interview": interview_id})["ok"]
        silent = SilentViewer(port, interview_id)

        sent_bytes = 0
        for n in range(1, ENTRIES + 1):
            response = http.post(f"http://127.0.0.1:{port}/api/v1/interviews/{interview_id}/remarks",
                                 json={"body": f"{n:04d}{BODY}"}, timeout=30)
            assert response.status_code == 201, response.text
            sent_bytes += len(response.content)
        posted = time.monotonic()

        # The reading viewer gets every entry, in order.
        seqs = []
        while len(seqs) < ENTRIES:
            entry, _seen = viewer.wait_for("entry", timeout=60)
            seqs.append(entry["seq"])
        assert seqs == list(range(1, ENTRIES + 1))

        # The silent one goes on not reading for three times the lag bound after the last broadcast (the
        # posts may have taken less than the bound). Then it reads: what the kernel kept for it, and the
        # end of the connection (pings are minutes apart, so they are not what closed it).
        time.sleep(max(0.0, posted + 3 * MAX_LAG - time.monotonic()))
        silent.read_to_the_end(timeout=20)
        assert silent.closed, f"not closed: {silent.received} bytes, {len(silent.messages)} messages read"
        # All it could hold was in the (bounded) buffers: far less than what was broadcast.
        assert silent.received < min(400 * 1024, sent_bytes // 2), (silent.received, sent_bytes)
        got = silent.last_seq()
        assert got < ENTRIES

        # Reconnecting with since, it catches up: exactly what it missed, in order.
        again = Client(port)
        clients.append(again)
        assert again.call("join", {"interview": interview_id, "since": got})["ok"]
        replayed = []
        while len(replayed) < ENTRIES - got:
            entry, _seen = again.wait_for("entry", timeout=30)
            replayed.append(entry["seq"])
        assert replayed == list(range(got + 1, ENTRIES + 1))
        assert process.poll() is None
    finally:
        for client in clients:
            client.sio.disconnect()
        stop_processes(process)

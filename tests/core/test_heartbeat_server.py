"""engine.io's heartbeat on the production server: pings keep coming, a silent client is closed.

The production command (gunicorn, one gevent worker) runs with a 1-second ping interval and
timeout; the client is a raw WebSocket speaking engine.io 4 (wsproto's client side), so the test
decides when to answer a ping. The first ping of a connection is engine.io's own; the later ones
come from core.websocket.Heartbeat once the first pong arrived.
"""

import os
import socket
import time

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage

from tests.helpers import free_port, start_desk, stop_processes, wait_ready


class EngineIoClient:
    """engine.io 4 over a raw WebSocket: reads packets, answers pings only when told to."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.ws = WSConnection(ConnectionType.CLIENT)
        handshake = Request(host=f"127.0.0.1:{port}", target="/socket.io/?EIO=4&transport=websocket")
        self.sock.sendall(self.ws.send(handshake))
        self.packets: list[str] = []
        self.closed = False
        self.answer_pings = True
        self._events: list = []
        self._read_until(lambda: any(isinstance(e, AcceptConnection) for e in self._events), timeout=10)

    def _read_until(self, done, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done() and not self.closed and time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                self.closed = True
                break
            self.ws.receive_data(data)
            for event in self.ws.events():
                self._events.append(event)
                if isinstance(event, TextMessage):
                    self.packets.append(event.data)
                    if event.data == "2" and self.answer_pings:
                        self.sock.sendall(self.ws.send(TextMessage(data="3")))
                elif isinstance(event, CloseConnection):
                    self.closed = True

    def listen(self, seconds: float) -> None:
        self._read_until(lambda: False, timeout=seconds)

    def pings(self) -> int:
        return self.packets.count("2")


def test_pings_keep_coming_and_a_silent_client_is_closed(tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'hb.db'}", "INTERACTION_SECRET_KEY": "hb-secret",
           "INTERACTION_RATELIMIT": "0", "INTERACTION_PING_INTERVAL": "1", "INTERACTION_PING_TIMEOUT": "1"}
    for name in ("INTERACTION_ASYNC_MODE", "REDIS_URL"):
        env.pop(name, None)
    process = start_desk(port, env)
    try:
        wait_ready(port, process, time.monotonic() + 60)
        client = EngineIoClient(port)
        client.listen(0.5)
        assert client.packets and client.packets[0].startswith("0{")  # engine.io's OPEN packet
        assert '"pingInterval":' in client.packets[0]

        # Six seconds, three times interval + timeout, with nothing but pings on the socket: a ping
        # about every second and the connection open (engine.io's own writer would have given up).
        client.listen(6)
        assert not client.closed
        assert 4 <= client.pings() <= 8, client.packets

        # No more pongs: the server closes the socket after the timeout.
        client.answer_pings = False
        client.listen(8)
        assert client.closed
    finally:
        stop_processes(process)

"""The WebSocket server declines ``permessage-deflate`` (per-viewer compression), as Node's socket.io does.

The production command (gunicorn, one gevent worker: simple-websocket over wsproto) is started
on a free port and sent a raw WebSocket handshake that offers the extension, as browsers and
socket.io-client do. ``INTERACTION_WS_COMPRESSION=1`` restores the library's behaviour: that run
shows the offer is otherwise accepted, so the default run's check can fail.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import free_port, stop_processes

ROOT = Path(__file__).resolve().parents[2]
OFFER = "permessage-deflate; client_max_window_bits"



def _handshake(port: int) -> str:
    """The response head to a WebSocket upgrade of engine.io that offers permessage-deflate."""
    request = (f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: {OFFER}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    return head.split(b"\r\n\r\n", 1)[0].decode("latin-1")


def _serve_and_handshake(tmp_path, **env_overrides) -> str:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'ws.db'}", "INTERACTION_SECRET_KEY": "ws-secret",
           "INTERACTION_RATELIMIT": "0", **env_overrides}
    for name in ("INTERACTION_ASYNC_MODE", "REDIS_URL", "INTERACTION_WS_COMPRESSION"):
        if name not in env_overrides:
            env.pop(name, None)
    command = [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{port}",
               "--log-level", "warning", "wsgi:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited: {process.stderr.read().decode(errors='replace')}")
            try:
                return _handshake(port)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        stop_processes(process)


def _extensions(head: str) -> list[str]:
    lines = head.split("\r\n")
    assert lines[0].startswith("HTTP/1.1 101"), head
    return [line.split(":", 1)[1].strip() for line in lines[1:] if line.lower().startswith("sec-websocket-extensions:")]


@pytest.mark.parametrize(("env", "expected"), [({}, []), ({"INTERACTION_WS_COMPRESSION": "1"}, ["permessage-deflate"])],
                         ids=["default-declined", "switched-on"])
def test_permessage_deflate_offer_is_declined_unless_switched_on(tmp_path, env, expected):
    head = _serve_and_handshake(tmp_path, **env)
    assert [value.split(";")[0].strip() for value in _extensions(head)] == expected

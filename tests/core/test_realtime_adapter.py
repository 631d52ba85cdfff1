"""The realtime adapter (core.websocket) checks its libraries' versions at start-up and says which path it took.

On versions it was not written for the desk refuses to start, with a message naming the packages,
the versions found and expected, and the setting that lets it start anyway; with that setting it
takes the libraries' own path, logs it as an error and ``/healthz`` says ``"realtime": "slow-path"``.
Under the production command (gunicorn, one gevent worker) ``/healthz`` says ``"realtime": "fast"``.
"""

import importlib.metadata
import logging
import os
import re
import socket
import time

import pytest
import requests

from interaction.core import websocket
from tests.helpers import ROOT, free_port, make_test_app, start_desk, stop_processes, wait_ready


def test_the_adapter_is_written_for_the_versions_requirements_txt_pins():
    pins = dict(re.findall(r"(?m)^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements.txt").read_text()))
    assert {name: pins.get(name) for name in websocket.WRITTEN_FOR} == websocket.WRITTEN_FOR


def _engineio_upgraded(monkeypatch, version="4.99.0"):
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: version if name == "python-engineio" else real(name))


def test_the_desk_refuses_to_start_on_versions_the_adapter_was_not_written_for(monkeypatch, database_url):
    _engineio_upgraded(monkeypatch)
    with pytest.raises(websocket.UntestedRealtimeLibraries) as refused:
        make_test_app(database_url)
    message = str(refused.value)
    assert "python-engineio 4.99.0 (written for 4.15.1)" in message
    assert "interaction/core/websocket.py" in message and "requirements.txt" in message
    assert "INTERACTION_WS_ALLOW_UNTESTED=1" in message
    assert "python-socketio" not in message  # only what differs


def test_a_missing_library_is_named_too(monkeypatch):
    real = importlib.metadata.version

    def version(name):
        if name == "simple-websocket":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    with pytest.raises(websocket.UntestedRealtimeLibraries, match=r"simple-websocket not installed \(written for"):
        websocket.check_versions(allow_untested=False)


def test_with_the_setting_it_starts_on_the_libraries_path_says_so_loudly_and_in_healthz(monkeypatch, database_url,
                                                                                       caplog):
    _engineio_upgraded(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="interaction.core.websocket"):
        app = make_test_app(database_url, SOCKETIO_ALLOW_UNTESTED=True)
    assert any("SLOW PATH" in r.getMessage() and "python-engineio 4.99.0" in r.getMessage() for r in caplog.records)
    from interaction.core.extensions import socketio

    assert socketio.server.eio._async["websocket"].__name__ != "DirectWebSocket"  # nothing replaced
    assert websocket.send_to_many(socketio.server, "/interviews", "entry", {}, []) is False  # library's emit
    health = app.test_client().get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "degraded", "checks": {"database": "ok", "realtime": "slow-path"}}


def test_the_fast_path_is_active_under_the_deploy_configuration(tmp_path):
    """``/healthz`` says so, and a WebSocket's 101 comes with engine.io's OPEN packet, in one send."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'rt.db'}", "INTERACTION_SECRET_KEY": "rt-secret",
           "INTERACTION_RATELIMIT": "0"}
    for name in ("INTERACTION_ASYNC_MODE", "REDIS_URL", "INTERACTION_WS_DIRECT_WRITES",
                 "INTERACTION_WS_ALLOW_UNTESTED"):
        env.pop(name, None)
    process = start_desk(port, env)
    try:
        wait_ready(port, process, time.monotonic() + 60)
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
        assert health == {"status": "ok", "checks": {"database": "ok", "realtime": "fast"}}
        head, frames = _first_read_of_a_websocket(port)
        assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
        assert b"\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head  # RFC 6455's example key
        assert frames[:1] == b"\x81" and frames[2:4] == b"0{", "engine.io's OPEN packet came in the same read"
    finally:
        stop_processes(process)


def _first_read_of_a_websocket(port: int) -> tuple[bytes, bytes]:
    """One read after a WebSocket handshake: the answer's head and the frames that came with it (one send)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        data = sock.recv(65536)
    head, _, frames = data.partition(b"\r\n\r\n")
    return head, frames

"""deploy/gunicorn.sh: once a crowd has left a worker and no socket is open, gunicorn replaces it by a fresh one.

What a crowd leaves in a worker's memory (pages that hold both its freed blocks and blocks that
outlive it) goes back only with the process: deploy/gunicorn.conf.py asks gunicorn's master for a
fresh worker then (``interaction.core.memory.replace_worker_when_emptied``), never while a socket is
open. Here the production command runs with a crowd of 3 (``REPLACE_WORKER_AFTER``).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import free_port, stop_processes, wait_ready

ROOT = Path(__file__).resolve().parent.parent
NS = "/interviews"
#: engine.io's monitor counts the sockets every 5 s (core.socket_writes.MONITOR_SECONDS): what a look must see.
LOOK = 6.0
#: Two looks and the replacement's start.
LOOKS = 12.0


def _workers(master: int) -> list[str]:
    return Path(f"/proc/{master}/task/{master}/children").read_text().split()


def _viewer(port: int):
    import socketio

    client = socketio.Client(reconnection=False)
    client.connect(f"http://127.0.0.1:{port}", namespaces=[NS], transports=["websocket"], wait_timeout=10)
    return client


def _wait_for_other_worker(master: int, old: str, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = _workers(master)
        if workers and old not in workers:
            return workers
        time.sleep(0.2)
    raise AssertionError(f"worker {old} was not replaced in {timeout} s (workers now: {_workers(master)})")


@pytest.mark.skipif(sys.platform != "linux", reason="the production command runs on Linux")
def test_a_worker_a_crowd_left_is_replaced_once_no_socket_is_open(tmp_path):
    import requests

    from interaction.core.db import db
    from tests.helpers import make_test_app

    database = f"sqlite:///{tmp_path / 'desk.db'}"
    app = make_test_app(database)
    with app.app_context():
        db.create_all()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database, "INTERACTION_SECRET_KEY": "x" * 32, "PYTHON": sys.executable,
           "LOG_LEVEL": "info", "REDIS_URL": "", "REPLACE_WORKER_AFTER": "3", "INTERACTION_RATELIMIT": "0"}
    env.pop("INTERACTION_ASYNC_MODE", None)
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(["bash", "deploy/gunicorn.sh", str(port)], cwd=ROOT, env=env,
                                  stdout=output, stderr=output)
    viewers = []
    try:
        wait_ready(port, server, time.monotonic() + 60)
        [first] = _workers(server.pid)

        viewers = [_viewer(port) for _ in range(4)]
        time.sleep(LOOK)  # the monitor counts the crowd while it is there
        for viewer in viewers[1:]:
            viewer.disconnect()
        time.sleep(LOOKS)  # the crowd of 4 left but one viewer stays: nobody is dropped
        assert _workers(server.pid) == [first]
        assert viewers[0].connected

        viewers[0].disconnect()
        answers = []
        deadline = time.monotonic() + LOOKS + 20
        while first in _workers(server.pid) and time.monotonic() < deadline:  # pages are served all along
            answers.append(requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code)
            time.sleep(0.1)
        for _ in range(30):  # and while the fresh worker starts
            answers.append(requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code)
            time.sleep(0.1)
        assert set(answers) == {200}
        [second] = _wait_for_other_worker(server.pid, first, 1)
        deadline = time.monotonic() + 20
        while Path(f"/proc/{first}").exists() and time.monotonic() < deadline:  # it ends with nothing to finish
            time.sleep(0.2)
        assert not Path(f"/proc/{first}").exists()
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        late = _viewer(port)  # the fresh worker serves the live room
        viewers.append(late)
        assert late.connected
        late.disconnect()
        time.sleep(LOOKS)  # one viewer came and went: not a crowd, the fresh worker stays
        assert _workers(server.pid) == [second]
        text = log.read_text(errors="replace")
        assert "a crowd of 4 connections has left this worker and none is open" in text
    finally:
        for viewer in viewers:
            if viewer.connected:
                viewer.disconnect()
        stop_processes(server)

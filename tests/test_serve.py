"""``python wsgi.py`` (what ``make run`` starts): it says where it serves, refuses a taken port with a
clear message, runs the periodic jobs (core.jobs) and stops on Ctrl-C without a traceback (issue 18,
items 4 and 9)."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _health(port: int) -> int:
    """The status of /healthz, once the server listens (it prints its address just before)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as response:
                return response.status
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _job_ran(tmp_path) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with sqlite3.connect(tmp_path / "serve.db") as database:
            if database.execute("SELECT count(*) FROM job_leases WHERE name = 'mailbox.sweep' "
                                "AND last_finished IS NOT NULL AND last_error IS NULL").fetchone()[0]:
                return True
        time.sleep(0.2)
    return False


def _start(tmp_path, *args, **env):
    """``python wsgi.py`` on a migrated SQLite database, as ``make run`` starts it."""
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", **env}
    environment.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=environment,
                   check=True, capture_output=True)
    return subprocess.Popen(
        [sys.executable, "wsgi.py", *args], cwd=ROOT, env=environment, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        # A terminal's Ctrl-C: SIGINT at its default disposition (a background job's may be ignored).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def test_prints_its_address_serves_and_stops_on_ctrl_c_without_a_traceback(tmp_path):
    port = _free_port()
    server = _start(tmp_path, PORT=str(port))  # PORT from the environment, as `make run PORT=…` passes it
    try:
        first = server.stdout.readline()
        assert first.strip() == f"Serving the interaction desk on http://127.0.0.1:{port}/ (Ctrl-C stops it)"
        assert _health(port) == 200
        assert _job_ran(tmp_path), "the mailbox's periodic job did not run by itself"
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    finally:
        server.kill()
    assert server.returncode == 0
    assert out.strip() == "Stopped."
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


def test_a_taken_port_is_refused_with_a_message_naming_another(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = _start(tmp_path, "--port", str(port))
        out, err = server.communicate(timeout=60)
    assert server.returncode == 2
    assert f"Port {port} on 127.0.0.1 is taken" in err and f"make run PORT={port + 1}" in err
    assert "Traceback" not in err and out == ""

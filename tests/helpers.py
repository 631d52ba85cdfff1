"""Helpers for tests that are not fixtures: app building, server checks, CSRF tokens."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("INTERACTION_SECRET_KEY", "test-secret-key")

from interaction import create_app  # noqa: E402

REQUIRE_SERVERS = os.environ.get("INTERACTION_TEST_REQUIRE_SERVERS") == "1"
#: Real scrypt costs ~0.25 s a check; the rules under test don't depend on the cost.
TEST_HASH_METHOD = "pbkdf2:sha256:1000"


def server_unavailable(message: str):
    """Fail in CI, skip elsewhere, when a server a test needs cannot be reached."""
    if REQUIRE_SERVERS:
        pytest.fail(f"{message} (required in this run: INTERACTION_TEST_REQUIRE_SERVERS=1)")
    pytest.skip(f"{message}; start it, or set the URL, to run this test")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_processes(*processes: subprocess.Popen) -> None:
    """Stop servers a test started: all asked to end at once, then each waited for (killed after 10 s)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


ROOT = Path(__file__).resolve().parents[1]


def start_desk(port: int, env: dict) -> subprocess.Popen:
    """The production command of deploy/ (gunicorn, one gevent worker) on 127.0.0.1:*port*."""
    command = [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--worker-connections", "2000",
               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(port: int, process: subprocess.Popen, deadline: float) -> None:
    """Wait until the server on *port* answers /healthz (by the monotonic *deadline*)."""
    import requests

    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server on {port} exited: {process.stderr.read().decode(errors='replace')}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server on {port} did not start in time")


def make_test_app(database_url: str, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": None,
        "SERVER_NAME": "localhost",
        "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
    }
    config.update(overrides)
    return create_app(config)


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str | None = None) -> str:
    """The CSRF token a page would give the browser of this client's session.

    Signed in, every page's layout holds it (``<meta name="csrf-token">``); anonymous pages carry it
    only in their forms: by default the home page's meta, else the sign-in form's field.
    """
    for page in [path] if path else ["/", "/login"]:
        html = client.get(page).get_data(as_text=True)
        match = CSRF_META.search(html) or CSRF_INPUT.search(html)
        if match:
            return match.group(1)
    raise AssertionError(f"no CSRF token on {path or '/ or /login'}")


def uncached_statements(records) -> list[str]:
    """The SQL that SQLAlchemy compiled without caching, from its engine's INFO log (*records*: ``caplog.records``).

    SQLAlchemy logs each statement, then ``[no key …]`` when it has no cache key (a statement then
    compiled again on every execution), ``[cached since …]`` or ``[generated in …]`` otherwise. A test
    sets ``caplog.set_level(logging.INFO, logger="sqlalchemy.engine.Engine")`` around what it checks.
    """
    engine_records = [r for r in records if r.name == "sqlalchemy.engine.Engine"]
    return [previous.getMessage() for previous, record in zip(engine_records, engine_records[1:], strict=False)
            if record.getMessage().startswith("[no key")]

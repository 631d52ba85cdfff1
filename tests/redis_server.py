"""A throw-away ``redis-server`` that a test starts, kills (``kill -9``) and starts again on the same port."""

import shutil
import signal
import subprocess
import time

from tests.helpers import free_port, server_unavailable


class RedisServer:
    """One ``redis-server`` without persistence on a free port of 127.0.0.1 (``url`` stays the same)."""

    def __init__(self):
        if shutil.which("redis-server") is None:
            server_unavailable("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--save", "", "--appendonly", "no", "--port", str(self.port), "--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait()

    def kill(self) -> None:
        """``kill -9``: no goodbye to the clients, as when the machine or the process dies."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def _wait(self, timeout: float = 10.0) -> None:
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server on {self.port} did not start")

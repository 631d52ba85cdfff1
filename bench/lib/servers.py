"""Start and stop gunicorn for the benchmark (only the processes started here, by their pid)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


class Server:
    """``gunicorn -w WORKERS -k CLASS`` serving *app* ("wsgi:app" or "bench.lib.bare_app:app") on *port*."""

    def __init__(self, app: str, port: int, database_url: str, log_path: Path, *, workers: int = 2,
                 worker_class: str = "sync", threads: int = 1, application_name: str | None = None,
                 root: Path = ROOT, env: dict | None = None):
        """*root*: the source tree gunicorn serves from (``--chdir``: another checkout of the desk, e.g. an
        older commit's, with this venv); *env*: extra environment variables."""
        self.app, self.port, self.log_path = app, port, log_path
        self.application_name = application_name if database_url.startswith("postgresql") else None
        if self.application_name:  # lets bench.lib.cpu find this server's PostgreSQL backends
            database_url += ("&" if "?" in database_url else "?") + f"application_name={application_name}"
        self.cmd = [str(GUNICORN), "--workers", str(workers), "--worker-class", worker_class,
                    "--bind", f"127.0.0.1:{port}", "--backlog", "2048", "--timeout", "120",
                    "--graceful-timeout", "5", "--log-level", "warning", "--chdir", str(root)]
        if worker_class == "gthread":
            self.cmd += ["--threads", str(threads)]
        self.cmd.append(app)
        self.env = {**os.environ, "DATABASE_URL": database_url, "INTERACTION_ASYNC_MODE": "threading",
                    "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
        self.env.pop("REDIS_URL", None)  # in-process Socket.IO and rate-limit storage: no Redis in the path
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, health: str = "/healthz", timeout: float = 60) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.app} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base + health, timeout=2) as response:
                    if response.status == 200:
                        # Both workers must be up: ask a few times.
                        for _ in range(4):
                            urllib.request.urlopen(self.base + health, timeout=5).read()
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.app} did not answer on {self.base}{health} within {timeout} s")

    def cpu_meter(self):
        from bench.lib.cpu import CpuMeter

        return CpuMeter(self.proc.pid, self.application_name)

    def drain(self, health: str = "/healthz", timeout: float = 180) -> float:
        """Wait until requests queued by the last run are served (a quick health answer); returns seconds."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            t0 = time.monotonic()
            try:
                urllib.request.urlopen(self.base + health, timeout=timeout).read()
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() - t0 < 0.2:
                return time.monotonic() - started
            time.sleep(0.2)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # gunicorn's master stops its own workers
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own session only
            self.proc.wait(timeout=5)
        self.proc = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *_exc):
        self.stop()

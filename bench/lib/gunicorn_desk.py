"""gunicorn settings for the desk under benchmark: ``gunicorn -c bench/lib/gunicorn_desk.py wsgi:app``.

One gevent worker per process (Socket.IO needs sticky sessions; several processes share rooms
through Redis), worker_connections far above gunicorn's default 1,000 (at the default a worker
silently stops accepting at 1,000 sockets and its HTTP freezes with it). The bind address comes
from ``--bind`` on the command line.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

worker_class = "gevent"
workers = 1
worker_connections = int(os.environ.get("BENCH_WORKER_CONNECTIONS", "20000"))
backlog = 4096
timeout = 120
graceful_timeout = 5
keepalive = 5
accesslog = None
loglevel = "warning"


def post_worker_init(worker):
    from bench.lib.workarounds import apply_from_env

    applied = apply_from_env()
    if applied:
        worker.log.warning("bench workarounds applied: %s", ",".join(applied))

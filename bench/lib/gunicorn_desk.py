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
control_socket = f"/tmp/bench-gunicorn-{os.getpid()}.ctl"  # one per process (the default path is one per user)


def post_worker_init(worker):
    from bench.lib.workarounds import apply_from_env
    from interaction.core import memory

    # As deploy/gunicorn.conf.py: a fresh worker once a crowd has left (bench/interviews.py --keep-workers: never).
    memory.replace_worker_when_emptied(worker)
    applied = apply_from_env()
    if applied:
        worker.log.warning("bench workarounds applied: %s", ",".join(applied))
    if os.environ.get("BENCH_HEAP_DIR"):
        start_heap_probe(worker, Path(os.environ["BENCH_HEAP_DIR"]))


def start_heap_probe(worker, directory: Path) -> None:
    """``bench/interviews.py --heap``: trace allocations; on SIGUSR2 write a tracemalloc snapshot.

    Each snapshot goes to ``<directory>/<pid>-<n>.snap`` (n = 1, 2, ...) after a full collection, so
    two snapshots taken before and after the viewers joined tell what the connections hold.
    """
    import gc
    import signal
    import tracemalloc

    import gevent

    tracemalloc.start(int(os.environ.get("BENCH_HEAP_FRAMES", "12")))
    taken = [0]

    def snapshot():
        gc.collect()
        taken[0] += 1
        tracemalloc.take_snapshot().dump(str(directory / f"{os.getpid()}-{taken[0]}.snap"))
        (directory / f"{os.getpid()}-{taken[0]}.done").touch()

    gevent.signal_handler(signal.SIGUSR2, lambda: gevent.spawn(snapshot))
    worker.log.warning("heap probe: tracemalloc on, SIGUSR2 writes a snapshot to %s", directory)

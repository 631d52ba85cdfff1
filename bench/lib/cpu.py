"""CPU time spent serving a measurement: the gunicorn workers plus their PostgreSQL backends.

On a shared machine requests per second move with whatever else runs; CPU seconds per request
hardly do. Each server's PostgreSQL connections carry an ``application_name`` so that their
backend processes can be found in ``pg_stat_activity`` and counted with the workers (SQLite work
happens inside the workers already).
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of *pid* (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of stat)


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in text.split()]


def pg_backends(application_name: str) -> list[int]:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                            (application_name,)).fetchall()
    return [r[0] for r in rows]


class CpuMeter:
    """CPU seconds of a gunicorn master's workers (and optionally the backends named *application_name*)."""

    def __init__(self, master_pid: int, application_name: str | None):
        self.master_pid, self.application_name = master_pid, application_name
        self.start: dict[int, float] = {}
        self.backends = 0.0

    def _pids(self) -> list[int]:
        pids = children(self.master_pid)
        if self.application_name:
            pids += pg_backends(self.application_name)
        return pids

    def begin(self) -> None:
        self.start = {pid: process_cpu(pid) for pid in self._pids()}

    def end(self) -> float:
        """CPU seconds since :meth:`begin`, workers and backends together (:attr:`backends` holds the latter's)."""
        workers = set(children(self.master_pid))
        pids = set(self._pids()) | set(self.start)
        spent = {pid: max(0.0, process_cpu(pid) - self.start.get(pid, 0.0)) for pid in pids}
        self.backends = sum(cpu for pid, cpu in spent.items() if pid not in workers)
        return sum(spent.values())

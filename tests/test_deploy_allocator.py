"""deploy/allocator.sh: the desk's processes take Python's memory from jemalloc where it is installed.

Python's own small-object allocator keeps the memory of a crowd of viewers after they left; jemalloc
gives it back (bench/README.md). The script only sets the environment; the last test starts the
production command (deploy/gunicorn.sh) and looks for jemalloc in the worker's memory map.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import free_port, server_unavailable, stop_processes, wait_ready

ROOT = Path(__file__).resolve().parent.parent


def _sourced(tmp_path, **env) -> dict[str, str]:
    """The environment after ``source deploy/allocator.sh`` with *env* (and nothing of the caller's)."""
    base = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    out = subprocess.run(["bash", "-c", "set -euo pipefail; source deploy/allocator.sh; env -0"], cwd=ROOT,
                         env={**base, **env}, capture_output=True, check=True).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


def test_jemalloc_is_preloaded_with_python_on_malloc(tmp_path):
    library = tmp_path / "libjemalloc.so.2"
    library.touch()
    env = _sourced(tmp_path, JEMALLOC=str(library), LD_PRELOAD="/lib/other.so")
    assert env["LD_PRELOAD"] == f"{library}:/lib/other.so"  # what was preloaded before stays
    assert env["PYTHONMALLOC"] == "malloc"
    assert env["MALLOC_CONF"] == "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0"


def test_an_operators_jemalloc_settings_are_kept(tmp_path):
    library = tmp_path / "libjemalloc.so.2"
    library.touch()
    env = _sourced(tmp_path, JEMALLOC=str(library), MALLOC_CONF="narenas:2")
    assert env["MALLOC_CONF"] == "narenas:2"


def test_allocator_pymalloc_keeps_pythons_own(tmp_path):
    library = tmp_path / "libjemalloc.so.2"
    library.touch()
    env = _sourced(tmp_path, JEMALLOC=str(library), ALLOCATOR="pymalloc")
    assert "LD_PRELOAD" not in env and "PYTHONMALLOC" not in env and "MALLOC_CONF" not in env


@pytest.mark.skipif(sys.platform != "linux", reason="the production command runs on Linux")
def test_the_production_command_runs_the_desk_on_jemalloc(tmp_path):
    if "LD_PRELOAD" not in _sourced(tmp_path):  # the script found no jemalloc on this machine
        server_unavailable("jemalloc is not installed (apt-get install libjemalloc2)")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}", "INTERACTION_SECRET_KEY": "x" * 32,
           "PYTHON": sys.executable, "LOG_LEVEL": "warning", "REDIS_URL": ""}
    for name in ("LD_PRELOAD", "PYTHONMALLOC", "MALLOC_CONF", "ALLOCATOR", "JEMALLOC"):
        env.pop(name, None)
    server = subprocess.Popen(["bash", "deploy/gunicorn.sh", str(port)], cwd=ROOT, env=env,  # it execs gunicorn
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(port, server, time.monotonic() + 60)
        workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert workers, "gunicorn started no worker"
        maps = Path(f"/proc/{workers[0]}/maps").read_text()
        assert "libjemalloc.so.2" in maps
        assert "PYTHONMALLOC=malloc" in Path(f"/proc/{workers[0]}/environ").read_text().replace("\0", "\n")
    finally:
        stop_processes(server)

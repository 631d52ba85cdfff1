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


def _on_jemalloc(tmp_path, code: str, malloc_conf: str | None = None) -> str:
    """Run Python *code* as the deployment runs the desk (deploy/allocator.sh's environment); its output."""
    env = _sourced(tmp_path)
    if "LD_PRELOAD" not in env:  # the script found no jemalloc on this machine
        server_unavailable("jemalloc is not installed (apt-get install libjemalloc2)")
    if malloc_conf is not None:
        env["MALLOC_CONF"] = malloc_conf
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True, timeout=60).stdout


#: ``threads()``: the process's thread names, once jemalloc's has named itself (a new thread names itself when it
#: first runs: waited for up to 1 s).
THREAD_NAMES = """
import os, time

def threads():
    for _ in range(100):
        names = sorted(open(f'/proc/self/task/{t}/comm').read().strip() for t in os.listdir('/proc/self/task'))
        if 'jemalloc_bg_thd' in names:
            break
        time.sleep(0.01)
    return names
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the deployment's allocator is set up on Linux")
def test_a_forked_process_gets_jemallocs_background_thread_back(tmp_path):
    """jemalloc stops its background thread in the child of a fork (a gunicorn worker); core.memory starts it again."""
    out = _on_jemalloc(tmp_path, THREAD_NAMES + """
if os.fork() == 0:
    print('forked|', threads(), flush=True)
    from interaction.core import memory
    print('restarted|', memory.restart_allocator_thread(), threads(), flush=True)
    if os.fork() == 0:  # a fork after the import: the at-fork hook starts it
        print('forked again|', threads(), flush=True)
        os._exit(0)
    os.wait()
    os._exit(0)
os.wait()
""")
    lines = dict(line.split("|", 1) for line in out.splitlines())
    assert "jemalloc_bg_thd" not in lines["forked"]  # what jemalloc leaves a forked child
    assert lines["restarted"].startswith(" True") and "jemalloc_bg_thd" in lines["restarted"]
    assert "jemalloc_bg_thd" in lines["forked again"]


@pytest.mark.skipif(sys.platform != "linux", reason="the deployment's allocator is set up on Linux")
def test_release_gives_jemallocs_free_pages_back_at_once(tmp_path):
    """With no purging of its own (``dirty_decay_ms:-1``), jemalloc keeps freed pages until release() asks."""
    out = _on_jemalloc(tmp_path, """
from interaction.core import memory

def anon_kb():
    with open('/proc/self/status') as f:
        return next(int(line.split()[1]) for line in f if line.startswith('RssAnon:'))

crowd = [{'sid': str(n), 'rooms': [n]} for n in range(200_000)]  # small objects, as connections make
before = anon_kb()
del crowd
freed = anon_kb()
memory.release()
print(before, freed, anon_kb())
""", malloc_conf="background_thread:false,dirty_decay_ms:-1,muzzy_decay_ms:-1")
    held, freed, released = map(int, out.split())
    assert freed > held - 10_000  # freed by Python, kept by jemalloc
    assert released < freed - 30_000  # given back


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
        threads = [path.read_text().strip() for path in Path(f"/proc/{workers[0]}/task").glob("*/comm")]
        assert "jemalloc_bg_thd" in threads  # started again in the forked worker (wsgi.py, core.memory)
    finally:
        stop_processes(server)

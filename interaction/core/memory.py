"""Giving memory back to the operating system after many connections ended at once.

When the viewers of a popular interview leave together (it ends), the objects of their
connections become garbage, and some only through reference cycles, which Python frees at its
next collection of the oldest generation: in a process that allocates little once they are
gone, that may be long after (``wsgi.py`` also makes the youngest generation's collections
rarer). And what Python frees, glibc's allocator keeps for later rather than returning it.
:func:`release` collects, then asks the allocator to return its free memory (jemalloc, where the
deployment preloads it: every arena's free pages at once; glibc: ``malloc_trim``), so the process's
resident memory goes back near where it was before the viewers came (``bench/interviews.py``
measures it: ``KB/left``).

Python's own allocator returns a 1 MiB arena to the system only once every object in it is
freed, so a few objects that outlive the crowd keep the crowd's arenas. Among those survivors
are attribute names made on the fly (python-socketio's ``"on_" + event``, C code's look-ups by
name): CPython's method cache (4,096 entries) keeps a reference to the last name looked up in
each entry, and chooses the entry by the name's address, so names made during the crowd stay in
it after the crowd left. :func:`release` empties that cache first (``PyType_ClearCache``, of
CPython's public C API; the cache fills again at the next look-ups). Even so, what is allocated
during and after the crowd lands in the crowd's freed pools and keeps their arenas: the
deployment gives Python's memory to jemalloc instead (``deploy/allocator.sh``, bench/README.md).

On jemalloc, a gunicorn worker's background thread is started again (:func:`restart_allocator_thread`),
and :func:`release` returns the free pages at once and runs again at the monitor's next look
(:class:`ReleaseAfterDrops`); what each of these returned is measured in bench/README.md.

What no allocator gives back is a page that holds both blocks freed when the crowd left and blocks
made meanwhile that outlive it (Python's objects never move). Where the deployment asks for it
(deploy/gunicorn.conf.py), a gunicorn worker that a crowd has left with no socket open makes way for
a fresh one (:class:`ReplaceWhenEmptied`): the process's memory is then where it was before the crowd came.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

# The C functions are looked up when this module is imported, not at the first release: looked up then
# (``ctypes.util.find_library`` runs ``ldconfig`` in a subprocess), they imported modules and made objects
# after the crowd left, in the crowd's freed memory, and kept it.

_PROCESS = ctypes.CDLL(None) if os.name == "posix" else None
#: jemalloc's ``mallctl`` where it is preloaded (deploy/allocator.sh), else None.
_MALLCTL = getattr(_PROCESS, "mallctl", None)
if _MALLCTL is not None:
    _MALLCTL.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
#: The C library's ``malloc_trim`` (glibc), among the process's own symbols; None where there is none (musl, macOS).
_MALLOC_TRIM = getattr(_PROCESS, "malloc_trim", None)
#: CPython's ``PyType_ClearCache()``: empties the method cache (and lets go of the names it keeps).
_CLEAR_TYPE_CACHE = ctypes.pythonapi.PyType_ClearCache if sys.implementation.name == "cpython" else None
#: ``mallctl``'s purge of every arena at once (4096 is jemalloc's ``MALLCTL_ARENAS_ALL``).
_PURGE_ALL_ARENAS = b"arena.4096.purge"
#: Connections that leave together make a crowd: their memory is released (:class:`ReleaseAfterDrops`), and a
#: worker they left empty is replaced (:class:`ReplaceWhenEmptied`; ``REPLACE_WORKER_AFTER`` sets another size).
CROWD = 1000


def _jemalloc_bool(name: str, value: bool | None = None) -> bool:
    """Read jemalloc's boolean setting *name*, writing *value* first when given."""
    old, size = ctypes.c_bool(), ctypes.c_size_t(1)
    new = ctypes.byref(ctypes.c_bool(value)) if value is not None else None
    _MALLCTL(name.encode(), ctypes.byref(old), ctypes.byref(size), new, 1 if value is not None else 0)
    return old.value


def restart_allocator_thread() -> bool:
    """Start jemalloc's background thread again in a forked process; True if it was started now.

    The thread returns freed pages to the system within ``dirty_decay_ms`` (deploy/allocator.sh asks for
    it), but jemalloc stops it in the child of every ``fork()`` and does not start it again: gunicorn's
    workers are such children, and kept every page freed after a crowd left until they next allocated
    much. Only where the deployment asked for it (``opt.background_thread``): ``wsgi.py`` calls this in the
    worker, and :func:`os.register_at_fork` after any later fork.
    """
    if _MALLCTL is None or not _jemalloc_bool("opt.background_thread"):
        return False
    return not _jemalloc_bool("background_thread", True)  # the old value: False where the fork stopped it


if _MALLCTL is not None and hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=restart_allocator_thread)


def release() -> None:
    """Empty the method cache, collect every generation, then return free memory to the OS where it can.

    On jemalloc: this thread's cache of freed blocks goes back to their pages (which may then be wholly
    free), and every arena's free pages are returned at once, not over its decay time; on glibc: ``malloc_trim``.
    """
    if _CLEAR_TYPE_CACHE is not None:
        _CLEAR_TYPE_CACHE()
    gc.collect()
    if _MALLCTL is not None:
        _MALLCTL(b"thread.tcache.flush", None, None, None, 0)
        _MALLCTL(_PURGE_ALL_ARENAS, None, None, None, 0)
    elif _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class ReleaseAfterDrops:
    """Calls :func:`release` when the number of something (open sockets) fell by *drop* from its peak; once more after.

    The look after a release releases once more, whatever the count: a crowd leaves over a few
    observations (the monitor looks every few seconds), and what the departed connections still
    held when the first release ran (greenlets finishing their last writes, the disconnect
    handlers' work) is garbage by the next (bench/README.md, bench/interviews.py: KB/left).
    Only the next look: a room that empties one viewer at a time afterwards is not collected at every look.
    """

    def __init__(self, drop: int = CROWD):
        self.drop = drop
        self.peak = 0
        self.follow_up_due = False

    def observe(self, count: int) -> bool:
        """Note the current *count*; True if memory was released now (it fell far enough, or the last look released)."""
        follow_up, self.follow_up_due = self.follow_up_due, False
        if follow_up:
            log.info("releasing memory again after the last look's release (%d connections now)", count)
        elif count >= self.peak:
            self.peak = count
            return False
        elif self.peak - count < self.drop:
            return False
        else:
            log.info("%d connections ended since the peak of %d: releasing memory", self.peak - count, self.peak)
        self.follow_up_due = not follow_up
        self.peak = count
        release()
        return True


class ReplaceWhenEmptied:
    """Asks for a fresh process when a crowd of at least *crowd* sockets has left and none is open.

    Only when none is open: a replaced worker drops nobody. The count that matters is the highest the
    monitor saw since the process last had no socket, so a crowd that leaves over several looks counts
    whole. *ask* is given that count.
    """

    def __init__(self, crowd: int, ask: Callable[[int], None]):
        self.crowd = crowd
        self.ask = ask
        self.highest = 0

    def observe(self, count: int) -> bool:
        """Note the current *count*; True if a fresh process was asked for now."""
        self.highest = max(self.highest, count)
        if count or self.highest < self.crowd:
            return False
        crowd, self.highest = self.highest, 0
        self.ask(crowd)
        return True


#: In a gunicorn worker whose configuration asked for it (:func:`replace_worker_when_emptied`); None elsewhere.
replacement: ReplaceWhenEmptied | None = None


def replace_worker_when_emptied(worker, crowd: int | None = None) -> bool:
    """Replace this gunicorn worker once a crowd has left it: the ``post_worker_init`` hook of deploy/gunicorn.conf.py.

    The worker asks gunicorn's master for the replacement with ``SIGHUP``, gunicorn's own graceful reload:
    the master starts a fresh worker first, then stops this one, which takes no new connection from then
    on and ends when its requests have (``graceful_timeout``). HUP replaces every worker of the master, so
    only a master of one worker is asked (deploy/gunicorn.sh: one worker a process). *crowd*: the environment's
    ``REPLACE_WORKER_AFTER`` when not given, else :data:`CROWD`; ≤ 0: never. True if this worker will be replaced.
    """
    global replacement
    if crowd is None:
        crowd = int(os.environ.get("REPLACE_WORKER_AFTER", CROWD))
    if crowd <= 0:
        return False
    if worker.cfg.workers != 1:
        worker.log.warning("not replaced when a crowd has left it: gunicorn's reload would replace all %d workers, "
                           "with their viewers", worker.cfg.workers)
        return False

    def ask(left: int) -> None:
        if os.getppid() != worker.ppid:  # the master is gone (the worker ends too): its pid may be another's now
            return
        worker.log.info("a crowd of %d connections has left this worker and none is open: asking for a fresh one",
                        left)
        os.kill(worker.ppid, signal.SIGHUP)

    replacement = ReplaceWhenEmptied(crowd, ask)
    return True

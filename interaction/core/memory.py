"""Giving memory back to the operating system after many connections ended at once.

When the viewers of a popular interview leave together (it ends), the objects of their
connections become garbage, and some only through reference cycles, which Python frees at its
next collection of the oldest generation: in a process that allocates little once they are
gone, that may be long after (``wsgi.py`` also makes the youngest generation's collections
rarer). And what Python frees, glibc's allocator keeps for later rather than returning it.
:func:`release` collects, then asks glibc to return its free memory (``malloc_trim``), so the
process's resident memory goes back near where it was before the viewers came
(``bench/interviews.py`` measures it: ``KB/left``).

Python's own allocator returns a 1 MiB arena to the system only once every object in it is
freed, so a few objects that outlive the crowd keep the crowd's arenas. Among those survivors
are attribute names made on the fly (python-socketio's ``"on_" + event``, C code's look-ups by
name): CPython's method cache (4,096 entries) keeps a reference to the last name looked up in
each entry, and chooses the entry by the name's address, so names made during the crowd stay in
it after the crowd left. :func:`release` empties that cache first (``PyType_ClearCache``, of
CPython's public C API; the cache fills again at the next look-ups). Even so, what is allocated
during and after the crowd lands in the crowd's freed pools and keeps their arenas: the
deployment gives Python's memory to jemalloc instead (``deploy/allocator.sh``, bench/README.md).
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import sys

log = logging.getLogger(__name__)

# Both C functions are looked up when this module is imported, not at the first release: looked up then
# (``ctypes.util.find_library`` runs ``ldconfig`` in a subprocess), they imported modules and made objects
# after the crowd left, in the crowd's freed memory, and kept it.

#: The C library's ``malloc_trim`` (glibc), among the process's own symbols; None where there is none (musl, macOS).
_MALLOC_TRIM = getattr(ctypes.CDLL(None), "malloc_trim", None) if os.name == "posix" else None
#: CPython's ``PyType_ClearCache()``: empties the method cache (and lets go of the names it keeps).
_CLEAR_TYPE_CACHE = ctypes.pythonapi.PyType_ClearCache if sys.implementation.name == "cpython" else None


def release() -> None:
    """Empty the method cache, collect every generation, then return free memory to the OS where it can."""
    if _CLEAR_TYPE_CACHE is not None:
        _CLEAR_TYPE_CACHE()
    gc.collect()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class ReleaseAfterDrops:
    """Calls :func:`release` once the number of something (open sockets) fell by *drop* from its peak.

    A crowd leaves over a few observations (the monitor looks every few seconds): after a release,
    the next observation releases again if the number fell further meanwhile, so that the
    stragglers' memory goes back too. Only the next one: a room that empties one viewer at a time
    afterwards is not collected at every look.
    """

    def __init__(self, drop: int = 1000):
        self.drop = drop
        self.peak = 0
        self.released_at: int | None = None  # the count at the last release, while a follow-up may come

    def observe(self, count: int) -> bool:
        """Note the current *count*; True if it fell far enough that memory was released now."""
        follow_up = self.released_at is not None and count < self.released_at
        self.released_at = None
        if count >= self.peak:
            self.peak = count
            return False
        if self.peak - count < self.drop and not follow_up:
            return False
        log.info("%d connections ended since the peak of %d: releasing memory", self.peak - count, self.peak)
        self.released_at = None if follow_up else count
        self.peak = count
        release()
        return True

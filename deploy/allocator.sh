# Sourced by deploy/gunicorn.sh, and by bench/interviews.py for the desk it measures: where jemalloc is
# installed (Debian: apt-get install libjemalloc2), Python takes its memory from it (PYTHONMALLOC=malloc,
# jemalloc preloaded), and jemalloc's background thread gives freed pages back to the system within about
# a second. Python's own small-object allocator keeps a 1 MiB arena as long as one object in it lives, so
# after the viewers of a popular interview left, a process kept most of the memory they had used
# (bench/README.md, bench/interviews.py: KB/left). ALLOCATOR=pymalloc keeps Python's own allocator.
# jemalloc stops its background thread in a forked process (gunicorn's worker): interaction.core.memory
# starts it again there (wsgi.py), and returns every free page when a crowd of connections ended.
if [ "${ALLOCATOR:-jemalloc}" = jemalloc ]; then
  if [ -z "${JEMALLOC:-}" ]; then
    for candidate in /usr/lib/*-linux-gnu/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 /usr/local/lib/libjemalloc.so.2; do
      if [ -e "$candidate" ]; then JEMALLOC="$candidate"; break; fi
    done
  fi
  if [ -n "${JEMALLOC:-}" ]; then
    export LD_PRELOAD="$JEMALLOC${LD_PRELOAD:+:$LD_PRELOAD}" PYTHONMALLOC=malloc
    export MALLOC_CONF="${MALLOC_CONF:-background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0}"
  fi
fi

"""Entry point: ``app`` for WSGI servers, ``python wsgi.py`` to serve for development and small sites.

Socket.IO runs on gevent (chosen by measurement, see deploy/README.md), which needs the standard
library monkey-patched before anything else is imported. gunicorn's gevent worker patches by itself;
``python wsgi.py`` does it here. ``INTERACTION_ASYNC_MODE=threading`` serves with threads instead.

Once the app is built, everything that exists so far (modules, the app, its mappers and compiled
templates: ~150,000 objects that live as long as the process) is frozen out of the cyclic garbage
collector (``gc.freeze``), so that its collections scan only what requests and sockets create. The
collector's CPU in a live interview with 500 viewers fell from 0.33 s to 0.20 s per process and the
server's CPU per delivery by 6 % (bench/interviews.py). The youngest generation is collected every
10,000 net allocations instead of 700: a request's or a broadcast's short-lived objects are freed by
reference counting long before that, so collections see fewer of them and promote fewer to the older
generations. With 500 viewers the collector's CPU fell again from 0.21 s to 0.10 s per process, with no
full collection during the run (at ~4 KB more memory per connection). Under gevent, greenlets do not
record who spawned them (``gevent.config.track_greenlet_tree``).
"""

import os

if __name__ == "__main__" and os.environ.get("INTERACTION_ASYNC_MODE", "gevent") == "gevent":
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import gc  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

from interaction import create_app  # noqa: E402
from interaction.core import jobs, memory  # noqa: E402
from interaction.core.extensions import socketio  # noqa: E402

memory.restart_allocator_thread()  # a gunicorn worker is a forked child: jemalloc stopped the thread there
app = create_app()
gc.freeze()
gc.set_threshold(10_000, 10, 10)
if "gevent" in sys.modules:
    import gevent

    # Greenlets are spawned for every socket event and do not need to know who spawned them (gevent
    # otherwise records each one's spawning stack: time and memory on every spawn).
    gevent.config.track_greenlet_tree = False

def port_is_free(host: str, port: int) -> bool:
    """Whether *host*:*port* can be listened on now (the server would otherwise die with a traceback)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def serve(host: str, port: int) -> int:
    """Serve, and run the periodic jobs (core.jobs), until Ctrl-C; exit status 0, or 2 when the port is taken."""
    if not port_is_free(host, port):
        print(f"Port {port} on {host} is taken (another server running?). "
              f"Stop it, or choose another port: make run PORT={port + 1}", file=sys.stderr)
        return 2
    if socketio.async_mode == "gevent":
        from gevent import get_hub

        hub = get_hub()  # Ctrl-C is how a developer stops it: not an error for gevent's hub to print
        hub.NOT_ERROR = (*hub.NOT_ERROR, KeyboardInterrupt)
    socketio.start_background_task(jobs.run_forever, app, socketio.sleep)  # reminders, figures: core.jobs
    print(f"Serving the interaction desk on http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        socketio.run(app, host=host, port=port, debug=app.debug, use_reloader=False,
                     allow_unsafe_werkzeug=True)
    except KeyboardInterrupt:
        pass
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the interaction desk (pages, API, Socket.IO).")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    args = parser.parse_args()
    sys.exit(serve(args.host, args.port))

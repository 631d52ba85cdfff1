"""Writing to engine.io sockets past their queues: one frame to many, pings from one loop, one liveness pass.

Used by the realtime adapter (:mod:`interaction.core.websocket`, which decides when they apply) and
written with engine.io's public socket attributes only: a socket of ours on an open WebSocket has a
:class:`~interaction.core.frames.FrameWriter` as ``frame_writer``, and an empty ``queue`` when
nothing sent earlier is still waiting.
"""

from __future__ import annotations

import collections
import functools
import logging
import time
import weakref

from engineio import packet as eio_packet

from interaction.core import memory
from interaction.core.frames import frame

log = logging.getLogger(__name__)


def write_direct(eio_socket, data: bytes) -> bool:
    """Write a pre-framed broadcast to an engine.io socket if it can skip the queue; False if it cannot.

    It can when the socket is an upgraded WebSocket of ours with nothing waiting in its queue (so
    nothing sent earlier can be overtaken). A False answer leaves it to the caller to queue the
    packet the library's way.
    """
    refused = []
    broadcast(((None, eio_socket),), data, refused.append)
    return not refused


def broadcast(targets, data: bytes, queue_it) -> None:
    """Write one pre-framed broadcast to many engine.io sockets, each the way :func:`write_direct` says.

    *targets* yields ``(key, eio_socket)`` (``eio_socket`` may be None); ``queue_it(key)`` is called
    for each socket that has to get the packet the library's way. The others get it from their
    :class:`FrameWriter` at once (behind what it still holds for them, if anything).
    """
    for key, eio_socket in targets:
        writer = getattr(eio_socket, "frame_writer", None)
        if writer is None or not eio_socket.upgraded or eio_socket.upgrading or eio_socket.closing \
                or eio_socket.closed or not eio_socket.queue.empty():
            queue_it(key)
            continue
        try:
            writer.write(data)
        except OSError:
            pass  # a broken socket: engine.io's reader closes the session; the client replays with since


# engine.io's PING packet ("2") in a WebSocket frame: the same bytes for every socket, every time.
_PING_FRAME = frame(b"2")


class Heartbeat:
    """engine.io's pings of upgraded WebSockets, sent from one loop per process.

    engine.io pings a socket ``ping_interval`` seconds after its last pong: from a greenlet of its
    own that sleeps, then queues the ping for the socket's writer greenlet (a spawn, a timer, a
    queue hand-off, a switch and a fresh timeout per ping: with 500 viewers about a tenth of the
    server's CPU in a live interview). Here the pongs' sockets wait in one queue, in the order the
    pongs came, which is the order their pings fall due (the interval is the same for all); a loop
    wakes every :attr:`tick` seconds and writes each due ping frame the way broadcasts are written
    (:func:`write_direct`, else engine.io's queue). The protocol is unchanged: the same packet after
    the same interval (up to one tick later), a new ping only once the last was answered, and
    engine.io's service task still closes a socket whose pong is late. The queue holds weak
    references: a socket that closed (its viewer left) is not kept waiting for its ping, with all
    that its connection holds, for up to the ping interval.
    """

    #: Seconds between two looks at the queue (pings are due ``ping_interval``, 25 s, after a pong).
    tick = 0.5

    def __init__(self, eio_server):
        self.server = eio_server
        self._due: collections.deque = collections.deque()  # (monotonic time due, weak ref to an engine.io socket)
        self._running = False

    def adopt(self, eio_socket) -> None:
        """Ping *eio_socket* from here from now on (engine.io's connect, before its first ``schedule_ping``).

        Its ``schedule_ping`` refers to it weakly, so the socket is no reference cycle of its own.
        """
        eio_socket.schedule_ping = functools.partial(self.schedule, weakref.ref(eio_socket))

    def schedule(self, socket_ref: weakref.ref) -> None:
        """engine.io's ``schedule_ping``: a ping ``ping_interval`` from now, if the last one was answered."""
        eio_socket = socket_ref()
        if eio_socket is None or not eio_socket.last_ping:
            return
        eio_socket.last_ping = None
        self._due.append((time.monotonic() + self.server.ping_interval, socket_ref))
        if not self._running:
            self._running = True
            self.server.start_background_task(self._ping_forever)

    def ping_due(self, now: float) -> int:
        """Ping every socket due at *now* (monotonic seconds); the number pinged."""
        due, pinged = self._due, 0
        while due and due[0][0] <= now:
            eio_socket = due.popleft()[1]()
            if eio_socket is None or eio_socket.closing or eio_socket.closed:
                continue
            eio_socket.last_ping = time.time()  # engine.io's clock for the pong's deadline
            if not write_direct(eio_socket, _PING_FRAME):
                eio_socket.send(eio_packet.Packet(eio_packet.PING))  # the library's way
            pinged += 1
        return pinged

    def _ping_forever(self) -> None:
        while True:
            self.server.sleep(self.tick)
            try:
                self.ping_due(time.monotonic())
            except Exception:  # noqa: BLE001 - the loop pings every socket of the process: it must survive
                log.exception("heartbeat round failed")


#: Seconds between two passes over the sockets of :func:`monitor_clients` (at most half the pong timeout).
MONITOR_SECONDS = 5.0


def monitor_clients(eio_server) -> None:
    """engine.io's service task, one pass over every socket every few seconds.

    The library's task wakes once per socket, ``len(sockets) / ping_timeout`` times a second (12 a
    second at 250 sockets, 125 at 2,500), each time on a gevent timeout that expires by raising into
    the task. This one looks at every socket every :data:`MONITOR_SECONDS` (or half the pong timeout,
    if shorter) and does what the library does to each: a closed socket is forgotten, a socket whose
    pong is late is closed (``check_ping_timeout``). It stops the library's way, when
    ``service_task_event`` is set (``shutdown``). After each pass, the number of sockets left tells
    whether a crowd has just gone (:mod:`interaction.core.memory`: its memory back to the system, and
    in a gunicorn worker that asked for it, a fresh worker once none is left).
    """
    interval = min(MONITOR_SECONDS, eio_server.ping_timeout / 2)
    eio_server.service_task_event = eio_server.create_event()
    departures = memory.ReleaseAfterDrops()  # thousands leaving together: their memory goes back to the OS
    while not eio_server.service_task_event.wait(timeout=interval):
        try:
            sweep(eio_server.sockets)
            count = len(eio_server.sockets)
            departures.observe(count)
            if memory.replacement is not None:  # a gunicorn worker (deploy/gunicorn.conf.py): a fresh one once emptied
                memory.replacement.observe(count)
        except Exception:  # noqa: BLE001 - the task watches every client of the process: it must survive
            log.exception("engine.io client monitor pass failed")


def sweep(sockets: dict) -> None:
    """One pass of :func:`monitor_clients` over engine.io's ``{sid: socket}``."""
    for sid, eio_socket in list(sockets.items()):
        if eio_socket.closed:
            sockets.pop(sid, None)
        elif not eio_socket.closing:
            eio_socket.check_ping_timeout()

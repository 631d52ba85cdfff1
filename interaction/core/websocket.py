"""WebSocket writes for broadcasts: one frame per broadcast, written straight to every socket (gevent).

What the libraries do per viewer for one broadcast under gevent: engine.io puts the packet in the
socket's queue, wakes the socket's writer greenlet, which encodes the packet again and hands it to
simple-websocket, which frames it again through wsproto and writes it (``socket.send``, so a short
write would even cut the frame). At 5,000 viewers that is 5,000 queue hand-offs, greenlet switches
and wsproto framings of the same bytes: most of the server's CPU per delivery
(``bench/interviews.py``).

Here the broadcaster builds the frame once (:func:`text_frame`) and each viewer's
:class:`FrameWriter` writes it without waiting: a non-blocking ``send`` that almost always takes
the whole frame at once. Only when a viewer's socket buffer is full is the rest kept, in order,
for that viewer alone, and written by a greenlet of its own: a slow phone never holds up the
others. A viewer that falls behind is disconnected, by bytes (more than :attr:`FrameWriter.max_pending`,
1 MiB, kept for it) or by time (output kept for it longer than :attr:`FrameWriter.max_lag`
seconds); its client reconnects and asks for what it missed (``since``). What the kernel holds
for a viewer is bounded too: each socket's send buffer is set to ``SOCKETIO_SEND_BUFFER_BYTES``
(:func:`bound_send_buffer`), where Linux would otherwise let it grow to megabytes for a socket
that never reads.

engine.io's own packets (handshake, pings, acknowledgements, private events) keep their queue and
writer greenlet, which now write through the same :class:`FrameWriter`, so the two paths cannot
interleave bytes. A broadcast takes the direct path only when the socket's queue is empty; else it
joins the queue behind what is waiting (see :func:`write_direct`), so a socket always gets its
packets in the order they were sent.

engine.io's pings of upgraded WebSockets come from one :class:`Heartbeat` loop per process instead
of a greenlet per ping (same interval, packet and timeout; see the class), and its watch for silent
clients makes one pass every few seconds instead of a wake-up per socket (:func:`monitor_clients`).

Installed by :func:`install` when Socket.IO runs on gevent with simple-websocket (the deployment
and benchmark set-up); other async modes keep the library's path unchanged. With direct writes off
(``SOCKETIO_DIRECT_WRITES``) broadcasts, pings and the service task stay the library's: each
packet goes through the socket's queue and writer greenlet, and only the writing itself goes
through a :class:`FrameWriter`, so a slow viewer is bounded the same way on both paths.
"""

from __future__ import annotations

import collections
import functools
import logging
import socket
import struct
import time

from engineio import packet as eio_packet

log = logging.getLogger(__name__)

_OPCODE_TEXT = 0x1
_OPCODE_BINARY = 0x2
_FIN = 0x80


def frame(payload: bytes, opcode: int = _OPCODE_TEXT) -> bytes:
    """One unfragmented, unmasked WebSocket frame from the server (RFC 6455 §5.2)."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", _FIN | opcode, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", _FIN | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", _FIN | opcode, 127, length)
    return header + payload


def text_frame(text: str) -> bytes:
    return frame(text.encode("utf-8"), _OPCODE_TEXT)


#: Default seconds a viewer may stay behind (output kept for it, unsent) before it is disconnected.
MAX_LAG_SECONDS = 5.0


def bound_send_buffer(sock, size: int) -> None:
    """Set the kernel's send buffer of *sock* to *size* bytes (``SO_SNDBUF``; 0 or less: leave it).

    Linux grows a TCP socket's send buffer on its own up to megabytes; for a viewer that stops
    reading all of that fills with broadcasts before :class:`FrameWriter` sees anything behind.
    Setting the size turns that growth off for the socket (Linux doubles the value for its own
    bookkeeping). A socket that refuses the option is left as it is.
    """
    if size <= 0:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
    except OSError:
        log.warning("could not set the send buffer of a websocket to %d bytes", size)


class FrameWriter:
    """Writes whole frames to one gevent socket in order, never making the caller wait."""

    __slots__ = ("_pending", "_pending_bytes", "_spawn", "broken", "max_lag", "max_pending", "send_now", "sock")

    def __init__(self, sock, spawn, max_pending: int = 1 << 20, max_lag: float = MAX_LAG_SECONDS):
        self.sock = sock
        # A send that never waits: the OS socket's own (gevent keeps it non-blocking) when there is one,
        # which skips gevent's wrapper on the hot path of a broadcast.
        raw = getattr(sock, "_sock", None)
        self.send_now = raw.send if raw is not None else (lambda data: sock.send(data, 0, 0.0))
        #: Bytes a viewer may fall behind before it is disconnected (it reconnects with ``since``).
        self.max_pending = max_pending
        #: Seconds output may wait for the viewer before it is disconnected (it reconnects with ``since``).
        self.max_lag = max_lag
        self._spawn = spawn  # starts the background flush (gevent.spawn, or the server's task starter)
        # What the socket did not take yet, oldest first: (monotonic time it was written, bytes left).
        self._pending: collections.deque[tuple[float, memoryview]] = collections.deque()
        self._pending_bytes = 0
        self.broken = False

    @property
    def pending_bytes(self) -> int:
        return self._pending_bytes

    def write(self, data: bytes) -> None:
        """Write *data* now if the socket takes it, else after what is pending. Raises OSError if broken."""
        if self.broken:
            raise OSError("websocket writer is closed")
        if self._pending:
            self._keep(memoryview(data))
            return
        try:
            sent = self.send_now(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.broken = True
            raise
        if sent < len(data):
            self._keep(memoryview(data)[sent:])
            self._spawn(self._flush)

    @property
    def lag(self) -> float:
        """Seconds the oldest output kept for the viewer has waited (0 when nothing is kept)."""
        return time.monotonic() - self._pending[0][0] if self._pending else 0.0

    def _keep(self, data: memoryview) -> None:
        self._pending.append((time.monotonic(), data))
        self._pending_bytes += len(data)
        if self._pending_bytes > self.max_pending or self.lag > self.max_lag:
            log.info("websocket viewer %d bytes, %.1f s behind: disconnecting it", self._pending_bytes, self.lag)
            self.close()
            raise OSError("websocket viewer too slow")

    def _flush(self) -> None:
        """Write what is kept as the socket takes it; close the viewer once the oldest has waited max_lag."""
        from gevent import Timeout  # runs in a greenlet: this module is imported in every async mode

        try:
            while self._pending:
                written, chunk = self._pending[0]  # stays first while it is written: later writes queue behind it
                wait = written + self.max_lag - time.monotonic()
                if wait <= 0:
                    raise TimeoutError("websocket viewer too slow")
                # gevent's send waits for room with the socket's own timeout (None here), not one passed to it.
                with Timeout(wait, TimeoutError("websocket viewer too slow")):
                    sent = self.sock.send(chunk)
                self._pending_bytes -= sent
                if sent < len(chunk):
                    self._pending[0] = (written, chunk[sent:])
                else:
                    self._pending.popleft()
        except OSError:  # includes the timeout: a viewer max_lag seconds behind is gone
            if not self.broken:
                log.info("websocket viewer %d bytes, %.1f s behind: disconnecting it", self._pending_bytes, self.lag)
            self.close()

    def close(self) -> None:
        self.broken = True
        self._pending.clear()
        self._pending_bytes = 0
        try:
            self.sock.shutdown(2)  # the socket's reader sees the end and engine.io closes the session
        except OSError:
            pass


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
    engine.io's service task still closes a socket whose pong is late.
    """

    #: Seconds between two looks at the queue (pings are due ``ping_interval``, 25 s, after a pong).
    tick = 0.5

    def __init__(self, eio_server):
        self.server = eio_server
        self._due: collections.deque = collections.deque()  # (monotonic time due, engine.io socket)
        self._running = False

    def adopt(self, eio_socket) -> None:
        """Ping *eio_socket* from here from its next pong on (its WebSocket is up with a :class:`FrameWriter`)."""
        eio_socket.schedule_ping = functools.partial(self.schedule, eio_socket)
        eio_socket.poll = functools.partial(poll_without_timeout, eio_socket)

    def schedule(self, eio_socket) -> None:
        """engine.io's ``schedule_ping``: a ping ``ping_interval`` from now, if the last one was answered."""
        if not eio_socket.last_ping:
            return
        eio_socket.last_ping = None
        self._due.append((time.monotonic() + self.server.ping_interval, eio_socket))
        if not self._running:
            self._running = True
            self.server.start_background_task(self._run)

    def ping_due(self, now: float) -> int:
        """Ping every socket due at *now* (monotonic seconds); the number pinged."""
        due, pinged = self._due, 0
        while due and due[0][0] <= now:
            eio_socket = due.popleft()[1]
            if eio_socket.closing or eio_socket.closed:
                continue
            eio_socket.last_ping = time.time()  # engine.io's clock for the pong's deadline
            if not write_direct(eio_socket, _PING_FRAME):
                eio_socket.send(eio_packet.Packet(eio_packet.PING))  # the library's way
            pinged += 1
        return pinged

    def _run(self) -> None:
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
    ``service_task_event`` is set (``shutdown``).
    """
    interval = min(MONITOR_SECONDS, eio_server.ping_timeout / 2)
    eio_server.service_task_event = eio_server.create_event()
    while not eio_server.service_task_event.wait(timeout=interval):
        try:
            sweep(eio_server.sockets)
        except Exception:  # noqa: BLE001 - the task watches every client of the process: it must survive
            log.exception("engine.io client monitor pass failed")


def sweep(sockets: dict) -> None:
    """One pass of :func:`monitor_clients` over engine.io's ``{sid: socket}``."""
    for sid, eio_socket in list(sockets.items()):
        if eio_socket.closed:
            sockets.pop(sid, None)
        elif not eio_socket.closing:
            eio_socket.check_ping_timeout()


def poll_without_timeout(eio_socket) -> list:
    """engine.io's ``Socket.poll`` for a socket the :class:`Heartbeat` pings: it waits without a timeout.

    The library's writer gives up, and closes the WebSocket, when nothing was queued for
    ``ping_interval + ping_timeout`` seconds: it counts on every ping passing through the queue,
    and these do not. A dead client is still found (its pongs stop; engine.io's service task
    closes the socket, which queues the None that ends the wait), as is a closed one.
    """
    queue = eio_socket.queue
    first = queue.get()
    queue.task_done()
    if first is None:
        return []
    packets = [first]
    while not queue.empty():
        pkt = queue.get(block=False)
        queue.task_done()
        if pkt is None:
            queue.put(None)  # seen again by the next poll, which ends the writer
            break
        packets.append(pkt)
    return packets


def install(eio_server, *, direct: bool = True, send_buffer: int = 0, max_lag: float = MAX_LAG_SECONDS) -> bool:
    """Make engine.io's gevent WebSocket transport write through :class:`FrameWriter`. True if done.

    *direct*: broadcasts and pings skip the socket's queue where they can (:func:`write_direct`)
    and the service task is :func:`monitor_clients`; without it only the writing is ours (see the
    module docstring). *send_buffer*: each socket's ``SO_SNDBUF`` (:func:`bound_send_buffer`).
    *max_lag*: :attr:`FrameWriter.max_lag`.
    """
    if getattr(eio_server, "async_mode", None) != "gevent":
        return False
    from engineio.async_drivers import gevent as eio_gevent

    base = eio_gevent.WebSocketWSGI
    if getattr(eio_gevent, "SimpleWebSocketWSGI", None) is None:
        return False  # gevent-websocket is installed and serves instead: keep the library's path
    import gevent

    heartbeat = Heartbeat(eio_server)
    if direct:
        # engine.io starts its service task at the first connection; this replaces what it starts.
        eio_server._service_task = functools.partial(monitor_clients, eio_server)

    class DirectWebSocket(base):
        """engine.io's gevent WebSocket (simple-websocket) with frames written by :class:`FrameWriter`."""

        def __call__(self, environ, start_response):
            self._eio_socket = getattr(self.app, "__self__", None)  # the handler is Socket._websocket_handler
            return super().__call__(environ, start_response)

        def send(self, message):
            writer = self._writer()
            if writer is None:
                return super().send(message)
            if isinstance(message, bytes):
                writer.write(frame(message, _OPCODE_BINARY))
            else:
                writer.write(text_frame(message))

        def wait(self):
            self._writer()  # the handshake is done once engine.io waits for the first message
            return super().wait()

        def close(self):
            writer = getattr(self, "_frame_writer", None)
            if writer is not None and self._eio_socket is not None:
                self._eio_socket.frame_writer = None
            return super().close()

        def _writer(self):
            writer = getattr(self, "_frame_writer", None)
            if writer is None:
                ws = getattr(self, "ws", None)
                if ws is None or not ws.connected:
                    return None
                bound_send_buffer(ws.sock, send_buffer)
                writer = self._frame_writer = FrameWriter(ws.sock, gevent.spawn, max_lag=max_lag)
                if direct and self._eio_socket is not None:
                    self._eio_socket.frame_writer = writer
                    heartbeat.adopt(self._eio_socket)
            if writer.broken:
                raise OSError("websocket closed")
            return writer

    eio_server._async = dict(eio_server._async, websocket=DirectWebSocket)
    return True

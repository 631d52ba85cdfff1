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
others. A viewer that falls more than :attr:`FrameWriter.max_pending` bytes (1 MiB) behind is
disconnected; its client reconnects and asks for what it missed (``since``).

engine.io's own packets (handshake, pings, acknowledgements, private events) keep their queue and
writer greenlet, which now write through the same :class:`FrameWriter`, so the two paths cannot
interleave bytes. A broadcast takes the direct path only when the socket's queue is empty; else it
joins the queue behind what is waiting (see :func:`write_direct`), so a socket always gets its
packets in the order they were sent.

Installed by :func:`install` when Socket.IO runs on gevent with simple-websocket (the deployment
and benchmark set-up); other async modes keep the library's path unchanged.
"""

from __future__ import annotations

import collections
import logging
import struct

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


class FrameWriter:
    """Writes whole frames to one gevent socket in order, never making the caller wait."""

    #: Seconds the background flush waits for a full socket to take anything at all.
    flush_timeout = 60.0

    __slots__ = ("_pending", "_pending_bytes", "_spawn", "broken", "max_pending", "send_now", "sock")

    def __init__(self, sock, spawn, max_pending: int = 1 << 20):
        self.sock = sock
        # A send that never waits: the OS socket's own (gevent keeps it non-blocking) when there is one,
        # which skips gevent's wrapper on the hot path of a broadcast.
        raw = getattr(sock, "_sock", None)
        self.send_now = raw.send if raw is not None else (lambda data: sock.send(data, 0, 0.0))
        #: Bytes a viewer may fall behind before it is disconnected (it reconnects with ``since``).
        self.max_pending = max_pending
        self._spawn = spawn  # starts the background flush (gevent.spawn, or the server's task starter)
        self._pending: collections.deque[memoryview] = collections.deque()
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

    def _keep(self, data: memoryview) -> None:
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes > self.max_pending:
            log.info("websocket viewer %s bytes behind: disconnecting it", self._pending_bytes)
            self.close()
            raise OSError("websocket viewer too slow")

    def _flush(self) -> None:
        try:
            while self._pending:
                chunk = self._pending[0]  # stays first while it is written, so later writes queue behind it
                sent = self.sock.send(chunk, 0, self.flush_timeout)  # waits for room, whatever the socket's timeout
                self._pending_bytes -= sent
                if sent < len(chunk):
                    self._pending[0] = chunk[sent:]
                else:
                    self._pending.popleft()
        except OSError:  # includes the timeout: a viewer that takes nothing for a minute is gone
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


def install(eio_server) -> bool:
    """Make engine.io's gevent WebSocket transport write through :class:`FrameWriter`. True if done."""
    if getattr(eio_server, "async_mode", None) != "gevent":
        return False
    from engineio.async_drivers import gevent as eio_gevent

    base = eio_gevent.WebSocketWSGI
    if getattr(eio_gevent, "SimpleWebSocketWSGI", None) is None:
        return False  # gevent-websocket is installed and serves instead: keep the library's path
    import gevent

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
                writer = self._frame_writer = FrameWriter(ws.sock, gevent.spawn)
                if self._eio_socket is not None:
                    self._eio_socket.frame_writer = writer
            if writer.broken:
                raise OSError("websocket closed")
            return writer

    eio_server._async = dict(eio_server._async, websocket=DirectWebSocket)
    return True

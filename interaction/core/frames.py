"""WebSocket frames built once, and a writer that puts them on a gevent socket without making anyone wait.

A broadcast to a room is one WebSocket frame (:func:`text_frame`) written to every viewer's socket.
Each viewer's :class:`FrameWriter` writes it with a non-blocking ``send`` that almost always takes
the whole frame at once. Only when a viewer's socket buffer is full is the rest kept, in order, for
that viewer alone, and written by a greenlet of its own: a slow phone never holds up the others.
A viewer that falls behind is disconnected, by bytes (more than :attr:`FrameWriter.max_pending`,
1 MiB, kept for it) or by time (output kept for it longer than :attr:`FrameWriter.max_lag`
seconds); its client reconnects and asks for what it missed (``since``). What the kernel holds
for a viewer is bounded too (:func:`bound_send_buffer`), where Linux would otherwise let it grow to
megabytes for a socket that never reads.

Plain sockets and RFC 6455 only: how these are wired into engine.io is the realtime adapter's
business (:mod:`interaction.core.websocket`).
"""

from __future__ import annotations

import collections
import logging
import socket
import struct
import time

log = logging.getLogger(__name__)

OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
_FIN = 0x80


def frame(payload: bytes, opcode: int = OPCODE_TEXT) -> bytes:
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
    return frame(text.encode("utf-8"), OPCODE_TEXT)


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

    def __init__(self, sock, spawn, max_pending: int = 1 << 20, max_lag: float = MAX_LAG_SECONDS, send_now=None):
        self.sock = sock
        #: A send that never waits: gevent's with a zero timeout unless the caller has a cheaper one
        #: (the realtime adapter passes the OS socket's own, see core.websocket).
        self.send_now = send_now or (lambda data: sock.send(data, 0, 0.0))
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

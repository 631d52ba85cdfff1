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

Frames from the client are read by :class:`FrameReader` (masked, possibly fragmented, control
frames in between), and :func:`accept_key` answers the opening handshake.

Plain sockets and RFC 6455 only: how these are wired into engine.io is the realtime adapter's
business (:mod:`interaction.core.websocket`, :mod:`interaction.core.websocket_connection`).
"""

from __future__ import annotations

import base64
import collections
import hashlib
import logging
import socket
import struct
import time

log = logging.getLogger(__name__)

OPCODE_CONTINUATION = 0x0
OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
OPCODE_CLOSE = 0x8
OPCODE_PING = 0x9
OPCODE_PONG = 0xA
_FIN = 0x80

#: Close codes (RFC 6455 §7.4.1) the server sends.
CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_INVALID_DATA = 1007
CLOSE_TOO_BIG = 1009

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for the client's ``Sec-WebSocket-Key`` (RFC 6455 §4.2.2)."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode("ascii")


def valid_key(key: str | None) -> bool:
    """A ``Sec-WebSocket-Key`` is 16 random bytes in base64 (RFC 6455 §4.1)."""
    if not key or len(key) != 24:
        return False
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except ValueError:
        return False


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


def message_frame(message: bytes | str) -> bytes:
    """An engine.io message as one frame: binary for bytes, text for a string."""
    return frame(message, OPCODE_BINARY) if isinstance(message, bytes) else text_frame(message)


def close_frame(code: int = CLOSE_NORMAL) -> bytes:
    return frame(struct.pack("!H", code), OPCODE_CLOSE)


def unmask(payload: bytes, mask: bytes) -> bytes:
    """*payload* XOR the 4-byte *mask* repeated (RFC 6455 §5.3), as one big-integer XOR."""
    n = len(payload)
    if not n:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


class ProtocolError(Exception):
    """The client broke RFC 6455; *code* is the close code to answer with."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code


class FrameReader:
    """A client's frames, from bytes as they arrive, as whole messages: ``[(opcode, payload), ...]``.

    Client frames must be masked; a message may come in fragments with control frames (ping, pong,
    close) between them; no extension is negotiated, so the reserved bits must be 0. A message
    longer than *max_message* bytes is refused (:class:`ProtocolError` with 1009) as soon as its
    length is known, before it is read.
    """

    __slots__ = ("_buffer", "_fragments", "_fragments_opcode", "_fragments_size", "max_message")

    def __init__(self, max_message: int):
        self.max_message = max_message
        self._buffer = b""  # the start of a frame not yet whole
        self._fragments: list[bytes] | None = None  # the parts of a fragmented message so far
        self._fragments_opcode = 0
        self._fragments_size = 0

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        buf = self._buffer + data if self._buffer else data
        size, pos, messages = len(buf), 0, []
        while size - pos >= 2:
            first, second = buf[pos], buf[pos + 1]
            opcode, length = first & 0x0F, second & 0x7F
            if first & 0x70:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "reserved bits set without an extension")
            if not second & 0x80:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "a client frame must be masked")
            head = 2
            if length == 126:
                head = 4
                if size - pos < head:
                    break
                length = int.from_bytes(buf[pos + 2:pos + 4], "big")
            elif length == 127:
                head = 10
                if size - pos < head:
                    break
                length = int.from_bytes(buf[pos + 2:pos + 10], "big")
            if opcode >= OPCODE_CLOSE:
                if length > 125 or not first & _FIN:
                    raise ProtocolError(CLOSE_PROTOCOL_ERROR, "a control frame must be short and whole")
            elif length + self._fragments_size > self.max_message:
                raise ProtocolError(CLOSE_TOO_BIG, "message too big")
            end = pos + head + 4 + length
            if size < end:
                break
            payload = unmask(buf[pos + head + 4:end], buf[pos + head:pos + head + 4])
            pos = end
            self._take(opcode, bool(first & _FIN), payload, messages)
        self._buffer = buf[pos:] if pos < size else b""
        return messages

    def _take(self, opcode: int, fin: bool, payload: bytes, messages: list) -> None:
        if opcode >= OPCODE_CLOSE:
            if opcode not in (OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG):
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "unknown control opcode")
            messages.append((opcode, payload))
        elif opcode == OPCODE_CONTINUATION:
            if self._fragments is None:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "a continuation without a message")
            self._fragments.append(payload)
            self._fragments_size += len(payload)
            if fin:
                messages.append((self._fragments_opcode, b"".join(self._fragments)))
                self._fragments, self._fragments_size = None, 0
        elif opcode in (OPCODE_TEXT, OPCODE_BINARY):
            if self._fragments is not None:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "a new message inside a fragmented one")
            if fin:
                messages.append((opcode, payload))
            else:
                self._fragments, self._fragments_opcode, self._fragments_size = [payload], opcode, len(payload)
        else:
            raise ProtocolError(CLOSE_PROTOCOL_ERROR, "unknown opcode")


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
        from gevent.socket import wait_write  # runs in a greenlet: this module is imported in every async mode

        try:
            while self._pending:
                written, chunk = self._pending[0]  # stays first while it is written: later writes queue behind it
                wait = written + self.max_lag - time.monotonic()
                if wait <= 0:
                    raise TimeoutError("websocket viewer too slow")
                # Wait for room (whatever the socket's own timeout), then the same send that never waits.
                wait_write(self.sock.fileno(), timeout=wait, timeout_exc=TimeoutError("websocket viewer too slow"))
                try:
                    sent = self.send_now(chunk)
                except BlockingIOError:
                    sent = 0
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

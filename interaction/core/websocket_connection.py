"""One engine.io socket on a WebSocket, served by callbacks of gevent's loop: no greenlet per viewer.

The libraries serve a WebSocket with three greenlets for as long as it is open (the WSGI request's,
simple-websocket's reader and engine.io's writer), each holding its stack, and a handshake parsed
by wsproto and h11. A viewer who only watches needs none of that between two broadcasts. Here,
once the handshake is checked (:mod:`interaction.core.websocket` does it; the connection sends the
answer, with engine.io's OPEN packet in the same write), a connection is a
:class:`WebSocketConnection`: the socket, a read watcher on gevent's loop, a
:class:`~interaction.core.frames.FrameReader` and a :class:`~interaction.core.frames.FrameWriter`.

* **Reading**: when the socket is readable, the loop calls :meth:`WebSocketConnection.readable`
  (in the hub: it must never wait). A pong ("3", the most frequent packet by far) is handled
  there, as engine.io would (``schedule_ping``); every other message is handed to a greenlet that
  lives only while there is something to do, and which gives the messages to engine.io in order
  (``Socket.receive``, as its own reader loop does).
* **Writing**: the connection is the engine.io socket's ``queue``: what engine.io "queues"
  (``Socket.send``) is framed and written at once by the FrameWriter; ``None`` (engine.io closing
  the socket) closes the WebSocket.
* **Upgrades** from long polling follow engine.io's own steps: the "probe" ping answered, a NOOP
  ending the pending poll, the "upgrade" packet; then what the polling queue still holds is
  written, in order, before anything else.
* **Closing**: the peer's close frame, end of stream or a protocol error stop the watcher and
  close the engine.io socket from a greenlet (its disconnect handlers may wait on the database);
  the socket then leaves ``server.sockets`` at once.

Only engine.io's public socket attributes are used here; the adapter passes what needs more.
"""

from __future__ import annotations

import collections
import logging

from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet

from interaction.core.frames import (
    CLOSE_INVALID_DATA,
    CLOSE_NORMAL,
    OPCODE_BINARY,
    OPCODE_CLOSE,
    OPCODE_PING,
    OPCODE_PONG,
    OPCODE_TEXT,
    FrameReader,
    ProtocolError,
    close_frame,
    frame,
    message_frame,
    text_frame,
)

log = logging.getLogger(__name__)

#: Bytes read from a socket at a time.
RECEIVE_BYTES = 65536

# States of a connection.
PROBING = "probing"  # upgrading from polling: waiting for the "probe" ping
UPGRADING = "upgrading"  # the probe was answered: waiting for the "upgrade" packet
OPEN = "open"  # engine.io's packets flow over the WebSocket
CLOSED = "closed"

_PONG_PACKET = "3"
_PROBE = eio_packet.Packet(eio_packet.PONG, data="probe").encode()


class WebSocketConnection:
    """One engine.io socket on one WebSocket (see the module docstring)."""

    __slots__ = ("closed_event", "eio_socket", "inbox", "processing", "reader", "recv_now", "server", "sock",
                 "spawn", "state", "watcher", "writer", "__weakref__")

    def __init__(self, eio_socket, sock, *, writer, recv_now, loop, spawn, closed_event=None, handshake=b""):
        """Serve *eio_socket* on *sock*, answering the handshake first.

        *handshake*: the answer to the WebSocket handshake (``101 Switching Protocols``); on a new
        connection it goes out in one send with engine.io's OPEN packet (one segment for the client).
        """
        self.eio_socket = eio_socket
        self.server = eio_socket.server
        self.sock = sock
        self.writer = writer
        self.recv_now = recv_now  # the OS socket's recv, which never waits (raises BlockingIOError)
        self.spawn = spawn
        self.reader = FrameReader(self.server.max_http_buffer_size)
        self.inbox: collections.deque = collections.deque()
        self.processing = False
        self.closed_event = closed_event  # set once closed (a server that needs its request to last)
        self.watcher = loop.io(sock.fileno(), 1)  # 1: readable; started once the handshake is answered
        if eio_socket.connected:  # an upgrade from long polling
            eio_socket.upgrading = True  # engine.io holds the polling transport's packets meanwhile
            self.state = PROBING
            if handshake:
                self._write(handshake)
        else:
            eio_socket.connected = eio_socket.upgraded = True
            self.state = OPEN
            self._take_queue(first=handshake)
        if self.state != CLOSED:
            self.watcher.start(self.readable)

    # -- engine.io's queue: what engine.io sends is written now -------------------------------------------------

    def put(self, pkt, *_args, **_kwargs) -> None:
        if pkt is None:
            self.close_transport(CLOSE_NORMAL)
            return
        self.write_packet(pkt)

    def empty(self) -> bool:
        return True

    def qsize(self) -> int:
        return 0

    def task_done(self) -> None:
        pass

    def join(self, *_args, **_kwargs) -> None:
        pass

    def write_packet(self, pkt) -> None:
        self._write(message_frame(pkt.encode()))

    def _write(self, data: bytes) -> None:
        try:
            self.writer.write(data)
        except OSError:
            self.lost()

    def _take_queue(self, first: bytes = b"") -> None:
        """Write *first* and what engine.io queued so far, in order and at once, then be its queue."""
        queue = self.eio_socket.queue
        self.eio_socket.queue = self
        data, ended = [first], False
        while not queue.empty():
            pkt = queue.get_nowait()
            if pkt is None:
                ended = True
            elif not ended:
                data.append(message_frame(pkt.encode()))
        if any(data):
            self._write(b"".join(data))
        if ended:
            self.close_transport(CLOSE_NORMAL)

    # -- reading, in the loop's callback -----------------------------------------------------------------------

    def readable(self) -> None:
        """The socket has something to read (called by gevent's loop: must never wait)."""
        try:
            data = self.recv_now(RECEIVE_BYTES)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.lost()
            return
        try:
            messages = self.reader.feed(data)
            for opcode, payload in messages:
                if opcode == OPCODE_TEXT:
                    text = payload.decode("utf-8")
                    if text == _PONG_PACKET and self.state == OPEN:
                        self.eio_socket.schedule_ping()  # what engine.io's Socket.receive does with a pong
                    else:
                        self.inbox.append(text)
                elif opcode == OPCODE_BINARY:
                    self.inbox.append(payload)
                elif opcode == OPCODE_PING:
                    self.writer.write(frame(payload, OPCODE_PONG))
                elif opcode == OPCODE_CLOSE:
                    self.close_transport(CLOSE_NORMAL)
                    return
        except ProtocolError as error:
            log.info("websocket %s: %s", self.eio_socket.sid, error)
            self.close_transport(error.code)
            return
        except UnicodeDecodeError:
            self.close_transport(CLOSE_INVALID_DATA)
            return
        except OSError:
            self.lost()
            return
        if self.inbox and not self.processing:
            self.processing = True
            self.spawn(self._process)

    def _process(self) -> None:
        """Give the messages to engine.io in order (a greenlet that lives while there are any)."""
        try:
            while self.inbox and self.state != CLOSED:
                message = self.inbox.popleft()
                if self.state == OPEN:
                    if not self._hand_to_engineio(message):
                        self.close_transport(CLOSE_NORMAL)
                elif self.state == PROBING:
                    self._probe(message)
                else:
                    self._upgrade(message)
        finally:
            self.processing = False

    def _hand_to_engineio(self, message) -> bool:
        """engine.io's reader loop for one message; False when the connection must end."""
        if len(message) > self.server.max_http_buffer_size:
            return False
        try:
            self.eio_socket.receive(eio_packet.Packet(encoded_packet=message))
        except eio_exceptions.UnknownPacketError:
            pass
        except eio_exceptions.SocketIsClosedError:
            return False
        except Exception:  # noqa: BLE001 - as engine.io: log it and end the connection properly
            log.exception("engine.io socket %s: receive error", self.eio_socket.sid)
            return False
        return True

    def _probe(self, message) -> None:
        pkt = eio_packet.Packet(encoded_packet=message)
        if pkt.packet_type != eio_packet.PING or pkt.data != "probe":
            self._failed_upgrade()
            return
        self.writer.write(text_frame(_PROBE))
        self.eio_socket.queue.put(eio_packet.Packet(eio_packet.NOOP))  # ends the pending poll
        self.state = UPGRADING

    def _upgrade(self, message) -> None:
        if eio_packet.Packet(encoded_packet=message).packet_type != eio_packet.UPGRADE:
            self._failed_upgrade()
            return
        self.eio_socket.upgraded = True
        self.eio_socket.upgrading = False
        self.state = OPEN
        self._take_queue()

    def _failed_upgrade(self) -> None:
        """The client did not follow the upgrade: the WebSocket closes, the socket stays on long polling."""
        self.eio_socket.upgrading = False
        self.eio_socket.upgraded = False
        self._end(CLOSE_NORMAL, close_session=False)

    # -- closing ----------------------------------------------------------------------------------------------

    def close_transport(self, code: int) -> None:
        """Close the WebSocket (a close frame first) and then the engine.io socket."""
        self._end(code, close_session=True)

    def lost(self) -> None:
        """The peer is gone (end of stream, reset): no close frame."""
        self._end(None, close_session=True)

    def _end(self, code: int | None, *, close_session: bool) -> None:
        if self.state == CLOSED:
            return
        self.state = CLOSED
        self.watcher.stop()
        self.inbox.clear()
        if code is not None and not self.writer.broken:
            try:
                self.writer.write(close_frame(code))
            except OSError:
                pass
        self.writer.close()
        self.sock.close()
        if close_session:
            self.spawn(self._close_session)
        elif self.closed_event is not None:
            self.closed_event.set()

    def _close_session(self) -> None:
        """engine.io's end of a WebSocket: the socket closed (its disconnect handlers run), then forgotten."""
        eio_socket = self.eio_socket
        try:
            eio_socket.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
        except Exception:  # noqa: BLE001 - the disconnect handlers are the application's; the socket still goes
            log.exception("engine.io socket %s: closing failed", eio_socket.sid)
        if self.server.sockets.get(eio_socket.sid) is eio_socket:
            del self.server.sockets[eio_socket.sid]
        if self.closed_event is not None:
            self.closed_event.set()

"""The realtime adapter: the one module that uses the realtime libraries' private names.

Those of engine.io, python-socketio, simple-websocket, Flask-SocketIO and gevent are used here
and nowhere else (tests/test_architecture.py checks it).

Why it exists: for one broadcast under gevent, the libraries put the packet in every viewer's
queue, wake every viewer's writer greenlet, encode the packet again and frame it again through
wsproto. At 5,000 viewers that is 5,000 queue hand-offs, greenlet switches and framings of the
same bytes: most of the server's CPU per delivery (``bench/interviews.py``). Here a broadcast is
framed once (:mod:`interaction.core.frames`) and written straight to each WebSocket that can take
it (:func:`broadcast`); a socket that cannot (long polling, packets still queued, not upgraded)
gets the packet through engine.io's queue, so a socket always gets its packets in order. The
public API of python-engineio has no hook for this; ``deploy/README.md`` ("Upstream hook")
describes the one that would let this module go.

Around the broadcasts, the libraries keep three greenlets per WebSocket for as long as it is open
(the request's, simple-websocket's reader, engine.io's writer: most of a viewer's memory) and
parse each handshake with wsproto and h11 (most of a join's time outside the application).

What it changes, only when Socket.IO runs on gevent with simple-websocket (the deployment):

* engine.io's WebSocket class (``server._async["websocket"]``) becomes ``ServedWebSocket``: it
  answers the handshake itself (RFC 6455, no extension) and hands the socket to a
  :class:`~interaction.core.websocket_connection.WebSocketConnection`, served by callbacks of
  gevent's loop, which writes every frame through a :class:`~interaction.core.frames.FrameWriter`
  (the send buffer bounded, a viewer too far behind disconnected) and hands that writer to the
  broadcasts;
* every socket's ``schedule_ping`` comes from one :class:`Heartbeat` loop per process instead of a
  greenlet per ping (adopted in engine.io's ``connect`` handler, before the first ping);
* engine.io's service task (``server._service_task``) becomes :func:`monitor_clients`, one pass
  over the sockets every few seconds instead of a wake-up per socket; when a thousand or more
  sockets have gone since the last peak, memory is given back (:mod:`interaction.core.memory`).

With ``SOCKETIO_DIRECT_WRITES`` off the libraries serve WebSockets (simple-websocket, engine.io's
queue and greenlets), each frame written through a FrameWriter: slow viewers bounded the same way.

**Versions.** The module was written against the versions in :data:`WRITTEN_FOR` (requirements.txt
pins them). :func:`install` checks the installed ones when the app starts: on a difference it
refuses to start (:class:`UntestedRealtimeLibraries`, naming what it found and expected); with
``INTERACTION_WS_ALLOW_UNTESTED=1`` it logs an error and installs nothing (the libraries' own,
slower path), and ``/healthz`` says ``"realtime": "slow-path"``. Never a silent fallback.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import weakref

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from interaction.core.frames import MAX_LAG_SECONDS  # noqa: F401 - the default core.web passes
from interaction.core.frames import (
    FrameWriter,
    accept_key,
    bound_send_buffer,
    message_frame,
    text_frame,
    valid_key,
)
from interaction.core.socket_writes import (  # noqa: F401 - the adapter's API (tests and callers use it here)
    MONITOR_SECONDS,
    Heartbeat,
    broadcast,
    monitor_clients,
    sweep,
    write_direct,
)
from interaction.core.websocket_connection import WebSocketConnection

log = logging.getLogger(__name__)

# -- versions: checked at start-up ---------------------------------------------------------------------------

#: The distributions whose private names this module uses, at the versions it was written and tested for.
WRITTEN_FOR = {
    "python-engineio": "4.15.1",
    "python-socketio": "5.18.1",
    "simple-websocket": "1.1.0",
    "Flask-SocketIO": "5.7.0",
    "gevent": "26.9.0",
}
#: The environment variable (config ``SOCKETIO_ALLOW_UNTESTED``) that lets the desk start on other versions.
ALLOW_UNTESTED_SETTING = "INTERACTION_WS_ALLOW_UNTESTED"

#: What :func:`install` did, as ``/healthz`` reports it (``checks.realtime``).
FAST = "fast"  # frame-once broadcasts written straight to the sockets (the deployment)
BOUNDED = "bounded"  # SOCKETIO_DIRECT_WRITES off: the libraries' queues, writes bounded by FrameWriter
LIBRARY = "library"  # not gevent with simple-websocket (development server, tests): nothing to change
SLOW_PATH = "slow-path"  # untested library versions, allowed by the setting: the libraries' own path


class UntestedRealtimeLibraries(RuntimeError):
    """The installed realtime libraries are not the versions this adapter was written for."""


def untested_versions() -> dict[str, tuple[str | None, str]]:
    """``{distribution: (installed or None, expected)}`` for each one that differs from :data:`WRITTEN_FOR`."""
    found = {}
    for name, expected in WRITTEN_FOR.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != expected:
            found[name] = (installed, expected)
    return found


def describe(mismatches: dict[str, tuple[str | None, str]]) -> str:
    found = ", ".join(f"{name} {installed or 'not installed'} (written for {expected})"
                      for name, (installed, expected) in mismatches.items())
    return (f"The realtime adapter (interaction/core/websocket.py) uses private parts of its libraries and was "
            f"written for other versions than those installed: {found}. Install the versions requirements.txt "
            f"pins, or set {ALLOW_UNTESTED_SETTING}=1 to start on the libraries' own, slower path (no frame-once "
            f"broadcasts, no bound on slow viewers; /healthz then reports \"realtime\": \"slow-path\").")


def check_versions(allow_untested: bool) -> bool:
    """True if the installed versions are those of :data:`WRITTEN_FOR`; else raise, or log and return False."""
    mismatches = untested_versions()
    if not mismatches:
        return True
    if not allow_untested:
        raise UntestedRealtimeLibraries(describe(mismatches))
    log.error("STARTING ON THE SLOW PATH. %s", describe(mismatches))
    return False


# -- python-socketio's client manager: its private hooks under public names -----------------------------------

class RedisManager(socketio.RedisManager):
    """python-socketio's Redis client manager with the hooks it reads and publishes through made public.

    The library reads the channel through ``_listen`` (a generator of messages) and publishes
    through ``_publish``; a subclass overrides :meth:`listen_to_redis` and :meth:`publish` instead.
    """

    def _listen(self):
        return self.listen_to_redis()

    def _publish(self, data):
        return self.publish(data)

    def listen_to_redis(self):
        """The channel's messages, for ever (the library's own listener unless overridden)."""
        return super()._listen()

    def publish(self, data) -> None:
        """Publish one message to the other processes (the library's own way unless overridden)."""
        return super()._publish(data)


def register_namespace(socketio_ext, namespace) -> None:
    """Attach a Flask-SocketIO namespace to every server *socketio_ext* creates from now on.

    ``SocketIO.on_namespace`` registers it with the server already running instead, when there is
    one (tests bind the one ``SocketIO`` object to many apps).
    """
    namespace._set_socketio(socketio_ext)
    socketio_ext.namespace_handlers.append(namespace)


# -- broadcasts: one frame, written straight to each socket that can take it -----------------------------------

def send_to_many(sio_server, namespace: str, event: str, data, eio_sids) -> bool:
    """Send one event to the engine.io sockets *eio_sids*: encoded and framed once, written where it can be.

    Only on the fast path (:data:`FAST`); False (nothing sent) elsewhere, or when the event has
    binary attachments: the caller then sends it the library's way (``socketio.Manager.emit``,
    which also encodes once, and queues the packet for each socket). A socket that cannot take
    the frame directly gets the same packet the way ``Manager.emit`` sends it (through the
    Socket.IO server's ``_send_eio_packet``, which Flask-SocketIO's test client intercepts).
    """
    if sio_server.eio not in _fast_servers:
        return False
    encoded = sio_server.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, data]).encode()
    if isinstance(encoded, list):
        return False
    packet = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    sockets, send_queued = sio_server.eio.sockets, sio_server._send_eio_packet
    broadcast(((eio_sid, sockets.get(eio_sid)) for eio_sid in eio_sids), text_frame(packet.encode()),
              lambda eio_sid: send_queued(eio_sid, packet))
    return True


#: engine.io servers :func:`install` put on the fast path.
_fast_servers: weakref.WeakSet = weakref.WeakSet()


def install(eio_server, *, direct: bool = True, send_buffer: int = 0, max_lag: float = MAX_LAG_SECONDS,
            allow_untested: bool = False) -> str:
    """Check the libraries' versions, then make engine.io's gevent WebSocket transport ours; what was done.

    Returns :data:`FAST`, :data:`BOUNDED`, :data:`LIBRARY` or :data:`SLOW_PATH` (see the module
    docstring); raises :class:`UntestedRealtimeLibraries` on untested versions unless
    *allow_untested*. *direct*: WebSockets are served by :class:`WebSocketConnection` (no
    greenlet per viewer, broadcasts and pings written straight to the sockets), every socket is
    pinged by the :class:`Heartbeat` and the service task is :func:`monitor_clients`; else the
    libraries serve them, their writes bounded by a FrameWriter. *send_buffer*: each socket's
    ``SO_SNDBUF`` (:func:`bound_send_buffer`). *max_lag*: :attr:`FrameWriter.max_lag`.
    """
    if not check_versions(allow_untested):
        return SLOW_PATH
    if getattr(eio_server, "async_mode", None) != "gevent":
        return LIBRARY
    from engineio.async_drivers import gevent as eio_gevent

    if getattr(eio_gevent, "SimpleWebSocketWSGI", None) is None:
        return LIBRARY  # gevent-websocket is installed and serves instead: keep the library's path
    if not direct:
        eio_server._async = dict(eio_server._async, websocket=_bounded_websocket(eio_gevent.WebSocketWSGI, send_buffer,
                                                                                   max_lag))
        return BOUNDED
    heartbeat = Heartbeat(eio_server)
    # engine.io starts its service task at the first connection; this replaces what it starts.
    eio_server._service_task = functools.partial(monitor_clients, eio_server)
    _adopt_on_connect(eio_server, heartbeat)
    eio_server._async = dict(eio_server._async, websocket=_served_websocket(send_buffer, max_lag))
    _fast_servers.add(eio_server)
    return FAST


def _adopt_on_connect(eio_server, heartbeat: Heartbeat) -> None:
    """Every new engine.io socket is pinged by *heartbeat*: its ``connect`` handler wrapped.

    engine.io calls it right after making the socket and before the socket's first
    ``schedule_ping``, which would otherwise start a greenlet that sleeps the ping interval.
    """
    connect = eio_server.handlers.get("connect")

    def adopt_then_connect(sid, *args):
        eio_socket = eio_server.sockets.get(sid)
        if eio_socket is not None:
            heartbeat.adopt(eio_socket)
        return connect(sid, *args) if connect is not None else None

    eio_server.handlers["connect"] = adopt_then_connect


#: What the WSGI environ of a WebSocket no longer needs once it is served: socket.io keeps the environ
#: of each connection for its events' request contexts, and these hold the request's socket and buffers.
_SERVED_ENVIRON_KEYS = ("wsgi.input", "gunicorn.socket", "eventlet.input")


def _served_websocket(send_buffer: int, max_lag: float):
    """engine.io's WebSocket class (``_async["websocket"]``) for the fast path: handshake, then a connection."""
    import gevent
    import gevent.event

    class ServedWebSocket:
        """Answers the WebSocket handshake and hands the socket to a :class:`WebSocketConnection`.

        engine.io makes one per WebSocket request, with its socket's ``_websocket_handler`` (whose
        loops :class:`WebSocketConnection` replaces) and calls it as a WSGI app. Under gunicorn the
        request then ends at once (``StopIteration``, as simple-websocket ends it: gunicorn closes its
        own socket object and writes nothing); the connection keeps a duplicate of the socket.
        Under other servers (gevent's pywsgi: ``python wsgi.py``) the request waits for the end.
        """

        def __init__(self, handler, server):
            self.eio_socket = getattr(handler, "__self__", None)  # the handler is Socket._websocket_handler

        def __call__(self, environ, start_response):
            key = environ.get("HTTP_SEC_WEBSOCKET_KEY")
            if self.eio_socket is None or environ.get("HTTP_SEC_WEBSOCKET_VERSION") != "13" or not valid_key(key):
                start_response("400 BAD REQUEST", [("Content-Type", "text/plain"),
                                                   ("Sec-WebSocket-Version", "13")])
                return [b"Bad WebSocket handshake"]
            under_gunicorn = "gunicorn.socket" in environ
            sock = _request_socket(environ).dup()
            raw = sock._sock  # the OS socket under gevent's (non-blocking): sends and reads that never wait
            response = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        b"Sec-WebSocket-Accept: " + accept_key(key).encode("ascii") + b"\r\n\r\n")
            bound_send_buffer(sock, send_buffer)
            writer = FrameWriter(sock, gevent.spawn, max_lag=max_lag, send_now=raw.send)
            self.eio_socket.frame_writer = writer
            ended = None if under_gunicorn else gevent.event.Event()
            # The 101 goes out with engine.io's OPEN packet, in one send (a peer gone already: the connection closes).
            WebSocketConnection(self.eio_socket, sock, writer=writer, recv_now=raw.recv, loop=gevent.get_hub().loop,
                                spawn=gevent.spawn, closed_event=ended, handshake=response)
            for name in _SERVED_ENVIRON_KEYS:
                environ.pop(name, None)
            if under_gunicorn:
                raise StopIteration()
            ended.wait()
            return []

    return ServedWebSocket


def _request_socket(environ):
    """The gevent socket of a WSGI request: gunicorn names it; gevent's pywsgi has it under its input."""
    sock = environ.get("gunicorn.socket")
    if sock is not None:
        return sock
    wsgi_input = environ["wsgi.input"]
    if not hasattr(wsgi_input, "raw") and hasattr(wsgi_input, "rfile"):
        wsgi_input = wsgi_input.rfile
    return wsgi_input.raw._sock


def _bounded_websocket(base, send_buffer: int, max_lag: float):
    """engine.io's gevent WebSocket (simple-websocket) with frames written by a :class:`FrameWriter` (BOUNDED)."""
    import gevent

    class DirectWebSocket(base):
        """simple-websocket's reader and engine.io's writer greenlets; the writes bounded per viewer."""

        def send(self, message):
            writer = self._writer()
            if writer is None:
                return super().send(message)
            writer.write(message_frame(message))

        def wait(self):
            self._writer()  # the handshake is done once engine.io waits for the first message
            return super().wait()

        def _writer(self):
            writer = getattr(self, "_frame_writer", None)
            if writer is None:
                ws = getattr(self, "ws", None)
                if ws is None or not ws.connected:
                    return None
                bound_send_buffer(ws.sock, send_buffer)
                # send_now: the OS socket's own send (gevent keeps it non-blocking), skipping gevent's wrapper.
                writer = self._frame_writer = FrameWriter(ws.sock, gevent.spawn, max_lag=max_lag,
                                                          send_now=ws.sock._sock.send)
            if writer.broken:
                raise OSError("websocket closed")
            return writer

    return DirectWebSocket

"""Broadcast frames written straight to WebSockets (core.frames, core.websocket): valid, in order, slow viewers cut.

Frames are decoded with wsproto's client-side frame parser (an independent implementation); the
writer runs on real gevent sockets (a socket pair), the way it runs under gunicorn's gevent worker.
"""

import gc
import weakref

import gevent
import gevent.event
import gevent.queue
import gevent.socket
import pytest
from wsproto.frame_protocol import FrameProtocol, Opcode

from interaction.core import frames, socket_writes, websocket


def _decode(data: bytes) -> list[tuple[Opcode, bytes | str]]:
    parser = FrameProtocol(client=True, extensions=[])
    parser.receive_bytes(data)
    return [(f.opcode, f.payload) for f in parser.received_frames()]


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
def test_frames_of_every_length_class_decode(size):
    text = ("访" * size)[:size]
    [(opcode, payload)] = _decode(frames.text_frame(text))
    assert opcode is Opcode.TEXT
    assert payload == text


def test_binary_frame():
    [(opcode, payload)] = _decode(frames.frame(b"\x00\x01\xff", 0x2))
    assert opcode is Opcode.BINARY
    assert payload == b"\x00\x01\xff"


def _pair():
    return gevent.socket.socketpair()


def _read_all(sock, expected: int) -> bytes:
    data = bytearray()
    while len(data) < expected:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return bytes(data)


def test_a_socket_with_room_gets_the_frame_at_once_and_nothing_is_kept():
    server, client = _pair()
    writer = frames.FrameWriter(server, gevent.spawn)
    writer.write(frames.text_frame("第一条"))
    assert writer.pending_bytes == 0
    assert _decode(_read_all(client, len(frames.text_frame("第一条")))) == [(Opcode.TEXT, "第一条")]


def test_a_viewer_that_does_not_read_keeps_its_frames_in_order_and_gets_them_all_later():
    server, client = _pair()
    writer = frames.FrameWriter(server, gevent.spawn)
    sent = [frames.text_frame(f"{i:05d}" + "答" * 2000) for i in range(400)]  # ~2.4 MB, far over the buffers
    writer.max_pending = 10 * sum(map(len, sent))
    for f in sent:
        writer.write(f)  # never waits, however full the socket is
    assert writer.pending_bytes > 0  # the kernel buffers could not take it all
    received = _read_all(client, sum(map(len, sent)))
    gevent.sleep(0)
    texts = [payload for _opcode, payload in _decode(received)]
    assert [t[:5] for t in texts] == [f"{i:05d}" for i in range(400)]
    assert writer.pending_bytes == 0


def test_a_viewer_too_far_behind_is_disconnected_and_memory_is_freed():
    server, client = _pair()
    writer = frames.FrameWriter(server, gevent.spawn)
    writer.max_pending = 100_000
    big = frames.text_frame("慢" * 30_000)
    with pytest.raises(OSError):
        for _ in range(1000):
            writer.write(big)
    assert writer.broken
    assert writer.pending_bytes == 0
    with pytest.raises(OSError):
        writer.write(big)
    client.settimeout(5)
    while client.recv(65536):  # the connection ends: the reader side sees EOF after what was sent
        pass


def _fill(writer):
    """Write to a peer that does not read until the writer keeps something; the bytes written."""
    written = 0
    data = frames.text_frame("慢" * 3000)
    while writer.pending_bytes == 0:
        writer.write(data)
        written += len(data)
    return written


def test_a_viewer_behind_longer_than_max_lag_is_disconnected_without_another_write():
    server, client = _pair()
    writer = frames.FrameWriter(server, gevent.spawn, max_lag=0.3)
    _fill(writer)
    for _ in range(100):  # the background flush gives up by itself, nothing more written meanwhile
        if writer.broken:
            break
        gevent.sleep(0.1)
    assert writer.broken
    assert writer.pending_bytes == 0
    client.settimeout(5)
    while client.recv(65536):  # what the kernel had, then the end of the connection
        pass


def test_a_write_to_a_viewer_behind_longer_than_max_lag_disconnects_it(monkeypatch):
    server, _client = _pair()
    writer = frames.FrameWriter(server, lambda flush: None, max_lag=5.0)  # no background flush
    _fill(writer)
    now = frames.time.monotonic()
    monkeypatch.setattr(frames.time, "monotonic", lambda: now + 5.5)
    with pytest.raises(OSError):
        writer.write(frames.text_frame("又一条"))
    assert writer.broken and writer.pending_bytes == 0


def test_a_viewer_reading_slowly_but_within_max_lag_gets_everything():
    server, client = _pair()
    writer = frames.FrameWriter(server, gevent.spawn, max_lag=5.0)
    total = _fill(writer)
    for _ in range(20):
        writer.write(frames.text_frame("慢" * 3000))
        total += len(frames.text_frame("慢" * 3000))
    gevent.sleep(0.5)  # behind for a while, less than max_lag
    assert len(_read_all(client, total)) == total
    gevent.sleep(0)
    assert not writer.broken and writer.pending_bytes == 0 and writer.lag == 0.0


def test_the_send_buffer_is_bounded_as_configured():
    server, _client = _pair()
    import socket

    frames.bound_send_buffer(server, 64 * 1024)
    assert server.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) <= 2 * 64 * 1024  # Linux doubles it
    before = _client.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    frames.bound_send_buffer(_client, 0)  # 0: the OS's own
    assert _client.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == before


def test_a_closed_peer_breaks_the_writer_without_raising_out_of_a_broadcast():
    server, client = _pair()
    writer = frames.FrameWriter(server, gevent.spawn)
    client.close()

    class Socket:
        upgraded, upgrading, closing, closed = True, False, False, False
        queue = gevent.queue.JoinableQueue()
        frame_writer = writer

    for _ in range(3):  # the first write may still land in the kernel buffer; later ones see the reset
        assert websocket.write_direct(Socket, frames.text_frame("x")) is True
        gevent.sleep(0.01)
    assert writer.broken


class _EioSocket:
    def __init__(self, writer, **state):
        self.frame_writer = writer
        self.upgraded, self.upgrading, self.closing, self.closed = True, False, False, False
        self.queue = gevent.queue.JoinableQueue()
        self.__dict__.update(state)


def test_a_broadcast_never_overtakes_packets_still_queued_for_the_socket():
    server, _client = _pair()
    sock = _EioSocket(frames.FrameWriter(server, gevent.spawn))
    sock.queue.put("an earlier packet")
    assert websocket.write_direct(sock, frames.text_frame("later")) is False


@pytest.mark.parametrize("state", [{"upgraded": False}, {"upgrading": True}, {"closing": True}, {"closed": True},
                                   {"frame_writer": None}])
def test_sockets_not_on_an_open_websocket_of_ours_take_the_queue(state):
    server, _client = _pair()
    sock = _EioSocket(frames.FrameWriter(server, gevent.spawn), **state)
    assert websocket.write_direct(sock, frames.text_frame("x")) is False


# --- broadcast: write_direct for a whole room, its common case inlined ----------------------------------


def _room(n: int, **state):
    """*n* viewers on real socket pairs; returns (eio sockets by key, client ends by key)."""
    sockets, clients = {}, {}
    for key in range(n):
        server, client = _pair()
        sockets[key] = _EioSocket(frames.FrameWriter(server, gevent.spawn), **state)
        clients[key] = client
    return sockets, clients


def test_broadcast_gives_every_clean_viewer_the_frame_at_once():
    sockets, clients = _room(50)
    queued = []
    data = frames.text_frame("批准的问题")
    websocket.broadcast(sockets.items(), data, queued.append)
    assert queued == []
    for key, client in clients.items():
        assert _decode(_read_all(client, len(data))) == [(Opcode.TEXT, "批准的问题")], key
        assert sockets[key].frame_writer.pending_bytes == 0


def test_broadcast_queues_what_write_direct_would_queue_and_keeps_each_viewers_order():
    sockets, clients = _room(6)
    sockets[0].queue.put("an earlier packet")  # must not be overtaken
    sockets[1].upgraded = False
    sockets[2].closing = True
    sockets[3].frame_writer = None
    waiting = sockets[4].frame_writer
    waiting._keep(memoryview(frames.text_frame("earlier")))  # something pending: the new frame goes behind it
    queued = []
    data = frames.text_frame("later")
    websocket.broadcast([*sockets.items(), ("gone", None)], data, queued.append)
    assert queued == [0, 1, 2, 3, "gone"]
    assert waiting.pending_bytes == len(frames.text_frame("earlier")) + len(data)
    assert _decode(_read_all(clients[5], len(data))) == [(Opcode.TEXT, "later")]


def test_broadcast_keeps_what_a_full_socket_did_not_take_and_delivers_it_in_order():
    sockets, clients = _room(1)
    writer = sockets[0].frame_writer
    sent = [frames.text_frame(f"{i:05d}" + "答" * 2000) for i in range(300)]
    writer.max_pending = 10 * sum(map(len, sent))
    for f in sent:
        websocket.broadcast(sockets.items(), f, pytest.fail)
    assert writer.pending_bytes > 0
    received = _read_all(clients[0], sum(map(len, sent)))
    assert [p[:5] for _o, p in _decode(received)] == [f"{i:05d}" for i in range(300)]


def test_broadcast_to_a_closed_peer_breaks_its_writer_and_goes_on_to_the_others():
    sockets, clients = _room(2)
    clients[0].close()
    data = frames.text_frame("x")
    for _ in range(3):  # the first send may still land in the kernel buffer; later ones see the reset
        websocket.broadcast(sockets.items(), data, pytest.fail)
        gevent.sleep(0.01)
    assert sockets[0].frame_writer.broken
    assert not sockets[1].frame_writer.broken
    assert _read_all(clients[1], 3 * len(data)) == 3 * data


def test_install_only_changes_gevent_servers():
    class Threading:
        async_mode = "threading"
        _async = {"websocket": object}

    assert websocket.install(Threading) == websocket.LIBRARY
    assert Threading._async["websocket"] is object


# -- the heartbeat: engine.io's pings from one loop ---------------------------------------------------------


class _Server:
    """What Heartbeat uses of engine.io's server: the interval and a way to start its loop."""

    ping_interval = 25

    def __init__(self):
        self.started = []

    def start_background_task(self, target, *args):
        self.started.append(target)


class _PingedSocket(_EioSocket):
    """An upgraded engine.io socket whose last ping was answered (engine.io's state before schedule_ping)."""

    def __init__(self, writer, **state):
        self.last_ping, self.sent = 1.0, []
        super().__init__(writer, **state)

    def send(self, pkt):  # engine.io's Socket.send: into the queue
        self.sent.append(pkt)
        self.queue.put(pkt)


def _adopted(**state):
    server, client = _pair()
    heartbeat = websocket.Heartbeat(_Server())
    sock = _PingedSocket(frames.FrameWriter(server, gevent.spawn), **state)
    heartbeat.adopt(sock)
    return heartbeat, sock, client


def test_a_pong_schedules_one_ping_an_interval_later_written_as_the_engineio_ping_frame(monkeypatch):
    heartbeat, sock, client = _adopted()
    monkeypatch.setattr(socket_writes.time, "monotonic", lambda: 1000.0)
    sock.schedule_ping()  # the pong arrived (engine.io calls its socket's schedule_ping)
    sock.schedule_ping()  # a second call before the ping went out schedules nothing more
    assert sock.last_ping is None and len(heartbeat.server.started) == 1
    assert heartbeat.ping_due(1024.9) == 0
    before = socket_writes.time.time()
    assert heartbeat.ping_due(1025.0) == 1
    assert sock.last_ping >= before  # engine.io's service task measures the pong's lateness from here
    assert _decode(_read_all(client, 3)) == [(Opcode.TEXT, "2")]
    assert heartbeat.ping_due(2000.0) == 0  # pinged once; the next ping waits for the next pong
    assert sock.sent == []


def test_pings_fall_due_in_the_order_the_pongs_came(monkeypatch):
    server, _client = _pair()
    heartbeat = websocket.Heartbeat(_Server())
    sockets = [_PingedSocket(frames.FrameWriter(server, gevent.spawn)) for _ in range(3)]
    for n, sock in enumerate(sockets):
        heartbeat.adopt(sock)
        monkeypatch.setattr(socket_writes.time, "monotonic", lambda n=n: 100.0 + n)
        sock.schedule_ping()
    assert heartbeat.ping_due(126.5) == 2
    assert [s.last_ping is not None for s in sockets] == [True, True, False]


def test_a_socket_that_closed_meanwhile_is_not_pinged(monkeypatch):
    heartbeat, sock, _client = _adopted()
    monkeypatch.setattr(socket_writes.time, "monotonic", lambda: 0.0)
    sock.schedule_ping()
    sock.closing = True
    assert heartbeat.ping_due(30.0) == 0 and sock.sent == []


def test_a_socket_that_closed_and_was_forgotten_is_not_kept_alive_waiting_for_its_ping(monkeypatch):
    """The heartbeat refers to sockets weakly: a viewer who left frees their connection at once, not after the
    ping interval (25 s of everything a connection holds, for every viewer of an interview that ended)."""
    heartbeat, sock, _client = _adopted()
    monkeypatch.setattr(socket_writes.time, "monotonic", lambda: 0.0)
    sock.schedule_ping()
    sock.closed = True
    gone = weakref.ref(sock)
    gc.disable()  # freed by its reference count: no cycle through its schedule_ping
    try:
        del sock
        assert gone() is None
    finally:
        gc.enable()
    assert heartbeat.ping_due(30.0) == 0


def test_a_ping_behind_queued_packets_takes_the_queue(monkeypatch):
    heartbeat, sock, _client = _adopted()
    monkeypatch.setattr(socket_writes.time, "monotonic", lambda: 0.0)
    sock.schedule_ping()
    sock.queue.put("an earlier packet")
    assert heartbeat.ping_due(30.0) == 1
    [ping] = sock.sent
    assert ping.packet_type == websocket.eio_packet.PING


# -- the client monitor: engine.io's service task in passes -------------------------------------------------


class _Watched:
    def __init__(self, *, closed=False, closing=False, late=False):
        self.closed, self.closing, self.late, self.checked = closed, closing, late, 0

    def check_ping_timeout(self):  # engine.io's: closes the socket if its pong is late
        self.checked += 1
        if self.late:
            self.closing = True
        return not self.late


def test_a_pass_forgets_closed_sockets_checks_open_ones_and_leaves_closing_ones_alone():
    sockets = {"open": _Watched(), "late": _Watched(late=True), "closed": _Watched(closed=True),
               "closing": _Watched(closing=True)}
    watched = dict(sockets)
    websocket.sweep(sockets)
    assert set(sockets) == {"open", "late", "closing"}
    assert watched["open"].checked == watched["late"].checked == 1 and watched["late"].closing
    assert watched["closing"].checked == 0


def test_the_monitor_makes_a_pass_per_interval_and_stops_when_told():
    class Server:
        ping_timeout = 0.04  # half of it, 0.02 s, is the interval

        def __init__(self):
            self.sockets = {"a": _Watched()}

        def create_event(self):
            return gevent.event.Event()

    server = Server()
    task = gevent.spawn(websocket.monitor_clients, server)
    gevent.sleep(0.11)
    server.service_task_event.set()  # engine.io's shutdown()
    task.join(timeout=1)
    assert task.dead
    assert 3 <= server.sockets["a"].checked <= 6


def test_without_direct_writes_the_service_task_stays_the_librarys():
    import socketio

    server = socketio.Server(async_mode="gevent")
    library_task = server.eio._service_task
    assert websocket.install(server.eio, direct=False) == websocket.BOUNDED
    assert server.eio._service_task == library_task
    assert server.eio._async["websocket"].__name__ == "DirectWebSocket"  # the writing is bounded all the same


def test_install_replaces_the_service_task_engineio_starts():
    import socketio

    server = socketio.Server(async_mode="gevent")
    assert websocket.install(server.eio) == websocket.FAST
    assert server.eio._service_task.func is websocket.monitor_clients

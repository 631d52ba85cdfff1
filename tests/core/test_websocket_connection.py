"""WebSockets served by callbacks of gevent's loop (core.websocket_connection) and client frames read (core.frames).

Client frames are built by wsproto's client side (an independent implementation of RFC 6455,
which masks them as browsers do); the connection runs on a real gevent socket pair against a real
engine.io server and socket (python-engineio, gevent mode), with a handler recording what it got.
"""

import gevent
import gevent.event
import gevent.socket
import pytest
from engineio import Server as EngineIoServer
from engineio import packet as eio_packet
from engineio.socket import Socket as EngineIoSocket
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
from wsproto.frame_protocol import FrameProtocol, Opcode

from interaction.core import frames
from interaction.core.websocket_connection import OPEN, UPGRADING, WebSocketConnection

# -- reading client frames -------------------------------------------------------------------------------------


def _client_bytes(*events) -> bytes:
    client = Connection(ConnectionType.CLIENT)
    return b"".join(client.send(event) for event in events)


def test_the_accept_key_of_rfc_6455():
    assert frames.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert frames.valid_key("dGhlIHNhbXBsZSBub25jZQ==")
    for bad in (None, "", "short", "dGhlIHNhbXBsZSBub25jZQ=!", "dGhlIHNhbXBsZSBub25jZQ"):
        assert not frames.valid_key(bad)


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536])
def test_masked_messages_of_every_length_class_are_read(size):
    text = ("问" * size)[:size]
    reader = frames.FrameReader(max_message=1 << 20)
    assert reader.feed(_client_bytes(TextMessage(data=text))) == [(frames.OPCODE_TEXT, text.encode())]


def test_messages_arriving_a_byte_at_a_time_come_out_whole_and_in_order():
    data = _client_bytes(TextMessage(data="40/interviews,"), BytesMessage(data=b"\x00\xff"), Ping(payload=b"p"),
                         TextMessage(data="42/interviews,0[\"join\",{\"interview\":1}]"))
    reader = frames.FrameReader(max_message=1024)
    got = [message for byte in range(len(data)) for message in reader.feed(data[byte:byte + 1])]
    assert got == [(frames.OPCODE_TEXT, b"40/interviews,"), (frames.OPCODE_BINARY, b"\x00\xff"),
                   (frames.OPCODE_PING, b"p"), (frames.OPCODE_TEXT, b'42/interviews,0["join",{"interview":1}]')]


def test_a_fragmented_message_with_a_ping_between_its_parts_is_joined():
    data = _client_bytes(TextMessage(data="第一", message_finished=False), Ping(payload=b"x"),
                         TextMessage(data="部分", message_finished=True))
    assert frames.FrameReader(max_message=1024).feed(data) == [(frames.OPCODE_PING, b"x"),
                                                               (frames.OPCODE_TEXT, "第一部分".encode())]


def test_unmasked_frames_reserved_bits_and_stray_continuations_are_protocol_errors():
    for data in (frames.text_frame("not masked"), b"\xc1\x80abcd", b"\x80\x80abcd", b"\x83\x80abcd"):
        with pytest.raises(frames.ProtocolError) as refused:
            frames.FrameReader(max_message=1024).feed(data)
        assert refused.value.code == frames.CLOSE_PROTOCOL_ERROR


def test_a_message_too_big_is_refused_from_its_header_before_its_payload_arrives():
    header = _client_bytes(TextMessage(data="x" * 70_000))[:14]
    with pytest.raises(frames.ProtocolError) as refused:
        frames.FrameReader(max_message=65536).feed(header)
    assert refused.value.code == frames.CLOSE_TOO_BIG


# -- a connection on a socket pair, against engine.io ------------------------------------------------------------


def _decode(data: bytes) -> list[tuple[Opcode, bytes | str]]:
    parser = FrameProtocol(client=True, extensions=[])
    parser.receive_bytes(data)
    return [(f.opcode, f.payload) for f in parser.received_frames()]


class _Peer:
    """The client end: sends masked frames, reads what the server wrote."""

    def __init__(self, sock):
        self.sock = sock
        self.client = Connection(ConnectionType.CLIENT)
        self.parser = FrameProtocol(client=True, extensions=[])

    def send(self, *events):
        self.sock.sendall(b"".join(self.client.send(event) for event in events))

    def frames(self, count: int, timeout: float = 2.0) -> list[tuple[Opcode, bytes | str]]:
        got = []
        with gevent.Timeout(timeout):
            while len(got) < count:
                data = self.sock.recv(65536)
                if not data:
                    break
                self.parser.receive_bytes(data)
                got += [(f.opcode, f.payload) for f in self.parser.received_frames()]
        return got


def _connection(*, connected=False, max_message=64 * 1024):
    server = EngineIoServer(async_mode="gevent", max_http_buffer_size=max_message)
    received, disconnected = [], gevent.event.Event()
    server.on("message", lambda sid, data: received.append(data))
    server.on("disconnect", lambda sid, reason: disconnected.set())
    eio_socket = EngineIoSocket(server, "sid1")
    server.sockets["sid1"] = eio_socket
    eio_socket.connected = connected
    pings = []
    eio_socket.schedule_ping = lambda: pings.append(True)
    ours, theirs = gevent.socket.socketpair()
    writer = frames.FrameWriter(ours, gevent.spawn)
    eio_socket.send(eio_packet.Packet(eio_packet.OPEN, {"sid": "sid1"}))  # queued before the WebSocket is served
    connection = WebSocketConnection(eio_socket, ours, writer=writer, recv_now=ours.recv, loop=gevent.get_hub().loop,
                                     spawn=gevent.spawn)
    return connection, _Peer(theirs), received, disconnected, pings


def test_what_engineio_queued_before_goes_out_first_then_its_sends_are_written_at_once():
    connection, peer, _received, _gone, _pings = _connection()
    assert connection.state == OPEN and connection.eio_socket.queue is connection
    connection.eio_socket.send(eio_packet.Packet(eio_packet.MESSAGE, "0/interviews,"))
    [(_, first), (_, second)] = peer.frames(2)
    assert first.startswith('0{"sid":"sid1"') and second == "40/interviews,"


def test_messages_reach_engineio_in_order_and_pongs_schedule_the_next_ping_without_a_greenlet():
    connection, peer, received, _gone, pings = _connection()
    peer.send(*[TextMessage(data=f"4message {n}") for n in range(20)], TextMessage(data="3"))
    gevent.sleep(0.1)
    assert received == [f"message {n}" for n in range(20)]
    assert pings == [True]
    assert not connection.processing  # the greenlet that gave them to engine.io is gone


def test_a_websocket_ping_is_answered_with_a_pong():
    _connection_, peer, _received, _gone, _pings = _connection()
    peer.frames(1)  # the OPEN packet
    peer.send(Ping(payload=b"hello"))
    assert peer.frames(1) == [(Opcode.PONG, b"hello")]


def test_the_peer_closing_closes_the_engineio_socket_and_forgets_it():
    connection, peer, _received, disconnected, _pings = _connection()
    peer.send(CloseConnection(code=1000))
    assert disconnected.wait(2)
    gevent.sleep(0.05)
    assert connection.eio_socket.closed and "sid1" not in connection.server.sockets
    assert (Opcode.CLOSE, ) == tuple(f[0] for f in peer.frames(2)[1:2])  # the OPEN packet, then the close frame


def test_a_peer_that_vanishes_is_closed_too():
    connection, peer, _received, disconnected, _pings = _connection()
    peer.sock.close()
    assert disconnected.wait(2)
    gevent.sleep(0.05)
    assert "sid1" not in connection.server.sockets


def test_engineio_closing_the_socket_sends_its_close_packet_and_closes_the_websocket():
    connection, peer, _received, disconnected, _pings = _connection()
    connection.eio_socket.close(wait=False, abort=False)
    assert disconnected.is_set()
    got = peer.frames(3)
    assert [opcode for opcode, _ in got] == [Opcode.TEXT, Opcode.TEXT, Opcode.CLOSE]
    assert got[1][1] == "1"  # engine.io's CLOSE packet
    gevent.sleep(0.05)
    assert "sid1" not in connection.server.sockets


@pytest.mark.parametrize("bad", [frames.text_frame("unmasked"), b"\xff\xff\xff\xff"])
def test_a_client_breaking_the_protocol_is_closed_with_1002(bad):
    connection, peer, _received, disconnected, _pings = _connection()
    peer.sock.sendall(bad)
    assert disconnected.wait(2)
    closing = peer.frames(2)[-1]
    assert closing[0] == Opcode.CLOSE and closing[1][0] == frames.CLOSE_PROTOCOL_ERROR


def test_a_message_over_the_limit_closes_with_1009_and_reaches_no_one():
    connection, peer, received, disconnected, _pings = _connection(max_message=1000)
    peer.send(TextMessage(data="4" + "x" * 2000))
    assert disconnected.wait(2)
    assert received == []
    assert peer.frames(2)[-1][1][0] == frames.CLOSE_TOO_BIG


def test_text_that_is_not_utf8_closes_with_1007():
    connection, peer, received, disconnected, _pings = _connection()
    mask = b"\x01\x02\x03\x04"
    payload = b"4\xff\xfe"
    peer.sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + frames.unmask(payload, mask))
    assert disconnected.wait(2)
    assert received == []
    assert peer.frames(2)[-1][1][0] == frames.CLOSE_INVALID_DATA


def test_an_upgrade_from_polling_follows_engineios_steps_and_keeps_the_polling_queue_in_order():
    connection, peer, received, _gone, _pings = _connection(connected=True)
    eio_socket = connection.eio_socket
    polling_queue = eio_socket.queue
    assert polling_queue is not connection and eio_socket.upgrading
    eio_socket.send(eio_packet.Packet(eio_packet.MESSAGE, "queued while polling"))
    peer.send(TextMessage(data="2probe"))
    assert peer.frames(1) == [(Opcode.TEXT, "3probe")]
    gevent.sleep(0.05)
    assert connection.state == UPGRADING
    peer.send(TextMessage(data="5"))
    gevent.sleep(0.05)
    assert eio_socket.upgraded and not eio_socket.upgrading and eio_socket.queue is connection
    # What the polling queue held (the OPEN packet, the message, the NOOP that ended the poll) is written in order.
    assert [payload for _, payload in peer.frames(3)] == [polling_queue_open(), "4queued while polling", "6"]
    peer.send(TextMessage(data="4now over the websocket"))
    gevent.sleep(0.05)
    assert received == ["now over the websocket"]


def polling_queue_open() -> str:
    return eio_packet.Packet(eio_packet.OPEN, {"sid": "sid1"}).encode()


def test_a_client_that_does_not_follow_the_upgrade_stays_on_polling():
    connection, peer, _received, disconnected, _pings = _connection(connected=True)
    peer.send(TextMessage(data="4not a probe"))
    gevent.sleep(0.05)
    assert not connection.eio_socket.upgrading and not connection.eio_socket.upgraded
    assert not connection.eio_socket.closed and not disconnected.is_set()
    assert "sid1" in connection.server.sockets

"""live.wire: the frames the hub writes, the direct write path for daphne, and a real daphne
process fanning events out to real WebSocket clients."""

import asyncio
import functools
import json
import os
import random
import shutil
import socket
import sys
import threading
import time
from collections import deque
from pathlib import Path

import pytest
from autobahn.websocket.protocol import PreparedMessage
from channels.sessions import InstanceSessionWrapper

from live.wire import Batch, Outgoing, direct_writer, spread_pings, text_frame

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_text_frame_is_what_autobahn_would_send(size):
    payload = ("邻" * size).encode()[:size]
    assert text_frame(payload) == PreparedMessage(payload, False, False, True).payloadHybi


def test_batch_frames_are_the_events_back_to_back():
    one, two = Outgoing('{"id":1}'), Outgoing('{"id":2,"text":"楼道"}')
    assert one.message == {"type": "websocket.send", "text": '{"id":1}'}
    assert Batch([(1, one), (2, two)]).frames == one.frame + two.frame


# --- the direct writer, on real daphne and Twisted objects over a socket pair --------------


class FakeReactor:
    """Just enough of a reactor (Twisted's method names) for a transport that is never run."""

    def __init__(self):
        self.writers = set()

    def addWriter(self, writer):
        self.writers.add(writer)

    def removeWriter(self, writer):
        self.writers.discard(writer)

    def addReader(self, reader):
        pass

    def removeReader(self, reader):
        pass


@pytest.fixture
def daphne_connection():
    from daphne.server import Server
    from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
    from twisted.internet.tcp import Connection

    server = Server(application=None, endpoints=["tcp:port=0"])
    server.connections = {}
    protocol = WebSocketFactory(server).buildProtocol(None)
    ours, theirs = socket.socketpair()
    theirs.settimeout(5)
    reactor = FakeReactor()
    transport = Connection(ours, protocol, reactor=reactor)
    transport.connected = 1
    protocol.transport = transport
    protocol.state = WebSocketProtocol.STATE_OPEN
    protocol.send_queue = deque()
    server.connections[protocol] = {}
    send = functools.partial(server.handle_reply, protocol)
    try:
        yield send, protocol, transport, theirs, reactor
    finally:
        ours.close()
        theirs.close()


def test_direct_writer_writes_to_the_socket_at_once(daphne_connection):
    send, protocol, transport, theirs, reactor = daphne_connection
    write = direct_writer(send)
    assert write is not None
    frames = text_frame(b'{"id":1}') + text_frame(b'{"id":2}')
    assert write(frames)
    assert theirs.recv(100) == frames
    assert not reactor.writers  # nothing left for Twisted to write later


def test_direct_writer_sees_through_the_session_middleware(daphne_connection):
    send, *_ = daphne_connection
    wrapper = InstanceSessionWrapper.__new__(InstanceSessionWrapper)
    wrapper.real_send = send
    assert direct_writer(wrapper.send) is not None


def test_direct_writer_keeps_the_order_behind_twisteds_buffer(daphne_connection):
    send, protocol, transport, theirs, reactor = daphne_connection
    write = direct_writer(send)
    transport.write(b"first")  # buffered by Twisted until the reactor writes it
    assert reactor.writers == {transport}
    assert write(b"second")
    transport.doWrite()
    assert theirs.recv(100) == b"firstsecond"


def test_direct_writer_steps_aside(daphne_connection):
    from daphne.ws_protocol import WebSocketProtocol

    send, protocol, transport, theirs, reactor = daphne_connection
    write = direct_writer(send)
    protocol.send_queue.append((b"x", True))  # autobahn is sending frames of its own
    assert write(b"frame") is False
    protocol.send_queue.clear()
    protocol.state = WebSocketProtocol.STATE_CLOSING
    assert write(b"frame") is False  # the usual path decides
    protocol.state = WebSocketProtocol.STATE_OPEN
    transport.TLS = True
    assert write(b"frame") is False
    transport.TLS = False
    send.func.__self__.connections[protocol]["disconnected"] = 1.0
    assert write(b"frame") is True  # gone: dropped, as daphne would
    theirs.setblocking(False)
    with pytest.raises(BlockingIOError):
        theirs.recv(100)


def test_no_direct_writer_for_other_servers():
    async def send(message):
        pass

    assert direct_writer(send) is None
    assert direct_writer(functools.partial(send)) is None


def test_spread_pings_starts_each_ping_clock_somewhere_in_the_interval(daphne_connection):
    send, protocol, *_ = daphne_connection
    server = send.func.__self__
    server.ping_interval = 20
    clocks = []
    rng = random.Random(2026)
    for _ in range(50):
        protocol.last_ping = time.time()
        before = time.time()
        assert spread_pings(send, rng=rng)
        assert before - 20 <= protocol.last_ping <= time.time()
        clocks.append(before - protocol.last_ping)
    # Spread over the interval, not bunched: pings fall into many of daphne's 2-s checks.
    assert len({int(age // 2) for age in clocks}) >= 8


def test_spread_pings_leaves_other_servers_alone():
    async def send(message):
        pass

    assert spread_pings(send) is False


# --- a real daphne process ------------------------------------------------------------------


@pytest.fixture
def daphne_with_redis(tmp_path):
    """daphne (tests/live/daphne_settings.py: the `probe` topic kind, a throwaway SQLite
    database) on the Redis channel layer: a private redis-server, or REDIS_URL."""
    from bench.servers import VENV_BIN, Stack, free_port, wait_for_port

    stack = Stack(workdir=tmp_path)
    try:
        if shutil.which("redis-server"):
            redis_url = stack.redis()
        elif os.environ.get("REDIS_URL"):
            redis_url = os.environ["REDIS_URL"]
        elif os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but there is no Redis")
        else:
            pytest.skip("needs redis-server or REDIS_URL")
        prefix = f"livewire{os.getpid()}"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_PREFIX")}
        env.update(
            DJANGO_SETTINGS_MODULE="tests.live.daphne_settings",
            LINLI_VAR_DIR=str(tmp_path),
            REDIS_URL=redis_url,
            REDIS_PREFIX=prefix,
            PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        )
        port = free_port()
        args = [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port)]
        proc = stack.spawn(f"daphne-{port}", [*args, "config.asgi:application"], env=env)
        wait_for_port(port, proc=proc, timeout=60)
        yield port, redis_url, prefix
    finally:
        stack.close()
        for log in tmp_path.glob("*.log"):
            sys.stdout.write(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}\n")


def in_own_loop(coroutine_function, *args, timeout=120):
    """Run an async scenario in a thread with an event loop of its own: under the full suite
    the main thread may have a loop marked running (tests/browser keeps a session-wide sync
    Playwright open there), and pytest-asyncio cannot run a test coroutine then."""
    outcome = {}

    def run():
        try:
            asyncio.run(coroutine_function(*args))
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="scenario", daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"the scenario took longer than {timeout} s"
    if "error" in outcome:
        raise outcome["error"]


def test_real_daphne_fans_out_in_order_once_each(daphne_with_redis):
    in_own_loop(fan_out_scenario, *daphne_with_redis)


async def fan_out_scenario(port, redis_url, prefix):
    from websockets.asyncio.client import connect

    from config.channel_layers import RedisPubSubChannelLayer
    from live.topics import group_name

    url, origin = f"ws://127.0.0.1:{port}/ws/live/", f"http://127.0.0.1:{port}"
    layer = RedisPubSubChannelLayer(hosts=[redis_url], prefix=prefix)

    async def client():
        ws = await connect(url, origin=origin, proxy=None, ping_interval=None, max_size=None)
        await ws.send(json.dumps({"action": "subscribe", "topic": "probe:1"}))
        assert json.loads(await ws.recv()) == {"type": "subscribed", "topic": "probe:1"}
        return ws

    def text(event_id, size=0):
        return json.dumps(
            {"id": event_id, "topic": "probe:1", "type": "probe.n", "data": {"pad": "邻" * size}},
            ensure_ascii=False,
            separators=(",", ":"),
        )

    async def publish(event_ids, size=0):
        for event_id in event_ids:
            await layer.group_send(
                group_name("probe:1"),
                {
                    "type": "live.event",
                    "id": event_id,
                    "topic": "probe:1",
                    "text": text(event_id, size),
                },
            )

    async def read_until(ws, last_id):
        messages = []
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            messages.append(message)
            if message.get("id") == last_id:
                return messages

    clients = [await client() for _ in range(5)]
    slow = clients[-1]
    try:
        # Bursts (the hub takes what waits together in one write per socket), single
        # events, the same event twice, and one client asking for pongs meanwhile.
        await publish([1])
        await publish([2, 3, 4, 5])
        await clients[0].send(json.dumps({"action": "ping"}))
        await publish([6, 6, 7])
        await clients[0].send(json.dumps({"action": "ping"}))
        await publish(range(8, 30))
        for ws in clients[:-1]:
            messages = await read_until(ws, 29)
            events = [m["id"] for m in messages if "id" in m]
            assert events == list(range(1, 30))
            others = [m for m in messages if "id" not in m]
            assert others == ([{"type": "pong"}] * 2 if ws is clients[0] else [])
        # Large frames to a client that does not read for a while: what the socket does
        # not take goes to daphne's buffer, and the order on the wire holds.
        await publish(range(30, 70), size=30_000)
        await asyncio.sleep(0.5)
        messages = await read_until(slow, 69)
        assert [m["id"] for m in messages] == list(range(1, 70))
        assert all(len(m["data"]["pad"]) == 30_000 for m in messages if m["id"] >= 30)
    finally:
        for ws in clients:  # some never read their last frames: no closing handshake
            ws.transport.abort()
        await layer.flush()

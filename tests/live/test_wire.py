"""live.wire: events as autobahn's prepared messages behind daphne, and the ASGI `send`
whenever that is off, unknown or unexpected.

First on daphne's and autobahn's own objects in this process (a daphne Server, its WebSocket
factory and protocol on Twisted's StringTransport), then with a real daphne process
(tests/live/probe_daphne.py) fanning events out to real WebSocket clients, some of which
negotiated permessage-deflate."""

import asyncio
import functools
import json
import logging
import os
import shutil
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from channels.sessions import InstanceSessionWrapper

import live.wire
from live.wire import Batch, Outgoing, prepared_sender

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def prepared_messages_on(settings):
    """On here, also when the suite runs with LIVE_PREPARED_MESSAGES=0 (the daphne processes
    below get it set explicitly)."""
    settings.LIVE_PREPARED_MESSAGES = True


def read_frames(data: bytes) -> list[str]:
    """The texts of unmasked, uncompressed, unfragmented text frames, back to back."""
    texts = []
    while data:
        first, second = data[0], data[1]
        assert first == 0x81, f"not a final text frame: {first:#x}"
        assert not second & 0x80, "masked"
        size, start = second & 0x7F, 2
        if size == 126:
            (size,), start = struct.unpack("!H", data[2:4]), 4
        elif size == 127:
            (size,), start = struct.unpack("!Q", data[2:10]), 10
        texts.append(data[start : start + size].decode("utf-8"))
        data = data[start + size :]
    return texts


class DaphneConnection:
    """A daphne WebSocket protocol that is open, on a Twisted StringTransport; its ASGI `send`
    is what daphne hands the application."""

    def __init__(self, server, factory):
        from twisted.internet.testing import StringTransport

        self.server = server
        self.protocol = factory.buildProtocol(None)
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)
        self.protocol.client_addr = None  # what daphne's handshake would have found
        server.protocol_connected(self.protocol)
        self.protocol.state = self.protocol.STATE_OPEN
        self.send = functools.partial(server.handle_reply, self.protocol)

    def asgi_send(self, text):
        # daphne's handle_reply never suspends: run it to its end here, without a loop.
        with pytest.raises(StopIteration):
            self.send({"type": "websocket.send", "text": text}).send(None)

    def written(self) -> list[str]:
        return read_frames(self.transport.value())


@pytest.fixture
def daphne_server():
    from daphne.server import Server
    from daphne.ws_protocol import WebSocketFactory

    server = Server(application=None, endpoints=["tcp:port=0"])
    server.connections = {}

    def make_factory(**options):
        factory = WebSocketFactory(server)
        # As daphne's Server.run configures it (no handshake timer: no reactor runs here).
        factory.setProtocolOptions(
            maxMessagePayloadSize=server.websocket_max_message_size,
            maxFramePayloadSize=server.websocket_max_frame_size,
            openHandshakeTimeout=0,
            **options,
        )
        return factory

    server.make_factory = make_factory
    return server


@pytest.fixture
def connection(daphne_server):
    return DaphneConnection(daphne_server, daphne_server.make_factory())


def test_events_go_as_prepared_messages_in_order_with_asgi_sends(connection):
    send_prepared = prepared_sender(connection.send)
    assert send_prepared is not None
    events = [
        Outgoing(json.dumps({"id": n, "text": "楼道" * n}, ensure_ascii=False)) for n in (1, 2, 3)
    ]
    connection.asgi_send('{"type":"subscribed"}')
    assert send_prepared(Batch([(1, events[0]), (2, events[1])]).outgoing) is True
    connection.asgi_send('{"type":"pong"}')
    assert send_prepared([events[2]]) is True
    assert connection.written() == [
        '{"type":"subscribed"}',
        events[0].text,
        events[1].text,
        '{"type":"pong"}',
        events[2].text,
    ]


def test_a_prepared_frame_is_what_the_asgi_send_writes(daphne_server):
    from autobahn.websocket.protocol import PreparedMessage

    text = json.dumps({"id": 7, "pad": "邻" * 30_000}, ensure_ascii=False)
    prepared, asgi = (DaphneConnection(daphne_server, daphne_server.make_factory()) for _ in "ab")
    assert prepared_sender(prepared.send)([Outgoing(text)])
    asgi.asgi_send(text)
    assert prepared.transport.value() == asgi.transport.value()
    assert isinstance(Outgoing(text).prepared_for(prepared.protocol.factory), PreparedMessage)


def test_an_event_is_prepared_once_per_factory(daphne_server):
    factory = daphne_server.make_factory()
    one, two = DaphneConnection(daphne_server, factory), DaphneConnection(daphne_server, factory)
    outgoing = Outgoing('{"id":1}')
    assert prepared_sender(one.send)([outgoing])
    prepared = outgoing.prepared
    assert prepared_sender(two.send)([outgoing])
    assert outgoing.prepared is prepared
    assert one.written() == two.written() == ['{"id":1}']
    other = DaphneConnection(daphne_server, daphne_server.make_factory())
    assert prepared_sender(other.send)([outgoing])
    assert outgoing.prepared is not prepared
    assert other.written() == ['{"id":1}']


def test_seen_through_channels_session_middleware(connection):
    wrapper = InstanceSessionWrapper({"cookies": {}}, connection.send)
    send_prepared = prepared_sender(wrapper.send)
    assert send_prepared is not None
    assert send_prepared([Outgoing('{"id":1}')])
    assert connection.written() == ['{"id":1}']


def test_nothing_for_a_connection_daphne_counts_as_gone(connection):
    send_prepared = prepared_sender(connection.send)
    connection.server.protocol_disconnected(connection.protocol)
    assert send_prepared([Outgoing('{"id":1}')]) is True  # dropped, as daphne's handle_reply
    del connection.server.connections[connection.protocol]
    assert send_prepared([Outgoing('{"id":2}')]) is True
    assert connection.transport.value() == b""


def test_nothing_while_closing_and_the_asgi_send_before_open(connection):
    send_prepared = prepared_sender(connection.send)
    protocol = connection.protocol
    for state, handled in (
        (protocol.STATE_CLOSING, True),
        (protocol.STATE_CLOSED, True),
        (protocol.STATE_CONNECTING, False),
    ):
        protocol.state = state
        assert send_prepared([Outgoing('{"id":1}')]) is handled
    assert connection.transport.value() == b""


def test_a_message_over_the_size_limit_goes_the_asgi_way(daphne_server):
    connection = DaphneConnection(daphne_server, daphne_server.make_factory())
    connection.protocol.maxMessagePayloadSize = 20
    send_prepared = prepared_sender(connection.send)
    small, large = Outgoing('{"id":1}'), Outgoing(json.dumps({"id": 2, "pad": "x" * 20}))
    assert send_prepared([small, large]) is False  # none of them sent
    assert connection.transport.value() == b""
    assert send_prepared([small]) is True


def test_switched_off_by_the_setting(connection, settings):
    settings.LIVE_PREPARED_MESSAGES = False
    assert prepared_sender(connection.send) is None


def test_the_setting_is_read_from_the_environment():
    code = "from config.settings import base; print(base.LIVE_PREPARED_MESSAGES)"
    env = {k: v for k, v in os.environ.items() if k != "LIVE_PREPARED_MESSAGES"}
    for value, expected in ((None, "True"), ("0", "False"), ("1", "True")):
        if value is not None:
            env["LIVE_PREPARED_MESSAGES"] = value
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert result.stdout.strip() == expected


@pytest.mark.parametrize(
    "name, version",
    [("daphne", "4.3.0"), ("daphne", "5.0"), ("autobahn", "27.1.1"), ("channels", "4.4.0")],
)
def test_switched_off_on_a_release_it_does_not_know(connection, monkeypatch, caplog, name, version):
    versions = live.wire.framework_versions()
    assert prepared_sender(connection.send) is not None
    monkeypatch.setattr(live.wire, "framework_versions", lambda: {**versions, name: version})
    with caplog.at_level(logging.WARNING, logger="live.wire"):
        assert prepared_sender(connection.send) is None
    assert f"{name} {version}" in caplog.text


def test_anything_unexpected_switches_it_off_without_raising(connection, monkeypatch):
    async def other_send(message):
        pass

    assert prepared_sender(other_send) is None
    assert prepared_sender(functools.partial(other_send)) is None
    assert prepared_sender(functools.partial(connection.server.handle_reply, object())) is None
    connection.protocol.autoFragmentSize = 1000  # autobahn would fragment: not one frame
    assert prepared_sender(connection.send) is None
    connection.protocol.autoFragmentSize = 0
    connection.protocol.factory = None
    assert prepared_sender(connection.send) is None

    def broken():
        raise RuntimeError("no version here")

    monkeypatch.setattr(live.wire, "framework_versions", broken)
    assert prepared_sender(connection.send) is None


# --- a real daphne process ------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_for_daphne(tmp_path_factory):
    """A private redis-server (or REDIS_URL) and the channel layer the daphne processes of
    tests/live/daphne_settings.py use on it (asked of their settings, in a subprocess)."""
    from django.utils.module_loading import import_string

    from bench.servers import Stack

    workdir = tmp_path_factory.mktemp("wire-redis")
    stack = Stack(workdir=workdir)
    try:
        if shutil.which("redis-server"):
            redis_url = stack.redis()
        elif os.environ.get("REDIS_URL"):
            redis_url = os.environ["REDIS_URL"]
        elif os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but there is no Redis")
        else:
            pytest.skip("needs redis-server or REDIS_URL")
        env = daphne_env(workdir, redis_url)
        code = (
            "import json, django; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.CHANNEL_LAYERS['default']))"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        config = json.loads(result.stdout.strip().splitlines()[-1])
        yield redis_url, env, lambda: import_string(config["BACKEND"])(**config["CONFIG"])
    finally:
        stack.close()


def daphne_env(workdir, redis_url, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_PREFIX")}
    env.pop("LIVE_PREPARED_MESSAGES", None)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.live.daphne_settings",
        LINLI_VAR_DIR=str(workdir),
        REDIS_URL=redis_url,
        REDIS_PREFIX=f"livewire{os.getpid()}",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        **extra,
    )
    return env


@pytest.fixture
def probe_daphne(tmp_path, redis_for_daphne):
    """start(prepared=..., deflate=...) -> (port, log path, make_layer): a daphne process of
    config.asgi:application through tests/live/probe_daphne.py."""
    from bench.servers import Stack, free_port, wait_for_port

    redis_url, base_env, make_layer = redis_for_daphne
    stack = Stack(workdir=tmp_path)

    def start(*, prepared: bool, deflate: bool):
        env = {
            **base_env,
            "LIVE_PREPARED_MESSAGES": "1" if prepared else "0",
            "PROBE_DEFLATE": "1" if deflate else "0",
            "PYTHONUNBUFFERED": "1",
        }
        port = free_port()
        args = [sys.executable, "-m", "tests.live.probe_daphne", "-b", "127.0.0.1"]
        proc = stack.spawn(
            f"daphne-{port}", [*args, "-p", str(port), "config.asgi:application"], env=env
        )
        wait_for_port(port, proc=proc, timeout=60)
        return port, tmp_path / f"daphne-{port}.log", make_layer

    try:
        yield start
    finally:
        stack.close()
        for log in tmp_path.glob("*.log"):
            text = log.read_text(errors="replace")
            text = "\n".join(line for line in text.splitlines() if "probe: " not in line)
            sys.stdout.write(f"--- {log.name}\n{text[-3000:]}\n")


def in_own_loop(coroutine_function, *args, timeout=120):
    """Run an async scenario in a thread with an event loop of its own: under the full suite
    the main thread may have a loop marked running (tests/browser keeps a session-wide sync
    Playwright open there), and pytest-asyncio cannot run a test coroutine then."""
    outcome = {}

    def run():
        try:
            outcome["result"] = asyncio.run(coroutine_function(*args))
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="scenario", daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"the scenario took longer than {timeout} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@pytest.mark.parametrize(
    "prepared, deflate",
    [(True, False), (True, True), (False, True)],
    ids=["prepared", "prepared-with-deflate", "asgi-send"],
)
def test_real_daphne_fans_out_in_order_once_each(probe_daphne, prepared, deflate):
    from tests.live.probe_daphne import PREPARED_MARK

    port, log, make_layer = probe_daphne(prepared=prepared, deflate=deflate)
    deliveries, negotiated = in_own_loop(fan_out_scenario, port, make_layer)
    # Clients that offered permessage-deflate got it only where the factory accepts it.
    assert negotiated == [False, False, deflate, deflate, deflate]
    assert log.read_text(errors="replace").count(PREPARED_MARK) == (deliveries if prepared else 0)


async def fan_out_scenario(port, make_layer):
    """Five clients (the last three offering permessage-deflate) follow probe:1 while events
    are pushed through the channel layer; returns (events delivered, [deflate negotiated per
    client])."""
    from websockets.asyncio.client import connect

    from live.topics import group_name

    url, origin = f"ws://127.0.0.1:{port}/ws/live/", f"http://127.0.0.1:{port}"
    layer = make_layer()

    async def client(compression):
        ws = await connect(
            url,
            origin=origin,
            proxy=None,
            ping_interval=None,
            max_size=None,
            compression=compression,
        )
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

    clients = [await client(c) for c in (None, None, "deflate", "deflate", "deflate")]
    negotiated = [bool(ws.response.headers.get("Sec-WebSocket-Extensions")) for ws in clients]
    slow = clients[-1]
    try:
        # Bursts (events of one topic waiting together go out together), single events, the
        # same event twice, and two clients asking for pongs meanwhile (replies through the
        # ASGI send between the events).
        await publish([1])
        await publish([2, 3, 4, 5])
        for ws in clients[:3:2]:
            await ws.send(json.dumps({"action": "ping"}))
        await publish([6, 6, 7])
        for ws in clients[:3:2]:
            await ws.send(json.dumps({"action": "ping"}))
        await publish(range(8, 30))
        for ws in clients[:-1]:
            messages = await read_until(ws, 29)
            assert [m["id"] for m in messages if "id" in m] == list(range(1, 30))
            others = [m for m in messages if "id" not in m]
            assert others == ([{"type": "pong"}] * 2 if ws in clients[:3:2] else [])
        # Large events to a client that does not read until the others have had them all: what
        # its socket does not take waits in daphne's buffer, and the order on the wire holds.
        await publish(range(30, 70), size=30_000)
        for ws in clients[:-1]:
            messages = await read_until(ws, 69)
            assert [m["id"] for m in messages] == list(range(30, 70))
            assert all(len(m["data"]["pad"]) == 30_000 for m in messages)
        messages = await read_until(slow, 69)
        assert [m["id"] for m in messages] == list(range(1, 70))
        assert all(len(m["data"]["pad"]) == 30_000 for m in messages if m["id"] >= 30)
    finally:
        for ws in clients:  # no closing handshake needed
            ws.transport.abort()
        await layer.flush()
    return len(clients) * 69, negotiated

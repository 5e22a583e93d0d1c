"""Event frames for the hub's fan-out, and a direct write path for daphne.

`Outgoing` is one published event on its way to the local followers: the ASGI message
{"type": "websocket.send", "text": ...} that every server understands, and (made on first
use, once per event) the WebSocket frame bytes. `Batch` is one or more consecutive events of
one topic that reached the hub together (the events of one transaction, say): a follower
that takes all of them gets their frames in one write.

Why a direct path. Behind daphne, an ASGI `websocket.send` goes through channels' session
middleware, daphne's `Server.handle_reply`, its protocol, autobahn's `sendMessage` (which frames
the text again for every socket) and Twisted's `transport.write`, which only buffers: Twisted
registers the socket for writing (an epoll_ctl), writes it on the next loop iteration and
unregisters it (another epoll_ctl). For a thousand sockets that is most of a fan-out's cost,
and no byte leaves before the last socket has been handled. `direct_writer(send)` recognises
daphne's ASGI `send` of a WebSocket connection and returns a function that writes the ready
frame to the socket at once, as asyncio's own transports do:

- only for a plain TCP (or UNIX) Twisted transport of an open daphne WebSocket protocol; not
  with TLS in the process, not while autobahn queues frames of its own, not when anything
  else is unwritten in Twisted's buffer (then the frame is appended to that buffer, so the
  byte order on the wire is kept), and never for a connection daphne counts as gone;
- what the socket does not take at once goes to Twisted's buffer (`transport.write`);
- when it returns False the caller sends the ASGI message as usual.

Frames are unmasked and uncompressed (RFC 6455 5.1; an uncompressed message is valid on a
permessage-deflate connection too). Anything else (the test communicator, another ASGI
server) gets None and the usual `send`. `LIVE_DIRECT_WRITES = False` in the settings turns it
off.

`spread_pings(send)` starts the keep-alive ping clock of daphne's socket at a random point of
its interval, so that connections opened together are not pinged together ever after.
"""

from __future__ import annotations

import functools
import logging
import random
import struct
import time

logger = logging.getLogger(__name__)


def text_frame(payload: bytes) -> bytes:
    """One final, unmasked WebSocket text frame carrying `payload` (UTF-8)."""
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", 0x81, n) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


class Outgoing:
    """One event's text for every follower: as an ASGI message and as frame bytes."""

    __slots__ = ("message", "_frame")

    def __init__(self, text: str):
        self.message = {"type": "websocket.send", "text": text}  # shared: never modify
        self._frame: bytes | None = None

    @property
    def text(self) -> str:
        return self.message["text"]

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = text_frame(self.message["text"].encode("utf-8"))
        return self._frame


class Batch:
    """Consecutive events of one topic, in order: [(id, Outgoing), ...]."""

    __slots__ = ("events", "_frames")

    def __init__(self, events: list[tuple[int, Outgoing]]):
        self.events = events
        self._frames: bytes | None = None

    @property
    def frames(self) -> bytes:
        """The frames of all the events, back to back."""
        if self._frames is None:
            self._frames = b"".join(outgoing.frame for _id, outgoing in self.events)
        return self._frames


def _daphne_websocket(send):
    """(daphne Server, WebSocketProtocol) behind the ASGI `send` of a WebSocket connection, or
    None when `send` is not daphne's."""
    try:
        from channels.sessions import InstanceSessionWrapper
        from daphne.server import Server
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return None

    # channels' session middleware only acts on http.response.start: skip it for frames.
    while isinstance(getattr(send, "__self__", None), InstanceSessionWrapper):
        send = send.__self__.real_send
    if not isinstance(send, functools.partial) or len(send.args) != 1 or send.keywords:
        return None
    server = getattr(send.func, "__self__", None)
    protocol = send.args[0]
    if (
        not isinstance(server, Server)
        or getattr(send.func, "__func__", None) is not Server.handle_reply
        or not isinstance(protocol, WebSocketProtocol)
    ):
        return None
    return server, protocol


def spread_pings(send, *, rng=random) -> bool:
    """Start the ping clock of daphne's WebSocket behind `send` at a random point of its
    interval; False when `send` is not daphne's.

    Daphne pings a socket once `ping_interval` seconds (20) have passed since it last heard
    from it, checking every connection every 2 s. Clients that connected together (all the
    pages of a site after a deploy, a benchmark) would otherwise be pinged together for good:
    every interval a burst of N pings and N pongs in one loop iteration, delaying whatever
    event is being fanned out at that moment. Spread, each 2-s check pings about a tenth of
    them."""
    found = _daphne_websocket(send)
    if found is None:
        return False
    server, protocol = found
    interval = getattr(server, "ping_interval", None)
    if isinstance(interval, int | float) and interval > 0:
        protocol.last_ping = time.time() - rng.uniform(0, interval)
    return True


def direct_writer(send):
    """A `write(frames: bytes) -> bool` that puts frames straight on daphne's socket behind
    the ASGI `send` of a WebSocket connection, or None if `send` is not daphne's."""
    try:
        from daphne.ws_protocol import WebSocketProtocol
        from twisted.internet.tcp import Connection
    except ImportError:
        return None

    found = _daphne_websocket(send)
    if found is None:
        return None
    server, protocol = found
    # Looked up once: daphne keeps one details dict per connection for its whole life (it marks
    # it "disconnected" before dropping it) and a protocol keeps its transport. A fan-out
    # touches every follower's objects once per event; each one fewer saves cache misses.
    details = server.connections.get(protocol)
    transport = protocol.transport
    if details is None or not isinstance(transport, Connection):
        return None
    sock = transport.socket
    state_open = WebSocketProtocol.STATE_OPEN

    def write(data: bytes) -> bool:
        if protocol.state != state_open or protocol.send_queue:
            return False  # closing, or autobahn's own queue: the usual path keeps order
        if "disconnected" in details:
            return True  # gone: daphne drops whatever is sent to it
        if transport.TLS:
            return False
        if transport.disconnecting or transport.disconnected:
            return True
        if transport._tempDataLen or len(transport.dataBuffer) > transport.offset:
            transport.write(data)  # behind what is already waiting
            return True
        try:
            sent = sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            # Let Twisted meet the error (it closes the connection its own way).
            transport.write(data)
            return True
        if sent < len(data):
            transport.write(data[sent:])
        return True

    return write

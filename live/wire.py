"""Events on their way to the local followers, and autobahn's prepared messages behind daphne.

`Outgoing` is one published event for the local followers: the ASGI message
{"type": "websocket.send", "text": ...} that every server understands and, made on first use
and then shared by all the sockets of the server, autobahn's prepared message of it. `Batch`
is one or more consecutive events of one topic that reached the hub together, in order.

Why prepared messages. Through ASGI, each follower's `websocket.send` goes through channels'
session middleware, daphne's `Server.handle_reply` coroutine and protocol, and autobahn's
`sendMessage`, which encodes and frames the same text again for every socket. autobahn's
prepared messages (`factory.prepareMessage`, `protocol.sendPreparedMessage`) frame an event
once for all the sockets of a factory and hand the bytes to the write path `sendMessage`
uses too (`sendData`: behind autobahn's own send queue if it holds anything, else Twisted's
`transport.write`), so they keep their place among the connection's other frames. On a
connection that negotiated permessage-deflate, autobahn compresses the prepared message's
payload for that connection, as `sendMessage` would (daphne accepts the extension only when
its factory is configured to).

The seam, all of it here. Neither Channels nor daphne documents a way from an ASGI `send` to
the WebSocket protocol behind it. `prepared_sender(send)` recognises what daphne hands an
application, `functools.partial(Server.handle_reply, protocol)`, also behind channels'
session middleware (`InstanceSessionWrapper.send` passes every message but
`http.response.start` on to its `real_send` unchanged). It returns None, and the consumer
uses the ASGI `send`, when settings.LIVE_PREPARED_MESSAGES is off, when the installed daphne,
autobahn or Channels is not a release series this was written and tested against
(KNOWN_VERSIONS), when `send` is anything else (the test communicator, another server), or
when anything looks unexpected. It never raises.

The sender it returns makes the checks of daphne and autobahn on the way of a
`websocket.send` (`sendPreparedMessage` writes without looking at the connection's state):
nothing for a connection daphne counts as gone (`Server.handle_reply` drops the message) or
one that is closing or closed (autobahn's `sendMessage` refuses it); a message larger than
the connection's `maxMessagePayloadSize`, or a connection not open yet, is left to the ASGI
`send` (the sender returns False).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Sequence

from django.conf import settings

logger = logging.getLogger(__name__)

#: The release series (major.minor) of the frameworks whose code the prepared path was read
#: against and tested with; on any other the ASGI `send` is used.
KNOWN_VERSIONS = {"daphne": {"4.2"}, "autobahn": {"26.11"}, "channels": {"4.3"}}


class Outgoing:
    """One event's text for every follower: the ASGI message, and the prepared message of
    the server's WebSocket factory (made once)."""

    __slots__ = ("message", "factory", "prepared", "payload_size")

    def __init__(self, text: str):
        self.message = {"type": "websocket.send", "text": text}  # shared: never modify
        self.factory = None
        self.prepared = None
        self.payload_size = 0

    @property
    def text(self) -> str:
        return self.message["text"]

    def prepared_for(self, factory):
        """autobahn's PreparedMessage of this event for the sockets of `factory`."""
        if self.factory is not factory:
            payload = self.message["text"].encode("utf-8")
            self.prepared = factory.prepareMessage(payload)
            self.payload_size = len(payload)
            self.factory = factory
        return self.prepared


class Batch:
    """Consecutive events of one topic, in order: [(id, Outgoing), ...]."""

    __slots__ = ("events", "outgoing")

    def __init__(self, events: list[tuple[int, Outgoing]]):
        self.events = events
        self.outgoing = [outgoing for _id, outgoing in events]


def framework_versions() -> dict[str, str]:
    """The installed versions of the frameworks the prepared path relies on."""
    import autobahn
    import channels
    import daphne

    return {
        "daphne": daphne.__version__,
        "autobahn": autobahn.__version__,
        "channels": channels.__version__,
    }


def release_series(version) -> str:
    return ".".join(str(version).split(".")[:2])


def versions_known() -> bool:
    versions = framework_versions()
    unknown = tuple(
        sorted(
            f"{name} {versions.get(name)}"
            for name, series in KNOWN_VERSIONS.items()
            if release_series(versions.get(name)) not in series
        )
    )
    if unknown:
        warn_once(
            f"live: prepared messages are off: not tested with {', '.join(unknown)}; "
            "events go through ASGI send"
        )
    return not unknown


@functools.cache
def warn_once(message: str) -> None:
    logger.warning(message)


def prepared_sender(send) -> Callable[[Sequence[Outgoing]], bool] | None:
    """A `send_prepared([Outgoing, ...]) -> bool` for the daphne WebSocket connection behind
    the ASGI `send`, or None (see the module doc). It returns False when the events must go
    through the ASGI `send` instead; then none of them was sent."""
    if not getattr(settings, "LIVE_PREPARED_MESSAGES", True):
        return None
    try:
        return daphne_sender(send)
    except Exception as exc:
        warn_once(
            f"live: prepared messages are off ({type(exc).__name__} while looking for "
            "daphne's protocol); events go through ASGI send"
        )
        return None


def daphne_sender(send):
    # Only in a daphne process is its server module loaded (importing it elsewhere would
    # install Twisted's reactor there).
    if "daphne.server" not in sys.modules or not versions_known():
        return None
    from channels.sessions import InstanceSessionWrapper
    from daphne.server import Server
    from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol

    while getattr(send, "__func__", None) is InstanceSessionWrapper.send:
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
    factory = getattr(protocol, "factory", None)
    connections = getattr(server, "connections", None)
    limit = getattr(protocol, "maxMessagePayloadSize", None)
    if (
        not isinstance(factory, WebSocketFactory)
        or not factory.isServer
        or not isinstance(connections, dict)
        or protocol not in connections
        or not isinstance(limit, int)
        # autobahn would fragment what `sendMessage` sends: a prepared message is one frame
        or getattr(protocol, "autoFragmentSize", None) != 0
    ):
        return None
    state_open = protocol.STATE_OPEN
    states_gone = (protocol.STATE_CLOSING, protocol.STATE_CLOSED)
    send_prepared_message = protocol.sendPreparedMessage

    def send_prepared(outgoing_list: Sequence[Outgoing]) -> bool:
        details = connections.get(protocol)
        if details is None or details.get("disconnected"):
            return True
        state = protocol.state
        if state != state_open:
            return state in states_gone
        prepared = [outgoing.prepared_for(factory) for outgoing in outgoing_list]
        if limit > 0 and any(outgoing.payload_size > limit for outgoing in outgoing_list):
            return False
        for message in prepared:
            send_prepared_message(message)
        return True

    return send_prepared

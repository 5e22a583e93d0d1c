"""daphne as its command line runs it, for tests/live/test_wire.py, with two additions:

- every `sendPreparedMessage` of a WebSocket connection prints PREPARED_MARK (a line on
  stdout, flushed before the frame is written), so that a test can count the events that
  went out as prepared messages;
- with PROBE_DEFLATE=1 in the environment the WebSocket factory accepts permessage-deflate
  (autobahn's `perMessageCompressionAccept` option; daphne itself leaves it off).

    python -m tests.live.probe_daphne -b 127.0.0.1 -p 8123 config.asgi:application
"""

import os

from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateOfferAccept
from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import reactor

PREPARED_MARK = "probe: sendPreparedMessage"


class CountingProtocol(WebSocketProtocol):
    def sendPreparedMessage(self, preparedMsg):
        print(PREPARED_MARK, flush=True)
        super().sendPreparedMessage(preparedMsg)


def accept_deflate(offers):
    for offer in offers:
        if isinstance(offer, PerMessageDeflateOffer):
            return PerMessageDeflateOfferAccept(offer)
    return None


class ProbeServer(Server):
    def run(self):
        # Once the reactor runs, `run` has made the WebSocket factory.
        reactor.callWhenRunning(self.configure_websockets)
        super().run()

    def configure_websockets(self):
        self.ws_factory.protocol = CountingProtocol
        if os.environ.get("PROBE_DEFLATE") == "1":
            self.ws_factory.setProtocolOptions(perMessageCompressionAccept=accept_deflate)


class ProbeCommandLine(CommandLineInterface):
    server_class = ProbeServer


if __name__ == "__main__":
    ProbeCommandLine.entrypoint()

"""config.daphne_requests: daphne's HTTP requests leave form bodies to Django, on real daphne
and Twisted objects fed a multipart upload."""

import pytest
from daphne import http_protocol
from daphne.server import Server
from twisted.internet.testing import StringTransport
from twisted.web import http

from config import daphne_requests

BOUNDARY = b"linli-upload"
PHOTO = bytes(range(256)) * 4096  # 1 MiB


def multipart_post() -> tuple[bytes, bytes]:
    """A task update with a photo, as a browser posts it: (the whole request, its body)."""
    body = b"".join(
        [
            b"--" + BOUNDARY + b"\r\n",
            b'Content-Disposition: form-data; name="text"\r\n\r\n',
            "垃圾已清运".encode() + b"\r\n",
            b"--" + BOUNDARY + b"\r\n",
            b'Content-Disposition: form-data; name="photo"; filename="bins.jpg"\r\n',
            b"Content-Type: image/jpeg\r\n\r\n",
            PHOTO + b"\r\n",
            b"--" + BOUNDARY + b"--\r\n",
        ]
    )
    head = b"".join(
        [
            b"POST /teams/tasks/1/updates HTTP/1.1\r\n",
            b"Host: 127.0.0.1\r\n",
            b"Content-Type: multipart/form-data; boundary=" + BOUNDARY + b"\r\n",
            b"Content-Length: %d\r\n\r\n" % len(body),
        ]
    )
    return head + body, body


@pytest.fixture
def serve(monkeypatch):
    """serve(request class) -> the request daphne's HTTP factory built for a multipart POST,
    as it was about to be handed to the ASGI application (`process`)."""

    def serve(request_class):
        monkeypatch.setattr(http_protocol, "WebRequest", request_class)
        processed = []
        monkeypatch.setattr(request_class, "process", lambda request: processed.append(request))
        server = Server(application=None, endpoints=["tcp:port=0"])
        server.connections = {}
        factory = http_protocol.HTTPFactory(server)
        factory.timeOut = None  # no idle timer on the (not running) reactor
        protocol = factory.buildProtocol(None)
        protocol.makeConnection(StringTransport())
        raw, _body = multipart_post()
        protocol.dataReceived(raw)
        (request,) = processed
        return request

    return serve


def test_daphne_requests_do_not_parse_uploads(serve, monkeypatch):
    parsed = []
    real_parse = http._getMultiPartArgs
    monkeypatch.setattr(
        http, "_getMultiPartArgs", lambda *args: parsed.append(1) or real_parse(*args)
    )
    assert daphne_requests.install()

    request = serve(http_protocol.WebRequest)

    assert isinstance(request, daphne_requests.WebRequest)
    assert parsed == []
    assert request.args == {}
    # The body reaches the application as it came, for Django to parse.
    request.content.seek(0)
    assert request.content.read() == multipart_post()[1]


def test_without_it_twisted_parses_the_whole_upload_in_the_loop(serve):
    """What install() avoids: daphne's own request reads the photo into `args`."""
    request = serve(daphne_requests.WebRequest.__mro__[1])
    assert request.args[b"photo"] == [PHOTO]


def test_the_asgi_application_installs_it():
    import config.asgi  # noqa: F401

    assert http_protocol.WebRequest is daphne_requests.WebRequest

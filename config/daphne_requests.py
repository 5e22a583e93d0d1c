"""daphne's HTTP requests, without Twisted's own parsing of form bodies.

Twisted's `Request.requestReceived` parses every POST body that is a form (URL-encoded or
multipart/form-data) into `request.args`, with the standard library's email package, in the
event loop's thread, before daphne hands the body as it came to the ASGI application (Django
parses it again, in the request's thread). daphne never reads `args`. For a photo with a task
update or an image uploaded in the Wagtail admin, that is the whole upload parsed while nothing
else in the process runs: 139-146 ms for a 5 MB photo here (the largest a task update takes),
about 30 ms per MB, a pause of every live fan-out and WebSocket of the process, with copies of
the body in memory. Even a JSON POST paid ~0.2 ms (measured in a daphne process) for Twisted to
parse its Content-Type with the email package.

Twisted can make a request without it (`parsePOSTFormSubmission=False`); daphne does not ask,
so `install()` has daphne's HTTP factory, which looks its request class up at every connection,
build `WebRequest` instead: daphne's own, with the parsing off. config.asgi installs it.
"""

import inspect

from daphne import http_protocol
from twisted.web import http


class WebRequest(http_protocol.WebRequest):
    """daphne's request; the body is left to the ASGI application."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parsePOSTFormSubmission", False)
        super().__init__(*args, **kwargs)


def install() -> bool:
    """Make daphne build `WebRequest`; False (nothing changed) if this Twisted cannot."""
    if "parsePOSTFormSubmission" not in inspect.signature(http.Request.__init__).parameters:
        return False
    http_protocol.WebRequest = WebRequest
    return True

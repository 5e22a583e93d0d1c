"""Content-Security-Policy for every response.

The site's own pages run no inline script: page scripts live in site/static/js/ and read their
data from data-* attributes or <script type="application/json"> blocks (json_script), which a
browser never executes, so `script-src 'self'` is enough. Styles come from linli.css only; the one
inline style attribute allauth renders (`<form style="display: none">` on the e-mail and phone
change pages) is allowed by its hash ('unsafe-hashes'), not by 'unsafe-inline'.

Wagtail's admin (and Ninja's API docs page) ship inline scripts and styles of their own, so paths
under RELAXED_PREFIXES get RELAXED_POLICY instead: scripts and styles from the site plus inline
ones, but still no plug-ins, no foreign frames around it and no foreign form targets. Wagtail's
preview shows the page in an iframe of the admin itself, hence frame-ancestors 'self' there.

Settings: CSP_POLICY and CSP_RELAXED_POLICY override the strings, CSP_REPORT_ONLY=True sends the
Content-Security-Policy-Report-Only header instead (for trying a stricter policy in production).
"""

import base64
import hashlib

from django.conf import settings


def _style_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


# Inline style attributes in third-party templates we render unchanged (allauth).
ALLOWED_STYLE_ATTRIBUTES = ("display: none",)

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-hashes' "
        + " ".join(_style_hash(s) for s in ALLOWED_STYLE_ATTRIBUTES),
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self' ws: wss:",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)

RELAXED_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "frame-src 'self' https:",
        "object-src 'none'",
        "frame-ancestors 'self'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)

RELAXED_PREFIXES = ("/admin/", "/api/v1/docs")


def policy_for(path: str) -> str:
    if path.startswith(RELAXED_PREFIXES):
        return getattr(settings, "CSP_RELAXED_POLICY", RELAXED_POLICY)
    return getattr(settings, "CSP_POLICY", POLICY)


def _set_header(request, response):
    header = (
        "Content-Security-Policy-Report-Only"
        if getattr(settings, "CSP_REPORT_ONLY", False)
        else "Content-Security-Policy"
    )
    if header not in response:
        response[header] = policy_for(request.path)
    return response


class ContentSecurityPolicyMiddleware:
    """Sync only: config.handlers.SyncChainASGIHandler runs the whole chain in one thread."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return _set_header(request, self.get_response(request))

"""Content-Security-Policy from django-csp, with a relaxed policy for Wagtail's admin.

The site's policy is django-csp's CONTENT_SECURITY_POLICY setting (config/settings/base.py). The
site's own pages run no inline script: page scripts live in site/static/js/ and read their data
from data-* attributes or <script type="application/json"> blocks (json_script), which a browser
never executes, so `script-src 'self'` is enough. Styles come from linli.css only; the one inline
style attribute allauth renders (`<form style="display: none">` on the e-mail and phone change
pages) is allowed by its hash ('unsafe-hashes'), not by 'unsafe-inline'.

Wagtail's admin (and Ninja's API docs page) ship inline scripts and styles of their own, so
responses under RELAXED_PREFIXES get RELAXED_DIRECTIVES in place of the site's: scripts and styles
from the site plus inline ones, but still no plug-ins, no foreign frames around it and no foreign
form targets. Wagtail's preview shows the page in an iframe of the admin itself, hence
frame-ancestors 'self' there. Those views belong to Wagtail and Ninja, so django-csp's per-view
decorators cannot reach them; its middleware's documented extension point, get_policy_parts,
can. The same applies to the report-only policy when that is the one in use.
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts

RELAXED_PREFIXES = ("/admin/", "/api/v1/docs")

# What the relaxed policy replaces in the site's; every other directive stays as it is.
RELAXED_DIRECTIVES = {
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
    "font-src": [SELF, "data:"],
    "frame-src": [SELF, "https:"],
    "frame-ancestors": [SELF],
}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path.startswith(RELAXED_PREFIXES):
            # A view's own @csp_replace still has the last word.
            parts.replace = {**RELAXED_DIRECTIVES, **(parts.replace or {})}
        return parts

"""Who holds an allauth headless app session token (X-Session-Token), outside a request.

The WebSocket consumer gets the token in a message, not in a request header, so allauth's own
authentication classes (Ninja's XSessionTokenAuth, DRF's) cannot be used there. The token
strategy (settings.HEADLESS_TOKEN_STRATEGY) turns the token into its Django session, as allauth's
documented AbstractTokenStrategy.lookup_session promises, and Django's auth.get_user reads the
user from that session as for any request: unknown or expired token, signed-out session, a
password changed since (the session's auth hash), or an inactive account all give None.
"""

from allauth.headless import app_settings
from django.contrib import auth
from django.http import HttpRequest

from core.inputs import has_control_characters


def user_for_session_token(token: str):
    """The active user of an allauth headless app session token, or None."""
    # No token holds control characters, and PostgreSQL refuses a query with a NUL in it
    # (allauth's own strategy would ask it).
    if not token or has_control_characters(token):
        return None
    session = app_settings.TOKEN_STRATEGY.lookup_session(token)
    if session is None:
        return None
    request = HttpRequest()
    request.session = session
    user = auth.get_user(request)
    if not user.is_authenticated or not user.is_active:
        return None
    return user

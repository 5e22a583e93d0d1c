"""Encryption at rest of identity numbers (Fernet: AES-128-CBC with HMAC-SHA256).

settings.ID_NUMBER_KEYS lists Fernet keys, the newest first: new values are encrypted with
the first, and any of them decrypts (MultiFernet), so a key can be rotated by putting a new
one in front and re-saving the profiles. Development and tests derive one from SECRET_KEY;
`manage.py check --deploy` warns without the setting (certificates.W001).
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _keys() -> list[bytes]:
    keys = list(getattr(settings, "ID_NUMBER_KEYS", None) or [])
    if not keys:
        digest = hashlib.sha256(f"linli-id-numbers:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest)]
    return [key.encode() if isinstance(key, str) else key for key in keys]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    """The plain text, or "" for an empty or unreadable value (a lost key must not break
    every page that shows a masked number)."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return ""

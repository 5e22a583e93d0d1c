import os

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = VAR_DIR / "test-media"
PRIVATE_MEDIA_ROOT = VAR_DIR / "test-private"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# In-process requests (config.asgi.application in tests) must not leave connections open in
# request threads: the test database is dropped at the end of the run. Servers that a test
# starts with DATABASE_CONN_MAX_AGE in their environment keep it.
if "DATABASE_CONN_MAX_AGE" not in os.environ:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# The suite keeps the interpreter's collector: threads of tests that end without closing
# their database connections must let them go soon (the test database is dropped at the end).
GC_THRESHOLDS = None
GIL_SWITCH_INTERVAL = None

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import STORAGES as BASE_STORAGES

DEBUG = False

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# nginx sends access-checked photos from this internal location (site/deploy/nginx/linli.conf);
# set PRIVATE_MEDIA_ACCEL_REDIRECT= (empty) to have Django send them without nginx.
PRIVATE_MEDIA_ACCEL_REDIRECT = os.environ.get("PRIVATE_MEDIA_ACCEL_REDIRECT", "/_private/")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": BASE_STORAGES["private"],
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
    },
}

# The console sender writes every SMS, login codes included, to the log: a deployment uses it
# only when told so explicitly (a trial without an SMS provider).
if SMS_SENDER == "accounts.sms.ConsoleSmsSender" and os.environ.get("ALLOW_CONSOLE_SMS") != "1":
    raise ImproperlyConfigured(
        "SMS_SENDER is the console sender, which writes login codes to the log. Set SMS_SENDER "
        "to a real sender, or ALLOW_CONSOLE_SMS=1 to accept codes in the log."
    )

if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "465"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "1") == "1"

# Without SMTP, e-mails go to the log, login codes, verification codes and password-reset links
# included: likewise only when told so explicitly.
if (
    EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"
    and os.environ.get("ALLOW_CONSOLE_EMAIL") != "1"
):
    raise ImproperlyConfigured(
        "EMAIL_HOST is not set, so e-mails (login codes and password-reset links included) "
        "would be written to the log. Set EMAIL_HOST, or ALLOW_CONSOLE_EMAIL=1 to accept them "
        "in the log."
    )

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Production runs several server processes (gunicorn's and daphne's): rate limits counted in one
# process's local-memory cache would not hold, so django-ratelimit's checks of the cache, silenced
# for the one-process embedded default (base.py), apply here: without REDIS_URL they fail.
SILENCED_SYSTEM_CHECKS = [
    check for check in SILENCED_SYSTEM_CHECKS if not check.startswith("django_ratelimit.")
]

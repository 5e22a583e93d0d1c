"""Settings shared by every environment.

The embedded default needs nothing installed: SQLite under var/, the in-memory
channel layer, the local-memory cache, console e-mail and SMS. DATABASE_URL and
REDIS_URL switch to PostgreSQL and Redis.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_HASHES

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("LINLI_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("SECRET_KEY", "linli-insecure-development-key-change-me")
DEBUG = False
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
# Cross-origin reads of the APIs (/api/v1/, /api/v2/) for the origins named here, comma-separated.
CORS_ALLOWED_ORIGINS = [
    o.strip() for o in os.environ.get("CORS_ALLOWED_ORIGINS", "").split(",") if o.strip()
]
CORS_URLS_REGEX = r"^/api/.*$"

WECHAT_APP_ID = os.environ.get("WECHAT_APP_ID", "")
WECHAT_APP_SECRET = os.environ.get("WECHAT_APP_SECRET", "")

INSTALLED_APPS = [
    "daphne",
    "core",
    "accounts",
    "communities",
    "live",
    "teams",
    "activities",
    "certificates",
    "deliberation",
    "brands",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "accounts.apps.LinliUsersAppConfig",  # wagtail.users with our user admin
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail",
    "modelcluster",
    "taggit",
    "corsheaders",
    "csp",
    "django_ratelimit",
    "rest_framework",
    "django_filters",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.mfa",
    "allauth.headless",
    "allauth.usersessions",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
if WECHAT_APP_ID and WECHAT_APP_SECRET:
    INSTALLED_APPS.append("allauth.socialaccount.providers.weixin")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "core.inputs.ControlCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RateLimitedMiddleware",
    "core.ratelimit.WriteRateLimitMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
]

# Content-Security-Policy (django-csp; core/csp.py says why it is this strict and relaxes it
# for Wagtail's admin and the API docs). CSP_REPORT_ONLY=1 in the environment sends it as
# Content-Security-Policy-Report-Only instead, to try a policy out without blocking anything.
site_content_security_policy = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # The one inline style attribute allauth renders: sha256 of "display: none".
        "style-src": [SELF, UNSAFE_HASHES, "'sha256-ZdHxw9eWtnxUb3mk6tBS+gIiVUPE3pGM470keHPDFlE='"],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF, "ws:", "wss:"],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}
if os.environ.get("CSP_REPORT_ONLY") == "1":
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = site_content_security_policy
else:
    CONTENT_SECURITY_POLICY = site_content_security_policy
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "accounts.context_processors.large_text",
                "live.context_processors.unread_notifications",
                "communities.context_processors.inbox_count",
            ],
        },
    },
]

# Connections as Django's docs advise when requests may run in a new thread each (daphne, ASGI):
# no persistent connections (CONN_MAX_AGE 0). PostgreSQL keeps its connections in Django's
# connection pool instead (psycopg-pool), one pool per server process, so a request borrows an
# open connection and gives it back when it ends. CONN_HEALTH_CHECKS makes the pool check a
# connection before lending it, so one that PostgreSQL dropped meanwhile is replaced.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'linli.sqlite3'}",
        conn_max_age=0,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # max_size: at least the threads of a gunicorn worker (site/deploy/gunicorn.conf.py), so
    # that no request waits for a connection. One that finds none (PostgreSQL unreachable)
    # waits `timeout` seconds, then gets the 503 "briefly unavailable" reply (core.middleware).
    # While PostgreSQL is away the pool retries with growing pauses; it gives a series up after
    # `reconnect_timeout` seconds and the next request starts a new one, so the site is back
    # within seconds of PostgreSQL, not after a pause as long as the outage.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", "2")),
        "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "8")),
        "timeout": 5,
        "reconnect_timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and a task worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# A server process's garbage collector thresholds and the interpreter's thread switch interval
# in seconds (config/asgi.py says why).
GC_THRESHOLDS = (50_000, 20, 100)
GIL_SWITCH_INTERVAL = 0.001

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # As channels_redis' README documents; live.redis_watch tells clients to resync
            # when Redis drops messages, live.publisher sends from threads without a loop.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("REDIS_PREFIX", "linli")},
        }
    }
    CACHES = {
        "default": {
            # Redis, or no cache at all while Redis is unreachable: django-redis' IGNORE_EXCEPTIONS
            # answers as an empty cache (its add() too, with core.cache.FailOpenClient), and
            # short socket timeouts keep an unreachable Redis from holding up a request.
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("REDIS_PREFIX", "linli"),
            "OPTIONS": {
                "CLIENT_CLASS": "core.cache.FailOpenClient",
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
else:
    # Channels' in-memory layer. The live hub (live.hub) stays in a topic's group for as long
    # as it has followers there: memberships must not expire after a day (group_expiry, ten
    # years here), and a burst of events must not overflow the hub's one channel (capacity).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 10_000, "expiry": 60, "group_expiry": 10 * 365 * 86400},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Every error the cache ignores while Redis is unreachable is logged (logger django_redis.cache).
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

AUTH_USER_MODEL = "accounts.User"
# User.email, the login name, is unique only once verified (allauth's EmailAddress), so that an
# address someone else typed in does not keep its owner out; UserManager.get_by_natural_key
# picks the owner for Django's own login.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
if not REDIS_URL:
    # django-ratelimit counts in the default cache and warns that the local-memory cache is not
    # shared between processes (E003) and not one it supports (W001). The embedded default runs
    # one server process (`make run`), whose requests all share that cache, so its counts hold
    # there. A deployment of several processes sets REDIS_URL (config/settings/production.py
    # turns these checks on again).
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# allauth: phone first. People sign up with a phone number and the SMS code texted to it, with
# no password and the e-mail address optional (many residents are over 60 and have no e-mail);
# they sign in again with a new SMS code. Accounts made with an e-mail address and a password
# keep signing in with them; anyone may choose a password at sign-up or later
# (/accounts/password/set/).
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"phone", "email"}
# The password is optional (allauth keeps the password login only while "password1" is here).
ACCOUNT_SIGNUP_FIELDS = ["phone*", "email", "password1", "password2"]
# An unverified number or address owns nothing (accounts/adapter.py): nobody signs in with a
# code, or resets a password, through it before verifying it. A number is verified with the
# 6-digit SMS code typed in the session that asked for it, so a code texted to someone else's
# phone is of no use to whoever typed their number in. allauth verifies addresses by code only
# when every sign-up gives one ("mandatory"); here an address given is confirmed through the
# link mailed to it, opened where its account is signed in. Sign-up, login and password reset
# answer alike whether or not a number or address is registered: "strict" lets a sign-up keep
# an address another account holds, unverified, as every address starts.
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_PREVENT_ENUMERATION = "strict"
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_FORMS = {
    "change_phone": "accounts.phone_forms.ChangePhoneForm",
    "request_login_code": "accounts.phone_forms.RequestLoginCodeForm",
}
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Every SMS costs money and can pester a stranger, so each kind is limited per number and per
# client address (one address may be a community centre's wifi where a social worker signs up
# a room of neighbours). Signing up and then signing in straight away takes one SMS of each
# kind, within all of them. Failed logins and code requests are refused on the form, with
# what was typed kept.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_phone": "1/m/user",
    "verify_phone": "1/30s/key,5/h/key,3/m/ip,60/h/ip",
    "request_login_code": "3/m/key,10/h/key,20/m/ip,60/h/ip",
}
# The address those limits count per is REMOTE_ADDR, which daphne takes from nginx's own view of
# the client (site/deploy/README.md); allauth must not read X-Forwarded-For, a client can write it.
ALLAUTH_TRUSTED_PROXY_COUNT = 0
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = None
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupProfileForm"
SOCIALACCOUNT_ADAPTER = "allauth.socialaccount.adapter.DefaultSocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {}
if WECHAT_APP_ID and WECHAT_APP_SECRET:
    SOCIALACCOUNT_PROVIDERS["weixin"] = {
        "APPS": [{"client_id": WECHAT_APP_ID, "secret": WECHAT_APP_SECRET}],
        "SCOPE": ["snsapi_login"],
    }
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
HEADLESS_CLIENTS = ("browser", "app")
HEADLESS_SERVE_SPECIFICATION = False
# App session tokens looked up in one query instead of two (core/api.py).
HEADLESS_TOKEN_STRATEGY = "core.api.SessionTokenStrategy"
HEADLESS_FRONTEND_URLS = {
    "account_confirm_email": "/accounts/confirm-email/{key}/",
    "account_reset_password_from_key": "/accounts/password/reset/key/{key}/",
    "account_signup": "/accounts/signup/",
}

SMS_SENDER = os.environ.get("SMS_SENDER", "accounts.sms.ConsoleSmsSender")
PHONENUMBER_DEFAULT_REGION = "CN"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = "core.formats"  # one date format per language (core/formats)
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "site" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Photos of tasks and proposals: outside MEDIA_ROOT, so no web server serves them by path; the
# views of core.private_media serve them after a permission check.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
# The internal nginx location of PRIVATE_MEDIA_ROOT; empty: Django sends the file itself.
PRIVATE_MEDIA_ACCEL_REDIRECT = os.environ.get("PRIVATE_MEDIA_ACCEL_REDIRECT", "")
# Uploaded images with more pixels are refused before they are decoded (core.images).
MAX_IMAGE_PIXELS = 40_000_000
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "邻里 Linli <noreply@linli.example>")
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

WAGTAIL_SITE_NAME = "邻里 Linli"
# Nothing from third-party hosts (Content-Security-Policy, core/csp.py; gravatar is not
# reachable from mainland China anyway): no avatar look-ups, no release check.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILADMIN_BASE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx"]
# Editorial images: the types core.images re-encodes, the same pixel limit, and a form that
# writes every upload again from its pixels, without metadata (core/wagtail_images.py).
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
WAGTAILIMAGES_IMAGE_FORM_BASE = "core.wagtail_images.CleanImageForm"

LIVE_REPLAY_LIMIT = 200
# Events go to daphne's sockets as autobahn's prepared messages (live/wire.py); 0 sends them
# through the ASGI `send`, as to any other server.
LIVE_PREPARED_MESSAGES = os.environ.get("LIVE_PREPARED_MESSAGES", "1").strip() != "0"
LIVE_MAX_SUBSCRIPTIONS = 50
LIVE_MAX_MESSAGE_BYTES = 4096

STAR_LEVEL_THRESHOLDS = [100, 300, 600, 1000, 1500]
# Fernet keys for identity numbers at rest, newest first (certificates.crypto); without them
# a key is derived from SECRET_KEY, which production refuses.
ID_NUMBER_KEYS = [key for key in os.environ.get("ID_NUMBER_KEYS", "").split(",") if key]

# Residents' council: per person, (how many, per how many seconds); None switches one off.
# Votes are counted by the write ceiling below alone.
DELIBERATION_RATE_LIMITS = {
    "proposal": (10, 3600),
    "comment": (30, 600),
    "vote": None,
    "report": (30, 3600),
}
# Every write of the site and the API (core/ratelimit.py): per person or app session, and per
# address for anonymous requests; (how many, per how many seconds), None switches one off.
WRITE_RATE_LIMITS = {
    "user": (120, 60),
    "anonymous": (60, 60),
}
# Those limits are counted by django-ratelimit; while the cache is unreachable it cannot count,
# and lets requests through rather than refusing them all.
RATELIMIT_FAIL_OPEN = True
# Open reports that hide a proposal or comment until staff review it.
DELIBERATION_REPORTS_TO_HIDE = 3

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Request paths reach the log: the filter takes password-reset keys out of them.
    "filters": {
        "reset_keys": {"()": "accounts.logs.RedactResetKeys"},
        "forbidden_line": {"()": "core.logs.ForbiddenOnOneLine"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["reset_keys"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "accounts.sms": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"filters": ["forbidden_line"]},
    },
}

"""Settings for the servers a benchmark starts: the shared base, without debug.

The environment chooses the database (LINLI_VAR_DIR or DATABASE_URL) and the channel layer
(REDIS_URL), exactly as for the real site.
"""

from config.settings.base import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
}

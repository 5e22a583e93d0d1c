"""A Redis cache that degrades to "no cache" while Redis is unreachable.

The cache only ever holds what can be computed again (figures, rate-limit counters), so an
unreachable Redis must not turn pages into errors. `FailSafeRedisCache` is Django's RedisCache
with every operation guarded: on a connection error or timeout it logs one warning, answers as
Django's DummyCache does (get -> default, add -> True so that cache-based locks and rate limits
let the request through, incr -> ValueError "key not found", set/delete -> nothing) and skips
Redis for `PAUSE_SECONDS` (default 5), so that an outage does not cost a connection attempt per
call. Other errors are raised as usual. `count(key, timeout)` is the rate limiter's counter
(config.ratelimit) in one round trip.

Connections are shared. Django makes a cache object per thread and per async context, that
is, per request under ASGI, and each of Django's cache clients opens connection pools of its
own: every request connected to Redis afresh (~1-3 ms before the first rate-limit count of a
POST). Here the clients of one LOCATION and OPTIONS share their pools (redis-py's pools are
thread-safe and reconnect after a fork), so a request finds its connection open.

Settings: BACKEND "config.cache.FailSafeRedisCache"; OPTIONS may hold PAUSE_SECONDS and any
redis-py connection option (socket_connect_timeout, socket_timeout, ...).
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)

#: LOCATION -> time.monotonic() until which Redis is skipped. Shared by the cache objects of
#: every thread (Django makes one per thread), so that one failure pauses them all.
_paused_until: dict[str, float] = {}


#: (servers, options) -> the connection pools every client of them uses.
_shared_pools: dict[tuple, dict] = {}


class SharedPoolsClient(RedisCacheClient):
    """Django's Redis cache client, with the connection pools of its servers shared."""

    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        key = (tuple(servers), tuple(sorted((k, repr(v)) for k, v in options.items())))
        self._pools = _shared_pools.setdefault(key, {})


class FailSafeRedisCache(RedisCache):
    pause_seconds = 5.0

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        self.pause_seconds = float(options.pop("PAUSE_SECONDS", self.pause_seconds))
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._class = SharedPoolsClient
        self._location = str(server)

    # -- the guard ---------------------------------------------------------------------------

    def _call(self, fallback, method, *args, **kwargs):
        if time.monotonic() < _paused_until.get(self._location, 0.0):
            return self._fallback(fallback)
        try:
            result = method(*args, **kwargs)
        except UNAVAILABLE as exc:
            # One warning per pause: the next attempt comes only after it.
            logger.warning(
                "Redis cache unavailable (%s); serving without cache for %.0f s",
                exc,
                self.pause_seconds,
            )
            _paused_until[self._location] = time.monotonic() + self.pause_seconds
            return self._fallback(fallback)
        return result

    @staticmethod
    def _fallback(value):
        if isinstance(value, Exception):
            raise value
        return value

    @property
    def available(self) -> bool:
        """False while the cache is skipping Redis after a failure."""
        return time.monotonic() >= _paused_until.get(self._location, 0.0)

    # -- the operations ----------------------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(True, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._call({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        return self._call(ValueError(f"Key '{key}' not found."), super().incr, key, delta, version)

    def count(self, key, timeout, version=None) -> int | None:
        """Add one to the counter `key`, made with `timeout` seconds to live when missing, and
        return the new count: one round trip (Django's add + incr take three). None while
        Redis is unavailable."""
        return self._call(None, self._count, key, timeout, version)

    def _count(self, key, timeout, version):
        key = self.make_and_validate_key(key, version=version)
        pipeline = self._cache.get_client(key, write=True).pipeline(transaction=True)
        pipeline.set(key, 0, nx=True, ex=int(timeout))
        pipeline.incr(key)
        return pipeline.execute()[-1]

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call([], super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call(None, super().delete_many, keys, version)

    def clear(self):
        return self._call(False, super().clear)

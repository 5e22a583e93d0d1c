"""django-redis' client, with add() answering as an empty cache while Redis is unreachable.

The cache is django-redis' RedisCache with IGNORE_EXCEPTIONS (config/settings/base.py): while
Redis is unreachable every operation answers as on an empty cache (get -> default, set and delete
-> nothing), except add(), which answers None, "not added", as if the key were there already.
Cache-based locks read that as "taken": allauth takes one in the cache before it counts a login,
a sign-up or a code request against ACCOUNT_RATE_LIMITS, waits a second for it and then refuses
the request (429), so nobody could sign in until Redis is back. On an empty cache add() adds,
and says so: here it answers True while Redis is unreachable, so locks are taken, counters
start from one and the request goes through. It is plugged in with OPTIONS["CLIENT_CLASS"],
django-redis' documented way to extend its client; the other operations are django-redis' own.
"""

import logging

from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger(__name__)


class FailOpenClient(DefaultClient):
    def add(self, *args, **kwargs) -> bool:
        try:
            return super().add(*args, **kwargs)
        except ConnectionInterrupted as exc:
            logger.warning("Redis unreachable (%s): add() answers as an empty cache", exc)
            return True

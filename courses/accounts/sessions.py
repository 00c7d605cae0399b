"""Sessions in the database, read through the shared cache, and still working without it.

Django's cached_db engine raises when Redis is down (its cache.get/set are not guarded),
so every signed-in request would fail with 500. This one treats a cache error as a miss:
the database is the record, the cache only saves a query. (The site is served by WSGI:
the async methods are not covered.)
"""

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbStore

logger = logging.getLogger(__name__)


class ForgivingCache:
    """A cache whose failures are logged and answered as misses (None, False)."""

    def __init__(self, cache):
        self._real = cache

    def __getattr__(self, name):
        attribute = getattr(self._real, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            try:
                return attribute(*args, **kwargs)
            except ValueError:  # the cache's own answer (incr of a missing key), not an outage
                raise
            except Exception as error:  # redis.ConnectionError, TimeoutError, ...
                logger.warning("cache unavailable (%s %s): going on without it", name, error)
                return None

        return call

    def __contains__(self, key) -> bool:
        try:
            return key in self._real
        except Exception as error:
            logger.warning("cache unavailable (%s): going on without it", error)
            return False


class SessionStore(CachedDbStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = ForgivingCache(self._cache)

"""Sessions in the database, read through the shared cache, and still working without it.

Django's cached_db engine raises when Redis is down (its cache.get/set are not guarded),
so every signed-in request would fail with 500. This one treats a cache error as a miss:
the database is the record, the cache only saves a query. (The site is served by WSGI:
the async methods are not covered.)
"""

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbStore

from courses.forgiving_cache import ForgivingCache


class SessionStore(CachedDbStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = ForgivingCache(self._cache)

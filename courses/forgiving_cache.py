"""A cache whose outages are logged and answered as misses (None, False), for the things
that only use the cache to save work: sessions (read from the database then), the public
page cache (pages rendered afresh), rate limits (which then fail open).
"""

import logging

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

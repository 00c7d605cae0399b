"""Counting attempts per key in a time window on the shared cache (Redis under `make run`
and in production), for every limit the site has: wrong codes, comments, questions.

A fixed window that starts at the first counted attempt; the counter expires with it.
"""

from __future__ import annotations

from django.core.cache import cache as _shared_cache

from courses.forgiving_cache import ForgivingCache

# Limits fail open when the cache (Redis) is down: refusing every sign-in or comment would be
# worse than letting a few more through for a while.
cache = ForgivingCache(_shared_cache)


def _key(name: str) -> str:
    return f"ratelimit:{name}"


def rate_count(name: str) -> int:
    """Attempts counted in the current window."""
    return cache.get(_key(name)) or 0


def rate_exceeded(name: str, *, limit: int) -> bool:
    return rate_count(name) >= limit


def rate_hit(name: str, *, window_s: int) -> int:
    """Count one attempt; returns the count in the window (1 for the first)."""
    key = _key(name)
    if cache.add(key, 1, timeout=window_s):  # add() starts the window; incr() keeps its expiry
        return 1
    try:
        return cache.incr(key) or 1  # None: the cache is down (counted as a first attempt)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_s)
        return 1

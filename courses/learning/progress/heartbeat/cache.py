"""Django's Redis cache, keeping one redis-py client per server instead of one per call.

django.core.cache.backends.redis builds a new redis.Redis for every cache call;
redis-py 8 fills a table of about 170 response callbacks in each one, which cost
more CPU than the GET it wraps (a cached session read on every request). A
redis.Redis over a connection pool is safe to share, so it is built once.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusedClientRedisCacheClient

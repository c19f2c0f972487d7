"""A fixed-window limiter that loses its TTL: the window ends between its check and its INCR."""

from __future__ import annotations

import redis


def allow(client: redis.Redis, user: str, limit: int = 10, window: int = 60) -> bool:
    """True while ``user`` made at most ``limit`` requests in the current window."""
    key = f"ratelimit:{user}"
    if client.exists(key):  # a window runs: count the hit in it
        hits = client.incr(key)  # the planted bug: the window may have ended meanwhile
    else:  # the first hit starts a window
        hits = client.incr(key)
        client.expire(key, window)
    return hits <= limit


def fixed(client: redis.Redis, user: str, limit: int = 10, window: int = 60) -> bool:
    key = f"ratelimit:{user}"
    hits = client.incr(key)
    if client.ttl(key) == -1:  # every hit makes sure the window ends
        client.expire(key, window)
    return hits <= limit

"""A transfer with optimistic locking whose retry reuses the balances it read before."""

from __future__ import annotations

import redis


def transfer(client: redis.Redis, source: str, target: str, amount: int) -> bool:
    """Move ``amount`` from ``source`` to ``target``; False if ``source`` is short."""
    src, dst = f"balance:{source}", f"balance:{target}"
    have = int(client.get(src) or 0)  # the planted bug: read once, before watching
    got = int(client.get(dst) or 0)
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(src, dst)
                if have < amount:
                    pipe.unwatch()
                    return False
                pipe.multi()
                pipe.set(src, have - amount)
                pipe.set(dst, got + amount)
                pipe.execute()
                return True
            except redis.WatchError:
                continue  # ...and retried with the same stale balances


def fixed(client: redis.Redis, source: str, target: str, amount: int) -> bool:
    src, dst = f"balance:{source}", f"balance:{target}"
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(src, dst)
                have = int(pipe.get(src) or 0)  # read while watching, on every attempt
                got = int(pipe.get(dst) or 0)
                if have < amount:
                    pipe.unwatch()
                    return False
                pipe.multi()
                pipe.set(src, have - amount)
                pipe.set(dst, got + amount)
                pipe.execute()
                return True
            except redis.WatchError:
                continue

"""A lock taken with SET NX, retried a few times when another holder has it."""

import redis

ATTEMPTS = 5
LEASE_MS = 30_000


def acquire(client, name, token, attempts=ATTEMPTS, sleep=None):
    """True once `SET lock:<name> <token> NX PX` took the lock, False after `attempts` refusals.

    A dropped connection counts as a refusal (the next attempt may reach the server); any other
    error reaches the caller.
    """
    key = f"lock:{name}"
    for attempt in range(attempts):
        try:
            if client.set(key, token, nx=True, px=LEASE_MS):
                return True
        except redis.ConnectionError:
            pass
        if sleep is not None:
            sleep(0.01 * 2**attempt)
    return False

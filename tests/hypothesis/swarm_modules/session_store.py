"""Web sessions kept in Redis hashes, their expiry renewed on each read."""

# ruff: noqa: SIM105 - written as the code it stands for is written

import redis

TTL = 1800


def load_session(client, session_id):
    """The session's fields, its expiry renewed; None when there is no such session.

    Renewing is best effort: a dropped connection or a timeout there is not the reader's
    problem; a server error reply is.
    """
    key = f"session:{session_id}"
    fields = client.hgetall(key)
    if not fields:
        return None
    try:
        client.expire(key, TTL)
    except (redis.ConnectionError, redis.TimeoutError):
        pass
    return fields


def save_session(client, session_id, fields):
    """Store the session's fields with a fresh expiry, both or neither."""
    key = f"session:{session_id}"
    with client.pipeline(transaction=True) as pipe:
        pipe.hset(key, mapping=fields)
        pipe.expire(key, TTL)
        pipe.execute()

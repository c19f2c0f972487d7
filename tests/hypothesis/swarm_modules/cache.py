"""Cache-aside reads of user profiles: the cache may be out of reach, the database is the truth."""

# ruff: noqa: SIM105 - written as the code it stands for is written

import json

import redis

TTL = 300


def get_profile(client, user_id, load):
    """The profile of `user_id`, from the cache or else `load(user_id)`, cached for `TTL` s."""
    key = f"profile:{user_id}"
    try:
        cached = client.get(key)
    except (redis.ConnectionError, redis.TimeoutError):
        return load(user_id)  # the cache is out of reach: read through, write nothing
    if cached is not None:
        return json.loads(cached)
    profile = load(user_id)
    try:
        client.set(key, json.dumps(profile), ex=TTL)
    except (redis.ConnectionError, redis.TimeoutError):
        pass  # a lost cache write costs a later miss, not this read
    return profile

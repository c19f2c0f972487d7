"""A queue whose push is applied twice when redis-py retries it after a lost reply."""

from __future__ import annotations

import json

import redis

#: Pushes a job once per id, however often it is sent.
PUSH_ONCE = """
if redis.call("sadd", KEYS[2], ARGV[1]) == 1 then
    return redis.call("rpush", KEYS[1], ARGV[2])
end
return redis.call("llen", KEYS[1])
"""


def submit(client: redis.Redis, job_id: str, payload: str) -> None:
    """Queue a job for the workers."""
    # The planted bug: a reply lost after RPUSH took effect makes redis-py send it again.
    client.rpush("jobs", json.dumps({"id": job_id, "payload": payload}))


def fixed(client: redis.Redis, job_id: str, payload: str) -> None:
    job = json.dumps({"id": job_id, "payload": payload})
    client.eval(PUSH_ONCE, 2, "jobs", "jobs:ids", job_id, job)

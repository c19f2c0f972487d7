"""Waiting for a worker's result: poll its key until it appears, for a bounded time."""

# ruff: noqa: SIM105 - written as the code it stands for is written

import redis


class ResultTimeout(Exception):
    """The result did not appear in time."""


def wait_for_result(client, job_id, polls=60, sleep=None):
    """The result of job `job_id`, polled once per interval, at most `polls` times."""
    key = f"job:{job_id}:result"
    for _ in range(polls):
        result = client.get(key)
        if result is not None:
            try:
                client.delete(key)  # the result is handed over once
            except redis.ConnectionError:
                pass  # the result expires on its own
            return result
        if sleep is not None:
            sleep(0.5)
    raise ResultTimeout(f"no result for job {job_id} after {polls} polls")

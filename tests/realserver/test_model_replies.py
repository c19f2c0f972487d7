"""The model of ``redis_session(model=True)`` replies as a real ``redis-server`` does.

Each scenario runs the commands of the guide's model examples (the reliable queue, the transfer
with optimistic locking) through redis-py's methods twice: against the real server, outside the
sandbox, and inside the sandbox against a model session with no faults. The replies, errors and
the data left behind must be the same, with ``decode_responses`` off and on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol

import pytest
import redis

import tripwire
from tripwire import StrictVerifier
from tripwire_hypothesis import RedisSession

# The model is fakeredis, which imports redis.asyncio: redis-py 4.2 and later.
pytest.importorskip("redis.asyncio", reason="fakeredis needs redis.asyncio (redis-py 4.2+)")

Scenario = Callable[[redis.Redis], list[Any]]


class _Server(Protocol):
    """The parts of conftest's ``RedisServer`` used here (conftest is not importable)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    def execute_raw(self, *args: bytes | str | int) -> Any: ...


def outcome(call: Callable[[], Any]) -> Any:
    """The call's reply, or its error as (class name, message)."""
    try:
        return call()
    except redis.RedisError as error:
        return (type(error).__name__, str(error))


def queue(client: redis.Redis) -> list[Any]:
    return [
        client.rpush("jobs", "job-1", "job-2", "job-3"),
        client.lmove("jobs", "jobs:processing", "RIGHT", "LEFT"),
        client.rpop("jobs"),
        client.lpush("jobs:processing", "job-2"),
        client.lrange("jobs:processing", 0, -1),
        client.lrem("jobs:processing", 1, "job-3"),
        client.lrem("jobs:processing", 1, "absent"),
        client.lmove("empty", "jobs:processing", "RIGHT", "LEFT"),
        client.rpop("empty"),
        client.lrange("jobs", 0, -1),
        client.lrange("jobs:processing", 0, -1),
        sorted(client.keys("*")),
    ]


def transfer(client: redis.Redis) -> list[Any]:
    results: list[Any] = [client.set("balance:alice", 10), client.mset({"balance:bob": 0})]
    with client.pipeline() as pipe:
        results.append(pipe.watch("balance:alice"))
        results.append(pipe.get("balance:alice"))
        pipe.multi()
        pipe.decrby("balance:alice", 5)
        pipe.incrby("balance:bob", 5)
        pipe.incrby("balance:carol", 5)
        results.append(pipe.execute())
    with client.pipeline() as pipe:
        results.append(pipe.watch("balance:alice"))
        results.append(pipe.unwatch())
    results.append(client.mget("balance:alice", "balance:bob", "balance:carol", "absent"))
    results.append(client.get("balance:alice"))
    return results


def lost_race(client: redis.Redis) -> list[Any]:
    """A watched key written by another client of the code: EXEC fails, nothing is applied."""
    results: list[Any] = [client.set("balance:alice", 10)]
    with client.pipeline() as pipe:
        pipe.watch("balance:alice")
        client.decrby("balance:alice", 1)
        pipe.multi()
        pipe.decrby("balance:alice", 5)
        results.append(outcome(pipe.execute))
    results.append(client.get("balance:alice"))
    return results


def error_replies(client: redis.Redis) -> list[Any]:
    client.set("text", "not a number")
    results = [outcome(lambda: client.lpush("text", "x")), outcome(lambda: client.incr("text"))]
    with client.pipeline() as pipe:
        pipe.multi()
        pipe.incr("text")
        pipe.set("after", "1")
        # Left in the list, as the server replied. (Raised, redis-py would first prefix the
        # message with the command's place in the pipeline, which the sandbox does not.)
        replies = pipe.execute(raise_on_error=False)
    results.append([outcome(functools.partial(_raise, reply)) for reply in replies])
    results.append(client.get("after"))
    return results


def _raise(reply: Any) -> Any:
    if isinstance(reply, Exception):
        raise reply
    return reply


SCENARIOS: dict[str, Scenario] = {
    "queue": queue,
    "transfer": transfer,
    "lost race": lost_race,
    "error replies": error_replies,
}


@pytest.mark.allow("redis")
@pytest.mark.parametrize("decode_responses", [False, True], ids=["bytes", "str"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_model_replies_as_a_real_server_does(
    redis_server: _Server,
    verifier: StrictVerifier,
    scenario: str,
    decode_responses: bool,
) -> None:
    redis_server.execute_raw("FLUSHALL")
    real = redis.Redis(
        host=redis_server.host, port=redis_server.port, decode_responses=decode_responses
    )
    try:
        on_the_server = SCENARIOS[scenario](real)
    finally:
        real.close()

    session = RedisSession.from_faults([])
    session.install()
    with tripwire:
        # Never connects: inside the sandbox every call goes to the model.
        on_the_model = SCENARIOS[scenario](redis.Redis(decode_responses=decode_responses))
    session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])

    assert on_the_model == on_the_server

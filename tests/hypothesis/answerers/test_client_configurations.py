"""Each answer reaches the code as the calling client makes it: its protocol and callbacks, its
``decode_responses``, its library's exceptions; drawn and model sessions alike.

``tests/realserver/test_client_configurations.py`` checks the same conversions against a real
server, command by command.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import tripwire
from tripwire_hypothesis import RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies
from tripwire_hypothesis._reply_strategies.for_commands import REDIS_PY_VERSION

deterministic = settings(
    database=None,
    derandomize=True,
    deadline=None,
    max_examples=60,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)

needs_protocol = pytest.mark.skipif(
    REDIS_PY_VERSION < (5, 0, 0), reason="redis-py takes protocol=3 from 5.0 on"
)


def collect(
    session: st.SearchStrategy[RedisSession],
    make_client: Callable[[], Any],
    calls: dict[str, Callable[[Any], Any]],
) -> dict[str, list[Any]]:
    """Over a run of ``session``, what each named call returned or raised, in example order."""
    seen: dict[str, list[Any]] = defaultdict(list)

    @deterministic
    @given(session)
    @per_example_verifier
    def run(session: RedisSession) -> None:
        session.install()
        with tripwire:
            client = make_client()
            for name, call in calls.items():
                try:
                    seen[name].append(call(client))
                except Exception as error:
                    seen[name].append(error)
        session.assert_sent([(c.command, *c.args) for c in session.consumed])

    run()
    return seen


def _replies(seen: list[Any]) -> list[Any]:
    return [value for value in seen if not isinstance(value, BaseException) and value]


@needs_protocol
@pytest.mark.parametrize("model", [False, True], ids=["drawn", "model"])
def test_a_protocol_3_client_gets_its_own_shapes(model: bool) -> None:
    def fill(client: redis.Redis) -> Any:
        client.rpush("q", "job")
        return client.zadd("z", {"a": 1.5, "b": 2})

    seen = collect(
        tripwire_strategies.redis_session(error_rate=0, model=model),
        lambda: redis.Redis(protocol=3),
        {
            "fill": fill,
            "BLPOP": lambda client: client.blpop(["q"], timeout=1),
            "ZRANGE": lambda client: client.zrange("z", 0, -1, withscores=True),
        },
    )
    popped = _replies(seen["BLPOP"])
    ranges = _replies(seen["ZRANGE"])
    assert popped
    assert ranges
    # redis-py's RESP3 callbacks: a list, not the default client's tuple; [member, score] lists.
    assert {type(reply) for reply in popped} == {list}
    assert {type(pair) for reply in ranges for pair in reply} == {list}
    assert {type(pair[1]) for reply in ranges for pair in reply} == {float}
    if model:
        assert popped[0] == [b"q", b"job"]
        assert ranges[0] == [[b"a", 1.5], [b"b", 2.0]]


@pytest.mark.parametrize("model", [False, True], ids=["drawn", "model"])
def test_a_decoding_client_gets_text(model: bool) -> None:
    seen = collect(
        tripwire_strategies.redis_session(error_rate=0, model=model),
        lambda: redis.Redis(decode_responses=True),
        {
            "SET": lambda client: client.set("k", "v"),
            "GET": lambda client: client.get("k"),
            "HGETALL": lambda client: client.hgetall("h"),
        },
    )
    values = _replies(seen["GET"])
    assert values
    assert {type(value) for value in values} == {str}
    assert all(isinstance(field, str) for reply in _replies(seen["HGETALL"]) for field in reply)
    if model:
        assert set(values) == {"v"}


@pytest.mark.parametrize("model", [False, True], ids=["drawn", "model"])
def test_a_valkey_client_raises_valkeys_own_errors(model: bool) -> None:
    valkey = pytest.importorskip("valkey")
    if model:
        session = tripwire_strategies.redis_session(
            model=True, faults=["readonly", "oom", "loading"], error_rate=0.5
        )
    else:
        session = tripwire_strategies.redis_session(error_rate=0.5)
    seen = collect(
        session,
        lambda: valkey.Valkey(retry=valkey.retry.Retry(valkey.backoff.NoBackoff(), 0)),
        {"SET": lambda client: client.set("k", "v"), "INCR": lambda client: client.incr("n")},
    )
    errors = [value for values in seen.values() for value in values if isinstance(value, Exception)]
    assert errors
    kinds = {type(error).__module__ for error in errors}
    assert kinds == {"valkey.exceptions"}, {type(error) for error in errors}
    assert all(isinstance(error, valkey.exceptions.ValkeyError) for error in errors)


@needs_protocol
def test_a_protocol_3_pipeline_and_asyncio_client_get_their_own_shapes() -> None:
    import asyncio

    from redis.asyncio import Redis as AsyncRedis

    async def popped_async() -> Any:
        client = AsyncRedis(protocol=3)
        return await client.blpop(["q"], timeout=1)

    def pipelined(client: redis.Redis) -> Any:
        pipe = client.pipeline(transaction=False)
        pipe.blpop(["q"], timeout=1)
        return pipe.execute()[0]

    seen = collect(
        tripwire_strategies.redis_session(error_rate=0),
        lambda: redis.Redis(protocol=3),
        {"pipeline": pipelined, "asyncio": lambda _: asyncio.run(popped_async())},
    )
    assert _replies(seen["pipeline"])
    assert _replies(seen["asyncio"])
    assert {type(reply) for reply in _replies(seen["pipeline"]) + _replies(seen["asyncio"])} == {
        list
    }


def test_a_valkey_clients_own_retry_policy_sends_a_faulted_command_again() -> None:
    valkey = pytest.importorskip("valkey")
    retried: list[bool] = []

    @deterministic
    @given(tripwire_strategies.redis_session(error_rate=0.5, commands=["GET"]))
    @per_example_verifier
    def run(session: RedisSession) -> None:
        session.install()
        retry = valkey.retry.Retry(valkey.backoff.NoBackoff(), 3)
        with tripwire:
            client = valkey.Valkey(retry=retry, retry_on_error=[valkey.exceptions.ConnectionError])
            # A redis-py error would escape this: valkey-py's are raised.
            with contextlib.suppress(valkey.exceptions.ValkeyError):
                client.get("k")
        retried.extend(call.retried for call in session.consumed)
        session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])

    run()
    # valkey-py's Retry caught valkey-py's ConnectionError and sent GET again.
    assert True in retried


@pytest.mark.parametrize("model", [False, True], ids=["drawn", "model"])
def test_a_callback_of_the_users_own_makes_the_reply(model: bool) -> None:
    def make_client() -> redis.Redis:
        client = redis.Redis()
        client.set_response_callback("INCRBY", lambda reply, **options: ("counted", reply))
        return client

    seen = collect(
        tripwire_strategies.redis_session(error_rate=0, model=model),
        make_client,
        {"INCRBY": lambda client: client.incr("n")},
    )
    replies = _replies(seen["INCRBY"])
    assert replies
    assert all(reply[0] == "counted" and isinstance(reply[1], int) for reply in replies)
    if model:
        assert set(replies) == {("counted", 1)}

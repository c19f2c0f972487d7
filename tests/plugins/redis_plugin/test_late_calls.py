"""Calls that reach tripwire's interceptors after the sandbox closed.

A method bound inside the sandbox (``f = client.execute_command``) and called after it, or a
thread racing the sandbox's exit, still runs tripwire's interceptor. With no sandbox open it
behaves like the test around it: the guard refuses the call, and a test that allows the real
Redis reaches redis-py's own method. Port 1 of the loopback is closed, so redis-py's own code
shows itself by failing to connect.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import redis
import redis.connection
from dirty_equals import IsInstance

import tripwire
from tripwire import UnsandboxedInteractionError

CLOSED: dict[str, Any] = {"host": "127.0.0.1", "port": 1, "socket_connect_timeout": 0.5}
if "retry" in inspect.signature(redis.Redis).parameters:
    # Fail at the first refusal: redis-py 6 and later retry with backoff for seconds.
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    CLOSED["retry"] = Retry(NoBackoff(), 0)

ENTRY_POINTS = [
    "execute_command",
    "immediate_execute_command",
    "pipeline execute",
    "connect",
    "get_connection",
]
if hasattr(redis.connection.Connection, "connect_check_health"):  # redis-py 6 and later
    ENTRY_POINTS.append("connect_check_health")


def get(get_connection: Callable[..., Any]) -> Any:
    # redis-py 4 and 5 require a command name; 6 and later deprecate it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return get_connection("PING")


def bound_inside(
    entry_point: str,
    client_class: Any,
    connection_class: Any,
    get: Callable[..., Any],
    closed: dict[str, Any] = CLOSED,
) -> Callable[[], Any]:
    """A call of one intercepted entry point, its method bound while a sandbox is open."""
    client = client_class(**closed)
    pipe = client.pipeline()
    pipe.set("a", 1)
    connection = connection_class(**closed)
    with tripwire:
        if entry_point == "execute_command":
            return lambda f=client.execute_command: f("PING")
        if entry_point == "immediate_execute_command":
            return lambda f=pipe.immediate_execute_command: f("WATCH", "k")
        if entry_point == "pipeline execute":
            return pipe.execute  # type: ignore[no-any-return]
        if entry_point == "get_connection":
            return lambda f=client.connection_pool.get_connection: get(f)
        if not hasattr(connection, entry_point):
            pytest.skip(f"{connection_class.__module__} has no Connection.{entry_point} here")
        return getattr(connection, entry_point)  # type: ignore[no-any-return]


def bound_inside_the_sandbox(entry_point: str) -> Callable[[], Any]:
    return bound_inside(entry_point, redis.Redis, redis.connection.Connection, get)


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_under_the_guard_a_late_call_is_refused(entry_point: str) -> None:
    call = bound_inside_the_sandbox(entry_point)
    with pytest.raises(UnsandboxedInteractionError):
        call()


@pytest.mark.allow("redis")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_when_allowed_a_late_call_reaches_redis_py(entry_point: str) -> None:
    call = bound_inside_the_sandbox(entry_point)
    with pytest.raises(redis.exceptions.ConnectionError):
        call()


# -- asyncio ---------------------------------------------------------------------------------------


async def aget(get_connection: Callable[..., Awaitable[Any]]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return await get_connection("PING")


def bound_inside_an_async_sandbox(entry_point: str) -> Callable[[], Awaitable[Any]]:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    import redis.asyncio.connection

    closed = dict(CLOSED)
    if "retry" in closed:
        # An asyncio client takes the asyncio Retry (redis-py 8.2 warns when given the sync one).
        from redis.asyncio.retry import Retry as AsyncRetry
        from redis.backoff import NoBackoff

        closed["retry"] = AsyncRetry(NoBackoff(), 0)
    return bound_inside(
        entry_point, aredis.Redis, redis.asyncio.connection.Connection, aget, closed
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
async def test_asyncio_under_the_guard_a_late_call_is_refused(entry_point: str) -> None:
    call = bound_inside_an_async_sandbox(entry_point)
    with pytest.raises(UnsandboxedInteractionError):
        await call()


@pytest.mark.asyncio
@pytest.mark.allow("redis")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
async def test_asyncio_when_allowed_a_late_call_reaches_redis_py(entry_point: str) -> None:
    call = bound_inside_an_async_sandbox(entry_point)
    with pytest.raises(redis.exceptions.ConnectionError):
        await call()


# -- the installation's lifecycle, seen from a test that allows real Redis ----------------------


def redis_py_answers() -> bool:
    """Whether a call reaches redis-py's own code (refused by port 1), not the guard."""
    try:
        redis.Redis(**CLOSED).ping()
    except UnsandboxedInteractionError:
        return False
    except redis.exceptions.ConnectionError:
        return True
    raise AssertionError("port 1 answered")  # pragma: no cover


@pytest.mark.allow("redis")
def test_guards_nest_and_each_lifts_once() -> None:
    from tripwire.plugins.redis_plugin import RedisPlugin

    own = redis.client.Redis.__dict__["execute_command"]
    assert redis_py_answers()
    lift_first = RedisPlugin.guard()
    lift_second = RedisPlugin.guard()
    assert not redis_py_answers()
    lift_first()
    lift_first()  # a second call of the same lift changes nothing
    assert not redis_py_answers()
    lift_second()
    assert redis_py_answers()
    # Nothing of tripwire's is left on redis-py's class.
    assert redis.client.Redis.__dict__["execute_command"] is own


@pytest.mark.allow("redis")
def test_sandboxes_in_a_test_that_allows_redis_install_and_remove_the_interceptors() -> None:
    own = redis.client.Redis.__dict__["execute_command"]
    tripwire.redis.mock_command("GET", returns=b"1")
    tripwire.redis.mock_command("GET", returns=b"2")
    with tripwire:
        assert redis.Redis().get("k") == b"1"
        with tripwire:
            assert redis.Redis().get("k") == b"2"
        assert redis.client.Redis.__dict__["execute_command"] is not own
    assert redis.client.Redis.__dict__["execute_command"] is own
    assert redis_py_answers()
    for _ in range(2):
        tripwire.redis.assert_command("GET", args=("k",), kwargs=IsInstance(dict))


@pytest.mark.allow("redis")
def test_two_verifiers_sandboxes_closed_out_of_order() -> None:
    from tripwire import StrictVerifier
    from tripwire.plugins.redis_plugin import RedisPlugin

    first, second = StrictVerifier(), StrictVerifier()
    first_plugin, second_plugin = RedisPlugin(first), RedisPlugin(second)
    first_plugin.mock_command("GET", returns=b"first")
    second_plugin.mock_command("GET", returns=b"second")
    first_sandbox, second_sandbox = first.sandbox(), second.sandbox()
    first_sandbox.__enter__()
    second_sandbox.__enter__()
    # The first verifier's sandbox closes while the second's, opened later, stays open.
    first_sandbox.__exit__(None, None, None)
    assert redis.Redis().get("k") == b"second"
    second_sandbox.__exit__(None, None, None)
    second_sandbox.__exit__(None, None, None)  # closing twice changes nothing
    assert redis_py_answers()
    first_plugin.mock_command("GET", returns=b"again")
    with first.sandbox():
        assert [redis.Redis().get("k"), redis.Redis().get("k")] == [b"first", b"again"]

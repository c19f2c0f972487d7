"""A failure's traceback, as pytest shows it, ends at the user's line: tripwire's frames are hidden.

Every function of tripwire's through which an error reaches the user sets ``__tracebackhide__``,
so the traceback pytest prints shows the test and the library under test, not tripwire's
internals. Each case here fails one of those paths and checks that no frame of tripwire's own
code would be shown.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import redis

import tripwire
from tripwire import ConfigurationError, StrictVerifier, TripwireError, use_verifier
from tripwire._config import allowed_by_marker
from tripwire._context import Scope, _no_test, begin, end
from tripwire._per_example import Example

TRIPWIRE = os.path.dirname(str(tripwire.__file__)) + os.sep


#: Before Python 3.12 a list comprehension runs in a frame of its own, which the enclosing
#: function's ``__tracebackhide__`` does not reach: a pipeline's failure shows the one in
#: ``run_batch`` (see `test_a_failing_pipeline_shows_no_frame_of_tripwire`).
def tripwire_frames_shown(excinfo: pytest.ExceptionInfo[BaseException]) -> list[str]:
    """The functions of tripwire's own whose frames pytest would show for this failure."""
    return [
        entry.name
        for entry in excinfo.traceback.filter(excinfo)
        if str(entry.path).startswith(TRIPWIRE)
    ]


def fails_cleanly(
    call: Callable[[], Any],
    expected: type[BaseException] = TripwireError,
    shown: list[str] | None = None,
) -> None:
    __tracebackhide__ = True
    with pytest.raises(expected) as excinfo:
        call()
    assert tripwire_frames_shown(excinfo) == (shown or [])


# -- assertions and verification ------------------------------------------------------------------


def test_assertion_and_verification_failures(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=None)
    with tripwire:
        redis.Redis().execute_command("GET", "k")
        fails_cleanly(lambda: tripwire.redis.assert_command("GET", args=("k",)))
    fails_cleanly(lambda: tripwire.redis.assert_command("SET"))
    with tripwire.in_any_order():
        fails_cleanly(lambda: tripwire.redis.assert_command("SET"))
    fails_cleanly(verifier.verify_all)
    tripwire.redis.assert_command("GET", args=("k",))


# -- unmocked calls inside the sandbox ------------------------------------------------------------


def test_unmocked_calls(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=None)
    client = redis.Redis()
    with tripwire:
        client.execute_command("GET", "a")
        fails_cleanly(lambda: client.execute_command("GET", "b"))  # the queue ran out
        fails_cleanly(lambda: client.execute_command("nosuch", "b"))  # a spelling never seen
        fails_cleanly(lambda: client.pipeline().execute_command("SET", "k", 1).execute())
        fails_cleanly(lambda: client.pipeline().watch("k"))
        fails_cleanly(lambda: listen_unmocked(client.pubsub()))


def listen_unmocked(pubsub: redis.client.PubSub) -> None:
    """Wait for a message that no mock_message queued."""
    pubsub.subscribe("news")
    next(pubsub.listen())  # the confirmation
    next(pubsub.listen())


def test_a_mocked_exception_is_raised_from_the_users_call(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=None, raises=redis.exceptions.TimeoutError)
    with tripwire:
        fails_cleanly(lambda: redis.Redis().get("k"), redis.exceptions.TimeoutError)
    tripwire.redis.assert_command("GET", args=("k",), kwargs={"keys": ["k"]})


@pytest.mark.asyncio
async def test_unmocked_asyncio_calls(verifier: StrictVerifier) -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    client = aredis.Redis()
    async with tripwire:
        for call in (
            lambda: client.execute_command("GET", "k"),
            lambda: client.pipeline().execute_command("SET", "k", 1).execute(),
            lambda: client.pipeline().watch("k"),
            lambda: async_listen_unmocked(client.pubsub()),
        ):
            with pytest.raises(TripwireError) as excinfo:
                await call()
            assert tripwire_frames_shown(excinfo) == []


@pytest.mark.asyncio
async def test_an_async_connection_class_of_ones_own_is_refused_at_the_users_line(
    verifier: StrictVerifier,
) -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")

    class AsyncKeepAlive(aredis.connection.Connection):  # type: ignore[misc]
        async def _connect(self) -> None:
            await super()._connect()

    async with tripwire:
        with pytest.raises(TripwireError) as excinfo:
            await AsyncKeepAlive(host="127.0.0.1", port=1).connect()
    assert tripwire_frames_shown(excinfo) == []


async def async_listen_unmocked(pubsub: Any) -> None:
    """Wait for a message that no mock_message queued."""
    await pubsub.subscribe("news")
    await pubsub.get_message()  # the confirmation
    await pubsub.get_message(timeout=None)


def test_a_failing_pipeline_shows_no_frame_of_tripwire(verifier: StrictVerifier) -> None:
    with tripwire:
        fails_cleanly(lambda: redis.Redis().pipeline().execute_command("GET", "k").execute())


class KeepAlive(redis.connection.Connection):
    """A connection class of one's own (for socket options): its ``_connect`` calls redis-py's."""

    def _connect(self) -> Any:
        return super()._connect()


def test_a_connection_class_of_ones_own_is_refused_at_the_users_line(
    verifier: StrictVerifier,
) -> None:
    with tripwire:
        fails_cleanly(KeepAlive(host="127.0.0.1", port=1).connect)


def test_a_failing_cluster_call_shows_no_frame_of_tripwire(verifier: StrictVerifier) -> None:
    cluster = pytest.importorskip("redis.cluster", reason="redis.cluster arrived in redis-py 4.1")
    with tripwire:
        client = cluster.RedisCluster(host="cache.internal", port=7000)
        fails_cleanly(lambda: client.get("k"))
        fails_cleanly(lambda: client.delete("a", "b"))
        fails_cleanly(lambda: client.pipeline().get("k").execute())


@pytest.mark.asyncio
async def test_a_failing_asyncio_cluster_call_shows_no_frame_of_tripwire(
    verifier: StrictVerifier,
) -> None:
    acluster = pytest.importorskip("redis.asyncio.cluster", reason="arrived in redis-py 4.3")
    async with tripwire, acluster.RedisCluster(host="cache.internal", port=7000) as client:
        for call in (
            lambda: client.get("k"),
            lambda: client.delete("a", "b"),
            lambda: client.pipeline().get("k").execute(),
        ):
            with pytest.raises(TripwireError) as excinfo:
                await call()
            assert tripwire_frames_shown(excinfo) == []


@pytest.mark.asyncio
@pytest.mark.allow("redis")
async def test_an_allowed_asyncio_cluster_call_failing_in_redis_py_shows_no_frame_of_tripwire() -> (
    None
):
    acluster = pytest.importorskip("redis.asyncio.cluster", reason="arrived in redis-py 4.3")
    # Bound while the interceptors are installed; called once they are gone.
    async with tripwire:
        client = acluster.RedisCluster(host="127.0.0.1", port=1)
        await client.initialize()
        node, parser = client.get_default_node(), client.commands_parser
        parse, get_keys = parser.initialize, parser.get_keys
    for call in (lambda: parse(node), lambda: get_keys("GET", "k")):
        with pytest.raises((redis.exceptions.RedisError, OSError)) as excinfo:
            await call()
        assert tripwire_frames_shown(excinfo) == []
    await (getattr(client, "aclose", None) or client.close)()


# -- the guard, outside the sandbox ---------------------------------------------------------------


def test_guard_refusals() -> None:
    client = redis.Redis(host="127.0.0.1", port=1)
    fails_cleanly(lambda: client.get("k"))
    fails_cleanly(lambda: client.pipeline().set("k", 1).execute())
    fails_cleanly(lambda: client.pubsub().subscribe("news"))
    pool = redis.ConnectionPool(connection_class=KeepAlive, host="127.0.0.1", port=1)
    fails_cleanly(lambda: redis.Redis(connection_pool=pool).get("k"))


@pytest.mark.asyncio
async def test_asyncio_guard_refusals() -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    client = aredis.Redis(host="127.0.0.1", port=1)
    # A command is refused where it is sent; a PubSub's connection where the pool connects it.
    for call in (lambda: client.get("k"), lambda: client.pubsub().subscribe("news")):
        with pytest.raises(TripwireError) as excinfo:
            await call()
        assert tripwire_frames_shown(excinfo) == []


# -- configuration --------------------------------------------------------------------------------


def test_a_wrong_allow_marker() -> None:
    fails_cleanly(lambda: allowed_by_marker([pytest.mark.allow("nope").mark]), ConfigurationError)


def test_no_verifier_outside_a_test_or_in_a_shared_fixture() -> None:
    with _no_test():
        fails_cleanly(tripwire.current_verifier)
        fails_cleanly(lambda: tripwire.__enter__())
        fails_cleanly(lambda: tripwire.redis.mock_command)
        # A name looked up for the first time, on no plugin yet (not cached on the proxy).
        never_looked_up = "never_looked_up"
        fails_cleanly(lambda: getattr(tripwire.redis, never_looked_up))
    scope = Scope(outside="module")
    with _no_test():
        saved = begin(scope)
        try:
            fails_cleanly(tripwire.current_verifier)
        finally:
            end(scope, saved)


def test_a_failing_example_shows_no_frame_of_tripwire() -> None:
    example = Example()
    tripwire.redis.mock_command("GET", returns=None)
    fails_cleanly(lambda: example.finish(passed=True), AssertionError)


def test_a_verifier_used_in_an_example_it_was_not_made_for() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tripwire import NoExampleVerifierError

    own = StrictVerifier()

    @settings(max_examples=1, database=None)
    @given(st.just(0))
    def in_a_sandbox(n: int) -> None:
        with own.sandbox():
            pass

    @settings(max_examples=1, database=None)
    @given(st.just(0))
    def with_tripwire(n: int) -> None:
        with use_verifier(own), tripwire:
            pass

    fails_cleanly(in_a_sandbox, NoExampleVerifierError)
    fails_cleanly(with_tripwire, NoExampleVerifierError)

"""Pub/sub: subscriptions recorded like commands, incoming messages mocked with mock_message."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

import tripwire
from tripwire import (
    InvalidArgumentError,
    StrictVerifier,
    UnmockedInteractionError,
    UnusedMocksError,
)

HERE = "tests/plugins/redis_plugin/test_pubsub.py"


def subscribe(channel: Any) -> dict[str, Any]:
    return {"type": "subscribe", "pattern": None, "channel": channel, "data": 1}


def test_subscribe_is_confirmed_and_recorded() -> None:
    with tripwire:
        pubsub = redis.Redis().pubsub()
        pubsub.subscribe("news", "sport")
        assert pubsub.get_message() == subscribe(b"news")
        assert pubsub.get_message() == {
            "type": "subscribe",
            "pattern": None,
            "channel": b"sport",
            "data": 2,
        }
        assert pubsub.get_message() is None
    tripwire.redis.assert_command("SUBSCRIBE", args=("news", "sport"))


def test_messages_arrive_in_the_order_they_were_mocked() -> None:
    tripwire.redis.mock_message("news", "one")
    tripwire.redis.mock_message(b"news", b"two")
    tripwire.redis.mock_message("news", 3)
    tripwire.redis.mock_message("news", 1.5)
    with tripwire:
        pubsub = redis.Redis().pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe("news")
        received = [pubsub.get_message() for _ in range(6)]
    assert received == [
        None,  # the confirmation, ignored
        {"type": "message", "pattern": None, "channel": b"news", "data": b"one"},
        {"type": "message", "pattern": None, "channel": b"news", "data": b"two"},
        {"type": "message", "pattern": None, "channel": b"news", "data": b"3"},
        {"type": "message", "pattern": None, "channel": b"news", "data": b"1.5"},
        None,
    ]
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))


def test_pattern_messages_and_unsubscribing() -> None:
    tripwire.redis.mock_message("news.eu", "hello", pattern="news.*")
    with tripwire:
        pubsub = redis.Redis().pubsub()
        pubsub.psubscribe("news.*")
        pubsub.subscribe("sport")
        first = [pubsub.get_message() for _ in range(3)]
        pubsub.punsubscribe()
        pubsub.unsubscribe("sport")
        second = [pubsub.get_message() for _ in range(3)]
        assert not pubsub.subscribed
    assert first == [
        {"type": "psubscribe", "pattern": None, "channel": b"news.*", "data": 1},
        subscribe(b"sport") | {"data": 2},
        {"type": "pmessage", "pattern": b"news.*", "channel": b"news.eu", "data": b"hello"},
    ]
    assert second == [
        {"type": "punsubscribe", "pattern": None, "channel": b"news.*", "data": 1},
        {"type": "unsubscribe", "pattern": None, "channel": b"sport", "data": 0},
        None,
    ]
    tripwire.redis.assert_command("PSUBSCRIBE", args=("news.*",))
    tripwire.redis.assert_command("SUBSCRIBE", args=("sport",))
    tripwire.redis.assert_command("PUNSUBSCRIBE")
    tripwire.redis.assert_command("UNSUBSCRIBE", args=("sport",))


def test_unsubscribing_from_nothing_is_confirmed_with_no_channel() -> None:
    with tripwire:
        pubsub = redis.Redis().pubsub()
        pubsub.unsubscribe()
        # Not subscribed, so redis-py's get_message does not read: parse_response does.
        assert pubsub.parse_response(block=False) == [b"unsubscribe", None, 0]
    tripwire.redis.assert_command("UNSUBSCRIBE")


def test_decode_responses_gives_str() -> None:
    tripwire.redis.mock_message("news", b"caf\xc3\xa9")
    with tripwire:
        pubsub = redis.Redis(decode_responses=True).pubsub()
        pubsub.subscribe("news")
        assert pubsub.get_message() == subscribe("news")
        assert pubsub.get_message() == {
            "type": "message",
            "pattern": None,
            "channel": "news",
            "data": "café",
        }
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))


def test_handlers_are_called() -> None:
    tripwire.redis.mock_message("news", "hello")
    seen: list[dict[str, Any]] = []
    with tripwire:
        pubsub = redis.Redis().pubsub()
        pubsub.subscribe(news=seen.append)
        assert pubsub.get_message() == subscribe(b"news")
        assert pubsub.get_message() is None  # given to the handler
    assert seen == [{"type": "message", "pattern": None, "channel": b"news", "data": b"hello"}]
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))


def test_listen_ends_with_the_unsubscribe_confirmation() -> None:
    tripwire.redis.mock_message("jobs", "a")
    tripwire.redis.mock_message("jobs", "stop")
    received = []
    with tripwire:
        pubsub = redis.Redis().pubsub()
        pubsub.subscribe("jobs")
        for message in pubsub.listen():
            received.append(message["data"])
            if message["data"] == b"stop":
                pubsub.unsubscribe()
    assert received == [1, b"a", b"stop", 0]
    tripwire.redis.assert_command("SUBSCRIBE", args=("jobs",))
    tripwire.redis.assert_command("UNSUBSCRIBE")


def test_ping_is_answered_in_the_stream() -> None:
    with tripwire:
        pubsub = redis.Redis().pubsub()
        pubsub.subscribe("news")
        pubsub.ping()
        assert pubsub.get_message() == subscribe(b"news")
        assert pubsub.get_message() == {
            "type": "pong",
            "pattern": None,
            "channel": None,
            "data": b"",
        }
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))
    tripwire.redis.assert_command("PING", args=tripwire_ping_args())


def tripwire_ping_args() -> tuple[Any, ...]:
    """What PubSub.ping() sends: redis-py 4 adds an empty message."""
    return ("",) if redis.__version__.startswith("4.") else ()


def test_a_message_goes_to_the_pubsub_subscribed_to_it() -> None:
    tripwire.redis.mock_message("sport", "goal")
    with tripwire:
        news = redis.Redis().pubsub(ignore_subscribe_messages=True)
        sport = redis.Redis().pubsub(ignore_subscribe_messages=True)
        news.subscribe("news")
        sport.subscribe("sport")
        assert [news.get_message(), news.get_message()] == [None, None]
        assert sport.get_message() is None
        assert sport.get_message() == {
            "type": "message",
            "pattern": None,
            "channel": b"sport",
            "data": b"goal",
        }
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))
    tripwire.redis.assert_command("SUBSCRIBE", args=("sport",))


def test_publish_is_a_command() -> None:
    tripwire.redis.mock_command("PUBLISH", returns=2)
    with tripwire:
        assert redis.Redis().publish("news", "hello") == 2
    tripwire.redis.assert_command("PUBLISH", args=("news", "hello"))


def test_a_subscribe_mock_is_consumed_and_can_fail(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("SUBSCRIBE", returns=None, raises=redis.ConnectionError("gone"))
    with tripwire:
        pubsub = redis.Redis().pubsub()
        with pytest.raises(redis.ConnectionError, match="gone"):
            pubsub.subscribe("news")
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))
    verifier.verify_all()


def test_run_in_thread_calls_the_handlers() -> None:
    tripwire.redis.mock_message("jobs", "resize")
    got = threading.Event()
    seen: list[bytes] = []

    def handle(message: dict[str, Any]) -> None:
        seen.append(message["data"])
        got.set()

    with tripwire:
        pubsub = redis.Redis().pubsub()
        pubsub.subscribe(jobs=handle)
        thread = pubsub.run_in_thread(sleep_time=0.001)
        assert got.wait(10)
        thread.stop()
        thread.join(10)
    assert seen == [b"resize"]
    tripwire.redis.assert_command("SUBSCRIBE", args=("jobs",))


# -- what fails ----------------------------------------------------------------------------------


def test_an_unread_message_fails_the_test(verifier: StrictVerifier, line_of: Any) -> None:
    tripwire.redis.mock_message("news", "late", pattern="n*")  # the unread one
    tripwire.redis.mock_message("news", "optional", required=False)
    with pytest.raises(UnusedMocksError) as excinfo:
        verifier.verify_all()
    assert str(excinfo.value) == (
        "1 required mock was never used:\n"
        "    tripwire.redis.mock_message('news', 'late', pattern='n*')  # registered at "
        f"{HERE}:{line_of('# the unread one')}\n"
        "Remove each mock the code no longer needs, or pass required=False if it is optional."
    )


def test_listen_with_nothing_left_fails_instead_of_hanging(verifier: StrictVerifier) -> None:
    with tripwire:
        pubsub = redis.Redis().pubsub()
        pubsub.subscribe("news")
        messages = pubsub.listen()
        assert next(messages) == subscribe(b"news")
        with pytest.raises(UnmockedInteractionError) as excinfo:
            next(messages)
    assert str(excinfo.value) == (
        "redis PubSub waited for a message (listen() or get_message(timeout=None)) but no "
        "mocked message is left for it.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_message(channel, data)\n"
        "Called with: subscribed to [b'news']\n"
        "To end the loop, unsubscribe (the server's confirmation ends listen())."
    )


def test_a_message_for_another_channel_is_named_when_waiting(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_message("sport", "goal", required=False)
    with tripwire:
        pubsub = redis.Redis().pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe("news")
        with pytest.raises(UnmockedInteractionError) as excinfo:
            next(pubsub.listen())
    assert str(excinfo.value).splitlines()[-1] == (
        "1 mocked message is waiting for another channel or client first: messages are "
        "delivered in the order they were mocked."
    )


def test_reading_before_subscribing_fails_as_redis_py_does() -> None:
    with tripwire:
        pubsub = redis.Redis().pubsub()
        with pytest.raises(RuntimeError, match="did you forget to call subscribe"):
            pubsub.parse_response(block=False)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(
            {"channel": "", "data": "x"},
            "mock_message() argument 'channel' must be a non-empty str or bytes, got '' (str)",
            id="empty-channel",
        ),
        pytest.param(
            {"channel": 1, "data": "x"},
            "mock_message() argument 'channel' must be a non-empty str or bytes, got 1 (int)",
            id="int-channel",
        ),
        pytest.param(
            {"channel": "c", "data": None},
            "mock_message() argument 'data' must be a str, bytes, int or float, got None "
            "(NoneType)",
            id="none-data",
        ),
        pytest.param(
            {"channel": "c", "data": True},
            "mock_message() argument 'data' must be a str, bytes, int or float, got True (bool)",
            id="bool-data",
        ),
        pytest.param(
            {"channel": "c", "data": "x", "pattern": b""},
            "mock_message() argument 'pattern' must be a non-empty str or bytes, got b'' (bytes)",
            id="empty-pattern",
        ),
        pytest.param(
            {"channel": "c", "data": "x", "required": 1},
            "mock_message() argument 'required' must be a bool, got 1 (int)",
            id="int-required",
        ),
    ],
)
def test_invalid_arguments(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError) as excinfo:
        tripwire.redis.mock_message(**arguments)
    assert str(excinfo.value) == message


# -- asyncio --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_async_get_message_and_listen() -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    tripwire.redis.mock_message("news", "a")
    tripwire.redis.mock_message("news", "stop")
    received = []
    async with tripwire:
        pubsub = aredis.Redis().pubsub()
        await pubsub.subscribe("news")
        assert await pubsub.get_message() == subscribe(b"news")
        async for message in pubsub.listen():
            received.append(message)
            if message["data"] == b"stop":
                await pubsub.unsubscribe("news")
        assert await pubsub.get_message(timeout=0.001) is None
    assert received == [
        {"type": "message", "pattern": None, "channel": b"news", "data": b"a"},
        {"type": "message", "pattern": None, "channel": b"news", "data": b"stop"},
        {"type": "unsubscribe", "pattern": None, "channel": b"news", "data": 0},
    ]
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))
    tripwire.redis.assert_command("UNSUBSCRIBE", args=("news",))


@pytest.mark.asyncio
async def test_async_listen_with_nothing_left_fails(verifier: StrictVerifier) -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    async with tripwire:
        pubsub = aredis.Redis().pubsub(ignore_subscribe_messages=True)
        await pubsub.psubscribe("n*")
        messages = pubsub.listen()  # the confirmation is ignored, then nothing is left
        with pytest.raises(UnmockedInteractionError) as excinfo:
            await messages.__anext__()
    assert str(excinfo.value).splitlines()[-2] == "Called with: subscribed to [b'n*']"


# -- a cluster's PubSub ---------------------------------------------------------------------------


def test_a_cluster_pubsub() -> None:
    cluster = pytest.importorskip("redis.cluster", reason="redis.cluster arrived in redis-py 4.1")
    tripwire.redis.mock_message("news", "hello")
    with tripwire:
        pubsub = cluster.RedisCluster(host="cache.internal", port=7000).pubsub()
        pubsub.subscribe("news")
        assert pubsub.get_message() == subscribe(b"news")
        assert pubsub.get_message() == {
            "type": "message",
            "pattern": None,
            "channel": b"news",
            "data": b"hello",
        }
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))


def test_closing_drops_the_subscriptions() -> None:
    with tripwire:
        pubsub = redis.Redis().pubsub()
        pubsub.subscribe("news", "sport")
        pubsub.close()
        pubsub.subscribe("news")
        assert pubsub.get_message() == subscribe(b"news")  # a count of 1 again
    tripwire.redis.assert_command("SUBSCRIBE", args=("news", "sport"))
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))


@pytest.mark.asyncio
async def test_async_closing_drops_the_subscriptions() -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    async with tripwire:
        pubsub = aredis.Redis().pubsub()
        await pubsub.subscribe("news", "sport")
        # aclose() from redis-py 5.0.1, reset() before.
        await (pubsub.aclose() if hasattr(pubsub, "aclose") else pubsub.reset())
        await pubsub.subscribe("news")
        assert await pubsub.get_message() == subscribe(b"news")
    tripwire.redis.assert_command("SUBSCRIBE", args=("news", "sport"))
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))


#: A refused connection fails at once (redis-py 6 and later retry with a backoff by default).
NO_RETRY = Retry(NoBackoff(), 0)


def async_no_retry() -> Any:
    """`NO_RETRY` for redis.asyncio, made where it is known to be importable."""
    from redis.asyncio.retry import Retry as AsyncRetry

    return AsyncRetry(NoBackoff(), 0)


# -- methods bound inside the sandbox, called after it ---------------------------------------------


@pytest.mark.allow("redis")
def test_when_allowed_late_calls_reach_redis_py() -> None:
    with tripwire:
        pubsub = redis.Redis(host="127.0.0.1", port=1, retry=NO_RETRY).pubsub()
        execute, parse, reset = pubsub.execute_command, pubsub.parse_response, pubsub.reset
    with pytest.raises(RuntimeError, match="did you forget to call subscribe"):
        parse(block=False)
    with pytest.raises(redis.ConnectionError):
        execute("SUBSCRIBE", "news")
    reset()
    assert pubsub.connection is None


@pytest.mark.asyncio
@pytest.mark.allow("redis")
async def test_when_allowed_late_async_calls_reach_redis_py() -> None:
    aredis = pytest.importorskip("redis.asyncio", reason="redis.asyncio arrived in redis-py 4.2")
    async with tripwire:
        pubsub = aredis.Redis(host="127.0.0.1", port=1, retry=async_no_retry()).pubsub()
        execute, parse = pubsub.execute_command, pubsub.parse_response
        close = pubsub.aclose if hasattr(pubsub, "aclose") else pubsub.reset
    with pytest.raises(RuntimeError, match="did you forget to call subscribe"):
        await parse(block=False)
    with pytest.raises(redis.ConnectionError):
        await execute("SUBSCRIBE", "news")
    await close()
    assert pubsub.connection is None

"""Pub/sub against a real server: the sandbox's messages are the ones redis-py reads from Redis.

Each scenario runs twice on the same code: unsandboxed against ``redis_server`` (the test allows
``"redis"``), publishing over a raw socket; then inside the sandbox, on a client of the same
server, with the published messages mocked. Both runs must read the same messages, and the
sandboxed one must send the server nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import pytest
import redis
from redis.client import PubSub

import tripwire


class _Server(Protocol):
    """The parts of conftest's ``RedisServer`` used here (conftest is not importable)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    def execute_raw(self, *args: bytes | str | int) -> Any: ...
    def bytes_received(self) -> int: ...
    def bytes_since(self, before: int) -> int: ...


ALLOW_REDIS = pytest.mark.allow("redis")
TIMEOUT = 5.0

#: What a scenario publishes: (channel, data).
PUBLISHED = [("news", "hello"), ("news.eu", b"caf\xc3\xa9"), ("news", "42")]


def subscribed(pubsub: PubSub) -> list[Any]:
    """Subscribe, read the confirmations (which come before anything published)."""
    pubsub.subscribe("news")
    pubsub.psubscribe("news.*")
    return [pubsub.get_message(timeout=TIMEOUT) for _ in range(2)]


def published(pubsub: PubSub, publish: Callable[[str, Any], None]) -> list[Any]:
    """Publish, read every message, unsubscribe, read the confirmations."""
    for channel, data in PUBLISHED:
        publish(channel, data)
    # "news.eu" matches the pattern only; "news" matches the channel only.
    messages = [pubsub.get_message(timeout=TIMEOUT) for _ in range(3)]
    pubsub.unsubscribe()
    pubsub.punsubscribe()
    messages += [pubsub.get_message(timeout=TIMEOUT) for _ in range(2)]
    return messages


def client_of(server: _Server, **options: Any) -> redis.Redis:
    return redis.Redis(host=server.host, port=server.port, socket_timeout=TIMEOUT, **options)


@pytest.mark.parametrize("decode", [False, True], ids=["bytes", "decoded"])
@ALLOW_REDIS
def test_the_mocked_messages_are_the_real_ones(redis_server: _Server, decode: bool) -> None:
    # Against Redis.
    pubsub = client_of(redis_server, decode_responses=decode).pubsub()
    real = subscribed(pubsub)
    real += published(
        pubsub, lambda channel, data: redis_server.execute_raw("PUBLISH", channel, data)
    )
    pubsub.close()
    assert [message["type"] for message in real] == [
        "subscribe",
        "psubscribe",
        "message",
        "pmessage",
        "message",
        "unsubscribe",
        "punsubscribe",
    ]

    # In the sandbox.
    tripwire.redis.mock_message("news", "hello")
    tripwire.redis.mock_message("news.eu", b"caf\xc3\xa9", pattern="news.*")
    tripwire.redis.mock_message("news", 42)
    before = redis_server.bytes_received()
    with tripwire:
        pubsub = client_of(redis_server, decode_responses=decode).pubsub()
        mocked = subscribed(pubsub)
        mocked += published(pubsub, lambda channel, data: None)
        pubsub.close()
    assert redis_server.bytes_since(before) == 0
    assert mocked == real
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))
    tripwire.redis.assert_command("PSUBSCRIBE", args=("news.*",))
    tripwire.redis.assert_command("UNSUBSCRIBE")
    tripwire.redis.assert_command("PUNSUBSCRIBE")


@ALLOW_REDIS
def test_ping_and_handlers_match_redis(redis_server: _Server) -> None:
    def session(pubsub: PubSub) -> list[Any]:
        pubsub.subscribe("news", jobs=handled.append)
        pubsub.ping()
        pubsub.unsubscribe("news")
        return [pubsub.get_message(timeout=TIMEOUT) for _ in range(4)]

    handled: list[Any] = []

    pubsub = client_of(redis_server).pubsub()
    real = session(pubsub)
    pubsub.close()
    before = redis_server.bytes_received()
    with tripwire:
        pubsub = client_of(redis_server).pubsub()
        mocked = session(pubsub)
        pubsub.close()
    assert redis_server.bytes_since(before) == 0
    assert mocked == real
    assert [message["type"] for message in real] == [
        "subscribe",
        "subscribe",
        "pong",
        "unsubscribe",
    ]
    tripwire.redis.assert_command("SUBSCRIBE", args=("news", "jobs"))
    tripwire.redis.assert_command(
        "PING", args=(("",) if redis.__version__.startswith("4.") else ())
    )
    tripwire.redis.assert_command("UNSUBSCRIBE", args=("news",))


@ALLOW_REDIS
def test_publish_inside_the_sandbox_reaches_nobody(redis_server: _Server) -> None:
    listener = client_of(redis_server).pubsub()
    listener.subscribe("news")
    assert listener.get_message(timeout=TIMEOUT) is not None
    tripwire.redis.mock_command("PUBLISH", returns=1)
    before = redis_server.bytes_received()
    with tripwire:
        assert client_of(redis_server).publish("news", "hello") == 1
    assert redis_server.bytes_since(before) == 0
    assert listener.get_message(timeout=0.2) is None
    listener.close()
    tripwire.redis.assert_command("PUBLISH", args=("news", "hello"))

"""Every example of the RedisPlugin guide (docs/redis.md), run as written.

The guide's examples assume ``import redis`` and ``import pytest`` at module level; the bodies
below are the guide's text. Snippets that are fragments in the guide get the least surrounding
code needed to run them.
"""

import pytest
import redis

import tripwire
from tripwire import StrictVerifier, UnmockedInteractionError, UnusedMocksError
from tripwire.plugins.redis_plugin import RedisPlugin


def test_cache_lookup():
    tripwire.redis.mock_command("GET", returns="cached_value")

    with tripwire:
        import redis
        r = redis.Redis()
        value = r.execute_command("GET", "mykey")

    assert value == "cached_value"

    tripwire.redis.assert_command("GET", args=("mykey",), kwargs={})


def test_manual_use_outside_pytest():
    from tripwire import StrictVerifier
    from tripwire.plugins.redis_plugin import RedisPlugin

    verifier = StrictVerifier()
    redis = RedisPlugin(verifier)

    redis.mock_command("GET", returns=b"v")
    with verifier.sandbox():
        import redis as redis_lib

        assert redis_lib.Redis().execute_command("GET", "k") == b"v"
    redis.assert_command("GET", args=("k",), kwargs={})
    verifier.verify_all()


def test_second_redis_plugin_raises_value_error():
    verifier = StrictVerifier()
    RedisPlugin(verifier)
    with pytest.raises(ValueError) as excinfo:
        RedisPlugin(verifier)
    assert str(excinfo.value) == (
        "This StrictVerifier already has a RedisPlugin; each verifier may have at most one. "
        "Reuse it: verifier.get_plugin(RedisPlugin)."
    )


def test_registering_mock_commands():
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("GET", returns="hello")

    with tripwire:
        r = redis.Redis()
        assert r.execute_command("SET", "k", "hello") is True
        assert r.execute_command("GET", "k") == "hello"

    tripwire.redis.assert_command("SET", args=("k", "hello"), kwargs={})
    tripwire.redis.assert_command("GET", args=("k",), kwargs={})


def test_multiple_gets():
    tripwire.redis.mock_command("GET", returns="first")
    tripwire.redis.mock_command("GET", returns="second")

    with tripwire:
        r = redis.Redis()
        v1 = r.execute_command("GET", "key1")
        v2 = r.execute_command("GET", "key2")

    assert v1 == "first"
    assert v2 == "second"

    tripwire.redis.assert_command("GET", args=("key1",), kwargs={})
    tripwire.redis.assert_command("GET", args=("key2",), kwargs={})


def test_command_names_are_case_insensitive():
    tripwire.redis.mock_command("get", returns="v")

    with tripwire:
        assert redis.Redis().execute_command("GET", "k") == "v"

    tripwire.redis.assert_command("GET", args=("k",), kwargs={})


def test_asserting_interactions():
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().execute_command("SET", "mykey", "myvalue")

    tripwire.redis.assert_command("SET", args=("mykey", "myvalue"), kwargs={})


def test_redis_error():
    import redis as redis_lib

    tripwire.redis.mock_command(
        "GET",
        returns=None,
        raises=redis_lib.exceptions.ResponseError("WRONGTYPE"),
    )

    with tripwire:
        r = redis.Redis()
        with pytest.raises(redis_lib.exceptions.ResponseError):
            r.execute_command("GET", "badkey")

    tripwire.redis.assert_command("GET", args=("badkey",), kwargs={})


def test_optional_mocks():
    tripwire.redis.mock_command("PING", returns="PONG", required=False)


def test_unused_required_mock_raises_unused_mocks_error(verifier):
    tripwire.redis.mock_command("PING", returns="PONG")
    with pytest.raises(UnusedMocksError):
        verifier.verify_all()


def test_unmocked_interaction_error(verifier):
    with tripwire, pytest.raises(UnmockedInteractionError) as excinfo:
        redis.Redis().execute_command("GET", "k")
    assert (
        "redis.GET(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('GET', returns=...)"
    ) in str(excinfo.value)

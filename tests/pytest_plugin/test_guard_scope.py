"""Which tests refuse real Redis: the ``guard`` setting, where it is read, clients never refused.

This repository's own suite runs with ``guard = "all"`` (pyproject.toml); the default scope, and
each way to configure it, are checked in user suites run with pytester.
"""

from __future__ import annotations

import re

import fakeredis
import pytest
import redis

import tripwire
from tripwire import UnsandboxedInteractionError

SUITE_HEADER = """
import pytest
import redis
import tripwire
from tripwire import StrictVerifier

ORIGINAL = redis.client.Redis.execute_command
CLOSED = dict(host="127.0.0.1", port=1, socket_connect_timeout=0.2)


def reaches_redis():
    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis(**CLOSED).ping()


def refused():
    with pytest.raises(tripwire.UnsandboxedInteractionError):
        redis.Redis(**CLOSED).ping()
"""

DEFAULT_SCOPE_SUITE = (
    SUITE_HEADER
    + """

def test_never_uses_tripwire():
    # Nothing of tripwire's is installed: redis-py runs as without it.
    assert redis.client.Redis.execute_command is ORIGINAL
    reaches_redis()


def test_refused_from_the_first_mock_on():
    reaches_redis()
    tripwire.redis.mock_command("GET", returns=None, required=False)
    refused()


def test_refused_after_a_sandbox():
    with tripwire:
        pass
    refused()


def test_refused_after_a_sandbox_of_its_own():
    with StrictVerifier().sandbox():
        pass
    refused()


def test_the_fixture_refuses_from_the_start(tripwire_verifier):
    refused()


@pytest.mark.allow("redis")
def test_allowed(tripwire_verifier):
    reaches_redis()


def test_never_uses_tripwire_again():
    assert redis.client.Redis.execute_command is ORIGINAL
    reaches_redis()
"""
)


def test_by_default_only_tests_that_use_tripwire_refuse(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=DEFAULT_SCOPE_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=7)


ALL_SUITE = (
    SUITE_HEADER
    + """

def test_never_uses_tripwire():
    refused()


@pytest.mark.allow("redis")
def test_allowed():
    reaches_redis()
"""
)


@pytest.mark.parametrize(
    ("filename", "text"),
    [
        pytest.param("pyproject.toml", '[tool.tripwire]\nguard = "all"\n', id="tool.tripwire"),
        pytest.param(
            "pyproject.toml",
            '[tool.pytest.ini_options]\ntripwire_guard = "all"\n',
            id="tool.pytest.ini_options",
        ),
        pytest.param("pytest.ini", "[pytest]\ntripwire_guard = all\n", id="pytest.ini"),
        pytest.param("tox.ini", "[pytest]\ntripwire_guard = all\n", id="tox.ini"),
        pytest.param("setup.cfg", "[tool:pytest]\ntripwire_guard = all\n", id="setup.cfg"),
    ],
)
def test_guard_all_refuses_in_every_test(
    pytester: pytest.Pytester, filename: str, text: str
) -> None:
    (pytester.path / filename).write_text(text)
    pytester.makepyfile(test_suite=ALL_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_guard_all_from_the_command_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=ALL_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-o", "tripwire_guard=all")
    result.assert_outcomes(passed=2)


def test_guard_false_never_refuses(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml("[tool.tripwire]\nguard = false\n")
    pytester.makepyfile(
        test_suite=SUITE_HEADER
        + """

def test_uses_tripwire(tripwire_verifier):
    tripwire.redis.mock_command("GET", returns=b"1")
    with tripwire:
        assert redis.Redis().get("k") == b"1"
    tripwire.redis.assert_command("GET", args=("k",), kwargs={"keys": ["k"]})
    assert redis.client.Redis.execute_command is ORIGINAL
    reaches_redis()
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1)


def test_allow_from_an_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntripwire_guard = all\ntripwire_allow = redis\n")
    pytester.makepyfile(test_suite=SUITE_HEADER + "\n\ndef test_allowed():\n    reaches_redis()\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1)


def test_a_setting_in_two_places_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        '[tool.tripwire]\nguard = "all"\n\n[tool.pytest.ini_options]\ntripwire_guard = "used"\n'
    )
    pytester.makepyfile(test_suite="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    message = (
        "ERROR: tripwire's 'guard' is set both in [tool.tripwire] in * and in the pytest ini "
        "option tripwire_guard; keep one of them"
    )
    result.stderr.re_match_lines([re.escape(message).replace(r"\*", ".*/pyproject.toml")])


# -- clients that reach no server are never refused (this suite runs with guard = "all") ---------


def test_fakeredis_is_never_refused() -> None:
    fake = fakeredis.FakeRedis()
    assert fake.set("k", "v") is True
    assert fake.get("k") == b"v"
    assert fake.pipeline().incr("n").incr("n").execute() == [1, 2]
    pubsub = fake.pubsub()
    pubsub.subscribe("news")
    assert fake.publish("news", "hi") == 1
    # A real client next to it still is.
    with pytest.raises(UnsandboxedInteractionError):
        redis.Redis(host="127.0.0.1", port=1).get("k")


@pytest.mark.asyncio
async def test_fakeredis_asyncio_is_never_refused() -> None:
    fake = fakeredis.FakeAsyncRedis()
    assert await fake.set("k", "v") is True
    assert await fake.get("k") == b"v"
    assert await fake.pipeline().incr("n").incr("n").execute() == [1, 2]


def test_fakeredis_errors_come_without_tripwires_internals() -> None:
    fake = fakeredis.FakeRedis()
    fake.set("k", "v")
    with pytest.raises(redis.exceptions.ResponseError) as excinfo:
        fake.lpush("k", "x")
    # Nothing of the interceptor's lookup shows as the error's context.
    assert excinfo.value.__context__ is None


class TracedConnection(redis.connection.Connection):
    """A user's subclass of redis-py's connection: it opens redis-py's socket."""


class OwnConnection:
    """A connection class of the user's own, which opens nothing of redis-py's."""

    def __init__(self, **options: object) -> None:
        raise LookupError("the user's own connection was made")


def test_a_subclass_of_redis_pys_connection_is_refused() -> None:
    pool = redis.ConnectionPool(connection_class=TracedConnection, host="127.0.0.1", port=1)
    with pytest.raises(UnsandboxedInteractionError):
        redis.Redis(connection_pool=pool).get("k")


def test_a_connection_class_of_ones_own_is_never_refused() -> None:
    # redis-py runs, and makes a connection of that class.
    pool = redis.ConnectionPool(connection_class=OwnConnection)
    with pytest.raises(LookupError, match=r"^the user's own connection was made$"):
        redis.Redis(connection_pool=pool).get("k")


def test_a_refusal_has_no_internal_error_as_its_context() -> None:
    with pytest.raises(UnsandboxedInteractionError) as excinfo:
        redis.Redis(host="127.0.0.1", port=1).get("k")
    assert excinfo.value.__context__ is None
    assert excinfo.value.__cause__ is None


def test_the_sandbox_still_intercepts_fakeredis() -> None:
    tripwire.redis.mock_command("GET", returns=b"mocked")
    with tripwire:
        assert fakeredis.FakeRedis().get("k") == b"mocked"
    tripwire.redis.assert_command("GET", args=("k",), kwargs={"keys": ["k"]})


def test_guard_all_guards_redis_imported_during_a_test(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.tripwire]\nguard = "all"\n')
    pytester.makepyfile(
        test_suite="""
import sys

import pytest

import tripwire


def test_tripwire_imports_no_redis_for_a_test_that_does_not():
    assert "redis" not in sys.modules


def test_redis_imported_by_the_test_is_guarded():
    import redis

    with pytest.raises(tripwire.UnsandboxedInteractionError):
        redis.Redis(host="127.0.0.1", port=1).ping()


@pytest.mark.allow("redis")
def test_allowed_afterwards():
    import redis

    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2).ping()
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=3)

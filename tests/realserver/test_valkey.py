"""valkey-py, the Valkey fork of redis-py, is intercepted like redis-py, against a real server.

Its clients take their mocks from the same ``tripwire.redis`` queues, its pipelines, asyncio
client and connections are refused or mocked the same way, the guard refuses it, and
``@pytest.mark.allow("redis")`` lets it reach the server. valkey-py speaks the protocol of the
session's ``redis-server``; its counters show what reached it.

valkey is part of the ``dev`` extra: this module imports it, and never skips.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

import pytest
import valkey
import valkey.asyncio
from dirty_equals import IsInstance

import tripwire
from tripwire import StrictVerifier, UnmockedConnectionError, UnsandboxedInteractionError

THIS_FILE = os.path.relpath(__file__)
ANY_OPTIONS = IsInstance(dict)
ALLOW_REDIS = pytest.mark.allow("redis")


class _Server(Protocol):
    """The parts of conftest's ``RedisServer`` used here (conftest is not importable)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    def execute_raw(self, *args: bytes | str | int) -> Any: ...
    def commands_processed(self) -> int: ...
    def delta_since(self, before: int) -> int: ...
    def bytes_received(self) -> int: ...
    def bytes_since(self, before: int) -> int: ...


@pytest.fixture(
    params=["guard-on", pytest.param("guard-off", marks=pytest.mark.allow("redis"))],
)
def either_guard(request: pytest.FixtureRequest) -> str:
    """Run the test once with the guard installed and once allowing the real Redis."""
    param: str = request.param
    return param


@pytest.fixture
def server(redis_server: _Server) -> _Server:
    """``redis_server`` with every database empty."""
    redis_server.execute_raw("FLUSHALL")
    return redis_server


def client_of(server: _Server, **options: Any) -> valkey.Valkey:
    return valkey.Valkey(host=server.host, port=server.port, **options)


def refusal(what: str, excinfo: pytest.ExceptionInfo[UnsandboxedInteractionError]) -> str:
    traceback = excinfo.value.__traceback__
    assert traceback is not None
    assert traceback.tb_frame.f_code.co_filename == __file__
    return (
        f"{what} outside the tripwire sandbox, at {THIS_FILE}:{traceback.tb_lineno}.\n"
        "During a test tripwire refuses real calls that no sandbox intercepts. Either:\n"
        "    mock it: register tripwire.redis.mock_command(...) and make the call inside "
        "`with tripwire:`\n"
        '    or allow the real redis for this test: @pytest.mark.allow("redis")\n'
        '    or for the whole project: [tool.tripwire] allow = ["redis"] in pyproject.toml'
    )


# -- inside the sandbox: mocks from the same queues, nothing reaches the server ------------------


@pytest.mark.usefixtures("either_guard")
def test_commands(server: _Server) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("GET", returns=b"mocked")
    client = client_of(server)
    before = server.bytes_received()
    with tripwire:
        assert client.set("k", "v") is True
        assert client.get("k") == b"mocked"
    assert server.bytes_since(before) == 0
    assert server.execute_raw("GET", "k") is None
    tripwire.redis.assert_command("SET", args=("k", "v"), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


@pytest.mark.usefixtures("either_guard")
@pytest.mark.parametrize("transaction", [True, False])
def test_pipelines(server: _Server, transaction: bool) -> None:
    tripwire.redis.mock_command("WATCH", returns=True)
    tripwire.redis.mock_command("INCRBY", returns=1)
    tripwire.redis.mock_command("EXPIRE", returns=True)
    client = client_of(server)
    before = server.bytes_received()
    with tripwire, client.pipeline(transaction=transaction) as pipe:
        pipe.watch("hits")
        pipe.multi()
        pipe.incr("hits").expire("hits", 60)
        assert pipe.execute() == [1, True]
    assert server.bytes_since(before) == 0
    tripwire.redis.assert_command("WATCH", args=("hits",))
    # multi() makes it a transaction either way.
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("INCRBY", args=("hits", 1))
    tripwire.redis.assert_command("EXPIRE", args=("hits", 60))
    tripwire.redis.assert_command("EXEC")


@pytest.mark.asyncio
@pytest.mark.usefixtures("either_guard")
async def test_async_commands_and_pipelines(server: _Server) -> None:
    tripwire.redis.mock_command("GET", returns=b"v")
    tripwire.redis.mock_command("INCRBY", returns=3)
    client = valkey.asyncio.Valkey(host=server.host, port=server.port)
    before = server.bytes_received()
    async with tripwire:
        assert await client.get("k") == b"v"
        assert await client.pipeline().incr("n", 3).execute() == [3]
    assert server.bytes_since(before) == 0
    await client.aclose()
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("INCRBY", args=("n", 3))
    tripwire.redis.assert_command("EXEC")


@ALLOW_REDIS
def test_a_connection_connected_before(server: _Server, verifier: StrictVerifier) -> None:
    pubsub = client_of(server).pubsub()
    pubsub.subscribe("news")
    before = server.bytes_received()
    with tripwire, pytest.raises(UnmockedConnectionError) as excinfo:
        pubsub.ping()
    assert server.bytes_since(before) == 0
    assert excinfo.value.address == f"{server.host}:{server.port}"
    assert excinfo.value.action == "asked to send a command"
    pubsub.close()


# -- outside the sandbox: refused by the guard, reaching the server when allowed ------------------


def test_the_guard_refuses_valkey(server: _Server) -> None:
    client = client_of(server)
    before = server.bytes_received()
    with pytest.raises(UnsandboxedInteractionError) as command:
        client.set("k", "v")
    with pytest.raises(UnsandboxedInteractionError) as pipeline:
        client.pipeline().set("k", "v").execute()
    with pytest.raises(UnsandboxedInteractionError) as connection:
        valkey.Valkey(host=server.host, port=server.port, single_connection_client=True)
    assert server.bytes_since(before) == 0
    assert str(command.value) == refusal("redis.SET(...) was called", command)
    assert str(pipeline.value) == refusal("redis pipeline.execute() [SET] was called", pipeline)
    assert str(connection.value) == refusal(
        f"a redis connection to {server.host}:{server.port} was opened", connection
    )


@pytest.mark.asyncio
async def test_the_guard_refuses_async_valkey(server: _Server) -> None:
    client = valkey.asyncio.Valkey(host=server.host, port=server.port)
    before = server.bytes_received()
    with pytest.raises(UnsandboxedInteractionError) as command:
        await client.get("k")
    assert server.bytes_since(before) == 0
    assert str(command.value) == refusal("redis.GET(...) was called", command)
    await client.aclose()


@ALLOW_REDIS
def test_allowed_valkey_reaches_the_server_after_a_sandbox(server: _Server) -> None:
    tripwire.redis.mock_command("GET", returns=b"mocked")
    client = client_of(server)
    assert client.ping() is True
    with tripwire:
        assert client.get("k") == b"mocked"
    before = server.commands_processed()
    assert client.set("k", "real") is True
    assert client.get("k") == b"real"
    with client.pipeline() as pipe:
        assert pipe.incr("n").incr("n").execute() == [1, 2]
    assert server.delta_since(before) == 6  # SET, GET, MULTI, INCRBY, INCRBY, EXEC
    client.close()
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)


@pytest.mark.asyncio
@ALLOW_REDIS
async def test_allowed_async_valkey_reaches_the_server(server: _Server) -> None:
    client = valkey.asyncio.Valkey(host=server.host, port=server.port)
    assert await client.ping() is True
    before = server.commands_processed()
    assert await client.set("k", "real") is True
    assert await client.pipeline(transaction=False).get("k").execute() == [b"real"]
    assert server.delta_since(before) == 2
    await client.aclose()


class Subclassed(valkey.Valkey):
    """A client class of the application's own, over valkey-py's."""


@ALLOW_REDIS
def test_a_method_bound_in_the_sandbox_reaches_valkeys_own_after_it(server: _Server) -> None:
    # Bound while the interceptors were installed, called after: the interceptor passes the
    # call on to the method it replaced on the client's class, valkey-py's own.
    tripwire.redis.mock_command("GET", returns=b"mocked")
    client = Subclassed(host=server.host, port=server.port)
    assert client.ping() is True
    with tripwire:
        execute = client.execute_command
        assert execute("GET", "k") == b"mocked"
    before = server.commands_processed()
    assert execute("SET", "k", "real") is True
    assert execute("GET", "k") == b"real"
    assert server.delta_since(before) == 2
    client.close()
    tripwire.redis.assert_command("GET", args=("k",))


# -- a suite that imports valkey-py and never redis-py --------------------------------------------

VALKEY_ONLY_SUITE = """
import sys

import pytest
{top_import}
import tripwire

CLIENT = dict(host="{host}", port={port}, socket_timeout=5)


def test_refused_in_a_test_that_uses_tripwire():
    assert "redis" not in sys.modules  # the suite's code imports valkey-py alone
    {body_import}
    tripwire.redis.mock_command("GET", returns=None, required=False)
    with pytest.raises(tripwire.UnsandboxedInteractionError) as excinfo:
        valkey.Valkey(**CLIENT).set("escaped", "sync")
    assert str(excinfo.value).startswith("redis.SET(...) was called outside the tripwire sandbox")


@pytest.mark.asyncio
async def test_refused_in_an_async_test():
    {body_import}
    import valkey.asyncio

    tripwire.redis.mock_command("GET", returns=None, required=False)
    client = valkey.asyncio.Valkey(**CLIENT)
    with pytest.raises(tripwire.UnsandboxedInteractionError) as excinfo:
        await client.set("escaped", "async")
    assert str(excinfo.value).startswith("redis.SET(...) was called outside the tripwire sandbox")
    await client.aclose()
"""


@pytest.mark.parametrize(
    ("guard", "imported"),
    [("tests that use tripwire", "by the test module"), ("all", "in the test")],
)
def test_a_suite_that_imports_only_valkey_is_guarded(
    pytester: pytest.Pytester, server: _Server, guard: str, imported: str
) -> None:
    # Run in a process of its own: this one has imported redis-py, which puts the guard on.
    if guard == "all":
        pytester.makepyprojecttoml('[tool.tripwire]\nguard = "all"\n')
    top, body = ("import valkey", "") if imported == "by the test module" else ("", "import valkey")
    pytester.makepyfile(
        test_valkey_only=VALKEY_ONLY_SUITE.format(
            top_import=top, body_import=body, host=server.host, port=server.port
        )
    )
    before = server.bytes_received()
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    assert server.bytes_since(before) == 0
    assert server.execute_raw("GET", "escaped") is None
    result.assert_outcomes(passed=2)

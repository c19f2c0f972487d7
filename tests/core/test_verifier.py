"""The engine's behaviour: sandbox, queues, recording, assertions, plugins."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest
import redis
from dirty_equals import IsInstance, IsInt, IsStr

import tripwire
from tripwire import (
    BasePlugin,
    ConfigurationError,
    Interaction,
    InteractionMismatchError,
    StrictVerifier,
    UnmockedInteractionError,
    UnsandboxedInteractionError,
)
from tripwire.plugins.redis_plugin import RedisCall, RedisPlugin


def assert_refused_outside() -> None:
    """A call now meets the test's guard: no sandbox intercepts it."""
    __tracebackhide__ = True
    with pytest.raises(UnsandboxedInteractionError):
        redis.Redis(host="127.0.0.1", port=1).get("outside")


def test_calls_are_intercepted_only_inside_the_sandbox(verifier: StrictVerifier) -> None:
    for value in (b"outer", b"inner", b"outer again"):
        tripwire.redis.mock_command("GET", returns=value)
    assert_refused_outside()
    with tripwire:
        assert redis.Redis().get("k") == b"outer"
        with tripwire:
            assert redis.Redis().get("k") == b"inner"
        assert redis.Redis().get("k") == b"outer again"
    assert_refused_outside()
    for _ in range(3):
        tripwire.redis.assert_command("GET", args=("k",), kwargs=IsInstance(dict))


def test_the_body_exception_propagates_and_patches_are_restored(verifier: StrictVerifier) -> None:
    with pytest.raises(KeyError, match="boom"), tripwire:
        raise KeyError("boom")
    assert_refused_outside()
    assert not verifier.sandbox_open


@pytest.mark.asyncio
async def test_async_with_tripwire(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=b"v")
    async with tripwire:
        assert redis.Redis().get("k") == b"v"
    assert_refused_outside()
    tripwire.redis.assert_command("GET", args=("k",), kwargs=IsInstance(dict))


@pytest.mark.asyncio
async def test_async_with_verifier_sandbox() -> None:
    own = StrictVerifier()
    plugin = RedisPlugin(own)
    plugin.mock_command("PING", returns=True)
    async with own.sandbox() as entered:
        assert entered is own
        assert redis.Redis().ping() is True
    plugin.assert_command("PING")
    own.verify_all()


def test_returns_the_same_object_and_none() -> None:
    payload = {b"field": b"value"}
    tripwire.redis.mock_command("HGETALL", returns=payload)
    tripwire.redis.mock_command("GET", returns=None)
    with tripwire:
        r = redis.Redis()
        assert r.execute_command("HGETALL", "h") is payload
        assert r.execute_command("GET", "k") is None
    tripwire.redis.assert_command("HGETALL", args=("h",))
    tripwire.redis.assert_command("GET", args=("k",))


def test_raises_an_exception_class_or_instance() -> None:
    error = redis.exceptions.ConnectionError("down")
    tripwire.redis.mock_command("GET", returns=None, raises=error)
    tripwire.redis.mock_command("GET", returns=None, raises=redis.exceptions.TimeoutError)
    with tripwire:
        r = redis.Redis()
        with pytest.raises(redis.exceptions.ConnectionError) as excinfo:
            r.execute_command("GET", "a")
        assert excinfo.value is error
        with pytest.raises(redis.exceptions.TimeoutError):
            r.execute_command("GET", "b")
    tripwire.redis.assert_command("GET", args=("a",))
    tripwire.redis.assert_command("GET", args=("b",))


def test_each_command_has_its_own_fifo_queue() -> None:
    for value in ("g1", "g2"):
        tripwire.redis.mock_command("GET", returns=value)
    for value in ("h1", "h2"):
        tripwire.redis.mock_command("HGET", returns=value)
    with tripwire:
        r = redis.Redis()
        seen = [
            r.execute_command("HGET", "h", "f"),
            r.execute_command("GET", "k"),
            r.execute_command("GET", "k"),
            r.execute_command("HGET", "h", "f"),
        ]
    assert seen == ["h1", "g1", "g2", "h2"]
    tripwire.redis.assert_command("HGET", args=("h", "f"))
    tripwire.redis.assert_command("GET", args=("k",))
    tripwire.redis.assert_command("GET", args=("k",))
    tripwire.redis.assert_command("HGET", args=("h", "f"))


def test_command_spellings_share_one_queue() -> None:
    tripwire.redis.mock_command("get", returns=b"1")
    tripwire.redis.mock_command("GET", returns=b"2")
    tripwire.redis.mock_command("Get", returns=b"3")
    with tripwire:
        r = redis.Redis()
        assert [
            r.execute_command("get", "a"),
            r.execute_command(b"GET", "b"),
            r.execute_command("GET", "c"),
        ] == [b"1", b"2", b"3"]
    tripwire.redis.assert_command("get", args=("a",))
    tripwire.redis.assert_command("GET", args=("b",))
    tripwire.redis.assert_command("gEt", args=("c",))


def test_assertions_compare_every_field_with_matchers_at_any_level() -> None:
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        r = redis.Redis()
        r.set("user:1", "x", ex=10)
        r.execute_command("SET", "user:2", "y")
    tripwire.redis.assert_command(
        "SET", args=(IsStr(regex=r"user:\d"), "x", "EX", IsInt), kwargs=IsInstance(dict)
    )
    tripwire.redis.assert_command("SET", args=["user:2", "y"], kwargs=None)


def test_kwargs_are_compared_too(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=None)
    with tripwire:
        redis.Redis().get("k")
    with pytest.raises(InteractionMismatchError):
        tripwire.redis.assert_command("GET", args=("k",))
    tripwire.redis.assert_command("GET", args=("k",), kwargs={"keys": ["k"]})


def test_in_any_order_relaxes_only_inside_the_block(verifier: StrictVerifier) -> None:
    for command in ("GET", "SET", "DEL"):
        tripwire.redis.mock_command(command, returns=None, check_returns=False)
    with tripwire:
        r = redis.Redis()
        r.execute_command("GET", "a")
        r.execute_command("SET", "b", 1)
        r.execute_command("DEL", "c")
    with tripwire.in_any_order():
        tripwire.redis.assert_command("DEL", args=("c",))
        tripwire.redis.assert_command("GET", args=("a",))
    with pytest.raises(InteractionMismatchError):
        tripwire.redis.assert_command("GET", args=("a",))
    tripwire.redis.assert_command("SET", args=("b", 1))
    verifier.verify_all()


def test_a_mismatch_leaves_the_interaction_unasserted(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=None)
    with tripwire:
        redis.Redis().execute_command("GET", "a")
    for wrong in ("SET", "DEL"):
        with pytest.raises(InteractionMismatchError):
            tripwire.redis.assert_command(wrong, args=("a",))
    tripwire.redis.assert_command("GET", args=("a",))
    verifier.verify_all()


def test_the_recorded_interaction_is_the_registered_mock() -> None:
    mock = tripwire.redis.mock_command("GET", returns=b"v")
    assert not mock.consumed
    assert repr(mock) == "<RedisCall tripwire.redis.mock_command('GET', returns=b'v')>"
    with tripwire:
        redis.Redis().execute_command("GET", "k", opt=1)
    assert mock.consumed
    assert repr(mock) == (
        "<RedisCall tripwire.redis.assert_command('GET', args=('k',), kwargs={'opt': 1})>"
    )
    assert tripwire.redis.assert_command("GET", args=("k",), kwargs={"opt": 1}) is mock


def test_mocks_registered_inside_the_sandbox_are_used() -> None:
    with tripwire:
        tripwire.redis.mock_command("GET", returns=b"1")
        assert redis.Redis().execute_command("GET", "k") == b"1"
    tripwire.redis.assert_command("GET", args=("k",))


def test_a_plugin_created_inside_an_open_sandbox_joins_it() -> None:
    own = StrictVerifier()
    with own.sandbox():
        # The sandbox already made the plugin, so a second one is refused.
        with pytest.raises(ConfigurationError):
            RedisPlugin(own)
        plugin = own.get_plugin(RedisPlugin)
        plugin.mock_command("GET", returns=b"1")
        assert redis.Redis().execute_command("GET", "k") == b"1"
    assert_refused_outside()
    plugin.assert_command("GET", args=("k",))
    own.verify_all()


def test_unmocked_calls_are_refused_even_with_no_plugin_used_yet(
    verifier: StrictVerifier,
) -> None:
    with tripwire, pytest.raises(UnmockedInteractionError):
        redis.Redis().get("k")


def test_calls_from_threads_started_inside_the_sandbox_are_recorded() -> None:
    tripwire.redis.mock_command("GET", returns=b"from-thread")
    results: list[object] = []
    with tripwire:
        worker = threading.Thread(target=lambda: results.append(redis.Redis().get("k")))
        worker.start()
        worker.join()
    assert results == [b"from-thread"]
    tripwire.redis.assert_command("GET", args=("k",), kwargs=IsInstance(dict))


@pytest.mark.asyncio
async def test_calls_from_asyncio_tasks_are_recorded() -> None:
    tripwire.redis.mock_command("INCRBY", returns=1)
    tripwire.redis.mock_command("INCRBY", returns=2)

    async def bump() -> object:
        await asyncio.sleep(0)
        return redis.Redis().incr("n")

    async with tripwire:
        results = await asyncio.gather(bump(), bump())
    assert sorted(results) == [1, 2]  # type: ignore[type-var]
    tripwire.redis.assert_command("INCRBY", args=("n", 1))
    tripwire.redis.assert_command("INCRBY", args=("n", 1))


def test_fixture_proxy_and_current_verifier_agree(tripwire_verifier: StrictVerifier) -> None:
    assert tripwire.current_verifier() is tripwire_verifier
    plugin = tripwire_verifier.get_plugin(RedisPlugin)
    assert tripwire.redis.mock_command.__self__ is plugin
    assert tripwire_verifier.plugin_named("redis") is plugin
    assert tripwire_verifier.plugins == (plugin,)
    assert repr(tripwire.redis) == "<tripwire.redis: the current test's redis plugin>"
    assert repr(tripwire_verifier) == (
        "<StrictVerifier plugins=['redis'] interactions=0 sandbox_open=False>"
    )


def test_close_all_closes_every_open_sandbox() -> None:
    own = StrictVerifier()
    own.sandbox().__enter__()
    own.sandbox().__enter__()
    assert own.sandbox_open
    own.close_all()
    assert not own.sandbox_open
    assert_refused_outside()
    own.close_all()  # closing again is harmless
    own.sandbox().__exit__(None, None, None)
    assert not own.sandbox_open


class Clock(Interaction):
    """A recorded read of a fake clock, for a minimal second plugin."""

    __slots__ = ("value",)

    def fields(self) -> dict[str, Any]:
        return {"value": self.value}


class ClockPlugin(BasePlugin):
    """The smallest useful plugin: what the docs' "Writing a plugin" page describes."""

    name: ClassVar[str] = "clock"

    def __init__(self, verifier: StrictVerifier, fail_install: bool = False) -> None:
        self.installed = 0
        self.fail_install = fail_install
        super().__init__(verifier)

    def install_patches(self) -> None:
        if self.fail_install:
            raise RuntimeError("cannot patch")
        self.installed += 1

    def restore_patches(self) -> None:
        self.installed -= 1

    def unused_mocks(self) -> list[Interaction]:
        return []

    def record(self, value: int) -> None:
        entry = Clock(self, __file__, 1)
        entry.value = value
        self.verifier.timeline.entries.append(entry)

    def format_assertion(self, interaction: Interaction) -> str:
        assert isinstance(interaction, Clock)
        return f"clock.assert_read({interaction.value})"

    def format_registration(self, interaction: Interaction) -> str:
        return "clock.mock()"

    def format_expected(self, expected: Mapping[str, Any]) -> str:
        return f"clock.assert_read({expected['value']})"


def test_a_second_plugin_shares_the_timeline_and_its_order() -> None:
    own = StrictVerifier()
    clock = ClockPlugin(own)
    redis_plugin = RedisPlugin(own)
    redis_plugin.mock_command("GET", returns=None)
    with own.sandbox():
        assert clock.installed == 1
        with own.sandbox():
            assert clock.installed == 1
        clock.record(5)
        redis.Redis().execute_command("GET", "k")
    assert clock.installed == 0
    with pytest.raises(InteractionMismatchError) as excinfo:
        redis_plugin.assert_command("GET", args=("k",))
    assert "but it was:\n    clock.assert_read(5)\nUnasserted" in str(excinfo.value)
    own.assert_interaction(clock, {"value": 5})
    redis_plugin.assert_command("GET", args=("k",))
    own.verify_all()


def test_a_failing_install_leaves_nothing_installed() -> None:
    own = StrictVerifier()
    RedisPlugin(own)
    ClockPlugin(own, fail_install=True)
    with pytest.raises(RuntimeError, match="cannot patch"), own.sandbox():
        pass  # pragma: no cover - the sandbox never opens
    assert not own.sandbox_open
    assert_refused_outside()


def test_get_plugin_refuses_a_different_class_under_the_same_name() -> None:
    own = StrictVerifier()
    ClockPlugin(own)

    class OtherClock(ClockPlugin):
        pass

    with pytest.raises(ConfigurationError) as excinfo:
        own.get_plugin(OtherClock)
    assert str(excinfo.value) == (
        "The plugin named 'clock' on this verifier is a ClockPlugin, not a OtherClock."
    )


def test_redis_call_fields() -> None:
    own = StrictVerifier()
    plugin = RedisPlugin(own)
    call = plugin.mock_command("HSET", returns=1)
    assert isinstance(call, RedisCall)
    assert call.fields() == {"command": "HSET", "args": (), "kwargs": {}}


def test_sandbox_function_is_the_typed_spelling_of_with_tripwire() -> None:
    tripwire.redis.mock_command("GET", returns=b"typed")
    with tripwire.sandbox() as verifier:
        assert verifier is tripwire.current_verifier()
        assert redis.Redis().get("k") == b"typed"
    assert_refused_outside()
    tripwire.redis.assert_command("GET", args=("k",), kwargs=IsInstance(dict))

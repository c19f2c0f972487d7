"""Faults where tripwire itself could break: each ends with a clear error, patches restored and
nothing lost from the recorded timeline."""

from __future__ import annotations

import threading

import pytest
import redis
from dirty_equals import IsInstance

import tripwire
from tripwire import StrictVerifier, UnsandboxedInteractionError


def patched_state() -> dict[str, object]:
    """What stands at every attribute tripwire may patch, right now (any redis-py version)."""
    import importlib

    owners = []
    for module_name, names in [
        ("redis.client", ["Redis", "Pipeline"]),
        ("redis.asyncio.client", ["Redis", "Pipeline"]),
        ("redis.connection", ["Connection", "ConnectionPool", "BlockingConnectionPool"]),
        ("redis.asyncio.connection", ["Connection", "ConnectionPool", "BlockingConnectionPool"]),
    ]:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # redis.asyncio before redis-py 4.2
            continue
        for name in names:
            owners.extend(getattr(module, name).__mro__[:-1])
    return {
        f"{owner.__module__}.{owner.__qualname__}.{name}": vars(owner).get(name)
        for owner in owners
        for name in (
            "execute_command",
            "immediate_execute_command",
            "execute",
            "connect",
            "connect_check_health",
            "get_connection",
        )
    }


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit], ids=lambda e: e.__name__)
def test_an_interrupt_inside_the_sandbox_restores_everything(
    verifier: StrictVerifier, interrupt: type[BaseException]
) -> None:
    outside = patched_state()
    tripwire.redis.mock_command("GET", returns=b"1")
    with pytest.raises(interrupt), tripwire:
        assert redis.Redis().get("k") == b"1"
        raise interrupt()
    assert patched_state() == outside
    assert not verifier.sandbox_open
    # No sandbox intercepts any more: the test's guard refuses the call.
    with pytest.raises(UnsandboxedInteractionError):
        redis.Redis().get("k")
    # The call made before the interrupt is still on the timeline.
    tripwire.redis.assert_command("GET", args=("k",), kwargs=IsInstance(dict))
    verifier.verify_all()


def test_a_mock_that_raises_an_interrupt_leaves_the_timeline_whole(
    verifier: StrictVerifier,
) -> None:
    outside = patched_state()
    tripwire.redis.mock_command("GET", returns=None, raises=KeyboardInterrupt)
    tripwire.redis.mock_command("GET", returns=b"after")
    with pytest.raises(KeyboardInterrupt), tripwire:
        redis.Redis().get("a")
    with tripwire:
        assert redis.Redis().get("b") == b"after"
    assert patched_state() == outside
    tripwire.redis.assert_command("GET", args=("a",), kwargs=IsInstance(dict))
    tripwire.redis.assert_command("GET", args=("b",), kwargs=IsInstance(dict))


def test_an_interrupt_in_the_middle_of_a_pipeline(verifier: StrictVerifier) -> None:
    outside = patched_state()
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("GET", returns=None, raises=KeyboardInterrupt("stop"))
    tripwire.redis.mock_command("DEL", returns=1)
    with tripwire:
        pipe = redis.Redis().pipeline()
        pipe.set("a", 1).get("a").delete("a")
        with pytest.raises(KeyboardInterrupt, match="stop"):
            pipe.execute()
        assert pipe.command_stack == []
    assert patched_state() == outside
    # The whole transaction was consumed and recorded before the first error was raised.
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("a", 1), kwargs={})
    tripwire.redis.assert_command("GET", args=("a",), kwargs=IsInstance(dict))
    tripwire.redis.assert_command("DEL", args=("a",), kwargs={})
    tripwire.redis.assert_command("EXEC")
    verifier.verify_all()


def test_a_thread_still_running_after_the_sandbox_exits(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=b"inside")
    go_on = threading.Event()
    seen: list[object] = []

    def worker() -> None:
        client = redis.Redis(host="127.0.0.1", port=1)
        seen.append(client.get("first"))
        go_on.wait(5)
        try:
            client.get("second")
        except UnsandboxedInteractionError as exc:
            seen.append(exc)

    with tripwire:
        thread = threading.Thread(target=worker)
        thread.start()
        while not seen:
            threading.Event().wait(0.001)
    go_on.set()
    thread.join(5)
    assert seen[0] == b"inside"
    # After the sandbox closed, the thread's call met the guard, not the network.
    assert isinstance(seen[1], UnsandboxedInteractionError)
    assert str(seen[1]).startswith("redis.GET(...) was called outside the tripwire sandbox, at ")
    tripwire.redis.assert_command("GET", args=("first",), kwargs=IsInstance(dict))
    verifier.verify_all()


def test_a_raising_repr_in_an_unmocked_call_still_gives_the_error(
    verifier: StrictVerifier,
) -> None:
    class Opaque:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    with tripwire, pytest.raises(tripwire.UnmockedInteractionError) as excinfo:
        redis.Redis().execute_command("GET", Opaque())
    assert str(excinfo.value).splitlines()[-1] == (
        "Called with: args=(<Opaque object; repr() raised RuntimeError>,), kwargs={}"
    )

"""A call records what was sent: a buffer the caller changes later does not change the record."""

from __future__ import annotations

import pytest
import redis
from dirty_equals import IsInstance

import tripwire
from tripwire import InteractionMismatchError, StrictVerifier

ANY_OPTIONS = IsInstance(dict)


def test_a_bytearray_changed_after_the_call(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    buffer = bytearray(b"")
    with tripwire:
        redis.Redis().set("k", buffer)
        buffer[:] = b"x"
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("SET", args=("k", b"x"), kwargs=ANY_OPTIONS)
    assert "    args     ('k', b'x') != ('k', bytearray(b''))" in str(excinfo.value)
    call = tripwire.redis.assert_command("SET", args=("k", b""), kwargs=ANY_OPTIONS)
    assert type(call.args[1]) is bytearray
    assert call.args[1] is not buffer


def test_a_memoryview_changed_after_the_call(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    backing = bytearray(b"old")
    with tripwire:
        view = memoryview(backing)
        redis.Redis().execute_command("SET", view, view[1:], view.toreadonly())
        backing[:] = b"new"
    call = tripwire.redis.assert_command("SET", args=(b"old", b"ld", b"old"))
    # What the view showed, as bytes.
    assert call.args == (b"old", b"ld", b"old")
    assert [type(arg) for arg in call.args] == [bytes, bytes, bytes]


def test_a_read_only_view_of_bytes_is_kept(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    view = memoryview(b"fixed")
    with tripwire:
        redis.Redis().execute_command("SET", "k", view)
    assert tripwire.redis.assert_command("SET", args=("k", b"fixed")).args[1] is view


def test_immutable_arguments_are_not_copied(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    key, value = "".join(["k", "ey"]), bytes(1000)
    with tripwire:
        redis.Redis().execute_command("SET", key, value, 10)
    call = tripwire.redis.assert_command("SET", args=(key, value, 10))
    assert call.args[0] is key
    assert call.args[1] is value


def test_a_command_name_spelled_anew_with_a_buffer(verifier: StrictVerifier) -> None:
    # The slow path (a spelling not seen yet) copies too.
    tripwire.redis.mock_command("SET", returns=True)
    buffer = bytearray(b"v")
    with tripwire:
        redis.Redis().execute_command(b"set", "k", buffer)
        buffer[:] = b"changed"
    tripwire.redis.assert_command("SET", args=("k", b"v"))


def test_a_pipeline_records_the_buffer_as_sent_at_execute(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    buffer = bytearray(b"queued")
    with tripwire:
        pipe = redis.Redis().pipeline(transaction=False)
        pipe.set("k", buffer)
        buffer[:] = b"sent"  # before execute: this is what a real server would receive
        pipe.execute()
        buffer[:] = b"later"
    tripwire.redis.assert_command("SET", args=("k", b"sent"), kwargs=ANY_OPTIONS)


@pytest.mark.asyncio
async def test_an_asyncio_call(verifier: StrictVerifier) -> None:
    import redis.asyncio as aredis

    tripwire.redis.mock_command("SET", returns=True)
    buffer = bytearray(b"")
    async with tripwire:
        await aredis.Redis().set("k", buffer)
        buffer[:] = b"x"
    tripwire.redis.assert_command("SET", args=("k", b""), kwargs=ANY_OPTIONS)

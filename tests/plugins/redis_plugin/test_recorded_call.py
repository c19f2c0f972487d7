"""`RedisCall.args` means what `assert_command`'s ``args`` means: the arguments after the name."""

from __future__ import annotations

import pytest
import redis
from dirty_equals import IsInstance

import tripwire
from tripwire import InteractionMismatchError


def test_args_are_the_arguments_after_the_command_name() -> None:
    mock = tripwire.redis.mock_command("SET", returns=True)
    assert (mock.command, mock.args, mock.consumed, mock.asserted) == ("SET", (), False, False)
    with tripwire:
        redis.Redis().execute_command("set", "k", "v", "EX", 60)
    assert mock.asserted is False
    call = tripwire.redis.assert_command("SET", args=("k", "v", "EX", 60))
    assert call is mock
    assert call.asserted is True
    assert (call.command, call.args, call.kwargs, call.consumed) == (
        "SET",
        ("k", "v", "EX", 60),
        {},
        True,
    )
    assert call.fields()["args"] == call.args


def test_a_transaction_records_multi_and_exec_with_no_args() -> None:
    tripwire.redis.mock_command("INCRBY", returns=1)
    with tripwire:
        redis.Redis().pipeline().incr("n").execute()
    multi = tripwire.redis.assert_command("MULTI")
    incr = tripwire.redis.assert_command("INCRBY", args=("n", 1), kwargs=IsInstance(dict))
    exec_ = tripwire.redis.assert_command("EXEC")
    assert [(c.command, c.args) for c in (multi, incr, exec_)] == [
        ("MULTI", ()),
        ("INCRBY", ("n", 1)),
        ("EXEC", ()),
    ]


def test_args_must_name_every_argument_after_the_command_name() -> None:
    tripwire.redis.mock_command("GET", returns=b"v")
    with tripwire:
        redis.Redis().execute_command("GET", "k")
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("GET")
    assert str(excinfo.value).splitlines()[1:4] == [
        "    tripwire.redis.assert_command('GET', args=(), kwargs={})",
        "but it was:",
        "    tripwire.redis.assert_command('GET', args=('k',), kwargs={})",
    ]
    tripwire.redis.assert_command("GET", args=("k",))

"""Pipelines and transactions: each queued command consumes its own mock, in queue order."""

from __future__ import annotations

import pytest
import redis
from dirty_equals import IsInstance

import tripwire
from tripwire import StrictVerifier, UnassertedInteractionsError, UnmockedInteractionError

ANY_OPTIONS = IsInstance(dict)


def test_a_pipeline_returns_each_mock_in_order() -> None:
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("INCRBY", returns=5)
    tripwire.redis.mock_command("GET", returns=b"v")
    with tripwire:
        pipe = redis.Redis().pipeline()
        pipe.set("a", "v").incr("n", 5).get("a")
        assert pipe.execute() == [True, 5, b"v"]
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("a", "v"), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("INCRBY", args=("n", 5))
    tripwire.redis.assert_command("GET", args=("a",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("EXEC")


@pytest.mark.parametrize("transaction", [True, False])
def test_pipeline_as_context_manager_with_and_without_transaction(transaction: bool) -> None:
    tripwire.redis.mock_command("GET", returns=None)
    tripwire.redis.mock_command("GET", returns=b"2")
    with tripwire, redis.Redis().pipeline(transaction=transaction) as pipe:
        pipe.get("a")
        pipe.get("b")
        assert pipe.execute() == [None, b"2"]
        assert pipe.command_stack == []
    if transaction:
        tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("GET", args=("a",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("b",), kwargs=ANY_OPTIONS)
    if transaction:
        tripwire.redis.assert_command("EXEC")


def test_an_empty_pipeline_returns_an_empty_list() -> None:
    with tripwire:
        assert redis.Redis().pipeline().execute() == []


def test_raise_on_error_raises_the_first_error_after_consuming_everything(
    verifier: StrictVerifier,
) -> None:
    first = redis.exceptions.ResponseError("WRONGTYPE Operation against a key")
    tripwire.redis.mock_command("GET", returns=b"ok")
    tripwire.redis.mock_command("INCRBY", returns=None, raises=first)
    tripwire.redis.mock_command("LPUSH", returns=None, raises=redis.exceptions.ResponseError)
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        pipe = redis.Redis().pipeline()
        pipe.get("a").incr("a").lpush("l", 1).set("b", 1)
        with pytest.raises(redis.exceptions.ResponseError) as excinfo:
            pipe.execute()
        assert excinfo.value is first
        assert pipe.command_stack == []
    # The whole batch was consumed and recorded, in queue order; the transaction committed.
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("GET", args=("a",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("INCRBY", args=("a", 1))
    tripwire.redis.assert_command("LPUSH", args=("l", 1))
    tripwire.redis.assert_command("SET", args=("b", 1), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("EXEC")
    verifier.verify_all()


def test_without_raise_on_error_errors_sit_at_their_positions() -> None:
    error = redis.exceptions.ResponseError("WRONGTYPE")
    tripwire.redis.mock_command("GET", returns=b"1")
    tripwire.redis.mock_command("GET", returns=None, raises=error)
    tripwire.redis.mock_command("GET", returns=None, raises=redis.exceptions.TimeoutError)
    with tripwire:
        pipe = redis.Redis().pipeline(transaction=False)
        for key in "abc":
            pipe.get(key)
        results = pipe.execute(raise_on_error=False)
    assert results[0] == b"1"
    assert results[1] is error
    assert isinstance(results[2], redis.exceptions.TimeoutError)
    for key in "abc":
        tripwire.redis.assert_command("GET", args=(key,), kwargs=ANY_OPTIONS)


def test_an_unmocked_command_in_a_pipeline_fails_at_execute(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=b"1")
    with tripwire:
        pipe = redis.Redis().pipeline()
        pipe.get("a").hgetall("h")
        with pytest.raises(UnmockedInteractionError, match=r"^redis\.HGETALL\(\.\.\.\)"):
            pipe.execute()
        assert pipe.command_stack == []
    # What ran before the unmocked command is recorded; EXEC was never reached.
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("GET", args=("a",), kwargs=ANY_OPTIONS)


def test_watch_multi_exec_in_immediate_mode() -> None:
    tripwire.redis.mock_command("WATCH", returns=True)
    tripwire.redis.mock_command("GET", returns=b"10")
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        pipe = redis.Redis().pipeline()
        pipe.watch("balance")
        assert pipe.watching
        current = int(pipe.get("balance"))  # immediate while watching
        pipe.multi()
        pipe.set("balance", current - 3)
        assert pipe.execute() == [True]
        assert not pipe.watching
    tripwire.redis.assert_command("WATCH", args=("balance",))
    tripwire.redis.assert_command("GET", args=("balance",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("balance", 7), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("EXEC")


def test_unwatch_stops_watching() -> None:
    tripwire.redis.mock_command("WATCH", returns=True)
    tripwire.redis.mock_command("UNWATCH", returns=True)
    with tripwire:
        pipe = redis.Redis().pipeline()
        pipe.watch("k")
        assert pipe.unwatch() is True
        assert not pipe.watching
        assert pipe.execute() == []
    tripwire.redis.assert_command("WATCH", args=("k",))
    tripwire.redis.assert_command("UNWATCH")


def test_a_failed_watch_does_not_start_watching() -> None:
    tripwire.redis.mock_command("WATCH", returns=None, raises=redis.exceptions.ConnectionError)
    with tripwire:
        pipe = redis.Redis().pipeline()
        with pytest.raises(redis.exceptions.ConnectionError):
            pipe.watch("k")
        assert not pipe.watching
    tripwire.redis.assert_command("WATCH", args=("k",))


def test_transaction_retries_on_an_injected_watch_error() -> None:
    calls = []

    def transfer(pipe: redis.client.Pipeline) -> None:
        balance = int(pipe.get("balance"))
        calls.append(balance)
        pipe.multi()
        pipe.set("balance", balance + 1)

    # First attempt: a watched key changed, EXEC aborts. Second attempt succeeds.
    for value in (b"1", b"5"):
        tripwire.redis.mock_command("WATCH", returns=True)
        tripwire.redis.mock_command("GET", returns=value)
        tripwire.redis.mock_command("SET", returns=True)
    exec_mock = tripwire.redis.mock_command(
        "EXEC", returns=None, raises=redis.exceptions.WatchError("Watched variable changed.")
    )
    with tripwire:
        result = redis.Redis().transaction(transfer, "balance")
    assert result == [True]
    assert calls == [1, 5]
    # Both attempts are recorded to their EXEC: the first one failed, the second committed.
    execs = []
    for value in (1, 5):
        tripwire.redis.assert_command("WATCH", args=("balance",))
        tripwire.redis.assert_command("GET", args=("balance",), kwargs=ANY_OPTIONS)
        tripwire.redis.assert_command("MULTI")
        tripwire.redis.assert_command("SET", args=("balance", value + 1), kwargs=ANY_OPTIONS)
        execs.append(tripwire.redis.assert_command("EXEC"))
    assert execs[0] is exec_mock
    assert execs[1] is not exec_mock
    assert execs[1].raises is None


def test_exec_mocks_are_not_consumed_by_plain_pipelines() -> None:
    tripwire.redis.mock_command("GET", returns=None)
    tripwire.redis.mock_command("EXEC", returns=None, required=False)
    with tripwire:
        pipe = redis.Redis().pipeline(transaction=False)
        pipe.get("a")
        assert pipe.execute() == [None]
    tripwire.redis.assert_command("GET", args=("a",), kwargs=ANY_OPTIONS)


def test_pipeline_scripts_are_queued_not_loaded() -> None:
    tripwire.redis.mock_command("EVALSHA", returns=1)
    with tripwire:
        client = redis.Redis()
        script = client.register_script("return 1")
        pipe = client.pipeline()
        script(keys=["k"], args=[1], client=pipe)
        assert pipe.execute() == [1]
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("EVALSHA", args=(script.sha, 1, "k", 1))
    tripwire.redis.assert_command("EXEC")


# -- MULTI and EXEC -------------------------------------------------------------------------------


def transactional_pipeline(client: redis.Redis, how: str) -> redis.client.Pipeline:
    """A pipeline that runs its commands in a transaction, made in one of redis-py's ways."""
    if how == "default":
        return client.pipeline()
    if how == "transaction=True":
        return client.pipeline(transaction=True)
    pipe = client.pipeline(transaction=False)
    pipe.multi()
    return pipe


@pytest.mark.parametrize("how", ["default", "transaction=True", "multi()"])
def test_a_transaction_is_recorded_between_multi_and_exec(how: str) -> None:
    tripwire.redis.mock_command("INCRBY", returns=1)
    tripwire.redis.mock_command("EXPIRE", returns=True)
    with tripwire:
        pipe = transactional_pipeline(redis.Redis(), how)
        pipe.incr("hits").expire("hits", 60)
        assert pipe.execute() == [1, True]
    multi = tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("INCRBY", args=("hits", 1))
    tripwire.redis.assert_command("EXPIRE", args=("hits", 60))
    exec_ = tripwire.redis.assert_command("EXEC")
    assert (multi.command, multi.args, multi.kwargs, multi.returns) == ("MULTI", (), {}, True)
    assert (exec_.command, exec_.args, exec_.kwargs, exec_.raises) == ("EXEC", (), {}, None)


def test_multi_never_consumes_a_mock() -> None:
    multi_mock = tripwire.redis.mock_command("MULTI", returns=False, required=False)
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        assert redis.Redis().pipeline().set("k", 1).execute() == [True]
    multi = tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("k", 1), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("EXEC")
    assert multi is not multi_mock
    assert multi.returns is True
    assert not multi_mock.consumed


def test_an_exec_mock_decides_the_outcome_but_not_the_results() -> None:
    # Its returns is not used: the queued commands' mocks are the reply.
    exec_mock = tripwire.redis.mock_command("EXEC", returns=["not", "used"])
    tripwire.redis.mock_command("GET", returns=b"v")
    with tripwire:
        assert redis.Redis().pipeline().get("k").execute() == [b"v"]
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("GET", args=("k",), kwargs=ANY_OPTIONS)
    assert tripwire.redis.assert_command("EXEC") is exec_mock


def test_errors_inside_a_transaction_sit_at_their_positions() -> None:
    error = redis.exceptions.ResponseError("WRONGTYPE")
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("INCRBY", returns=None, raises=error)
    with tripwire:
        pipe = redis.Redis().pipeline()
        pipe.set("k", "v").incr("k")
        assert pipe.execute(raise_on_error=False) == [True, error]
    # EXEC itself succeeded: the error is one command's reply inside it.
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("k", "v"), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("INCRBY", args=("k", 1))
    tripwire.redis.assert_command("EXEC")


def test_a_failed_exec_is_recorded_and_raised() -> None:
    tripwire.redis.mock_command("WATCH", returns=True)
    tripwire.redis.mock_command("SET", returns=True)
    exec_mock = tripwire.redis.mock_command(
        "EXEC", returns=None, raises=redis.exceptions.WatchError
    )
    with tripwire:
        pipe = redis.Redis().pipeline()
        pipe.watch("k")
        pipe.multi()
        pipe.set("k", 1)
        with pytest.raises(redis.exceptions.WatchError):
            pipe.execute()
    tripwire.redis.assert_command("WATCH", args=("k",))
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("k", 1), kwargs=ANY_OPTIONS)
    assert tripwire.redis.assert_command("EXEC") is exec_mock


def test_forgetting_to_assert_exec_names_the_line_to_add(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().pipeline().set("k", 1).execute()
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("k", 1), kwargs=ANY_OPTIONS)
    with pytest.raises(UnassertedInteractionsError) as excinfo:
        verifier.verify_all()
    assert str(excinfo.value) == (
        "1 interaction was recorded but never asserted:\n"
        "    tripwire.redis.assert_command('EXEC', args=(), kwargs={})\n"
        "Assert each one after the sandbox closes, in the order shown "
        "(the lines above can be pasted)."
    )


def test_pipelines_without_a_transaction_record_no_multi_or_exec(
    verifier: StrictVerifier,
) -> None:
    tripwire.redis.mock_command("GET", returns=b"1")
    tripwire.redis.mock_command("GET", returns=b"2")
    with tripwire:
        assert redis.Redis().pipeline(transaction=False).get("a").execute() == [b"1"]
        with redis.Redis().pipeline(transaction=False) as pipe:
            assert pipe.get("b").execute() == [b"2"]
    tripwire.redis.assert_command("GET", args=("a",), kwargs=ANY_OPTIONS)
    tripwire.redis.assert_command("GET", args=("b",), kwargs=ANY_OPTIONS)
    verifier.verify_all()  # nothing else was recorded


def test_multi_and_exec_are_whole_interactions() -> None:
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().pipeline().set("k", 1).execute()
    multi = tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("SET", args=("k", 1), kwargs=ANY_OPTIONS)
    exec_ = tripwire.redis.assert_command("EXEC")
    # Every slot is set, but the one set only by mock_command(..., times=...).
    optional = {"_group"}
    slots = [
        name
        for cls in type(multi).__mro__
        for name in getattr(cls, "__slots__", ())
        if name not in optional
    ]
    for call in (multi, exec_):
        assert all(hasattr(call, name) for name in slots)
        assert call.consumed
        assert call.asserted
        assert not call.required
        assert call.location().endswith(f":{call.lineno}")
    assert repr(multi) == "<RedisCall tripwire.redis.assert_command('MULTI', args=(), kwargs={})>"
    assert repr(exec_) == "<RedisCall tripwire.redis.assert_command('EXEC', args=(), kwargs={})>"

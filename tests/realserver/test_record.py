"""The recorder against a real server: each unmocked call is answered with the server's reply.

Each test installs a `Recorder` on its own verifier's Redis plugin, as ``--tripwire-record=new``
does, and runs code inside the sandbox. The replies are the server's, parsed as the calling
client parses them; the server's state (read over a raw socket) shows what really ran.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from typing import Any, Protocol

import pytest
import redis
import redis.exceptions
from dirty_equals import IsInstance

import tripwire
from tripwire import StrictVerifier, UnmockedConnectionError
from tripwire.plugins.recording.output import mock_line
from tripwire.plugins.recording.recorder import Recorder, RecordingError, Twins, seeding_client
from tripwire.plugins.redis_plugin import RedisPlugin

try:
    import redis.asyncio
except ImportError:  # redis-py 4.0 and 4.1
    ASYNCIO = False
else:
    ASYNCIO = True

NEEDS_ASYNCIO = pytest.mark.skipif(not ASYNCIO, reason="redis.asyncio arrived in redis-py 4.2")
#: RESP3 (``protocol=3``) arrived in redis-py 5.0.
NEEDS_RESP3 = pytest.mark.skipif(
    int(redis.__version__.split(".")[0]) < 5, reason="protocol=3 arrived in redis-py 5.0"
)


class _Server(Protocol):
    @property
    def port(self) -> int: ...
    def execute_raw(self, *args: bytes | str | int) -> Any: ...
    def bytes_received(self) -> int: ...
    def bytes_since(self, before: int) -> int: ...


@pytest.fixture
def recorder(verifier: StrictVerifier, redis_server: _Server) -> Iterator[Recorder]:
    """A recorder answering the calls of ``verifier``'s Redis plugin, on an empty server."""
    redis_server.execute_raw("FLUSHALL")
    redis_server.execute_raw("SCRIPT", "FLUSH")
    plugin = verifier.get_plugin(RedisPlugin)
    twins = Twins(f"redis://127.0.0.1:{redis_server.port}")
    frame = sys._getframe()
    answerer = Recorder(plugin, twins, (frame.f_code, frame.f_lasti))
    plugin.answerer = answerer
    yield answerer
    plugin.answerer = None
    answerer.close()
    twins.close()
    for entry in verifier.timeline.entries:
        entry.asserted = True


def lines(recorder: Recorder) -> list[str]:
    return [
        mock_line(mock.command, shown, mock.raises, note)  # type: ignore[arg-type]
        for mock, shown, note in recorder.answered
    ]


def test_direct_calls_get_the_servers_replies(recorder: Recorder, redis_server: _Server) -> None:
    client = redis.Redis(port=1)  # whatever the client points at, the recorder's server answers
    with tripwire:
        assert client.set("k", "1") is True
        assert client.get("k") == b"1"
        assert client.incr("k") == 2
        with pytest.raises(redis.exceptions.ResponseError, match=r"^WRONGTYPE"):
            client.hset("k", "f", "v")
    assert redis_server.execute_raw("GET", "k") == b"2"
    assert lines(recorder) == [
        "tripwire.redis.mock_command('SET', returns=True)",
        "tripwire.redis.mock_command('GET', returns=b'1')",
        "tripwire.redis.mock_command('INCRBY', returns=2)",
        "tripwire.redis.mock_command('HSET', returns=None, raises=redis.exceptions."
        "ResponseError('WRONGTYPE Operation against a key holding the wrong kind of value'))",
    ]


def test_replies_parse_as_the_callers_client_parses_them(recorder: Recorder) -> None:
    with tripwire:
        redis.Redis().set("k", "v")
        assert redis.Redis(decode_responses=True).get("k") == "v"
        assert redis.Redis(decode_responses=True).ttl("k") == -1
    assert lines(recorder)[1:] == [
        "tripwire.redis.mock_command('GET', returns='v')",
        "tripwire.redis.mock_command('TTL', returns=-1)  # review: TTL depends on when it was "
        "recorded",
    ]


@NEEDS_RESP3
def test_resp3_replies_parse_as_resp3(recorder: Recorder) -> None:
    with tripwire:
        client = redis.Redis(protocol=3)
        client.zadd("z", {"a": 1.5})
        got = client.zrange("z", 0, -1, withscores=True)
        assert redis.Redis(protocol=3).hgetall("missing") == {}
    assert lines(recorder)[1:] == [
        f"tripwire.redis.mock_command('ZRANGE', returns={got!r})",
        "tripwire.redis.mock_command('HGETALL', returns={})",
    ]


def test_a_pipeline_runs_its_commands_on_the_server(
    recorder: Recorder, redis_server: _Server
) -> None:
    with tripwire:
        pipe = redis.Redis().pipeline(transaction=False)
        pipe.set("a", 1).incr("a").lpush("a", 1).get("a")
        results = pipe.execute(raise_on_error=False)
    assert results[:2] == [True, 2]
    assert isinstance(results[2], redis.exceptions.ResponseError)
    assert results[3] == b"2"
    assert redis_server.execute_raw("GET", "a") == b"2"
    assert [mock.command for mock, _, _ in recorder.answered] == ["SET", "INCRBY", "LPUSH", "GET"]


def test_a_transaction_applies_atomically_with_each_reply(
    recorder: Recorder, redis_server: _Server, verifier: StrictVerifier
) -> None:
    with tripwire, redis.Redis().pipeline() as pipe:
        pipe.watch("n")
        assert pipe.get("n") is None
        pipe.multi()
        pipe.incr("n")
        pipe.incr("n")
        assert pipe.execute() == [1, 2]
    assert redis_server.execute_raw("GET", "n") == b"2"
    assert [entry.fields()["command"] for entry in verifier.timeline.entries] == [
        "WATCH", "GET", "MULTI", "INCRBY", "INCRBY", "EXEC"
    ]  # fmt: skip
    # A committing EXEC needs no mock.
    assert [mock.command for mock, _, _ in recorder.answered][-1] == "INCRBY"


def test_a_watched_key_changed_meanwhile_loses_the_race(
    recorder: Recorder, redis_server: _Server
) -> None:
    with tripwire, redis.Redis().pipeline() as pipe:
        pipe.watch("n")
        redis_server.execute_raw("SET", "n", "changed")  # another client, meanwhile
        pipe.multi()
        pipe.set("n", "mine")
        with pytest.raises(redis.exceptions.WatchError):
            pipe.execute()
    assert redis_server.execute_raw("GET", "n") == b"changed"
    assert lines(recorder)[-2:] == [
        "tripwire.redis.mock_command('SET', returns=None)  # review: queued; the transaction "
        "did not commit",
        "tripwire.redis.mock_command('EXEC', returns=None, raises=redis.exceptions.WatchError("
        "'Watched variable changed.'))",
    ]


def test_a_transaction_aborted_while_queueing_raises_its_error(
    recorder: Recorder, redis_server: _Server
) -> None:
    with tripwire:
        pipe = redis.Redis().pipeline()
        pipe.set("a", 1)
        pipe.execute_command("SET", "only-a-key")
        with pytest.raises(redis.exceptions.ResponseError, match="wrong number of arguments"):
            pipe.execute()
    assert redis_server.execute_raw("EXISTS", "a") == 0


def test_scripts_are_recorded_as_evalsha_and_their_loading(recorder: Recorder) -> None:
    client = redis.Redis()
    with tripwire:
        script = client.register_script("return redis.call('INCR', KEYS[1])")
        assert script(keys=["n"]) == 1
        pipe = client.pipeline()
        script(keys=["n"], client=pipe)
        assert pipe.execute() == [2]
    assert [mock.command for mock, _, _ in recorder.answered] == [
        "EVALSHA", "SCRIPT LOAD", "EVALSHA", "EVALSHA"
    ]  # fmt: skip
    first = recorder.answered[0][0]
    assert isinstance(first.raises, redis.exceptions.NoScriptError)


@NEEDS_ASYNCIO
def test_asyncio_clients_and_pipelines_are_recorded(recorder: Recorder) -> None:
    async def main() -> list[Any]:
        client = redis.asyncio.Redis(decode_responses=True)
        await client.set("k", "v")
        async with client.pipeline() as pipe:
            pipe.append("k", "w").get("k")
            return await pipe.execute()  # type: ignore[no-any-return]

    with tripwire:
        assert asyncio.run(main()) == [2, "vw"]
    assert lines(recorder) == [
        "tripwire.redis.mock_command('SET', returns=True)",
        "tripwire.redis.mock_command('APPEND', returns=2)",
        "tripwire.redis.mock_command('GET', returns='vw')",
    ]


def test_mocks_registered_by_hand_are_used_first(recorder: Recorder) -> None:
    tripwire.redis.mock_command("GET", returns=b"mocked")
    with tripwire:
        assert redis.Redis().get("k") == b"mocked"
        assert redis.Redis().get("k") is None
    tripwire.redis.assert_command("GET", args=("k",), kwargs=IsInstance(dict))
    assert len(recorder.answered) == 1


def test_a_server_that_does_not_answer_is_a_recording_error(verifier: StrictVerifier) -> None:
    plugin = verifier.get_plugin(RedisPlugin)
    frame = sys._getframe()
    plugin.answerer = Recorder(plugin, Twins("redis://127.0.0.1:1"), (frame.f_code, 0))
    with tripwire, pytest.raises(RecordingError) as caught:
        redis.Redis().incr("k")
    assert str(caught.value).startswith(
        "The recording server at redis://127.0.0.1:1 did not answer: ConnectionError: "
    )
    assert str(caught.value).endswith(
        ". Check that it is running (pytest --tripwire-record-url=redis://127.0.0.1:6379/0), "
        "or let tripwire start one."
    )


def test_pub_sub_is_answered_by_the_sandbox_not_the_server(
    recorder: Recorder, redis_server: _Server
) -> None:
    before = redis_server.bytes_received()
    with tripwire:
        redis.Redis(port=redis_server.port).pubsub().subscribe("news")
    assert redis_server.bytes_since(before) == 0
    tripwire.redis.assert_command("SUBSCRIBE", args=("news",))


def test_a_connection_used_by_hand_still_meets_the_sandbox(
    recorder: Recorder, redis_server: _Server
) -> None:
    before = redis_server.bytes_received()
    client = redis.Redis(port=redis_server.port)
    with tripwire, pytest.raises(UnmockedConnectionError), client.monitor() as monitor:
        monitor.next_command()
    assert redis_server.bytes_since(before) == 0


def test_the_seeding_client_works_outside_the_sandbox_only(redis_server: _Server) -> None:
    twins = Twins(f"redis://127.0.0.1:{redis_server.port}")
    client = seeding_client(twins)
    try:
        assert client.set("seeded", "1") is True
        assert redis_server.execute_raw("GET", "seeded") == b"1"
        with tripwire, pytest.raises(RecordingError) as caught:
            client.get("seeded")
    finally:
        twins.close()
    assert str(caught.value) == (
        "tripwire_record_client was called inside `with tripwire:`. It arranges the recording "
        "server's data before the sandbox opens; inside it, the calls are the code under "
        "test's, and are recorded."
    )


def test_a_transaction_whose_commands_all_have_mocks_still_runs_on_the_server(
    recorder: Recorder, redis_server: _Server
) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        pipe = redis.Redis().pipeline()
        pipe.set("k", "v")
        assert pipe.execute() == [True]
    assert redis_server.execute_raw("GET", "k") == b"v"
    assert recorder.answered == []
    assert recorder.unused() == []


def test_a_call_from_elsewhere_is_not_recorded(recorder: Recorder) -> None:
    with pytest.raises(RecordingError) as caught:
        recorder(("GET", "k"), {})
    assert str(caught.value) == (
        "the recorder supports redis-py's clients, pipelines and transactions, sync and asyncio; "
        "Redis Cluster and pub/sub are not supported yet. Register mocks for this call by hand: "
        "tripwire.redis.mock_command(...)."
    )


def test_only_redis_clients_have_twins(redis_server: _Server) -> None:
    with pytest.raises(RecordingError) as caught:
        Twins(f"redis://127.0.0.1:{redis_server.port}").twin_of(object())
    assert str(caught.value) == "cannot record a call made through object"


def test_valkey_clients_are_recorded_through_valkey(recorder: Recorder) -> None:
    import valkey

    with tripwire:
        client = valkey.Valkey(decode_responses=True)
        assert client.set("k", "v") is True
        with pytest.raises(valkey.exceptions.ResponseError):
            client.lpush("k", "x")
    assert lines(recorder) == [
        "tripwire.redis.mock_command('SET', returns=True)",
        "tripwire.redis.mock_command('LPUSH', returns=None, raises=valkey.exceptions."
        "ResponseError('WRONGTYPE Operation against a key holding the wrong kind of value'))",
    ]


def test_a_direct_exec_is_recorded_like_any_command(recorder: Recorder) -> None:
    with tripwire:
        client = redis.Redis(single_connection_client=True)
        with pytest.raises(redis.exceptions.ResponseError, match="EXEC without MULTI"):
            client.execute_command("EXEC")
    assert lines(recorder) == [
        "tripwire.redis.mock_command('EXEC', returns=None, raises=redis.exceptions."
        "ResponseError('EXEC without MULTI'))"
    ]


@NEEDS_ASYNCIO
def test_an_asyncio_transaction_with_watch_is_recorded(
    recorder: Recorder, redis_server: _Server
) -> None:
    async def main() -> list[Any]:
        async with redis.asyncio.Redis().pipeline() as pipe:
            await pipe.watch("n")
            current = int(await pipe.get("n") or 0)
            pipe.multi()
            pipe.set("n", current + 5)
            pipe.get("n")
            return await pipe.execute()  # type: ignore[no-any-return]

    with tripwire:
        assert asyncio.run(main()) == [True, b"5"]
    assert redis_server.execute_raw("GET", "n") == b"5"
    assert lines(recorder) == [
        "tripwire.redis.mock_command('WATCH', returns=True)",
        "tripwire.redis.mock_command('GET', returns=None)",
        "tripwire.redis.mock_command('SET', returns=True)",
        "tripwire.redis.mock_command('GET', returns=b'5')",
    ]


def test_a_fully_mocked_transaction_after_a_pipeline_runs_on_its_own(
    recorder: Recorder, redis_server: _Server
) -> None:
    client = redis.Redis()
    with tripwire:
        pipe = client.pipeline(transaction=False)
        pipe.incr("n")
        assert pipe.execute() == [1]
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        pipe = client.pipeline()
        pipe.set("k", "v")
        assert pipe.execute() == [True]
    assert redis_server.execute_raw("GET", "k") == b"v"

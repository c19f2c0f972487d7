"""A transaction is recorded as it goes on the wire: MULTI, the queued commands, EXEC.

Each scenario runs the same code twice: unsandboxed against the session's real ``redis-server``,
whose ``MONITOR`` feed (read over a raw socket) shows every command it ran for that client, and
inside the sandbox against mocks. The recorded sequence is the one the server ran.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import pytest
import redis
import redis.client
import redis.exceptions
from dirty_equals import IsInstance

import tripwire

Command = tuple[str, ...]
"""A command as the server saw it: the upper-case name, then each argument as text."""
Interfere = Callable[[], None]
"""What another client does between the transaction's reads and its EXEC (first attempt only)."""

ALLOW_REDIS = pytest.mark.allow("redis")
START, END = "tripwire:start", "tripwire:end"
MONITOR_LINE = re.compile(r'^\+[\d.]+ \[\d+ (?P<client>[^\]]+)\] (?P<args>".*)$')
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


class _Server(Protocol):
    """The parts of conftest's ``RedisServer`` used here (conftest is not importable)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    def execute_raw(self, *args: bytes | str | int) -> Any: ...


# -- the code under test ---------------------------------------------------------------------------


def default_pipeline(client: redis.Redis, interfere: Interfere) -> Any:
    pipe = client.pipeline()
    pipe.set("a", "1").incr("c", 2)
    return pipe.execute()


def transaction_true(client: redis.Redis, interfere: Interfere) -> Any:
    with client.pipeline(transaction=True) as pipe:
        pipe.incr("c").get("c")
        return pipe.execute()


def explicit_multi(client: redis.Redis, interfere: Interfere) -> Any:
    pipe = client.pipeline(transaction=False)
    pipe.multi()
    pipe.set("a", "2").expire("a", 60)
    return pipe.execute()


def no_transaction(client: redis.Redis, interfere: Interfere) -> Any:
    pipe = client.pipeline(transaction=False)
    pipe.set("a", "3").get("a")
    return pipe.execute()


def transaction_with_a_retry(client: redis.Redis, interfere: Interfere) -> Any:
    attempts = []

    def bump(pipe: redis.client.Pipeline) -> None:
        value = int(pipe.get("n"))
        if not attempts:
            interfere()
        attempts.append(value)
        pipe.multi()
        pipe.set("n", value + 1)

    return client.transaction(bump, "n"), attempts


#: Each scenario: the code, the mocks of its sandboxed run (command, returns, raises), its result.
WATCH_ERROR = redis.exceptions.WatchError("Watched variable changed.")
SCENARIOS: dict[str, tuple[Callable[[redis.Redis, Interfere], Any], list[Any], Any]] = {
    "pipeline()": (default_pipeline, [("SET", True, None), ("INCRBY", 2, None)], [True, 2]),
    "transaction=True": (transaction_true, [("INCRBY", 1, None), ("GET", b"1", None)], [1, b"1"]),
    "multi()": (explicit_multi, [("SET", True, None), ("EXPIRE", True, None)], [True, True]),
    "transaction=False": (no_transaction, [("SET", True, None), ("GET", b"3", None)], [True, b"3"]),
    "transaction() retried": (
        transaction_with_a_retry,
        [
            ("WATCH", True, None),
            ("GET", b"1", None),
            ("SET", True, None),
            ("EXEC", None, WATCH_ERROR),
            ("WATCH", True, None),
            ("GET", b"10", None),
            ("SET", True, None),
        ],
        ([True], [1, 10]),
    ),
}


# -- the two runs ----------------------------------------------------------------------------------


@contextmanager
def monitor(server: _Server) -> Iterator[Callable[[], list[Command]]]:
    """``MONITOR`` on a raw socket; the function yielded reads what one client ran between the
    ``ECHO START`` and ``ECHO END`` it sent."""
    with (
        socket.create_connection((server.host, server.port), timeout=5) as sock,
        sock.makefile("rb") as stream,
    ):
        sock.sendall(b"MONITOR\r\n")
        assert stream.readline() == b"+OK\r\n"

        def read() -> list[Command]:
            client = None
            seen: list[Command] = []
            while True:
                match = MONITOR_LINE.match(stream.readline().decode().rstrip("\r\n"))
                assert match is not None
                command = tuple(QUOTED.findall(match["args"]))
                command = (command[0].upper(), *command[1:])
                if command == ("ECHO", START):
                    client = match["client"]
                elif command == ("ECHO", END) and match["client"] == client:
                    return seen
                elif match["client"] == client:
                    seen.append(command)

        yield read


def on_the_server(server: _Server, scenario: str) -> tuple[Any, list[Command]]:
    code = SCENARIOS[scenario][0]
    server.execute_raw("SET", "n", 1)
    client = redis.Redis(host=server.host, port=server.port)
    client.ping()  # the connection's handshake, before the monitor starts
    with monitor(server) as ran:
        client.echo(START)
        # Another client (a raw socket) writes the watched key during the first attempt.
        result = code(client, lambda: server.execute_raw("SET", "n", 10))
        client.echo(END)
        commands = ran()
    client.close()
    return result, commands


def in_the_sandbox(server: _Server, scenario: str) -> tuple[Any, list[Any]]:
    code, mocks, _ = SCENARIOS[scenario]
    for command, returns, raises in mocks:
        tripwire.redis.mock_command(command, returns=returns, raises=raises)
    with tripwire:
        result = code(redis.Redis(host=server.host, port=server.port), lambda: None)
    return result, list(tripwire.current_verifier().timeline.entries)


def as_the_server_ran(recorded: list[Any]) -> list[Command]:
    """The recorded calls as the server's MONITOR shows them: arguments as text, and a failed
    transaction's queued commands left out (the server discards them, so it never runs them)."""
    ran: list[Command] = []
    multi = 0
    for call in recorded:
        if call.command == "MULTI":
            multi = len(ran)
        if call.command == "EXEC" and call.raises is not None:
            del ran[multi + 1 :]
        ran.append((call.command, *map(str, call.args)))
    return ran


# -- the tests -------------------------------------------------------------------------------------


@ALLOW_REDIS
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_recorded_sequence_is_what_the_server_ran(
    real_redis: redis.Redis, redis_server: _Server, scenario: str
) -> None:
    expected_result = SCENARIOS[scenario][2]
    server_result, ran = on_the_server(redis_server, scenario)
    sandbox_result, recorded = in_the_sandbox(redis_server, scenario)
    assert server_result == sandbox_result == expected_result
    assert as_the_server_ran(recorded) == ran
    for call in recorded:
        tripwire.redis.assert_command(call.command, args=call.args, kwargs=IsInstance(dict))


@ALLOW_REDIS
def test_a_retried_transaction_runs_multi_and_exec_twice(
    real_redis: redis.Redis, redis_server: _Server
) -> None:
    _, ran = on_the_server(redis_server, "transaction() retried")
    assert ran == [
        ("WATCH", "n"),
        ("GET", "n"),
        ("MULTI",),
        ("EXEC",),  # failed: another client wrote n; the queued SET never ran
        ("WATCH", "n"),
        ("GET", "n"),
        ("MULTI",),
        ("SET", "n", "11"),
        ("EXEC",),
    ]
    _, recorded = in_the_sandbox(redis_server, "transaction() retried")
    assert [call.command for call in recorded] == [
        "WATCH", "GET", "MULTI", "SET", "EXEC", "WATCH", "GET", "MULTI", "SET", "EXEC",
    ]  # fmt: skip
    for call in recorded:
        tripwire.redis.assert_command(call.command, args=call.args, kwargs=IsInstance(dict))

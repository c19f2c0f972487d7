"""Checks for the real-server fixtures in this directory's conftest."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Protocol

import pytest
import redis
import redis.connection


class _Server(Protocol):
    """The parts of conftest's ``RedisServer`` used here (conftest is not importable)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def version(self) -> str: ...
    @property
    def binary(self) -> Path: ...
    def execute_raw(self, *args: bytes | str | int) -> object: ...
    def commands_processed(self) -> int: ...
    def delta_since(self, before: int) -> int: ...


def test_version_is_the_binary_version(redis_server: _Server) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", redis_server.version)
    assert int(redis_server.version.split(".")[0]) >= 6
    banner = subprocess.run(
        [str(redis_server.binary), "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout
    assert f"v={redis_server.version} " in banner


def test_server_listens_on_loopback_only(redis_server: _Server) -> None:
    assert redis_server.host == "127.0.0.1"
    assert redis_server.execute_raw("CONFIG", "GET", "bind") == [b"bind", b"127.0.0.1"]
    assert redis_server.execute_raw("CONFIG", "GET", "protected-mode") == [
        b"protected-mode",
        b"yes",
    ]
    assert redis_server.execute_raw("CONFIG", "GET", "save") == [b"save", b""]
    assert redis_server.execute_raw("CONFIG", "GET", "appendonly") == [b"appendonly", b"no"]


def test_readings_do_not_count_themselves(redis_server: _Server) -> None:
    before = redis_server.commands_processed()
    assert redis_server.delta_since(before) == 0
    assert redis_server.delta_since(before) == 1  # the previous delta_since's INFO
    first = redis_server.commands_processed()
    second = redis_server.commands_processed()
    assert second == first + 1


def test_raw_commands_are_counted(redis_server: _Server) -> None:
    before = redis_server.commands_processed()
    redis_server.execute_raw("SET", "raw-key", "1")
    redis_server.execute_raw("INCR", "raw-key")
    assert redis_server.delta_since(before) == 2


def test_readings_work_while_redis_py_is_patched(
    redis_server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("redis-py used")

    monkeypatch.setattr(redis.Redis, "execute_command", refuse)
    monkeypatch.setattr(redis.connection.Connection, "send_command", refuse)
    before = redis_server.commands_processed()
    assert redis_server.delta_since(before) == 0


@pytest.mark.allow("redis")
def test_delta_counts_real_redis_py_commands(
    redis_server: _Server, real_redis: redis.Redis
) -> None:
    real_redis.ping()  # connect now, so the handshake is not counted below
    before = redis_server.commands_processed()
    real_redis.set("k", "v")
    assert real_redis.get("k") == b"v"
    assert real_redis.incr("n") == 1
    assert redis_server.delta_since(before) == 3

    before = redis_server.commands_processed()
    with real_redis.pipeline(transaction=False) as pipe:
        pipe.set("a", 1)
        pipe.get("a")
        pipe.incr("a")
        pipe.delete("a")
        assert pipe.execute() == [True, b"1", 2, 1]
    assert redis_server.delta_since(before) == 4

    before = redis_server.commands_processed()
    with real_redis.pipeline(transaction=True) as pipe:
        pipe.set("a", 1)
        pipe.incr("a")
        assert pipe.execute() == [True, 2]
    assert redis_server.delta_since(before) == 4  # MULTI, SET, INCR, EXEC


@pytest.mark.allow("redis")
@pytest.mark.parametrize("key", ["first", "second"])
def test_real_redis_starts_empty(real_redis: redis.Redis, key: str) -> None:
    assert real_redis.dbsize() == 0  # the other parametrization's key is gone
    real_redis.set(key, "x")
    assert real_redis.keys() == [key.encode()]


_PROBE = """
def test_probe(redis_server):
    pass
"""


@pytest.mark.parametrize(
    ("binary", "expected"),
    [
        ("/nonexistent/redis-server", "is not an executable file"),
        ("false", "redis-server exited with code 1"),
    ],
)
def test_missing_or_broken_binary_fails_not_skips(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    binary: str,
    expected: str,
) -> None:
    pytester.makeconftest(Path(__file__).with_name("conftest.py").read_text())
    pytester.makepyfile(test_probe=textwrap.dedent(_PROBE))
    monkeypatch.setenv("TRIPWIRE_REDIS_SERVER", binary)
    result = pytester.run(
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:tripwire",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*{expected}*"])

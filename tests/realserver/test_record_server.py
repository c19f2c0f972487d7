"""The server a recording starts: emptied before each recorded test, keys and scripts alike.

So a test records the same lines whether it runs first or after others that wrote the same
keys or loaded the same script (redis-py's ``Script`` sends EVALSHA, and SCRIPT LOAD only on a
server that lacks the script).
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import pytest

pytestmark = pytest.mark.filterwarnings("default")

TWICE = """
import redis
import tripwire

ADD = "return redis.call('INCRBY', KEYS[1], ARGV[1])"


def test_first():
    with tripwire:
        add = redis.Redis().register_script(ADD)
        assert add(keys=["n"], args=[3]) == 3


def test_again():
    with tripwire:
        add = redis.Redis().register_script(ADD)
        assert add(keys=["n"], args=[3]) == 3
"""


def test_each_recorded_test_starts_from_an_empty_server(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_twice=TWICE)
    result = pytester.runpytest(
        "-p", "no:randomly", "-p", "no:cacheprovider", "--tripwire-record=new"
    )
    result.assert_outcomes(passed=2)
    lines = result.outlines
    first = lines.index("test_twice.py::test_first")
    again = lines.index("test_twice.py::test_again")
    assert lines[first + 1 : again] == lines[again + 1 : again + 1 + again - first - 1]
    assert any(re.search(r"mock_command\('SCRIPT LOAD'", line) for line in lines[again:])
    assert "    tripwire.redis.mock_command('EVALSHA', returns=3)" in lines[again:]


GREETING = """
import redis
import tripwire


def test_greeting():
    with tripwire:
        redis.Redis().get("greeting")
"""


class _Server(Protocol):
    @property
    def port(self) -> int: ...
    def execute_raw(self, *args: bytes | str | int) -> Any: ...


def test_a_server_given_by_url_is_not_emptied_and_the_summary_says_so(
    pytester: pytest.Pytester, redis_server: _Server
) -> None:
    redis_server.execute_raw("FLUSHALL")
    redis_server.execute_raw("SET", "greeting", "hello")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_url=GREETING)
    url = f"redis://127.0.0.1:{redis_server.port}/0"
    result = pytester.runpytest(
        "-p", "no:randomly", "-p", "no:cacheprovider", "--tripwire-record=new",
        f"--tripwire-record-url={url}",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "    tripwire.redis.mock_command('GET', returns=b'hello')",
            f"the server at {url} is yours, and was not "
            "emptied between tests: a test's lines can depend on what other tests, earlier runs "
            "or other clients left there (keys, loaded scripts). Add --tripwire-record-flush to "
            "empty it before each test (FLUSHALL, SCRIPT FLUSH), or record against the server "
            "tripwire starts (no --tripwire-record-url).",
        ]
    )
    assert redis_server.execute_raw("GET", "greeting") == b"hello"


def test_the_flush_option_empties_a_server_given_by_url_before_each_test(
    pytester: pytest.Pytester, redis_server: _Server
) -> None:
    redis_server.execute_raw("SET", "elsewhere", "x")
    redis_server.execute_raw("MOVE", "elsewhere", 3)  # another database: emptied too
    redis_server.execute_raw("SET", "greeting", "hello")
    redis_server.execute_raw("SCRIPT", "LOAD", "return 1")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_url=GREETING)
    result = pytester.runpytest(
        "-p", "no:randomly", "-p", "no:cacheprovider", "--tripwire-record=new",
        f"--tripwire-record-url=redis://127.0.0.1:{redis_server.port}/0",
        "--tripwire-record-flush",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["    tripwire.redis.mock_command('GET', returns=None)"])
    assert "was not emptied" not in result.stdout.str()
    assert redis_server.execute_raw("DBSIZE") == 0
    redis_server.execute_raw("SWAPDB", 0, 3)
    assert redis_server.execute_raw("DBSIZE") == 0
    redis_server.execute_raw("SWAPDB", 0, 3)
    sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"  # return 1
    assert redis_server.execute_raw("SCRIPT", "EXISTS", sha) == [0]


def test_the_flush_option_needs_a_url(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = pytester.runpytest("--tripwire-record=new", "--tripwire-record-flush")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --tripwire-record-flush empties the server of --tripwire-record-url, and "
            "none is given: the server tripwire starts is emptied before each recorded test "
            "anyway."
        ]
    )

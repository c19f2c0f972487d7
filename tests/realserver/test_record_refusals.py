"""What a recording refuses, or cannot do, it says once, in words a person can act on.

No server to start, a URL that is not this machine's, a test run by a pytest-xdist worker, a
Hypothesis ``@given`` test: each is said once, and nothing reaches a server it should not.
"""

from __future__ import annotations

from typing import Any, Protocol

import pytest

pytestmark = pytest.mark.filterwarnings("default")


class _Server(Protocol):
    @property
    def port(self) -> int: ...
    def execute_raw(self, *args: bytes | str | int) -> Any: ...
    def bytes_received(self) -> int: ...
    def bytes_since(self, before: int) -> int: ...


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", *args)


THREE_TESTS = """
import redis
import tripwire


def test_one():
    with tripwire:
        redis.Redis().get("k")


def test_two(tripwire_record_client):
    tripwire_record_client.set("k", "v")


def test_three():
    pass
"""


def test_no_server_to_start_is_said_once_before_any_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIPWIRE_REDIS_SERVER", "/nonexistent/redis-server")
    pytester.makepyfile(test_three=THREE_TESTS)
    result = run(pytester, "--tripwire-record=new")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    message = (
        "ERROR: TRIPWIRE_REDIS_SERVER='/nonexistent/redis-server' is not an executable (nor a "
        "command on PATH)."
    )
    printed = result.stdout.lines + result.stderr.lines
    assert printed.count(message) == 1
    assert [line for line in printed if "redis-server" in line] == [message]
    assert "KeyError" not in "\n".join(printed)


def test_a_marked_test_that_is_deselected_starts_no_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIPWIRE_REDIS_SERVER", "/nonexistent/redis-server")
    pytester.makepyfile(
        test_marked="""
import pytest


@pytest.mark.tripwire_record
def test_marked():
    pass


def test_plain():
    pass
"""
    )
    run(pytester, "-k", "plain").assert_outcomes(passed=1, deselected=1)


@pytest.mark.parametrize(
    ("url", "where"),
    [
        pytest.param(
            "redis://vm:6379/0",
            "names the host 'vm', and a recording looks no name up: of names it takes only "
            "localhost as this machine",
            id="a-name",
        ),
        pytest.param(
            "redis://user:Url-Pa55@10.1.2.3:6379/0",
            "points at 10.1.2.3, which is not a loopback address (127.0.0.0/8 or ::1)",
            id="an-address",
        ),
    ],
)
def test_a_url_that_is_not_loopback_is_refused_saying_why(
    pytester: pytest.Pytester, url: str, where: str
) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = run(pytester, f"--tripwire-record-url={url}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.lines[0] == (
        f"ERROR: --tripwire-record-url {where}. A recording sends every command of the recorded "
        "tests, writes included, to that server: use a local one (redis://127.0.0.1:6379/0), or "
        "add --tripwire-record-any-host if you mean it."
    )
    assert "Pa55" not in result.stderr.str()


def test_the_marker_under_xdist_fails_the_test_and_reaches_no_server(
    pytester: pytest.Pytester, redis_server: _Server
) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_marked="""
import pytest
import redis
import tripwire


@pytest.mark.tripwire_record
def test_marked():
    with tripwire:
        redis.Redis().set("k", "v")
"""
    )
    before = redis_server.bytes_received()
    result = pytester.runpytest_subprocess(
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        f"--tripwire-record-url=redis://127.0.0.1:{redis_server.port}/0",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.tripwire_record records in the process that runs the test, and a "
            "pytest-xdist worker cannot print what it recorded: nothing was recorded, and no "
            "server was reached. Run this test without -n."
        ]
    )
    assert redis_server.bytes_since(before) == 0


@pytest.mark.parametrize(("mode", "done"), [("new", "recorded"), ("verify", "verified")])
def test_a_given_test_says_why_it_is_not_recorded(
    pytester: pytest.Pytester, mode: str, done: str
) -> None:
    pytester.makepyfile(
        test_given="""
import redis
import tripwire
from hypothesis import given, settings, strategies as st


@settings(max_examples=3, database=None)
@given(st.integers())
def test_drawn(n):
    with tripwire:
        redis.Redis().set("k", n)
"""
    )
    result = run(pytester, f"--tripwire-record={mode}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*tripwire: * Redis*",
            f"test_given.py::test_drawn: not {done}: it is a Hypothesis @given test, whose "
            "examples each make their own calls, which one list of mocks cannot stand for. "
            "Record a plain test with one example's values, or give the @given test a drawn "
            "session (tripwire_hypothesis.redis_session).",
        ]
    )

"""The server a recording starts: emptied before each recorded test, keys and scripts alike.

So a test records the same lines whether it runs first or after others that wrote the same
keys or loaded the same script (redis-py's ``Script`` sends EVALSHA, and SCRIPT LOAD only on a
server that lacks the script).
"""

from __future__ import annotations

import re

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

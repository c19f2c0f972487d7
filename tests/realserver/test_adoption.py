"""Adding tripwire to a suite that already has tests on fakeredis and on a real server.

One user suite in miniature: a fakeredis test, a test on the real ``redis-server`` this
directory's fixture starts (through a fixture of the user's own), and a tripwire test. With no
configuration all three pass: tripwire acts only where a test uses it. With ``guard = "all"``
the real-server test is refused, with a message that names the one-line fix and shows no
internal error, and the fakeredis test still passes.
"""

from __future__ import annotations

from typing import Protocol

import pytest

# The user suite's fakeredis imports redis.asyncio, which arrived in redis-py 4.2.
pytest.importorskip("redis.asyncio", reason="fakeredis needs redis.asyncio (redis-py 4.2+)")


class _Server(Protocol):
    """The parts of conftest's ``RedisServer`` used here (conftest is not importable)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...


USER_CONFTEST = """
import pytest
import redis


@pytest.fixture
def server():
    client = redis.Redis(host="{host}", port={port}, socket_timeout=5)
    yield client
    client.close()
"""

USER_SUITE = """
import fakeredis
import redis
from dirty_equals import IsInstance

import tripwire


def test_on_fakeredis():
    fake = fakeredis.FakeRedis()
    fake.set("greeting", "hi")
    assert fake.get("greeting") == b"hi"


def test_on_the_real_server(server):
    server.set("adoption", "real")  # the real-server call
    assert server.get("adoption") == b"real"


def test_with_tripwire():
    tripwire.redis.mock_command("GET", returns=b"mocked")
    with tripwire:
        assert redis.Redis().get("greeting") == b"mocked"
    # redis-py adds keys=[...] to the options of read commands from 5.1 on.
    tripwire.redis.assert_command("GET", args=("greeting",), kwargs=IsInstance(dict))
"""


@pytest.fixture
def user_suite(pytester: pytest.Pytester, redis_server: _Server) -> pytest.Pytester:
    pytester.makeconftest(USER_CONFTEST.format(host=redis_server.host, port=redis_server.port))
    pytester.makepyfile(test_user=USER_SUITE)
    return pytester


def test_with_no_configuration_every_test_passes(user_suite: pytest.Pytester) -> None:
    result = user_suite.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=3)


def test_with_guard_all_the_real_server_test_is_refused(user_suite: pytest.Pytester) -> None:
    user_suite.makepyprojecttoml('[tool.tripwire]\nguard = "all"\n')
    result = user_suite.runpytest_subprocess("-p", "no:randomly", "-rf")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_on_the_real_server _*",
            "E*tripwire.UnsandboxedInteractionError: redis.SET(...) was called outside the "
            "tripwire sandbox, at test_user.py:15.",
            "E*During a test tripwire refuses real calls that no sandbox intercepts. Either:",
            "E*mock it: register tripwire.redis.mock_command(...) and make the call inside "
            "`with tripwire:`",
            'E*or allow the real redis for this test: @pytest.mark.allow("redis")',
            "FAILED test_user.py::test_on_the_real_server - tripwire.Unsandboxed*",
        ]
    )
    result.stdout.no_fnmatch_line("*KeyError*")
    result.stdout.no_fnmatch_line("*During handling of the above exception*")


def test_the_one_line_fix_lets_it_reach_the_server(user_suite: pytest.Pytester) -> None:
    user_suite.makepyprojecttoml('[tool.tripwire]\nguard = "all"\n')
    fixed = USER_SUITE.replace(
        "def test_on_the_real_server", '@pytest.mark.allow("redis")\ndef test_on_the_real_server'
    )
    user_suite.makepyfile(test_user="import pytest\n" + fixed)
    result = user_suite.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=3)

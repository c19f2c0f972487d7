"""``pytest --tripwire-record=new`` from a user's run: record once, paste, and the test passes.

Each test records a test file with pytester (against a ``redis-server`` the recording starts,
or the session's server by URL), takes the lines the terminal summary prints, pastes them into
a new test file around its ``with tripwire:`` block, and runs that file without recording: it
must pass. A normal run, even with a server up, never reaches it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Protocol

import pytest
import redis

pytestmark = pytest.mark.filterwarnings("default")

try:
    import redis.asyncio  # noqa: F401
except ImportError:  # redis-py 4.0 and 4.1
    ASYNCIO = False
else:
    ASYNCIO = True

#: The guide's example, verbatim (examples/redis_cache/app.py).
GUIDE_APP = (Path(__file__).parents[2] / "examples" / "redis_cache" / "app.py").read_text()

BANK = '''
import redis


def transfer(client, source, target, amount):
    """Move ``amount`` from one balance to another, atomically, if the source has enough."""
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(source)
                balance = int(pipe.get(source) or 0)
                if balance < amount:
                    return False
                pipe.multi()
                pipe.decrby(source, amount)
                pipe.incrby(target, amount)
                pipe.execute()
                return True
            except redis.WatchError:
                continue


def balances(client, *names):
    """Every balance in one round trip (a pipeline that is no transaction)."""
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.get(name)
    return [int(value or 0) for value in pipe.execute()]
'''


class _Server(Protocol):
    @property
    def port(self) -> int: ...
    def execute_raw(self, *args: bytes | str | int) -> Any: ...
    def bytes_received(self) -> int: ...
    def bytes_since(self, before: int) -> int: ...


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", *args)


def setup(pytester: pytest.Pytester, **files: str) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(**files)


def recorded(result: pytest.RunResult) -> dict[str, tuple[list[str], list[str]]]:
    """The summary's lines by test name: (lines before `with tripwire:`, lines after it)."""
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if "tripwire: recorded Redis sessions" in line)
    tests: dict[str, tuple[list[str], list[str]]] = {}
    current: list[str] = []
    for line in lines[start + 1 :]:
        if re.match(r"^\S+::\S+$", line):
            before: list[str] = []
            after: list[str] = []
            tests[line.split("::")[-1]] = (before, after)
            current = before
        elif line == "    # after the `with tripwire:` block":
            current = after
        elif line.startswith("    tripwire."):
            current.append(line.strip())
        elif not line.startswith("    "):
            break
    return tests


def indented(lines: list[str]) -> str:
    return "\n".join("    " + line for line in lines)


def test_the_guides_get_user_records_into_tests_that_pass(pytester: pytest.Pytester) -> None:
    setup(
        pytester,
        app=GUIDE_APP,
        test_recording="""
import json

import tripwire
from app import get_user


def test_get_user_cache_hit(tripwire_record_client):
    tripwire_record_client.set("user:1", json.dumps({"id": 1, "name": "Alice"}))
    with tripwire:
        result = get_user(1)
    assert result == {"id": 1, "name": "Alice"}


def test_get_user_cache_miss():
    with tripwire:
        result = get_user(42)
    assert result is None
""",
    )
    result = run(
        pytester,
        "--tripwire-record=new",
        "--tripwire-record-output=recorded.txt",
        "test_recording.py",
    )
    result.assert_outcomes(passed=2)
    lines = recorded(result)
    # The file holds what the terminal shows.
    written = (pytester.path / "recorded.txt").read_text().splitlines()
    first = result.outlines.index(written[0])
    assert result.outlines[first : first + len(written)] == written
    hit_mocks, hit_asserts = lines["test_get_user_cache_hit"]
    miss_mocks, miss_asserts = lines["test_get_user_cache_miss"]
    assert hit_mocks == [
        """tripwire.redis.mock_command('GET', returns=b'{"id": 1, "name": "Alice"}')"""
    ]
    assert miss_mocks == ["tripwire.redis.mock_command('GET', returns=None)"]
    assert hit_asserts[0].startswith("tripwire.redis.assert_command('GET', args=('user:1',)")
    result.stdout.fnmatch_lines(
        [
            "    # the mocks stand for the data tripwire_record_client arranged: drop the "
            "fixture and its calls"
        ]
    )
    pytester.makepyfile(
        test_pasted=f"""
import tripwire
from app import get_user


def test_get_user_cache_hit():
{indented(hit_mocks)}
    with tripwire:
        result = get_user(1)
    assert result == {{"id": 1, "name": "Alice"}}
{indented(hit_asserts)}


def test_get_user_cache_miss():
{indented(miss_mocks)}
    with tripwire:
        result = get_user(42)
    assert result is None
{indented(miss_asserts)}
"""
    )
    pasted = run(pytester, "test_pasted.py")
    pasted.assert_outcomes(passed=2)
    assert "tripwire: recorded" not in pasted.stdout.str()


RECORD_BANK = """
import tripwire
from bank import balances, transfer
import redis


@pytest.mark.tripwire_record
def test_transfer(tripwire_record_client):
    tripwire_record_client.set("balance:alice", 100)
    client = redis.Redis()
    with tripwire:
        moved = transfer(client, "balance:alice", "balance:bob", 30)
        refused = transfer(client, "balance:bob", "balance:alice", 50)
        after = balances(client, "balance:alice", "balance:bob")
    assert (moved, refused, after) == (True, False, [70, 30])


def test_not_marked():
    with tripwire:
        redis.Redis().get("k")
"""


def test_a_pipeline_and_a_transaction_record_into_a_test_that_passes(
    pytester: pytest.Pytester,
) -> None:
    setup(pytester, bank=BANK, test_recording="import pytest\n" + RECORD_BANK)
    result = run(pytester, "test_recording.py")  # the marker alone asks for the recording
    # Only the marked test is recorded: the other one meets the sandbox as usual.
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*UnmockedInteractionError: redis.GET(...) was called but no*"])
    assert list(recorded(result)) == ["test_transfer"]
    mocks, asserts = recorded(result)["test_transfer"]
    assert mocks == [
        "tripwire.redis.mock_command('WATCH', returns=True)",
        "tripwire.redis.mock_command('GET', returns=b'100')",
        "tripwire.redis.mock_command('DECRBY', returns=70)",
        "tripwire.redis.mock_command('INCRBY', returns=30)",
        "tripwire.redis.mock_command('WATCH', returns=True)",
        "tripwire.redis.mock_command('GET', returns=b'30')",
        "tripwire.redis.mock_command('GET', returns=b'70')",
        "tripwire.redis.mock_command('GET', returns=b'30')",
    ]
    assert [line.split("(")[1].split(",")[0].rstrip(")") for line in asserts] == [
        "'WATCH'", "'GET'", "'MULTI'", "'DECRBY'", "'INCRBY'", "'EXEC'",
        "'WATCH'", "'GET'", "'GET'", "'GET'",
    ]  # fmt: skip
    pytester.makepyfile(
        test_pasted=f"""
import redis

import tripwire
from bank import balances, transfer


def test_transfer():
    client = redis.Redis()
{indented(mocks)}
    with tripwire:
        moved = transfer(client, "balance:alice", "balance:bob", 30)
        refused = transfer(client, "balance:bob", "balance:alice", 50)
        after = balances(client, "balance:alice", "balance:bob")
    assert (moved, refused, after) == (True, False, [70, 30])
{indented(asserts)}
"""
    )
    run(pytester, "test_pasted.py").assert_outcomes(passed=1)


@pytest.mark.skipif(not ASYNCIO, reason="redis.asyncio arrived in redis-py 4.2")
def test_rewrite_writes_the_lines_into_the_test_and_drops_the_marker(
    pytester: pytest.Pytester,
) -> None:
    source = """\
import asyncio

import pytest
import redis.asyncio

import tripwire


@pytest.mark.tripwire_record
def test_lock():
    client = redis.asyncio.Redis()

    async def work():
        await client.set("k", "v")
        return await client.lpush("k", "x")

    with tripwire:
        with pytest.raises(redis.ResponseError):
            asyncio.run(work())
"""
    setup(pytester, test_rewritten=source)
    result = run(pytester, "--tripwire-record-rewrite")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"rewrote 1 test(s) in {pytester.path / 'test_rewritten.py'}"])
    rewritten = (pytester.path / "test_rewritten.py").read_text()
    assert rewritten == source.replace("@pytest.mark.tripwire_record\n", "").replace(
        "    with tripwire:\n",
        "    tripwire.redis.mock_command('SET', returns=True)\n"
        "    tripwire.redis.mock_command('LPUSH', returns=None, raises=redis.exceptions."
        "ResponseError('WRONGTYPE Operation against a key holding the wrong kind of value'))\n"
        "    with tripwire:\n",
    ) + (
        "    tripwire.redis.assert_command('SET', args=('k', 'v'))\n"
        "    tripwire.redis.assert_command('LPUSH', args=('k', 'x'))\n"
    )
    run(pytester).assert_outcomes(passed=1)


def test_a_normal_run_never_records_nor_reaches_the_server(
    pytester: pytest.Pytester, redis_server: _Server
) -> None:
    setup(
        pytester,
        test_plain=f"""
import sys

import redis
import tripwire


def test_unmocked():
    with tripwire:
        redis.Redis(port={redis_server.port}).get("k")


def test_recorder_not_imported():
    assert "tripwire.plugins.recording.recorder" not in sys.modules
    assert "tripwire.plugins.recording.server" not in sys.modules
""",
    )
    before = redis_server.bytes_received()
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*UnmockedInteractionError*"])
    assert "tripwire: recorded" not in result.stdout.str()
    assert redis_server.bytes_since(before) == 0


def test_a_url_records_against_that_server(
    pytester: pytest.Pytester, redis_server: _Server
) -> None:
    redis_server.execute_raw("SET", "greeting", "hello")
    setup(
        pytester,
        test_url="""
import redis
import tripwire


def test_greeting():
    with tripwire:
        assert redis.Redis().get("greeting") == b"hello"
""",
    )
    before = redis_server.bytes_received()
    result = run(
        pytester,
        "--tripwire-record=new",
        f"--tripwire-record-url=redis://127.0.0.1:{redis_server.port}/0",
    )
    result.assert_outcomes(passed=1)
    assert recorded(result)["test_greeting"][0] == [
        "tripwire.redis.mock_command('GET', returns=b'hello')"
    ]
    assert redis_server.bytes_since(before) > 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param(
            "redis://cache.example.invalid:6379/0",
            "ERROR: --tripwire-record-url names the host 'cache.example.invalid', and a "
            "recording looks no name up: of names it takes only localhost as this machine. A "
            "recording sends every command of the recorded tests, writes included, to that "
            "server: use a local one (redis://127.0.0.1:6379/0), or add "
            "--tripwire-record-any-host if you mean it.",
            id="remote-host",
        ),
        pytest.param(
            "http://127.0.0.1/",
            "ERROR: --tripwire-record-url must be a redis:// (or rediss://, unix://) URL, got "
            "'http://127.0.0.1/'.",
            id="not-redis",
        ),
    ],
)
def test_a_url_off_this_machine_is_refused(
    pytester: pytest.Pytester, url: str, message: str
) -> None:
    setup(pytester, test_nothing="def test_nothing():\n    pass\n")
    result = run(pytester, f"--tripwire-record-url={url}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.lines


def test_recording_under_xdist_is_refused(pytester: pytest.Pytester) -> None:
    setup(pytester, test_nothing="def test_nothing():\n    pass\n")
    result = run(pytester, "--tripwire-record=new", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (
        "ERROR: --tripwire-record=new reports what each test recorded in the process that ran it: "
        "record without -n (pytest-xdist)."
    ) in result.stderr.lines


def test_any_host_lets_a_remote_url_through(pytester: pytest.Pytester) -> None:
    setup(pytester, test_nothing="def test_nothing():\n    pass\n")
    result = run(
        pytester,
        "--tripwire-record-url=redis://cache.example.invalid:6379/0",
        "--tripwire-record-any-host",
    )
    result.assert_outcomes(passed=1)


def test_the_seeding_fixture_needs_a_recording(pytester: pytest.Pytester) -> None:
    setup(pytester, test_seed="def test_seed(tripwire_record_client):\n    pass\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*tripwire_record_client arranges data on the recording server, and this test is not "
            "being recorded: run it with --tripwire-record=new (or mark it "
            "@pytest.mark.tripwire_record), or remove the fixture once the recorded lines are "
            "pasted."
        ]
    )


def test_a_connection_used_by_hand_is_refused_with_a_note(pytester: pytest.Pytester) -> None:
    setup(
        pytester,
        test_monitor="""
import redis
import tripwire


def test_monitor():
    with tripwire, redis.Redis().monitor() as monitor:
        monitor.next_command()
""",
    )
    result = run(pytester, "--tripwire-record=new")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "test_monitor.py::test_monitor",
            "    # not recorded: the code used a Redis connection directly (MONITOR, or a "
            "connection of its own), which the recorder does not support yet; it records clients, "
            "pipelines and transactions, sync and asyncio",
        ]
    )


def test_pub_sub_subscriptions_are_printed_as_assertions(pytester: pytest.Pytester) -> None:
    setup(
        pytester,
        test_pubsub="""
import redis
import tripwire


def test_subscribe():
    with tripwire:
        redis.Redis().pubsub().subscribe("news")
""",
    )
    result = run(pytester, "--tripwire-record=new")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "test_pubsub.py::test_subscribe",
            "    tripwire.redis.assert_command('SUBSCRIBE', args=('news',))",
        ]
    )


def test_a_failing_test_prints_what_it_recorded_until_then(pytester: pytest.Pytester) -> None:
    setup(
        pytester,
        test_failing="""
import redis
import tripwire


def test_fails():
    with tripwire:
        redis.Redis().incr("n")
    assert False, "the body's own failure"
""",
    )
    result = run(pytester, "--tripwire-record=new", "--tripwire-record-rewrite")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "test_failing.py::test_fails",
            "    # the test failed (AssertionError: the body's own failure*",
            "    tripwire.redis.mock_command('INCRBY', returns=1)",
        ]
    )
    # A failed recording is not written into the test.
    assert "mock_command" not in (pytester.path / "test_failing.py").read_text()


def test_the_plugin_module_stays_cheap_to_import() -> None:
    # The recorder's modules load only when a test is recorded.
    import tripwire.pytest_plugin  # noqa: F401

    assert "tripwire.plugins.recording.pytest_hooks" in sys.modules


def test_while_recording_the_guard_still_refuses_calls_outside_the_sandbox(
    pytester: pytest.Pytester, redis_server: _Server
) -> None:
    setup(
        pytester,
        test_outside=f"""
import pytest
import redis
import tripwire


def test_outside():
    with pytest.raises(tripwire.UnsandboxedInteractionError):
        redis.Redis(port={redis_server.port}).set("k", "v")
""",
    )
    before = redis_server.bytes_received()
    result = run(
        pytester,
        "--tripwire-record=new",
        f"--tripwire-record-url=redis://127.0.0.1:{redis_server.port}",
    )
    result.assert_outcomes(passed=1)
    assert "tripwire: recorded" not in result.stdout.str()
    assert redis_server.bytes_since(before) == 0

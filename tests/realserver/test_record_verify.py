"""``pytest --tripwire-record=verify``: recorded mocks checked against a fresh real server.

A suite (the guide's cache, a lock, a transaction, a script, a SCAN loop) is recorded into its
file, verified (no difference, nothing written), then one mock is edited to a reply Redis does
not give: verify reports exactly that mock, and fails exactly that test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings("default")

GUIDE_APP = (Path(__file__).parents[2] / "examples" / "redis_cache" / "app.py").read_text()

SUITE = """\
import redis
import tripwire
from app import get_user

ADD = "return redis.call('INCRBY', KEYS[1], ARGV[1])"


def test_cache_miss():
    with tripwire:
        assert get_user(42) is None


def test_lock():
    with tripwire:
        lock = redis.Redis().lock("job:42", timeout=5)
        assert lock.acquire(blocking=False)  # a token of its own making, matched
        lock.release()


def test_transaction():
    with tripwire:
        pipe = redis.Redis().pipeline()
        pipe.set("balance", 10).incrby("balance", 5)
        assert pipe.execute() == [True, 15]


def test_script():
    with tripwire:
        add = redis.Redis().register_script(ADD)
        assert add(keys=["n"], args=[3]) == 3


def test_scan():
    with tripwire:
        client = redis.Redis()
        client.mset({f"user:{n}": n for n in range(12)})
        assert len(set(client.scan_iter("user:*", count=3))) == 12
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", *args)


def test_verify_passes_a_true_recording_and_reports_the_one_mock_edited(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (pytester.path / "app.py").write_text(GUIDE_APP)
    path = pytester.path / "test_suite.py"
    path.write_text(SUITE)
    run(pytester, "--tripwire-record=new", "--tripwire-record-rewrite").assert_outcomes(passed=5)
    recorded = path.read_text()
    assert "tripwire.redis.mock_command('INCRBY', returns=15)" in recorded
    assert "# review" not in recorded
    run(pytester).assert_outcomes(passed=5)  # committed: it passes without a server
    run(pytester, "--tripwire-record=rewrite-all").assert_outcomes(passed=5)
    assert path.read_text() == recorded  # recorded again: not a line changes

    result = run(pytester, "--tripwire-record=verify")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        [
            "*tripwire: mocks verified against Redis*",
            "verified the mocks of 5 test(s) against Redis: every mock answers as Redis does",
        ]
    )
    assert path.read_text() == recorded  # verify writes nothing

    # A mock (and the test's expectation) that Redis does not give: offline, the test passes.
    edited = recorded.replace("returns=15)", "returns=16)").replace("[True, 15]", "[True, 16]")
    path.write_text(edited)
    run(pytester).assert_outcomes(passed=5)
    line = (
        path.read_text().splitlines().index("    tripwire.redis.mock_command('INCRBY', returns=16)")
        + 1
    )
    result = run(pytester, "--tripwire-record=verify")
    result.assert_outcomes(passed=4, failed=1)
    difference = (
        f"test_suite.py:{line}: the mock of INCRBY('balance', 5) answers 16, and Redis answers 15"
    )
    result.stdout.fnmatch_lines(
        [
            "*_ test_transaction _*",
            "1 mock(s) answer otherwise than Redis:",
            difference,
            "Record the test again (remove its mocks, run pytest --tripwire-record=new), or "
            "correct each mock to Redis's answer.",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*tripwire: mocks verified against Redis*",
            "test_suite.py::test_transaction: 1 mock(s) differ from Redis",
            f"    {difference}",
            "verified the mocks of 5 test(s) against Redis: 1 differ",
        ]
    )
    assert path.read_text().count("returns=16") == 1


def test_an_error_reply_is_compared_too(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_errors="""
import pytest
import redis
import tripwire


def test_wrong_type():
    tripwire.redis.mock_command("SET", returns=True)
    tripwire.redis.mock_command("LPUSH", returns=1)
    with tripwire:
        client = redis.Redis()
        client.set("k", "v")
        client.lpush("k", "x")
    tripwire.redis.assert_command("SET", args=("k", "v"))
    tripwire.redis.assert_command("LPUSH", args=("k", "x"))
"""
    )
    result = run(pytester, "--tripwire-record=verify")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "    test_errors.py:8: the mock of LPUSH('k', 'x') answers 1, and Redis answers raises "
            "ResponseError('WRONGTYPE Operation against a key holding the wrong kind of value')"
        ]
    )


CACHE_HIT = """
import json

from dirty_equals import IsInstance

import tripwire
from app import get_user

ALICE = {"id": 1, "name": "Alice"}


def test_hit_with_its_data(tripwire_record_client):
    tripwire_record_client.set("user:1", json.dumps(ALICE))
    tripwire.redis.mock_command("GET", returns=b'{"id": 1, "name": "Alice"}')
    with tripwire:
        assert get_user(1) == ALICE
    tripwire.redis.assert_command("GET", args=("user:1",), kwargs=IsInstance(dict))


def test_hit_without_its_data():
    tripwire.redis.mock_command("GET", returns=b'{"id": 1, "name": "Alice"}')
    with tripwire:
        assert get_user(1) == ALICE
    tripwire.redis.assert_command("GET", args=("user:1",), kwargs=IsInstance(dict))
"""


def test_data_a_mock_stands_for_is_arranged_with_the_seeding_fixture(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (pytester.path / "app.py").write_text(GUIDE_APP)
    pytester.makepyfile(test_cache=CACHE_HIT)
    result = run(pytester, "--tripwire-record=verify")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "test_cache.py::test_hit_without_its_data: 1 mock(s) differ from Redis",
            "    test_cache.py:20: the mock of GET('user:1') answers "
            """b'{"id": 1, "name": "Alice"}', and Redis answers None""",
        ]
    )


SHAPES = """
import pytest
import redis
import tripwire
from dirty_equals import AnyThing


def test_shapes():
    tripwire.redis.mock_command("HSET", returns=2)
    tripwire.redis.mock_command("HGETALL", returns={"a": "1", "b": "2"})
    tripwire.redis.mock_command("SADD", returns=2)
    tripwire.redis.mock_command("SMEMBERS", returns={"x", "y"})
    tripwire.redis.mock_command("GET", returns=None, raises=redis.ResponseError)
    tripwire.redis.mock_command("GET", returns=None, raises=redis.ResponseError)
    with tripwire:
        client = redis.Redis(decode_responses=True)
        client.hset("h", mapping={"a": "1", "b": "2"})
        assert client.hgetall("h") == {"a": "1", "b": "2"}
        client.sadd("s", "x", "y")
        assert client.smembers("s") == {"x", "y"}
        with pytest.raises(redis.ResponseError):
            client.get("s")
        with pytest.raises(redis.ResponseError):
            client.get("missing")
    for command in ("HSET", "HGETALL", "SADD", "SMEMBERS", "GET", "GET"):
        tripwire.redis.assert_command(command, args=AnyThing, kwargs=AnyThing)


def test_no_redis_call():
    pass
"""


def test_replies_compare_as_redis_sends_them(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_shapes=SHAPES)
    result = run(pytester, "--tripwire-record=verify")
    result.assert_outcomes(failed=1, passed=1)
    # Only the mock that raises where Redis answers: the decoded text, the dict, the set and the
    # error of the same class match.
    result.stdout.fnmatch_lines(
        [
            "test_shapes.py::test_shapes: 1 mock(s) differ from Redis",
            "    test_shapes.py:*: the mock of GET('missing') answers raises ResponseError, and "
            "Redis answers None",
        ]
    )


CHOSEN = """
import redis
import tripwire


def test_chosen():
    tripwire.redis.mock_command("SADD", returns=3)
    tripwire.redis.mock_command("SRANDMEMBER", returns=b"c")
    tripwire.redis.mock_command("SRANDMEMBER", returns=[b"c", b"c", b"c"])
    tripwire.redis.mock_command("SRANDMEMBER", returns=b"z")
    tripwire.redis.mock_command("SPOP", returns=b"b")
    tripwire.redis.mock_command("SMEMBERS", returns={b"a", b"c"})
    tripwire.redis.mock_command("RANDOMKEY", returns=b"pool")
    with tripwire:
        client = redis.Redis()
        client.sadd("pool", "a", "b", "c")
        client.srandmember("pool")
        client.srandmember("pool", -3)
        client.srandmember("pool")
        client.spop("pool")
        client.smembers("pool")
        client.randomkey()
    for command in ("SADD", "SRANDMEMBER", "SRANDMEMBER", "SRANDMEMBER", "SPOP", "SMEMBERS"):
        tripwire.redis.assert_command(command, args=AnyThing, kwargs=AnyThing)
    tripwire.redis.assert_command("RANDOMKEY", args=AnyThing, kwargs=AnyThing)
"""


def test_a_random_reply_is_true_if_redis_could_have_chosen_it(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_chosen="from dirty_equals import AnyThing\n" + CHOSEN)
    result = run(pytester, "--tripwire-record=verify")
    result.assert_outcomes(failed=1)
    # b"c" is a member, and three of them may repeat; SPOP's b"b" is removed as Redis would, so
    # SMEMBERS is {a, c}. Only the member the set never held differs.
    result.stdout.fnmatch_lines(
        [
            "test_chosen.py::test_chosen: 1 mock(s) differ from Redis",
            "    test_chosen.py:11: the mock of SRANDMEMBER('pool') answers b'z', and Redis "
            "answers b'a'",
        ]
    )

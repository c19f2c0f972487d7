"""Replies Redis chooses, recorded twice against real servers: the same lines, no review marks.

Two runs start two servers, whose hash seeds differ: SCAN pages, KEYS and HGETALL orders,
random members, stream entry ids, TTLs in milliseconds, the time and a lock's token would all
come out otherwise. The lines are the same, the recorded test passes without a server (twice:
a made-up token is matched, not frozen), and verify finds every mock true, then the one edited.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("default")

VARYING = """
import redis

import tripwire


def test_varying():
    with tripwire:
        client = redis.Redis()
        client.set("session", "x", ex=60)
        assert client.ttl("session") == 60
        client.pttl("session")
        client.time()
        client.mset({f"user:{n}": n for n in range(40)})
        assert len(set(client.scan_iter("user:*", count=5))) == 40
        assert len(client.keys("user:*")) == 40
        client.hset("h", mapping={f"f{n}": n for n in range(130)})
        assert len(client.hgetall("h")) == 130
        client.sadd("pool", *"abcdefgh")
        assert client.srandmember("pool") in [bytes([c]) for c in b"abcdefgh"]
        assert len(client.srandmember("pool", 3)) == 3
        assert len(client.srandmember("pool", -2)) == 2
        popped = [client.spop("pool"), *client.spop("pool", 2)]
        assert len(client.smembers("pool") | set(popped)) == 8
        assert client.randomkey() is not None
        lock = client.lock("job", timeout=5)
        assert lock.acquire(blocking=False)
        lock.release()
        first = client.xadd("events", {"a": "1"})
        client.xadd("events", {"a": "2"})
        assert len(client.xrange("events")) == 2
        assert client.xdel("events", first) == 1
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", *args)


def test_replies_redis_chooses_record_the_same_lines_twice(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    path = pytester.makepyfile(test_varying=VARYING)
    outputs = []
    for name in ("one.txt", "two.txt"):
        run(pytester, "--tripwire-record=new", f"--tripwire-record-output={name}").assert_outcomes(
            passed=1
        )
        outputs.append((pytester.path / name).read_text())
    assert outputs[0] == outputs[1]
    lines = outputs[0].splitlines()
    assert not [line for line in lines if "# review" in line]
    for line in (
        "    # needs `from dirty_equals import IsBytes` at the top of the file",
        "    # needs `import time` at the top of the file",
        "    tripwire.redis.mock_command('PTTL', returns=60000)",
        "    tripwire.redis.mock_command('TIME', returns=(int(time.time()), 0))",
        "    tripwire.redis.mock_command('SRANDMEMBER', returns=b'a')",
        "    tripwire.redis.mock_command('SRANDMEMBER', returns=[b'a', b'b', b'c'])",
        "    tripwire.redis.mock_command('SRANDMEMBER', returns=[b'a', b'a'])",
        "    tripwire.redis.mock_command('SPOP', returns=b'a')",
        "    tripwire.redis.mock_command('SPOP', returns=[b'b', b'c'])",
        "    tripwire.redis.mock_command('SMEMBERS', returns={b'd', b'e', b'f', b'g', b'h'})",
        "    tripwire.redis.mock_command('RANDOMKEY', returns=b'h')",
        "    tripwire.redis.mock_command('XADD', returns=b'1700000000000-0')",
        "    tripwire.redis.mock_command('XADD', returns=b'1700000000001-0')",
        "    tripwire.redis.mock_command('XRANGE', returns=[(b'1700000000000-0', {b'a': b'1'}), "
        "(b'1700000000001-0', {b'a': b'2'})])",
        "    tripwire.redis.assert_command('XDEL', args=('events', b'1700000000000-0'))",
    ):
        assert line in lines
    # The lock's token (its options' order differs before redis-py 7.1).
    token = "tripwire.redis.assert_command('SET', args=('job', IsBytes(regex=b'[0-9a-f]{32}'), "
    assert len([line for line in lines if line.startswith(f"    {token}")]) == 1
    users = sorted(f"b'user:{n}'" for n in range(40))
    scan = f"    tripwire.redis.mock_command('SCAN', returns=(0, [{', '.join(users)}]))"
    assert scan in lines
    assert f"    tripwire.redis.mock_command('KEYS', returns=[{', '.join(users)}])" in lines
    fields = ", ".join(f"b'f{n}': b'{n}'" for n in sorted(range(130), key=str))
    assert f"    tripwire.redis.mock_command('HGETALL', returns={{{fields}}})" in lines

    result = run(pytester, "--tripwire-record=new", "--tripwire-record-rewrite")
    result.stdout.fnmatch_lines(["ran the 1 rewritten test(s) once, without a server: they pass"])
    run(pytester).assert_outcomes(passed=1)  # a new lock token, matched
    result = run(pytester, "--tripwire-record=verify")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["verified the mocks of 1 test(s) against Redis: every mock answers as Redis does"]
    )

    # A key Redis does not have, in the one page the SCAN mock answers.
    path.write_text(path.read_text().replace("b'user:9']", "b'user:9', b'user:99']", 1))
    result = run(pytester, "--tripwire-record=verify")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "test_varying.py::test_varying: 1 mock(s) differ from Redis",
            "    test_varying.py:*: the mock of SCAN('0', b'MATCH', 'user:*', b'COUNT', 5) "
            "answers (0, [[]b'user:0', *, b'user:9', b'user:99'[]]), and Redis answers (0, *",
        ]
    )

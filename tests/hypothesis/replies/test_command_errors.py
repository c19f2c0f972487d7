"""A drawn session fails each command only with the errors Redis can answer it.

No ``READONLY`` or ``OOM`` for a read, ``NOSCRIPT`` for ``EVALSHA`` alone, ``WRONGTYPE`` for the
commands of a data type, ``LOADING`` for the commands a loading server refuses (the table is
checked against a real server in tests/realserver/test_command_errors.py).
"""

from __future__ import annotations

from collections import defaultdict

import redis
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from redis.backoff import NoBackoff
from redis.retry import Retry

import tripwire
from tripwire_hypothesis import RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

#: Its calls get the drawn fault itself: redis-py retries none.
client = redis.Redis(retry=Retry(NoBackoff(), 0))

CALLS = {
    "GET": lambda: client.get("k"),
    "ZRANGEBYSCORE": lambda: client.zrangebyscore("z", 0, 10),
    "SET": lambda: client.set("k", "v"),
    "DEL": lambda: client.delete("k"),
    "EVALSHA": lambda: client.evalsha("a" * 40, 0),
    "PING": lambda: client.ping(),
}


def kind(error: BaseException) -> str:
    """The kind of a drawn error, as `tripwire_strategies.error_kinds()` names it."""
    text = str(error)
    for prefix, name in (
        ("WRONGTYPE", "wrongtype"),
        ("OOM", "oom"),
        ("BUSY ", "busy"),
        ("MISCONF", "misconf"),
    ):
        if text.startswith(prefix):
            return name
    by_class = {
        redis.exceptions.ReadOnlyError: "readonly",
        redis.exceptions.NoScriptError: "noscript",
        redis.exceptions.BusyLoadingError: "loading",
        redis.exceptions.NoPermissionError: "noperm",
        redis.exceptions.TimeoutError: "timeout",
    }
    for cls, name in by_class.items():
        if isinstance(error, cls):
            return name
    if type(error).__name__ == "OutOfMemoryError":
        return "oom"
    if isinstance(error, redis.exceptions.ConnectionError):
        return "connection"
    return "err"


def test_each_command_fails_only_as_redis_can_fail_it() -> None:
    seen: defaultdict[str, set[str]] = defaultdict(set)

    @settings(
        max_examples=600,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
    )
    @given(tripwire_strategies.redis_session(error_rate=1), st.sampled_from(sorted(CALLS)))
    @per_example_verifier
    def fail(session: RedisSession, command: str) -> None:
        session.install()
        with tripwire:
            try:
                CALLS[command]()
            except redis.RedisError as error:
                seen[command].add(kind(error))
        session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])

    fail()
    always = {"connection", "timeout", "noperm", "err"}
    allowed = {
        "GET": always | {"loading", "wrongtype", "busy"},
        "ZRANGEBYSCORE": always | {"loading", "wrongtype", "busy"},
        "SET": always | {"loading", "readonly", "oom", "busy", "misconf"},
        "DEL": always | {"loading", "readonly", "busy", "misconf"},
        "EVALSHA": always
        | {"loading", "readonly", "wrongtype", "oom", "noscript", "busy", "misconf"},
        "PING": always | {"loading", "busy"},
    }
    unexpected = {command: sorted(seen[command] - allowed[command]) for command in CALLS}
    assert not any(unexpected.values()), unexpected
    # And what tells the commands apart is drawn.
    assert {"wrongtype", "loading"} <= seen["GET"], dict(seen)
    assert {"readonly", "oom"} <= seen["SET"]
    assert "readonly" in seen["DEL"]
    assert "noscript" in seen["EVALSHA"]

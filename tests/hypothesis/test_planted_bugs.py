"""Planted bugs: the four worked examples of docs/hypothesis.md, each with one deliberate bug.

Each `fails` block of the guide holds a buggy module and the property test of the correct one,
with `tripwire_strategies.redis_session()` and no other argument. Run here as pytest would run it
(a verifier per example), within 200 examples and deterministically, each must:

- fail with the message the property gives for that bug;
- shrink to the minimal story, whose answers (the `Draw` lines and the printed script) are
  asserted exactly below;
- print a plain pytest test that parses, and that fails the same way when run as pasted;
- match, report for report, what the guide shows after `<!-- report: NAME -->`.
"""

from __future__ import annotations

import pytest

from tests.hypothesis.planted import check_pasted, check_shown, check_story, guide_modules

__all__ = ["guide_modules"]  # the fixture, found here by pytest

#: Each planted bug: the property's message, and the minimal story as Hypothesis' Draw lines and
#: the session script of the printed test.
STORIES = {
    "test_allow": (
        "the limit'th request must pass",
        "Draw 1 (INCRBY('ratelimit:alice', 1)): returns 10",
        "    session = RedisSession([\n        Step('INCRBY', returns=10),\n    ])",
    ),
    "test_run_locked": (
        "the work runs if and only if SET NX took the lock",
        "Draw 1 (SET('lock:report', 'token-1', 'NX', 'PX', 10000)): returns None\n"
        'Draw 2 (EVAL(\'\\nif redis.call("get", KEYS[1]) == ARGV[1] then\\n    ret...)): '
        "returns None",
        "    session = RedisSession([\n"
        "        Step('SET', returns=None),\n"
        "        Step('EVAL', returns=None),\n"
        "    ])",
    ),
    "test_transfer": (
        "only a short balance refuses a transfer",
        "Draw 1 (WATCH('balance:alice')): returns True\n"
        "Draw 2 (GET('balance:alice')): returns b'5'\n"
        "Draw 3 (DECRBY('balance:alice', 5)): returns 1\n"
        "Draw 4 (INCRBY('balance:bob', 5)): returns 1\n"
        "Draw 5 (EXEC): raises redis.exceptions.WatchError('Watched variable changed.')",
        "    session = RedisSession([\n"
        "        Step('WATCH', returns=True),\n"
        "        Step('GET', returns=b'5'),\n"
        "        Step('DECRBY', returns=1),\n"
        "        Step('INCRBY', returns=1),\n"
        "        Step('EXEC', raises=redis.exceptions.WatchError('Watched variable changed.')),\n"
        "    ])",
    ),
    "test_delete_matching": (
        "the scan goes on until the cursor is 0",
        "Draw 1 (SCAN(0, b'MATCH', 'session:*', b'COUNT', 100)): returns (1, [])",
        "    session = RedisSession([\n        Step('SCAN', returns=(1, [])),\n    ])",
    ),
}


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(STORIES))
def test_each_planted_bug_shrinks_to_its_minimal_story(test: str) -> None:
    check_story(
        test, STORIES[test], "redis_session()", "from tripwire_hypothesis import RedisSession, Step"
    )


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(STORIES))
def test_the_printed_test_parses_and_fails_the_same_way_when_pasted(test: str) -> None:
    check_pasted(test)


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(STORIES))
def test_the_guide_shows_the_real_report(test: str) -> None:
    check_shown(test)

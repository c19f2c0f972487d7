"""Planted bugs of the model examples of docs/hypothesis.md ("Stateful answers").

As tests/hypothesis/test_planted_bugs.py does for the call-time examples (with the same helpers,
tests/hypothesis/planted.py), each `fails` block of a ``redis_session(model=True)`` property must,
within 200 examples and deterministically:

- fail with the message the property gives for that bug;
- shrink to the fewest faults, asserted exactly below as Hypothesis' `Draw` lines and as the
  ``RedisSession.from_faults([...])`` script of the printed test;
- print a plain pytest test that parses, and that fails the same way when run as pasted;
- match, report for report, what the guide shows after `<!-- report: NAME -->`.
"""

from __future__ import annotations

import pytest

from tests.hypothesis.planted import check_pasted, check_shown, check_story, guide_modules

__all__ = ["guide_modules"]  # the fixture, found here by pytest

#: Each planted bug: the property's message, the Draw lines (the faults drawn, in call order),
#: and the session of the printed test.
CLOSED = "redis.exceptions.ConnectionError('Connection closed by server.')"
READONLY = (
    'redis.exceptions.ReadOnlyError("You can\'t write against a read only replica.", '
    "status_code='READONLY')"
)
STORIES = {
    "test_no_job_is_lost": (
        "a job was lost",
        "Draw 1 (RPOP('jobs')): None\n"
        "Draw 2 (LPUSH('jobs:processing', b'job-2')): None\n"
        "Draw 3 (LREM('jobs:processing', 1, b'job-2')): None\n"
        "Draw 4 (RPOP('jobs')): None\n"
        f"Draw 5 (LPUSH('jobs:processing', b'job-1')): Fault({CLOSED})\n"
        "Draw 6 (LPUSH('jobs:processing', b'job-1'), every attempt fails): True\n"
        "Draw 7 (RPOP('jobs')): None",
        "    session = RedisSession.from_faults([\n"
        "        None,  # RPOP('jobs')\n"
        "        None,  # LPUSH('jobs:processing', b'job-2')\n"
        "        None,  # LREM('jobs:processing', 1, b'job-2')\n"
        "        None,  # RPOP('jobs')\n"
        f"        Fault({CLOSED}, outage=True),  # LPUSH('jobs:processing', b'job-1')\n"
        "        None,  # RPOP('jobs')\n"
        "    ])",
    ),
    "test_transfers_keep_the_total": (
        "the total is kept",
        "Draw 1 (WATCH('balance:alice')): None\n"
        "Draw 2 (GET('balance:alice')): None\n"
        "Draw 3 (EXEC): Fault(redis.exceptions.WatchError('Watched variable changed.'))\n"
        "Draw 4 (DECRBY('balance:alice', 5)): None\n"
        f"Draw 5 (INCRBY('balance:bob', 5)): Fault({READONLY})",
        "    session = RedisSession.from_faults([\n"
        "        None,  # WATCH('balance:alice')\n"
        "        None,  # GET('balance:alice')\n"
        "        Fault(redis.exceptions.WatchError('Watched variable changed.')),  # EXEC\n"
        "        None,  # DECRBY('balance:alice', 5)\n"
        f"        Fault({READONLY}),  # INCRBY('balance:bob', 5)\n"
        "    ])",
    ),
}


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(STORIES))
def test_each_planted_bug_shrinks_to_the_fewest_faults(test: str) -> None:
    check_story(
        test,
        STORIES[test],
        "redis_session(model=True)",
        "from tripwire_hypothesis import Fault, RedisSession",
    )


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(STORIES))
def test_the_printed_test_parses_and_fails_the_same_way_when_pasted(test: str) -> None:
    check_pasted(test)


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(STORIES))
def test_the_guide_shows_the_real_report(test: str) -> None:
    check_shown(test)

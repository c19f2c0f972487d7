"""The worked examples of "Races and time" in docs/hypothesis.md: found, shrunk, replayed, fixed.

Each `fails` block there runs two clients (threads, or asyncio tasks) of one model through
``session.concurrently``. Run as pytest runs it (a verifier per example), within 200 examples and
deterministically, each must:

- fail with the property's message, shrunk to the schedule asserted exactly below (the lines
  the report prints, and the ``schedule=`` of the printed test);
- print a plain pytest test that fails the same way when run as pasted;
- match, report for report, what the guide shows after `<!-- report: NAME -->`;

and the guide's fixed version of each must pass 1,000 examples.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

import tripwire
from tests.hypothesis import planted as _helpers
from tests.hypothesis.planted import guide_modules
from tripwire_hypothesis import per_example_verifier

__all__ = ["guide_modules"]  # the fixture, found here by pytest

#: Each race: the property's message, the schedule the report prints, and the one it replays.
RACES = {
    "test_every_withdrawal_is_paid_for": (
        "a withdrawal was lost",
        "A: GET balance:alice -> b'10'\n"
        "B: GET balance:alice -> b'10'\n"
        "B: SET balance:alice 7 -> True\n"
        "A: SET balance:alice 5 -> True",
        "['A', 'B', 'B', 'A']",
    ),
    "test_one_holder_at_a_time": (
        "two clients hold the lock",
        "A: EXISTS lock:report -> 0\n"
        "B: EXISTS lock:report -> 0\n"
        "B: SET lock:report token-b EX 10 -> True\n"
        "A: SET lock:report token-a EX 10 -> True",
        "['A', 'B', 'B', 'A']",
    ),
    "test_a_lock_is_lost_only_when_it_expires": (
        "a client lost its lock before it expired",
        "A: SET lock:report b'token-a' NX EX 10 -> True\n"
        "(0.01 s pass)\n"
        "A: GET lock:report -> b'token-a'\n"
        "(10 s pass)\n"
        "B: SET lock:report b'token-b' NX EX 10 -> True\n"
        "A: DEL lock:report -> 1\n"
        "B: GET lock:report -> None\n"
        "B: DEL lock:report -> 0",
        "['A', 0.01, 'A', 10.0, 'B', 'A', 'B', 'B']",
    ),
    "test_a_request_is_charged_once": (
        "charged twice",
        "A: GET idempotency:req-42 -> None\n"
        "B: GET idempotency:req-42 -> None\n"
        "B: INCRBY charged:alice 30 -> 30\n"
        "B: SET idempotency:req-42 1 EX 86400 -> True\n"
        "A: INCRBY charged:alice 30 -> 60\n"
        "A: SET idempotency:req-42 1 EX 86400 -> True",
        "['A', 'B', 'B', 'B', 'A', 'A']",
    ),
    "test_everyone_who_joined_is_present": (
        "a join was lost",
        "A: GET presence:lobby -> None\n"
        "B: GET presence:lobby -> None\n"
        'B: SET presence:lobby ["bob"] -> True\n'
        'A: SET presence:lobby ["alice"] -> True',
        "['A', 'B', 'B', 'A']",
    ),
}


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(RACES))
def test_each_race_is_found_and_shrinks_to_its_schedule(test: str) -> None:
    message, lines, schedule = RACES[test]
    failure, _ = _helpers.run_planted(test)
    report = _helpers.report_of(failure)
    assert report.startswith(f"AssertionError: {message}\n")
    assert f"# The schedule: each client's commands, in the order run:\n{lines}\n" in report
    assert f"session = RedisSession.from_faults([], schedule={schedule})\n" in report


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(RACES))
def test_the_printed_test_replays_the_race(test: str) -> None:
    _helpers.check_pasted(test)


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(RACES))
def test_the_guide_shows_the_real_report(test: str) -> None:
    _helpers.check_shown(test)


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("test", list(RACES))
def test_each_fix_passes_1000_examples(test: str) -> None:
    (block,) = (
        block
        for block in _helpers.blocks()
        if block.kind == "" and block.language == "python" and f"def {test}(" in block.code
    )
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(_helpers.compiled(block), namespace)
    prop = namespace[test]
    handle = prop.hypothesis  # type: ignore[attr-defined]
    handle.inner_test = per_example_verifier(handle.inner_test)
    vars(prop).pop("_hypothesis_internal_settings_applied", None)
    thousand = settings(
        prop._hypothesis_internal_use_settings,  # type: ignore[attr-defined]
        **{**_helpers.PLANTED, "max_examples": 1000},
    )(prop)
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        thousand()  # type: ignore[operator]

"""A property test answered at call time, per example: with tripwire and without.

Each round runs one ``@given`` test of the Hypothesis guide's rate limiter (``INCR``, then
``EXPIRE`` on the first hit) for ``EXAMPLES`` examples, always the same ones (fixed seed,
generate phase only). The variants draw the same answers from the same strategies, one
Hypothesis draw per call; they differ in what tripwire adds and in how they draw:

- ``tripwire``: ``@given(redis_session())``, ``session.install()``, ``with tripwire:``, and
  ``session.assert_sent(...)``, with a fresh verifier per example, verified at its end
  (`per_example_verifier`, as the pytest plugin applies it to ``@given`` tests);
- ``without tripwire``: ``@given(st.data())``, ``Redis.execute_command`` patched (with
  ``unittest.mock.patch.object``) by a function drawing each call's answer from ``data``, and
  the calls checked by hand: the test a user writes without tripwire;
- ``without tripwire, drawing alike``: the same, drawing each answer as ``redis_session()`` does,
  through the ``draw`` function of a ``@composite`` strategy kept until the call, which skips
  the bookkeeping ``DataObject.draw`` does around each draw. The ratio to it is tripwire's own
  cost, without what tripwire saves by drawing that way.

Per-example cost = a round's median / ``EXAMPLES``; the ratio of the variants is the ratio of
their medians. Run as a script for the paired measurement: ``python
benchmarks/test_bench_hypothesis.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
import redis
from hypothesis import strategies as st

import tripwire
from benchmarks.property_runs import CLIENT, CUT, collect, paired_times, property_test
from tripwire_hypothesis import RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies
from tripwire_hypothesis._answerers.outcomes import _command_errors, _outcomes
from tripwire_hypothesis._reply_strategies.for_calls import call_replies, command_name

EXAMPLES = 300


def allow(client: redis.Redis, user: str, limit: int = 10, window: int = 60) -> bool:
    key = f"ratelimit:{user}"
    count = client.incr(key)
    if count == 1:
        client.expire(key, window)
    return count <= limit


def hit() -> object:
    try:
        return allow(CLIENT, "alice")
    except redis.RedisError as error:
        return error


EXPECTED = {"INCRBY": ("ratelimit:alice", 1), "EXPIRE": ("ratelimit:alice", 60)}


def with_tripwire(session: RedisSession) -> None:
    session.install()
    with tripwire:
        hit()
    session.assert_sent(EXPECTED)


def without_tripwire(data: Any) -> None:
    by_hand(data.draw)


@st.composite
def draw_functions(draw: st.DrawFn) -> st.DrawFn:
    # The draw function itself, used at call time as redis_session() uses it.
    return draw


def without_tripwire_drawing_alike(draw: st.DrawFn) -> None:
    by_hand(draw)


def by_hand(draw: Callable[[Any], Any]) -> None:
    calls: list[tuple[str, tuple[Any, ...]]] = []

    def execute_command(client: Any, *args: Any, **options: Any) -> Any:
        calls.append((args[0], args[1:]))
        replies = call_replies(args, options, False)
        assert replies is not None
        errors = _command_errors(command_name(args[0]), False)
        outcome = draw(_outcomes(replies, errors, CUT))
        if outcome.raises is not None:
            raise outcome.raises
        return outcome.returns

    with mock.patch.object(redis.Redis, "execute_command", execute_command):
        hit()
    assert all(args == EXPECTED[name] for name, args in calls)


PROPERTIES = {
    "tripwire": property_test(
        per_example_verifier(with_tripwire), tripwire_strategies.redis_session(), EXAMPLES
    ),
    "without tripwire": property_test(without_tripwire, st.data(), EXAMPLES),
    "without tripwire, drawing alike": property_test(
        without_tripwire_drawing_alike, draw_functions(), EXAMPLES
    ),
}


@pytest.mark.benchmark(group=f"@given(redis_session()): {EXAMPLES} examples of a rate limiter")
@pytest.mark.parametrize("variant", list(PROPERTIES))
def test_property_test(benchmark: Any, variant: str) -> None:
    # Each round starts from a collected heap, as in `paired_ratios`: otherwise whichever variant
    # happens to run when a full collection of Hypothesis' garbage falls due pays for it.
    # Collections during a round are still timed.
    benchmark.pedantic(PROPERTIES[variant], setup=collect, rounds=15, warmup_rounds=1)


def paired_ratios(rounds: int) -> dict[str, float]:
    """Median ratio of each variant to ``without tripwire``, timed back to back in CPU time."""
    import contextlib
    import statistics

    from tripwire.plugins.redis_plugin import RedisPlugin

    # As in a pytest test: a verifier of the test's own, and the guard that refuses real Redis
    # outside the sandbox (it keeps tripwire's interceptors installed for the whole test).
    lift_guard = RedisPlugin.guard()
    with contextlib.ExitStack() as stack:
        stack.callback(lift_guard)
        stack.enter_context(tripwire.use_verifier(tripwire.StrictVerifier()))
        spent = paired_times(PROPERTIES, rounds)
    base = spent["without tripwire"]
    return {
        name: statistics.median(time / alone for time, alone in zip(times, base, strict=True))
        for name, times in spent.items()
    }


if __name__ == "__main__":
    import sys

    for name, ratio in paired_ratios(rounds=int(sys.argv[1]) if len(sys.argv) > 1 else 31).items():
        print(f"{name:24} {ratio:.3f}")

"""Planted races beyond the guide's: each found within 200 examples, shrunk to its schedule.

The guide's five (a lost update, a check-then-act lock, a lock released by its former holder, a
double charge, an asyncio presence list) are tests/hypothesis/test_races_docs.py's. These are
the other three of the planted set, each a module of tests/hypothesis/planted_races/ with the
bug and its fix (``fixed``):

- ``transfer``: optimistic locking whose retry reuses the balances read before watching;
- ``limiter``: a window that ends between the limiter's check and its ``INCR``, which then
  starts a counter with no TTL;
- ``jobs``: a push that redis-py sends again after its reply was lost: the job is queued twice.

Each property runs deterministically (`PLANTED`); the bug fails it with the schedule asserted
exactly, and the fix passes 1,000 examples.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, Phase, given, settings

import tripwire
from tripwire_hypothesis import per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

HERE = Path(__file__).with_name("planted_races")
PLANTED: dict[str, Any] = {
    "database": None,
    "derandomize": True,
    "deadline": None,
    "max_examples": 200,
    "phases": [Phase.explicit, Phase.generate, Phase.shrink],
    "suppress_health_check": [HealthCheck.too_slow],
}


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"planted_races_{name}", HERE / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


transfer = _module("transfer")
limiter = _module("limiter")
jobs = _module("jobs")
client = redis.Redis()


def _consumed(session: Any) -> None:
    session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])


def transfers_keep_the_total(move: Callable[..., bool]) -> Callable[..., None]:
    @given(tripwire_strategies.redis_session(model=True, error_rate=0))
    def test(session: Any) -> None:
        session.model.set("balance:alice", 10)
        session.model.set("balance:bob", 10)
        session.install()
        with tripwire:
            session.concurrently(
                lambda: move(client, "alice", "bob", 3), lambda: move(client, "bob", "alice", 2)
            )
        model = session.model
        total = int(model.get("balance:alice")) + int(model.get("balance:bob"))
        assert total == 20, "the total changed"
        _consumed(session)

    return test


def every_window_ends(allow: Callable[..., bool]) -> Callable[..., None]:
    @given(tripwire_strategies.redis_session(model=True, error_rate=0, time_passes=True))
    def test(session: Any) -> None:
        session.model.set("ratelimit:alice", 3, ex=60)  # a window runs
        session.install()
        with tripwire:
            session.concurrently(lambda: allow(client, "alice"), lambda: allow(client, "alice"))
        assert session.model.ttl("ratelimit:alice") != -1, "the counter never expires"
        _consumed(session)

    return test


def each_job_is_queued_once(submit: Callable[..., None]) -> Callable[..., None]:
    @given(tripwire_strategies.redis_session(model=True, faults=["connection"]))
    def test(session: Any) -> None:
        session.install()
        with tripwire:
            session.concurrently(
                lambda: submit(client, "job-1", "resize"), lambda: submit(client, "job-2", "mail")
            )
        queued = [json.loads(job)["id"] for job in session.model.lrange("jobs", 0, -1)]
        assert len(queued) == len(set(queued)), "a job was queued twice"
        _consumed(session)

    return test


def run(test: Callable[..., None], **overrides: Any) -> None:
    handle = test.hypothesis  # type: ignore[attr-defined]
    handle.inner_test = per_example_verifier(handle.inner_test)
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        settings(**{**PLANTED, **overrides})(test)()


def schedule_of(failure: BaseException) -> str:
    report = "\n".join(failure.__notes__)
    start = report.index("# The schedule: each client's commands, in the order run:\n")
    end = report.index("# Keep it as a regression test of the property")
    return report[start:end].split("\n", 1)[1].rstrip("\n")


CLOSED = "redis.exceptions.ConnectionError('Connection closed by server.')"
JOB_1 = '\'{"id": "job-1", "payload": "resize"}\''
JOB_2 = '\'{"id": "job-2", "payload": "mail"}\''
#: Each race: the property with the bug and with the fix (made afresh for each run), the
#: property's message, and the schedule its report prints.
PLANTED_RACES: dict[str, tuple[Callable[[], Any], Callable[[], Any], str, str]] = {
    "transfer": (
        lambda: transfers_keep_the_total(transfer.transfer),
        lambda: transfers_keep_the_total(transfer.fixed),
        "the total changed",
        "A: GET balance:alice -> b'10'\n"
        "A: GET balance:bob -> b'10'\n"
        "A: WATCH balance:alice balance:bob -> True\n"
        "B: GET balance:bob -> b'10'\n"
        "A: SET balance:alice 7 -> True\n"
        "A: SET balance:bob 13 -> True\n"
        "A: EXEC -> None\n"
        "B: GET balance:alice -> b'7'\n"
        "B: WATCH balance:bob balance:alice -> True\n"
        "B: SET balance:bob 8 -> True\n"
        "B: SET balance:alice 9 -> True\n"
        "B: EXEC -> None",
    ),
    "limiter": (
        lambda: every_window_ends(limiter.allow),
        lambda: every_window_ends(limiter.fixed),
        "the counter never expires",
        # 60.01 s after the seeding, the window of 60 s has ended.
        "A: EXISTS ratelimit:alice -> 1\n"
        "A: INCRBY ratelimit:alice 1 -> 4\n"
        "(0.01 s pass)\n"
        "B: EXISTS ratelimit:alice -> 1\n"
        "(60 s pass)\n"
        "B: INCRBY ratelimit:alice 1 -> 1",
    ),
    "jobs": (
        lambda: each_job_is_queued_once(jobs.submit),
        lambda: each_job_is_queued_once(jobs.fixed),
        "a job was queued twice",
        f"A: RPUSH jobs {JOB_1} -> 1\n"
        f"B: RPUSH jobs {JOB_2} -> raises {CLOSED} (it took effect)\n"
        f"B: RPUSH jobs {JOB_2} -> 3",
    ),
}


@pytest.mark.parametrize("name", list(PLANTED_RACES))
def test_each_planted_race_is_found_with_its_schedule(name: str) -> None:
    if name == "jobs" and int(redis.__version__.split(".")[0]) < 6:
        pytest.skip("redis-py before 6.0 does not retry a dropped connection by default")
    buggy, _, message, schedule = PLANTED_RACES[name]
    with pytest.raises(AssertionError) as failed:
        run(buggy())
    assert str(failed.value).startswith(message)
    assert schedule_of(failed.value) == schedule


@pytest.mark.parametrize("name", list(PLANTED_RACES))
def test_each_planted_race_fixed_passes_1000_examples(name: str) -> None:
    _, fixed, _, _ = PLANTED_RACES[name]
    run(fixed(), max_examples=1000)

"""What the benchmarks share: the ways a test can stand in for Redis, and how a call is timed.

Every stand-in answers ``GET k`` with ``b"v"``, so a benchmark group compares the same call:

- ``tripwire``: a strict mock per call, registered before the clock starts;
- ``constant-function``: ``Redis.execute_command`` replaced by a plain function returning a
  constant: no mocking library at all, only redis-py's own method wrappers (the floor);
- ``patch.object``: ``unittest.mock.patch.object(redis.Redis, "execute_command", ...)``;
- ``MagicMock(spec)``: ``unittest.mock.MagicMock(spec=redis.Redis)`` in place of the client;
- ``fakeredis``: ``fakeredis.FakeRedis``, a Redis server emulated in memory.

The test modules reach all this through fixtures (pytest imports them with
``--import-mode=importlib``, where a conftest cannot be imported by name); `plot_scaling.py`
imports this module directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import fakeredis
import pytest
import redis

import tripwire

KEY = "k"
VALUE = b"v"

#: Timed rounds and untimed warm-up rounds of a per-call benchmark. A fixed count, not
#: pytest-benchmark's calibration, so that exactly enough mocks can be registered up front.
ROUNDS = 100
WARMUP_ROUNDS = 10
#: Calls per timed round. Enough that the clock's own cost is lost in the round; few enough that
#: the mocks a run leaves behind (about 22,000) stay the size of a large test suite's, not of a
#: memory stress test.
CALLS_PER_ROUND = 200


# -- the stand-ins ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StandIn:
    """One way for a test to answer Redis calls without a server."""

    name: str
    #: ``open(calls)``: a context manager giving a client that can answer ``calls`` GETs.
    open: Callable[[int], AbstractContextManager[Any]]
    #: Calls per timed round: fewer for a slow stand-in, so that a run takes seconds.
    iterations: int = CALLS_PER_ROUND

    def calls_needed(self) -> int:
        """How many calls `time_each_call` makes: its rounds, plus one more round and one call
        for pytest-benchmark's result and ``--benchmark-cprofile``."""
        return (WARMUP_ROUNDS + ROUNDS + 1) * self.iterations + 1

    def time_each_call(self, benchmark: Any, method: str, *args: Any) -> Any:
        """Time ``client.<method>(*args)`` alone, one call per iteration; return its reply."""
        with self.open(self.calls_needed()) as client:
            # Looked up inside the sandbox: a bound method taken before it would miss the patch.
            function = getattr(client, method)
            return benchmark.pedantic(
                function,
                args=args,
                rounds=ROUNDS,
                iterations=self.iterations,
                warmup_rounds=WARMUP_ROUNDS,
            )


@contextmanager
def tripwire_client(calls: int) -> Iterator[redis.Redis]:
    """A client inside the sandbox of a verifier of its own, with ``calls`` mocks of GET queued.

    The verifier is never verified: a benchmark run consumes fewer mocks than it registers.
    """
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        for _ in range(calls):
            tripwire.redis.mock_command("GET", returns=VALUE)
        with tripwire:
            yield redis.Redis()


def _constant_execute_command(client: Any, *args: Any, **options: Any) -> Any:
    return VALUE


@contextmanager
def constant_function_client(calls: int) -> Iterator[redis.Redis]:
    with mock.patch.object(redis.Redis, "execute_command", _constant_execute_command):
        yield redis.Redis()


@contextmanager
def patch_object_client(calls: int) -> Iterator[redis.Redis]:
    with mock.patch.object(redis.Redis, "execute_command", return_value=VALUE):
        yield redis.Redis()


@contextmanager
def spec_magicmock_client(calls: int) -> Iterator[mock.MagicMock]:
    client = mock.MagicMock(spec=redis.Redis)
    client.execute_command.return_value = VALUE
    client.get.return_value = VALUE
    yield client


@contextmanager
def fakeredis_client(calls: int) -> Iterator[fakeredis.FakeRedis]:
    client = fakeredis.FakeRedis()
    client.set(KEY, VALUE)
    try:
        yield client
    finally:
        client.close()


STAND_INS = {
    stand_in.name: stand_in
    for stand_in in (
        StandIn("tripwire", tripwire_client),
        StandIn("constant-function", constant_function_client),
        StandIn("patch.object", patch_object_client),
        StandIn("MagicMock(spec)", spec_magicmock_client),
        # Some 50 µs a call: 20 calls a round keep its run to a few seconds.
        StandIn("fakeredis", fakeredis_client, iterations=20),
    )
}


#: fakeredis runs redis-py's own `execute_command`, which tripwire refuses during a test unless
#: the test allows the real Redis.
REAL_REDIS_CODE = pytest.mark.allow("redis")


@pytest.fixture(
    params=[
        pytest.param(name, marks=REAL_REDIS_CODE) if name == "fakeredis" else name
        for name in STAND_INS
    ]
)
def stand_in(request: pytest.FixtureRequest) -> StandIn:
    """Each way of standing in for Redis in turn, so that one group compares them all."""
    return STAND_INS[request.param]


# -- tripwire on a timeline of a given size --------------------------------------------------------


@pytest.fixture
def own_verifier() -> Iterator[tripwire.StrictVerifier]:
    """A verifier made current in place of the test's, and never verified.

    Benchmarks register more mocks, or record more interactions, than they assert; the test's
    own verifier stays empty and passes at teardown.
    """
    verifier = tripwire.StrictVerifier()
    with tripwire.use_verifier(verifier):
        yield verifier
    verifier.close_all()


class GetTimeline:
    """The current verifier's timeline, filled with calls of ``GET k`` and asserted, as a test
    would: through ``tripwire.redis``."""

    def record(self, count: int) -> None:
        """Register ``count`` mocks of GET and call them all inside the sandbox."""
        for _ in range(count):
            tripwire.redis.mock_command("GET", returns=VALUE)
        client = redis.Redis()
        with tripwire:
            for _ in range(count):
                client.execute_command("GET", KEY)

    def assert_next(self) -> None:
        """What a test writes after ``r.execute_command("GET", "k")``."""
        tripwire.redis.assert_command("GET", args=(KEY,))

    def assert_many(self, count: int) -> None:
        for _ in range(count):
            self.assert_next()


@pytest.fixture(scope="session")
def recorder() -> GetTimeline:
    """`GetTimeline` for fixtures that record on verifiers of their own."""
    return GetTimeline()


@pytest.fixture
def timeline(own_verifier: tripwire.StrictVerifier) -> GetTimeline:
    """Fill and assert the timeline of `own_verifier`."""
    return GetTimeline()

"""What tripwire keeps per intercepted call, counted in allocated memory blocks.

A recorded interaction is the mock registered for it, filled in: the intercepted call keeps the
caller's own argument tuple and keyword dict and allocates nothing else that outlives it. These
checks count ``sys.getallocatedblocks()`` around thousands of calls, with every mock registered
beforehand and the garbage collector paused, so the count is exact rather than timed.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import tripwire

redis = pytest.importorskip("redis")

pytestmark = pytest.mark.skipif(
    sys.getallocatedblocks() == 0,
    reason="needs CPython's pymalloc (PYTHONMALLOC=malloc makes the block count 0)",
)

#: The caller's argument tuple and keyword dict: the most a call may keep.
MAX_BLOCKS_PER_CALL = 2.05
WINDOW = 1_000


@pytest.fixture
def gets() -> Iterator[Callable[[int], float]]:
    """``gets(n)``: the memory blocks left allocated per call by ``n`` intercepted calls of
    ``r.execute_command("GET", "k")``, all in the same test.

    Each batch's mocks are registered before its count starts. The calls go to a verifier of the
    test's own that is never verified, so the test's verifier stays empty.
    """
    client = redis.Redis()

    def gets(n: int) -> float:
        for _ in range(n):
            tripwire.redis.mock_command("GET", returns=b"v")
        with tripwire:
            return _blocks_per_call(client.execute_command, n)

    with tripwire.use_verifier(tripwire.StrictVerifier()), _gc_paused():
        # The first call's one-off allocations (caches, coverage's arc table) are not per call.
        gets(1)
        yield gets


def _blocks_per_call(call: Callable[..., Any], n: int) -> float:
    # The free lists hand out tuples and dicts that were already allocated; with them empty,
    # every block a call keeps is a new one and shows in the count.
    ballast = _drain_free_lists()
    before = sys.getallocatedblocks()
    for _ in range(n):
        call("GET", "k")
    kept = sys.getallocatedblocks() - before
    del ballast
    return kept / n


def _drain_free_lists() -> tuple[list[tuple[int, int]], list[dict[str, int]]]:
    # CPython keeps up to 2,000 free 2-tuples and 80 free dicts for reuse.
    return [(i, i) for i in range(4_000)], [{} for _ in range(400)]


@contextmanager
def _gc_paused() -> Iterator[None]:
    # A collection during the count would free garbage made before it and lower the count.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def test_counting_sees_a_call_that_keeps_its_arguments() -> None:
    # The measurement itself: a function keeping its argument tuple and keyword dict shows as
    # 2 blocks per call, so a lower count for tripwire is not an artefact of the method.
    kept: list[object] = []

    def keep(*args: Any, **options: Any) -> None:
        kept.append(args)
        kept.append(options)

    with _gc_paused():
        blocks = _blocks_per_call(keep, 5_000)
    assert 1.95 <= blocks <= 2.05


def test_an_intercepted_call_keeps_only_the_callers_arguments(gets) -> None:
    assert gets(5_000) <= MAX_BLOCKS_PER_CALL


def test_what_a_call_keeps_does_not_grow_with_the_timeline(gets) -> None:
    early = gets(WINDOW)
    gets(100_000 - WINDOW)
    late = gets(WINDOW)  # calls 100,001 to 101,000
    assert late <= MAX_BLOCKS_PER_CALL
    assert abs(late - early) <= 0.05, (early, late)

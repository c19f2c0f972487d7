"""Many threads in one sandbox: nothing lost, nothing duplicated, each thread's order kept."""

from __future__ import annotations

import threading
from collections import Counter

import redis

import tripwire
from tripwire import StrictVerifier

THREADS = 8
CALLS = 5_000


def test_eight_threads_times_five_thousand_calls(verifier: StrictVerifier) -> None:
    commands = ["GET", "SET"]
    total = THREADS * CALLS
    for command in commands:
        for n in range(total // len(commands)):
            tripwire.redis.mock_command(command, returns=(command, n), check_returns=False)

    results: list[list[tuple[str, int]]] = [[] for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)

    def worker(index: int) -> None:
        client = redis.Redis()
        barrier.wait()
        out = results[index]
        for i in range(CALLS):
            command = commands[(index + i) % 2]
            out.append(client.execute_command(command, f"t{index}", i))

    with tripwire:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    returned = [value for out in results for value in out]
    # Every mock was handed out exactly once.
    assert len(returned) == total
    assert Counter(returned) == Counter(
        (command, n) for command in commands for n in range(total // 2)
    )
    # Within each thread, replies of one command come in registration order.
    for out in results:
        for command in commands:
            ns = [n for c, n in out if c == command]
            assert ns == sorted(ns)

    # The timeline holds every call once, and each thread's calls in the order it made them.
    # (Calls of different threads that overlap in time may be recorded in either order.)
    timeline = verifier.timeline.entries
    assert len(timeline) == total
    position = {entry.returns: index for index, entry in enumerate(timeline)}  # type: ignore[attr-defined]
    assert len(position) == total
    for out in results:
        recorded_at = [position[reply] for reply in out]
        assert recorded_at == sorted(recorded_at)
    # Each recorded call carries the arguments of the call that consumed it.
    by_reply = {entry.returns: (entry.command, *entry.args) for entry in timeline}  # type: ignore[attr-defined]
    for index, out in enumerate(results):
        for i, reply in enumerate(out):
            assert by_reply[reply] == (reply[0], f"t{index}", i)

    with tripwire.in_any_order():
        pass
    for entry in list(timeline):
        tripwire.redis.assert_command(entry.command, args=entry.args)  # type: ignore[attr-defined]
    verifier.verify_all()

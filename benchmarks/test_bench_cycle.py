"""One test's worth of mocking: answer ``r.get("k")``, run the call, check it was made.

Each alternative is written the way a test using it would be, its setup included (a MagicMock or a
FakeRedis is made per test). A round is one cycle; a fixed number of rounds keeps the slow
alternatives' runs short and tripwire's timeline at a test's size (a few hundred interactions).
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import fakeredis
import pytest
import redis

import tripwire


def _options_of_get() -> dict[str, Any]:
    """What ``Redis.get`` passes besides the command: ``keys=[name]`` from redis-py 5.1 on."""
    seen: dict[str, Any] = {}

    def execute_command(client: Any, *args: Any, **options: Any) -> Any:
        seen.update(options)

    with mock.patch.object(redis.Redis, "execute_command", execute_command):
        redis.Redis().get("k")
    return seen


GET_OPTIONS = _options_of_get()
CLIENT = redis.Redis()


def with_tripwire() -> None:
    # In the test's own verifier: every interaction is asserted, so its teardown passes.
    tripwire.redis.mock_command("GET", returns=b"v")
    with tripwire:
        reply = CLIENT.get("k")
    tripwire.redis.assert_command("GET", args=("k",), kwargs=GET_OPTIONS)
    assert reply == b"v"


def with_tripwire_whole_test() -> None:
    # What pytest adds around a test: a new verifier, made current, verified at the end.
    verifier = tripwire.StrictVerifier()
    with tripwire.use_verifier(verifier):
        with_tripwire()
    verifier.verify_all()


def with_patch_object() -> None:
    with mock.patch.object(redis.Redis, "execute_command", return_value=b"v") as execute:
        reply = CLIENT.get("k")
    execute.assert_called_once_with("GET", "k", **GET_OPTIONS)
    assert reply == b"v"


def with_spec_magicmock() -> None:
    client = mock.MagicMock(spec=redis.Redis)
    client.get.return_value = b"v"
    reply = client.get("k")
    client.get.assert_called_once_with("k")
    assert reply == b"v"


def with_fakeredis() -> None:
    client = fakeredis.FakeRedis()
    client.set("k", b"v")
    reply = client.get("k")
    assert reply == b"v"
    client.close()


CYCLES = {
    "tripwire": with_tripwire,
    "tripwire-whole-test": with_tripwire_whole_test,
    "patch.object": with_patch_object,
    "MagicMock(spec)": with_spec_magicmock,
    "fakeredis": with_fakeredis,
}


@pytest.mark.benchmark(group="cycle: mock, call r.get('k'), assert")
@pytest.mark.parametrize(
    "cycle",
    [
        # fakeredis runs redis-py's own `execute_command`, which tripwire refuses during a test
        # unless the test allows the real Redis.
        pytest.param(cycle, id=name, marks=pytest.mark.allow("redis"))
        if name == "fakeredis"
        else pytest.param(cycle, id=name)
        for name, cycle in CYCLES.items()
    ],
)
def test_mock_call_assert(benchmark, cycle) -> None:
    benchmark.pedantic(cycle, rounds=500, warmup_rounds=20)

"""Planted bugs: six production-style modules (`swarm_modules/`), 21 single-line bugs, one property
per module written with ``redis_session()``'s defaults.

Each bug must be found by its module's property within Hypothesis' default 100 examples under
each of 20 seeds: 18 of the 21 are (with Hypothesis 6.170 and 6.168 alike), the other three under
19; `SOMETIMES` says under how many each of those, and one found under all 20 in few examples,
must be found. Each correct module must pass under them all. The default run tries
the seeds in order until one finds the bug, and five seeds for the correct modules;
``TRIPWIRE_ALL_SEEDS=1`` (the nox ``tests`` session sets it) runs every bug and every correct
module under all 20.

Only the generate phase runs: finding a bug is all that is asserted, and shrinking and the
explain phase would only add time. The examples generated are those of the default settings.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, seed, settings

import tripwire
from tripwire_hypothesis import per_example_verifier

MODULES = Path(__file__).with_name("swarm_modules")


def _properties() -> dict[str, Callable[[ModuleType], Callable[..., None]]]:
    spec = importlib.util.spec_from_file_location("swarm_properties", MODULES / "_properties.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    properties: dict[str, Callable[[ModuleType], Callable[..., None]]] = module.PROPERTIES
    return properties


PROPERTIES = _properties()
SEEDS = range(20)
ALL_SEEDS = os.environ.get("TRIPWIRE_ALL_SEEDS") == "1"

#: (module, the line as written, the line with the bug), the bug's name.
BUGS: dict[str, tuple[str, str, str]] = {
    # cache: a read that falls back to the database when the cache is out of reach
    "cache: SET loses its EX option": (
        "cache",
        "client.set(key, json.dumps(profile), ex=TTL)",
        "client.set(key, json.dumps(profile))",
    ),
    "cache: the miss branch writes another key": (
        "cache",
        "client.set(key, json.dumps(profile), ex=TTL)",
        'client.set(f"profiles:{user_id}", json.dumps(profile), ex=TTL)',
    ),
    "cache: a server error at the SET (call 2) is swallowed": (
        "cache",
        "    except (redis.ConnectionError, redis.TimeoutError):\n        pass",
        "    except redis.RedisError:\n        pass",
    ),
    "cache: a timeout at the SET (call 2) reaches the reader": (
        "cache",
        "    except (redis.ConnectionError, redis.TimeoutError):\n        pass",
        "    except redis.ConnectionError:\n        pass",
    ),
    # lock: SET NX retried while another holder has the lock
    "lock: one attempt fewer by default": ("lock", "ATTEMPTS = 5", "ATTEMPTS = 4"),
    "lock: one attempt more by default": ("lock", "ATTEMPTS = 5", "ATTEMPTS = 6"),
    "lock: SET loses its PX option": (
        "lock",
        "client.set(key, token, nx=True, px=LEASE_MS)",
        "client.set(key, token, nx=True)",
    ),
    "lock: a timeout is taken for a refusal": (
        "lock",
        "except redis.ConnectionError:",
        "except (redis.ConnectionError, redis.TimeoutError):",
    ),
    # transfer: optimistic locking, retried on lost races
    "transfer: gives up after 4 lost races by default": (
        "transfer",
        "amount, attempts=5)",
        "amount, attempts=4)",
    ),
    "transfer: tries once more than it says": (
        "transfer",
        "for _ in range(attempts):",
        "for _ in range(attempts + 1):",
    ),
    "transfer: a timeout at WATCH or GET (an outage) is retried as a lost race": (
        "transfer",
        "except redis.WatchError:",
        "except (redis.WatchError, redis.TimeoutError):",
    ),
    "transfer: the money goes back to the source": (
        "transfer",
        "pipe.incrby(dst, amount)",
        "pipe.incrby(src, amount)",
    ),
    # poll: a worker's result, polled at most 60 times
    "poll: gives up one poll early": (
        "poll",
        "for _ in range(polls):",
        "for _ in range(polls - 1):",
    ),
    "poll: polls once more by default": ("poll", "polls=60,", "polls=61,"),
    "poll: the handover deletes another key": (
        "poll",
        "client.delete(key)",
        'client.delete(f"job:{job_id}")',
    ),
    "poll: a server error at the handover (call 2 to 5) is swallowed": (
        "poll",
        "except redis.ConnectionError:",
        "except redis.RedisError:",
    ),
    # session store: a read that renews the expiry, a write in a transaction
    "sessions: a server error at the renewal (call 2) is swallowed": (
        "session_store",
        "    except (redis.ConnectionError, redis.TimeoutError):",
        "    except redis.RedisError:",
    ),
    "sessions: a timeout at the renewal (call 2) reaches the reader": (
        "session_store",
        "    except (redis.ConnectionError, redis.TimeoutError):",
        "    except redis.ConnectionError:",
    ),
    "sessions: the renewal expires another key": (
        "session_store",
        "client.expire(key, TTL)",
        "client.expire(session_id, TTL)",
    ),
    # inventory: check, record, reserve, undo or confirm
    "inventory: the undo gives the stock to the order's key": (
        "inventory",
        "client.incrby(stock_key, quantity)",
        "client.incrby(order_key, quantity)",
    ),
    "inventory: the confirmation expires the stock": (
        "inventory",
        "client.expire(order_key, 900)",
        "client.expire(stock_key, 900)",
    ),
}


def load(name: str, bug: tuple[str, str] | None = None) -> ModuleType:
    """The module ``name`` of `MODULES`, with ``bug`` (the line as written, the bug) planted."""
    path = MODULES / f"{name}.py"
    source = path.read_text(encoding="utf-8")
    if bug is not None:
        written, planted = bug
        assert source.count(written) == 1, f"{written!r} must occur once in {name}.py"
        source = source.replace(written, planted)
    module = ModuleType(f"swarm_{name}")
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def run(prop: Callable[..., None], seed_value: int) -> BaseException | None:
    """Run ``prop`` (a ``@given`` test) as pytest would, with the default number of examples
    under ``seed_value``; its failure, or None."""
    test: Any = prop
    handle = test.hypothesis
    handle.inner_test = per_example_verifier(handle.inner_test)
    test = seed(seed_value)(
        settings(
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow],
        )(test)
    )
    with tripwire.use_verifier(tripwire.StrictVerifier()):
        try:
            test()
        except Exception as failure:
            return failure
    return None


#: The bugs found under most seeds, not all, and under how many of the 20 at least. Each needs one
#: family at one call *and* a particular reply before it (a cache miss, a session that exists).
#: Hypothesis remakes each example it draws afresh into about three more, copying one draw of the
#: plan over another and replaying the replies: about 25 of the 100 examples draw their replies
#: anew, about half of them the reply needed; each example singles out the second call with a
#: given family about one time in thirteen (a quarter of the examples single out the second
#: call, the most any of the first five calls gets). About 4 to 5 examples in 100 find the bug,
#: which then misses under about one seed in 20: the plan, not the reply, is what is rare, and
#: a reply mode cannot make it commoner. (A stock taken below zero, which a decrement answers
#: one time in five, is drawn for every decrement of half of the examples: `plans.SHORT`.)
#: Every other bug is found under every seed.
SOMETIMES = {
    # Found under this many of seeds 0-19: 19, 19, 19 and 20 (the transfer's, met in 6 examples
    # in 100 on average), with redis-py 8.2 and Hypothesis 6.170 (Python 3.11) and 6.168.5
    # (Python 3.10) alike; the thresholds leave one seed more.
    "cache: a server error at the SET (call 2) is swallowed": 18,
    "cache: a timeout at the SET (call 2) reaches the reader": 18,
    "sessions: a timeout at the renewal (call 2) reaches the reader": 18,
    "transfer: a timeout at WATCH or GET (an outage) is retried as a lost race": 19,
    # 20 with Hypothesis 6.170 (Python 3.11); 19 with 6.168.5 and redis-py 8.1 (Python 3.10).
    "sessions: a server error at the renewal (call 2) is swallowed": 19,
}
#: Every other bug is found under every seed.
ALWAYS = len(SEEDS)


@pytest.mark.parametrize("bug", list(BUGS))
def test_each_planted_bug_is_found_within_the_default_examples(bug: str) -> None:
    module, written, planted = BUGS[bug]
    app = load(module, (written, planted))
    if not ALL_SEEDS:
        # The seeds in order until one finds it: the first, for most bugs.
        assert any(run(PROPERTIES[module](app), s) is not None for s in SEEDS), bug
        return
    found = [s for s in SEEDS if run(PROPERTIES[module](app), s) is not None]
    required = SOMETIMES.get(bug, ALWAYS)
    assert len(found) >= required, f"{bug!r} was found under seeds {found} only"


@pytest.mark.parametrize("module", sorted(PROPERTIES))
@pytest.mark.parametrize("seed_value", SEEDS if ALL_SEEDS else SEEDS[:5])
def test_each_correct_module_passes_its_property(module: str, seed_value: int) -> None:
    failure = run(PROPERTIES[module](load(module)), seed_value)
    assert failure is None, f"{module} failed its property under seed {seed_value}: {failure!r}"


def test_every_module_has_bugs_of_every_kind_planted() -> None:
    assert len(BUGS) >= 20
    assert {module for module, _, _ in BUGS.values()} == set(PROPERTIES)

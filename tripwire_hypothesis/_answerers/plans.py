"""Fault plans and long stories: what one example of a drawn session decides before any call.

A fixed error rate spread over every call makes most examples alike: with one chance in five per
call and three error families, a given family reaches the fifth call of the code in about one
example in forty, and a story of five lost races in a row almost never comes. So, as in swarm
testing, each example first draws its own plan (`Plan`) and stickiness, in one draw (`_spread`):

- which calls fail: none; or exactly one of the first `TARGETS` calls, with one family (a
  dropped connection or a timeout there is, in most plans, an outage: every attempt of
  redis-py's retry policy fails, so the code sees it); or, in a few examples, every call with
  probability 0.3, from a subset of the families. A dropped connection or a timeout that is
  not an outage may pass at a retry, decided then.
- how sticky the answers are: when the code sends a call again with the same arguments, the
  session may answer what it answered last time (a miss after a miss, a lost race after a lost
  race, the same error again): never, half of the time, nine times in ten, or always; the call a
  plan singles out fails all the same. Examples with no faults whose answers are always given
  again are the commonest single kind, a sixth of them: retry and poll loops reach their limits
  there.

Hypothesis remakes each new example into a few more (copying draws over draws of the same
strategy, replaying the rest) before it draws another: `_spread` makes those remakes get other
plans too, and a call the plan fails takes the draws its reply would have taken
(`outcomes._failing`), so that the remake does not run out of them. Shrinking tries the first
entry first: no faults, no repetition. A ``redis_session(error_rate=...)`` keeps its rate for
every call (no plan), with stickiness drawn alike.

Measured (benchmarks/fault_reach.py, tests/hypothesis/test_swarm_bugs.py, docs/hypothesis.md
"What the default 100 examples cover"): in 100 examples each family reaches each of the first
five calls, as the code sees it, in 69 to 100 runs in 100 (47 to 100 before a dropped connection
or a timeout singled out was an outage, and took no more draws than a reply).
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from tripwire_hypothesis._reply_strategies.command_errors import error_kinds_of
from tripwire_hypothesis._reply_strategies.errors import _MESSAGES, _build

__all__ = ["ALWAYS", "TARGETS", "Plan", "Spread", "fixed_rate", "for_command", "plans"]

#: How many of the first calls a plan may single out for a fault.
TARGETS = 5
#: The chances that a call with no fault planned fails, in plans that fail calls at random.
_RATES = (0.3,)
#: How many times a plan that singles out the first, second... call is listed for one that fails
#: calls at random, at each stickiness: most examples single out one call, so that each family
#: reaches each of the first calls. The second call weighs most: a read, then a write that
#: depends on its reply, is the commonest story, and the branches to try are behind the read.
_TARGET_WEIGHTS = (3, 6, 4, 3, 3)


class Plan:
    """Which calls of one example fail, and with which errors.

    ``target`` is the position (1 for the first answered call, 0 for none) that fails with
    ``target_errors``, every attempt of it when ``outage`` is set (otherwise the first retry
    decides, as for any other fault); any other call fails when its coin is at or above ``cut``
    (the coin's sides: never), with ``errors``. The ``queued`` variants are for a transaction's
    queued commands, which can only fail with their own error replies (``None``: they do not
    fail), the ``exec`` ones for a transaction's ``EXEC``, which fails as a whole (a dropped
    connection, a timeout). A pipeline's queued commands without a transaction fail as calls.
    """

    __slots__ = (
        "cut",
        "errors",
        "exec_errors",
        "given",
        "outage",
        "queued_errors",
        "spelled",
        "target",
        "target_errors",
        "target_exec",
        "target_queued",
    )

    def __init__(
        self,
        spelled: str,
        *,
        target: int = 0,
        target_families: tuple[int, ...] = (),
        outage: bool = False,
        cut: int,
        families: tuple[int, ...] = (),
        family_errors: tuple[SearchStrategy[BaseException], ...],
        queued: frozenset[int],
        exec_ok: frozenset[int],
    ) -> None:
        #: What the plan was made with, to make it again for one command's errors.
        self.given: dict[str, Any] = {
            "target": target,
            "target_families": target_families,
            "outage": outage,
            "cut": cut,
            "families": families,
            "queued": queued,
            "exec_ok": exec_ok,
        }
        self.spelled = spelled
        self.target = target
        self.outage = outage
        self.cut = cut
        self.target_errors = _union(family_errors, target_families)
        self.target_queued = _union(family_errors, tuple(f for f in target_families if f in queued))
        self.target_exec = _union(family_errors, tuple(f for f in target_families if f in exec_ok))
        self.errors = _union(family_errors, families)
        self.queued_errors = _union(family_errors, tuple(f for f in families if f in queued))
        self.exec_errors = _union(family_errors, tuple(f for f in families if f in exec_ok))

    def __repr__(self) -> str:
        return self.spelled


def _union(
    family_errors: tuple[SearchStrategy[BaseException], ...], chosen: tuple[int, ...]
) -> SearchStrategy[BaseException] | None:
    if not chosen:
        return None
    if len(chosen) == 1:
        return family_errors[chosen[0]]
    # Each family an equal share, then the kind within it.
    return st.one_of([family_errors[index] for index in chosen])


@functools.lru_cache(maxsize=256)
def _family(*kinds: str) -> SearchStrategy[BaseException]:
    """The errors of ``kinds``, each message of each kind an equal share, in one draw.

    One draw, as a reply of a miss takes: an example that Hypothesis remakes with another plan
    replays the same draws, and a fault needing more of them than the reply it replaces would
    run out of them at the last call. A call the plan singles out takes its message from the
    example's variant instead (`targeted_error`).
    """
    specs = tuple(
        (kind, variant, 0, 7000) for kind in kinds for variant in range(len(_MESSAGES[kind]))
    )
    # Made at each draw: an exception raised in one example must not carry its traceback and
    # Hypothesis' notes into the next.
    family = st.sampled_from(specs).map(_build)
    _SPECS[family] = specs
    return family


#: The messages of each family `_family` made, in order.
_SPECS: dict[SearchStrategy[BaseException], tuple[tuple[str, int, int, int], ...]] = {}


def targeted_error(
    errors: SearchStrategy[BaseException], variant: int
) -> tuple[str, int, int, int] | None:
    """Which message of the family ``errors`` the call a plan singles out fails with: the
    example's ``variant`` (drawn with its plan) picks one, each an equal share, shrinking to
    the first. None for errors not of a family made here (``redis_session(errors=...)``)."""
    specs = _SPECS.get(errors)
    return None if specs is None else specs[variant % len(specs)]


#: The error families of a default session's plans, in shrink order: a dropped connection (or a
#: server still loading its data, which redis-py raises as one), a timeout, a server error
#: reply.
FAMILIES = (
    _family("connection", "loading"),
    _family("timeout"),
    _family("wrongtype", "oom", "readonly", "err", "noperm", "misconf"),
)


@functools.lru_cache(maxsize=1024)
def command_families(command: str) -> tuple[SearchStrategy[BaseException], ...]:
    """`FAMILIES` for one command: its connection dropped (or the server loading its data,
    where Redis can answer that), a timeout, or an error reply Redis can answer it
    (`tripwire_hypothesis._reply_strategies.command_errors`)."""
    kinds = error_kinds_of(command)
    replies = [kind for kind in kinds if kind != "loading"]
    dropped = _family("connection", "loading") if "loading" in kinds else _family("connection")
    return (dropped, FAMILIES[1], _family(*replies))


@functools.lru_cache(maxsize=4096)
def for_command(plan: Plan, command: str) -> Plan:
    """``plan`` (of the default families, `FAMILIES`) with the errors ``command`` can get."""
    return Plan(plan.spelled, family_errors=command_families(command), **plan.given)


FAMILY_NAMES = ("connection", "timeout", "response")
#: The families a transaction's queued command can fail with (its own error reply), and those
#: its EXEC can (it fails as a whole).
QUEUED_FAMILIES = frozenset({2})
EXEC_FAMILIES = frozenset({0, 1})
#: The families redis-py's retry policy sends a call again after: a dropped connection, a timeout.
RETRIED_FAMILIES = frozenset({0, 1})


@functools.lru_cache(maxsize=64)
def plans(
    family_errors: tuple[SearchStrategy[BaseException], ...],
    names: tuple[str, ...],
    queued: frozenset[int],
    exec_ok: frozenset[int],
    sides: int,
    retried: frozenset[int] = frozenset(),
) -> Spread:
    """The plans of a session whose error families are ``family_errors`` (named ``names``);
    redis-py's retry policy may send a call failing with one of the ``retried`` families again.

    Shrinks to no faults, then to one fault at the first call, of the first family.
    """
    common: dict[str, Any] = {
        "family_errors": family_errors,
        "queued": queued,
        "exec_ok": exec_ok,
    }
    none = Plan("no faults", cut=sides, **common)
    targeted = [
        Plan(
            f"{names[family]} at call {target}{', every attempt' if outage else ''}",
            target=target,
            target_families=(family,),
            outage=outage,
            cut=sides,
            **common,
        )
        for target in range(1, TARGETS + 1)
        for family in range(len(names))
        for copy in range(_TARGET_WEIGHTS[target - 1])
        # A fault redis-py retries reaches the code only if every attempt fails: most plans
        # make it an outage; one of each call's lets the first retry decide (a command that
        # reached the server may be sent twice).
        for outage in [family in retried and copy > 0]
    ]
    subsets = [
        subset
        for size in range(1, len(names) + 1)
        for subset in itertools.combinations(range(len(names)), size)
    ]
    at_random = [
        Plan(
            f"{' or '.join(names[family] for family in subset)} at {rate:.0%} of calls",
            cut=min(round((1 - rate) * sides), sides - 1),
            families=subset,
            **common,
        )
        for rate in _RATES
        for subset in subsets
    ]
    return _spread(_with_stickiness((none, *targeted, *at_random), none), variants=True)


def _with_stickiness(faults: tuple[Plan, ...], none: Plan) -> tuple[Draw, ...]:
    """Each fault plan with each stickiness; and, for long stories, more examples with no faults
    whose answers are given again always (a fault in the first calls would end them)."""
    short = [(plan, stickiness) for stickiness in (*_STICKINESS, ALWAYS) for plan in faults]
    return (*short, *[(none, ALWAYS)] * round(len(short) * _LONG_STORIES))


class Spread:
    """How an example draws an entry of ``table``: the sum of draws made in pairs, each pair of
    a strategy of its own, modulo the table's size; then, with ``variants``, which message of
    its family a call the plan singles out fails with (`targeted_error`).

    Hypothesis makes each new example into a few more by copying a draw over another draw of the
    same strategy, which would give them all the entry of the first: a copy within a pair
    changes the sum, and gives them other entries. All draws at 0 are the first entry, no faults
    and no repetition, which Hypothesis tries first when it shrinks. Drawn by the session's own
    strategy (`draw`), without a strategy of its own around the draws: it is every example's
    cost.

    The variant is drawn here, at the start of every example, and not at the call: a call the
    plan fails then takes as many draws as its reply would (`outcomes._failing`), so that an
    example Hypothesis remakes with another plan, replaying the draws of the first, has the
    draws the fault needs.
    """

    __slots__ = ("parts", "table", "variants")

    def __init__(self, table: tuple[Draw, ...], *, variants: bool = False) -> None:
        self.table = table
        size = len(table)
        # sampled_from's label depends on its elements: each range is a strategy of its own.
        self.parts = tuple(
            st.sampled_from(range(pair * size, (pair + 1) * size))
            for pair in range(_PAIRS)
            for _ in range(2)
        )
        self.variants = _VARIANTS if variants else None

    def draw(self, draw: st.DrawFn) -> tuple[Plan | None, Any, int]:
        """The example's plan, its stickiness, and its variant (0 without ``variants``)."""
        table = self.table
        plan, stickiness = table[sum(map(draw, self.parts)) % len(table)]
        variants = self.variants
        return plan, stickiness, 0 if variants is None else draw(variants)


#: Whether an example's counters (``INCR``, ``DECRBY``... with their default replies) all answer
#: below zero, half of the examples, shrinking to no: the swarm-testing idea applied to replies.
#: A "taken past zero" branch (stock reserved beyond what is left) needs that reply after the
#: calls before it; drawn at every counter it comes one time in five, and only in the examples
#: Hypothesis draws afresh (those it remakes replay their replies). Drawn once, at the example's
#: first counter (code with none draws as before), it reaches every counter of half of those
#: examples, and the examples remade from them keep it.
SHORT = st.sampled_from((False, True))

#: The variants a plan's targeted fault picks its message by: as many as a multiple of each
#: family's number of messages (at most 16), so that each message is an equal share.
_VARIANTS = st.integers(0, math.lcm(*range(1, 17)) - 1)


def _spread(table: tuple[Draw, ...], *, variants: bool = False) -> Spread:
    return Spread(table, variants=variants)


@functools.lru_cache(maxsize=1)
def fixed_rate() -> Spread:
    """The draw of a session that fails calls at a fixed rate: no plan, a stickiness."""
    return _spread(tuple((None, stickiness) for stickiness in (*_STICKINESS, ALWAYS)))


#: How many pairs of draws make a plan.
_PAIRS = 2


class _Always:
    """A stickiness that repeats every time, without a draw."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "always"


ALWAYS = _Always()

#: How often a call sent again with the same arguments gets the answer it got last time, short
#: of always: never, half of the time, nine times in ten (a draw that shrinks to a fresh answer).
_STICKINESS = (None, st.sampled_from((False, True)), st.sampled_from((False, *[True] * 9)))
#: How many examples with no faults whose answers are always given again there are, on top of
#: the others, for one of those: a story of sixty misses in a row, or of five lost races, needs
#: both (a sixth of the examples).
_LONG_STORIES = 0.2

#: What an example draws first: its fault plan (``None``: the session's fixed rate) and its
#: stickiness (``None``, a strategy of whether to repeat, or `ALWAYS`).
Draw = tuple[Plan | None, Any]

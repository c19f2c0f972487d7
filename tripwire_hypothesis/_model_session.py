"""The model sessions of `RedisSession`: the checks of ``RedisSession.from_faults`` and the
answerer of a ``redis_session(model=True)`` session."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tripwire_hypothesis._checks import invalid
from tripwire_hypothesis._concurrency.story import check_schedule

if TYPE_CHECKING:
    from tripwire.plugins.redis_plugin import RedisPlugin
    from tripwire_hypothesis._answerers.drawn import Answerer, Policy
    from tripwire_hypothesis._answerers.model import Fault
    from tripwire_hypothesis._session import RedisSession

__all__ = ["from_faults_policy", "model_answerer"]


def from_faults_policy(
    faults: Iterable[Fault | None],
    schedule: Iterable[str | float] | None,
    initial: Mapping[str, Any] | None,
) -> tuple[Policy, tuple[Fault | None, ...], Any]:
    """The arguments of ``RedisSession.from_faults``, checked: the session's policy, its faults
    and its schedule."""
    # Imported on first use: the model imports fakeredis, an optional dependency.
    from tripwire_hypothesis._answerers.drawn import Policy
    from tripwire_hypothesis._answerers.model import FAULT_KINDS, Fault

    given: object = faults
    requirement = "an iterable of Fault objects or None"
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise invalid("RedisSession.from_faults", "faults", requirement, faults)
    script = tuple(faults)
    for fault in script:
        if fault is not None and not isinstance(fault, Fault):
            raise invalid("RedisSession.from_faults", "faults", requirement, fault)
    steps = check_schedule(schedule)
    if initial is not None and not isinstance(initial, Mapping):
        raise invalid(
            "RedisSession.from_faults", "initial", "a mapping from keys to their data", initial
        )
    body = "".join(f"\n    {fault!r}," for fault in script)
    options = ""
    if steps is not None:
        options += f", schedule={list(steps)!r}"
    if initial:
        options += f", initial={initial!r}"
    policy = Policy(
        commands=None,
        replies={},
        errors=None,
        cut=0,
        max_answers=sys.maxsize,
        spelled=f"RedisSession.from_faults([{body}\n]{options})",
        model=True,
        faults=FAULT_KINDS,
    )
    return policy, script, steps


def model_answerer(session: RedisSession, plugin: RedisPlugin, caller: Any) -> Answerer:
    """The answerer of a model session: its model's replies, with faults drawn or scripted."""
    # Imported on first use: it imports fakeredis, an optional dependency.
    from tripwire_hypothesis._answerers.model import ModelAnswerer

    policy = session._policy
    assert policy is not None
    session.model  # noqa: B018 - makes the example's model
    model = session._model
    assert model is not None
    if session._schedule is not None:
        model.story.script = list(session._schedule)
    seeder = None
    if policy.values is not None or session._initial is not None:
        from tripwire_hypothesis._answerers.seeding import Seeder

        seeder = Seeder(model, policy.values, session._draws, session._initial)
    return ModelAnswerer(plugin, policy, session._draws, caller, model, session._faults, seeder)

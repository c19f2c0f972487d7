"""Hypothesis strategies for code that talks to Redis, under tripwire's strict mocks::

    from hypothesis import given
    from tripwire_hypothesis import strategies as tripwire_strategies

    @given(tripwire_strategies.redis_session(commands=["GET"], min_steps=1, max_steps=1))
    def test_get_user(session):
        session.install()
        with tripwire:
            ...
        session.assert_consumed(args=("user:1",), kwargs=IsInstance(dict))

`redis_session` generates whole scripts of answers; `replies`, `redis_errors`, `keys` and
`values` are its building blocks, usable on their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from tripwire_hypothesis import _replies
from tripwire_hypothesis._checks import check_bool, check_int, invalid
from tripwire_hypothesis._failures import error_kinds, redis_errors
from tripwire_hypothesis._replies import keys, replies, supported_commands, values
from tripwire_hypothesis._session import RedisSession, Step

__all__ = [
    "error_kinds",
    "keys",
    "redis_errors",
    "redis_session",
    "replies",
    "supported_commands",
    "values",
]

#: Each step draws a number below this and fails above a cut set by ``error_rate``. Hypothesis
#: draws integers of this small a range about uniformly; larger ones lean towards small values.
_COIN_SIDES = 256
_COIN = st.integers(0, _COIN_SIDES - 1)
_KNOWN = frozenset(supported_commands())


def redis_session(
    *,
    commands: Sequence[str] | None = None,
    min_steps: int = 0,
    max_steps: int = 10,
    replies: Mapping[str, SearchStrategy[Any]] | None = None,
    errors: SearchStrategy[BaseException] | None = None,
    error_rate: float = 0.25,
    decode_responses: bool = False,
    required: bool = True,
) -> SearchStrategy[RedisSession]:
    """Generate a `RedisSession`: an ordered script of Redis commands, each with its outcome.

    Each of ``min_steps`` to ``max_steps`` steps takes a command from ``commands`` (default:
    every name of `supported_commands`; option variants such as ``"ZRANGE WITHSCORES"`` mock
    ``ZRANGE`` with that variant's replies). With probability ``error_rate`` (in steps of
    1/256) a step raises an error drawn from ``errors`` (default: `redis_errors`, every kind);
    ``error_rate=0`` turns injection off. Otherwise it returns a reply drawn from
    ``replies[command]`` when given, or from the command's realistic `replies` strategy,
    ``bytes`` or ``str`` per ``decode_responses``. ``required`` is passed on to every mock.

    Shrinks towards fewer steps, the first of ``commands``, no errors, and the simplest
    replies (a miss, zero, empty, ``True`` for acknowledgements).
    """
    function = "redis_session"
    overrides = _check_overrides(replies)
    pool = _check_commands(commands, overrides)
    min_steps = check_int(function, "min_steps", min_steps, at_least=0, bound="0")
    max_steps = check_int(
        function, "max_steps", max_steps, at_least=min_steps, bound=f"min_steps ({min_steps})"
    )
    if errors is not None and not isinstance(errors, SearchStrategy):
        raise invalid(function, "errors", "a SearchStrategy of exceptions or None", errors)
    if type(error_rate) not in (int, float) or not 0 <= error_rate <= 1:
        raise invalid(function, "error_rate", "a number from 0 to 1", error_rate)
    decode_responses = check_bool(function, "decode_responses", decode_responses)
    required = check_bool(function, "required", required)

    choices = st.sampled_from(
        [
            (
                _mocked_command(name),
                overrides[name]
                if name in overrides
                else _replies.replies(name, decode_responses=decode_responses),
            )
            for name in pool
        ]
    )
    if error_rate == 0:
        failures = None
        cut = _COIN_SIDES
    else:
        failures = redis_errors() if errors is None else errors
        # Any positive rate fails some steps.
        cut = min(round((1 - error_rate) * _COIN_SIDES), _COIN_SIDES - 1)
    steps = st.lists(_steps(choices, failures, cut), min_size=min_steps, max_size=max_steps)
    return _sessions(steps, required, tuple(_mocked_command(name) for name in pool))


@st.composite
def _steps(
    draw: st.DrawFn,
    choices: SearchStrategy[tuple[str, SearchStrategy[Any]]],
    failures: SearchStrategy[BaseException] | None,
    cut: int,
) -> Step:
    command, reply = draw(choices)
    # The coin shrinks towards 0, a reply: failures shrink towards stories without errors.
    if failures is not None and draw(_COIN) >= cut:
        return Step(command, raises=draw(failures))
    return Step(command, returns=draw(reply))


@st.composite
def _sessions(
    draw: st.DrawFn,
    steps: SearchStrategy[list[Step]],
    required: bool,
    commands: tuple[str, ...],
) -> RedisSession:
    # Built here rather than with .map(), which would make Hypothesis print the failing example
    # as the call that built it instead of with the session's own repr.
    return RedisSession(draw(steps), required=required, commands=commands)


def _normalise(command: str) -> str:
    return " ".join(command.split()).upper()


def _mocked_command(name: str) -> str:
    """The command a reply-table entry mocks: ``"ZRANGE WITHSCORES"`` -> ``"ZRANGE"``."""
    head, _, _ = name.rpartition(" ")
    return head if head in _KNOWN else name


def _check_overrides(
    value: Mapping[str, SearchStrategy[Any]] | None,
) -> dict[str, SearchStrategy[Any]]:
    if value is None:
        return {}
    requirement = "a mapping from command name to a SearchStrategy of replies"
    if not isinstance(value, Mapping):
        raise invalid("redis_session", "replies", requirement, value)
    overrides = {}
    for name, strategy in value.items():
        if type(name) is not str or not name.strip():
            raise invalid("redis_session", "replies", requirement, value)
        if not isinstance(strategy, SearchStrategy):
            raise invalid("redis_session", "replies", requirement, value)
        overrides[_normalise(name)] = strategy
    return overrides


def _check_commands(
    value: Sequence[str] | None, overrides: Mapping[str, SearchStrategy[Any]]
) -> tuple[str, ...]:
    if value is None:
        return (*supported_commands(), *(name for name in overrides if name not in _KNOWN))
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise invalid(
            "redis_session", "commands", "a non-empty sequence of command names or None", value
        )
    pool = []
    for name in value:
        normalised = _normalise(name) if type(name) is str else None
        if normalised is None or (normalised not in _KNOWN and normalised not in overrides):
            raise invalid(
                "redis_session",
                "commands",
                "names with a reply strategy (see supported_commands(), or pass replies=)",
                name,
            )
        pool.append(normalised)
    for name in overrides:
        if name not in pool:
            raise invalid(
                "redis_session",
                "replies",
                f"keyed by names in commands ({', '.join(map(repr, pool))})",
                name,
            )
    return tuple(pool)

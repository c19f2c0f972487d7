"""Hypothesis strategies for code that talks to Redis, under tripwire's strict mocks::

    from hypothesis import given
    from tripwire_hypothesis import strategies as tripwire_strategies

    @given(tripwire_strategies.redis_session())
    def test_get_user(session):
        session.install()
        with tripwire:
            ...
        session.assert_sent([("GET", "user:1")])

`redis_session` answers each command when the code sends it; `replies`, `redis_errors`, `keys`
and `values` are its building blocks, usable on their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from tripwire_hypothesis._answerers.drawn import Policy
from tripwire_hypothesis._answerers.draws import Draws
from tripwire_hypothesis._answerers.outcomes import COIN_SIDES, ReplySource
from tripwire_hypothesis._answerers.plans import (
    EXEC_FAMILIES,
    FAMILIES,
    FAMILY_NAMES,
    QUEUED_FAMILIES,
    RETRIED_FAMILIES,
    fixed_rate,
    plans,
)
from tripwire_hypothesis._checks import check_bool, check_int, invalid
from tripwire_hypothesis._reply_strategies.errors import error_kinds, redis_errors
from tripwire_hypothesis._reply_strategies.for_commands import (
    keys,
    replies,
    supported_commands,
    values,
)
from tripwire_hypothesis._reply_strategies.stored import check_values
from tripwire_hypothesis._session import RedisSession

__all__ = [
    "error_kinds",
    "keys",
    "redis_errors",
    "redis_session",
    "replies",
    "supported_commands",
    "values",
]

_KNOWN = frozenset(supported_commands())
#: A model session's error rate when none is given.
_MODEL_ERROR_RATE = 0.2
_DEFAULT_MAX_ANSWERS = 100


def redis_session(
    *,
    commands: Sequence[str] | None = None,
    replies: Mapping[str, ReplySource] | None = None,
    errors: SearchStrategy[BaseException] | None = None,
    error_rate: float | None = None,
    max_answers: int = _DEFAULT_MAX_ANSWERS,
    model: bool = False,
    faults: Sequence[str] | None = None,
    time_passes: bool = False,
    values: SearchStrategy[Any] | Mapping[str, SearchStrategy[Any]] | None = None,
) -> SearchStrategy[RedisSession]:
    """Generate a `RedisSession` that answers each Redis command when the code sends it.

    Install it in the test body (``session.install()``) before ``with tripwire:``. Each call
    that no mock covers then gets an answer drawn at that moment: a realistic reply for that
    call (``SET ... NX`` answers ``True`` or ``None``, ``UNLINK k1 k2`` at most ``2``, ``SCAN 0
    MATCH p*`` keys matching ``p*`` and a cursor that is often ``0``), or an error: a dropped
    connection, a timeout or a server error reply (drawn from ``errors`` instead when given).
    Which calls fail is the example's fault plan, drawn first
    (`tripwire_hypothesis._answerers.plans`): one of the first five calls with one family (a
    dropped connection or a timeout there mostly failing every attempt of the client's retry
    policy), every call at a rate with some of the families, or none. With ``error_rate`` set every
    call fails with that probability instead (in steps of 1/256; ``0`` turns injection off),
    each family an equal share. Inside a
    pipeline a queued command fails only with its own error reply; a transaction's ``EXEC`` may
    fail with ``WatchError`` (another client wrote a watched key) or a dropped connection. A
    call sent again with the same arguments may get its last answer again, as often as the
    example drew: never, half of the time, nine times in ten, or always (the call the plan
    singles out fails all the same), so that retry and poll loops reach their limits.

    ``commands`` limits the commands answered (any other raises `UnmockedInteractionError`);
    ``replies`` maps a command to a strategy of its replies, or to a function of the `Call`
    returning a strategy or a reply; ``values`` says what the app stores under its keys, a
    strategy for every key or a mapping from key patterns (``"user:*"``, the first match wins)
    to strategies of ``bytes``, ``str``, ``int`` or ``float`` values, which every reading command
    (``GET``, ``MGET``, ``HGET``, ``HGETALL``, ``LRANGE``, ``LMOVE``, ``ZRANGE``, ...) answers
    from for a key that matches; after ``max_answers`` answers in one example the next call
    fails the example, as code that loops forever would.

    Shrinks towards no faults and no repetition, fewer errors, the simplest replies (a miss,
    zero, empty, ``True`` for acknowledgements, cursor ``0``) and so the fewest calls.

    Each reply reaches the code as the calling client makes it: text for a client made with
    ``decode_responses=True``, the shapes of its own response callbacks (``protocol=3``,
    ``legacy_responses=False``), the exceptions of its own library (valkey-py's for a valkey-py
    client).

    With ``model=True`` the replies come from a model of Redis instead (fakeredis, one fresh
    server per example, read and seeded through ``session.model``), and with probability
    ``error_rate`` a call fails with one of the ``faults`` kinds: ``"connection"`` and
    ``"timeout"`` (before or after the command took effect), ``"loading"``, ``"readonly"`` and
    ``"oom"`` (the command changes nothing), and ``"watch"``: another client writes a key a
    transaction watches, and its ``EXEC`` fails with ``WatchError``. Shrinks towards the fewest
    faults. With ``time_passes=True`` the model's clock (``session.clock``) may also move on
    before any step (a pause of ten milliseconds to a day), so keys can expire in the middle of a
    flow; shrinks towards no pause.
    """
    function = "redis_session"
    model = check_bool(function, "model", model)
    fault_kinds = _model_options(function, model, faults, replies, errors)
    time_passes = check_bool(function, "time_passes", time_passes)
    if time_passes and not model:
        raise invalid(function, "time_passes", "False without model=True (the model's clock)", True)
    overrides = _check_overrides(replies)
    stored = check_values(function, values)
    allowed = _check_commands(commands, overrides, model=model)
    if errors is not None and not isinstance(errors, SearchStrategy):
        raise invalid(function, "errors", "a SearchStrategy of exceptions or None", errors)
    if error_rate is not None and (
        type(error_rate) not in (int, float) or not 0 <= error_rate <= 1
    ):
        raise invalid(function, "error_rate", "a number from 0 to 1 or None", error_rate)
    max_answers = check_int(function, "max_answers", max_answers, at_least=1, bound="1")
    rate = _MODEL_ERROR_RATE if error_rate is None and model else error_rate
    # Any positive rate fails some calls; with none given, each example draws its plan.
    cut = (
        COIN_SIDES
        if rate is None or rate == 0
        else min(round((1 - rate) * COIN_SIDES), COIN_SIDES - 1)
    )
    checked_errors = None if errors is None else errors.map(_drawn_error)
    fault_plans = fixed_rate()
    if rate is None:
        if checked_errors is None:
            fault_plans = plans(
                FAMILIES, FAMILY_NAMES, QUEUED_FAMILIES, EXEC_FAMILIES, COIN_SIDES, RETRIED_FAMILIES
            )
        else:
            one = frozenset({0})
            fault_plans = plans((checked_errors,), ("error",), one, one, COIN_SIDES, one)
    given = {
        "model": model or None,
        "faults": None if faults is None else list(fault_kinds),
        "commands": None if commands is None else list(allowed or ()),
        "replies": replies,
        "errors": errors,
        "error_rate": error_rate,
        "max_answers": max_answers if max_answers != _DEFAULT_MAX_ANSWERS else None,
        "time_passes": time_passes or None,
        "values": values,
    }
    spelled = ", ".join(f"{name}={value!r}" for name, value in given.items() if value is not None)
    policy = Policy(
        commands=allowed,
        replies=overrides,
        errors=checked_errors,
        cut=cut,
        max_answers=max_answers,
        spelled=f"redis_session({spelled})",
        model=model,
        faults=fault_kinds,
        time_passes=time_passes,
        values=stored,
        plans=fault_plans,
    )
    return _sessions(policy)


@st.composite
def _sessions(draw: st.DrawFn, policy: Policy) -> RedisSession:
    # Built here rather than with .map(), which would make Hypothesis print the failing example
    # as the call that built it instead of with the session's own repr. The session keeps
    # ``draw`` to draw its answers when the calls are made (`tripwire_hypothesis._answerers.draws`).
    if policy.model:
        return RedisSession._drawing(Draws(draw), policy)
    # The example's plan first (`tripwire_hypothesis._answerers.plans`): it shrinks to no
    # faults, and to no answer given again.
    plan, stickiness, variant = policy.plans.draw(draw)
    return RedisSession._drawing(Draws(draw, plan, stickiness, variant), policy)


def _normalise(command: str) -> str:
    return " ".join(command.split()).upper()


def _mocked_command(name: str) -> str:
    """The command a reply-table entry mocks: ``"ZRANGE WITHSCORES"`` -> ``"ZRANGE"``."""
    head, _, _ = name.rpartition(" ")
    return head if head in _KNOWN else name


def _check_overrides(value: Mapping[str, ReplySource] | None) -> dict[str, ReplySource]:
    if value is None:
        return {}
    requirement = (
        "a mapping from command name to a SearchStrategy of replies or a function of the call"
    )
    if not isinstance(value, Mapping):
        raise invalid("redis_session", "replies", requirement, value)
    overrides: dict[str, ReplySource] = {}
    for name, source in value.items():
        if type(name) is not str or not name.strip():
            raise invalid("redis_session", "replies", requirement, value)
        if not isinstance(source, SearchStrategy) and not callable(source):
            raise invalid("redis_session", "replies", requirement, value)
        overrides[_normalise(name)] = source
    return overrides


def _check_commands(
    value: Sequence[str] | None, overrides: Mapping[str, ReplySource], *, model: bool = False
) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise invalid(
            "redis_session", "commands", "a non-empty sequence of command names or None", value
        )
    pool = []
    for name in value:
        normalised = _normalise(name) if type(name) is str and name.strip() else None
        if model and normalised is not None:
            pool.append(normalised)  # the model answers any command
            continue
        if normalised is None or (normalised not in _KNOWN and normalised not in overrides):
            raise invalid(
                "redis_session",
                "commands",
                "names with a reply strategy (see supported_commands(), or pass replies=)",
                name,
            )
        pool.append(_mocked_command(normalised))
    for name in overrides:
        if name not in pool:
            raise invalid(
                "redis_session",
                "replies",
                f"keyed by names in commands ({', '.join(map(repr, pool))})",
                name,
            )
    return frozenset(pool)


# -- model sessions (tripwire_hypothesis._answerers.model) --------------------------------------


def _drawn_error(value: object) -> BaseException:
    """What an ``errors=`` strategy drew, refused unless an exception (an instance or class)."""
    if isinstance(value, BaseException) or (
        isinstance(value, type) and issubclass(value, BaseException)
    ):
        return value  # type: ignore[return-value]
    raise invalid(
        "redis_session", "errors", "a strategy drawing exceptions (or their classes)", value
    )


def _model_options(
    function: str, model: bool, faults: object, replies: object, errors: object
) -> tuple[str, ...]:
    """The fault kinds of a model session; ``replies`` and ``errors`` do not apply to one."""
    if not model:
        if faults is not None:
            raise invalid(function, "faults", "None without model=True (use errors=)", faults)
        return ()
    if replies is not None:
        raise invalid(function, "replies", "None with model=True (the model replies)", replies)
    if errors is not None:
        raise invalid(function, "errors", "None with model=True (use faults=)", errors)
    # Imported here: it imports fakeredis, an optional dependency only a model session needs.
    try:
        from tripwire_hypothesis._answerers.model import check_faults
    except ModuleNotFoundError as missing:
        if missing.name != "fakeredis":
            raise
        raise ModuleNotFoundError(
            "redis_session(model=True) answers from fakeredis, which is not installed: "
            "pip install 'fakeredis[lua]' (the model extra of python-tripwire brings it)",
            name="fakeredis",
        ) from missing
    return check_faults(function, faults)

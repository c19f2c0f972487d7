"""`redis_session()`: what it generates, what it shrinks towards, and its argument checks."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import tripwire
import tripwire_hypothesis
from tripwire_hypothesis import RedisSession, Step, redis_session
from tripwire_hypothesis import strategies as tripwire_strategies

quick = settings(deadline=None, phases=[Phase.explicit, Phase.generate, Phase.shrink])


def minimal(strategy: st.SearchStrategy[RedisSession], condition: Any = lambda _: True) -> str:
    """The repr of the simplest session ``strategy`` draws that meets ``condition``."""
    return repr(find(strategy, condition, settings=settings(quick, database=None)))


# -- what is generated ---------------------------------------------------------------------------


@quick
@given(redis_session(max_steps=5))
def test_every_generated_step_can_be_installed_consumed_and_asserted(
    session: RedisSession,
) -> None:
    session.install()
    with tripwire:
        client = redis.Redis()
        for step in session.steps:
            try:
                result = client.execute_command(step.command, "key")
            except redis.RedisError as error:
                result = error
            assert result is (step.returns if step.raises is None else step.raises)
    assert [consumed.step for consumed in session.consumed] == list(session.steps)
    session.assert_consumed(args=("key",))


@quick
@given(
    redis_session(
        commands=["ZRANGE WITHSCORES", "script load"], min_steps=1, error_rate=0, required=False
    )
)
def test_option_variants_mock_their_command_with_the_variant_s_replies(
    session: RedisSession,
) -> None:
    assert session.commands == {"ZRANGE", "SCRIPT LOAD"}
    assert not session.required
    for step in session.steps:
        assert step.command in session.commands
        if step.command == "ZRANGE":
            assert all(isinstance(pair, tuple) for pair in step.returns)
        else:
            assert isinstance(step.returns, str)


@quick
@given(redis_session(commands=["GET", "HGETALL"], error_rate=0, decode_responses=True))
def test_decoded_replies_are_str(session: RedisSession) -> None:
    for step in session.steps:
        assert step.returns is None or isinstance(step.returns, (dict, str))
        if isinstance(step.returns, dict):
            assert all(isinstance(key, str) for key in step.returns)


@quick
@given(
    redis_session(
        commands=["GET"],
        min_steps=3,
        replies={"get": st.just(b"mine")},
        errors=st.just(redis.exceptions.ReadOnlyError("READONLY")),
        error_rate=1,
    )
)
def test_error_rate_one_fails_every_step_with_the_given_errors(session: RedisSession) -> None:
    assert len(session.steps) >= 3
    assert all(isinstance(step.raises, redis.exceptions.ReadOnlyError) for step in session.steps)


@quick
@given(redis_session(commands=["GET"], replies={"GET": st.just(b"mine")}, error_rate=0))
def test_error_rate_zero_never_fails_and_overrides_replace_replies(session: RedisSession) -> None:
    assert all(step == Step("GET", returns=b"mine") for step in session.steps)


def test_from_type_draws_sessions() -> None:
    assert minimal(st.from_type(RedisSession)) == "RedisSession()"


def test_the_module_and_the_package_export_the_same_strategies() -> None:
    for name in tripwire_strategies.__all__:
        assert getattr(tripwire_hypothesis, name) is getattr(tripwire_strategies, name)


# -- what failures shrink towards ----------------------------------------------------------------


def test_sessions_shrink_to_no_steps() -> None:
    assert minimal(redis_session()) == "RedisSession()"


def test_steps_shrink_to_the_first_command_and_its_simplest_reply() -> None:
    assert minimal(redis_session(commands=["GET", "SET"], min_steps=1)) == (
        "RedisSession(\n    tripwire.redis.mock_command('GET', returns=None),\n)"
    )


def test_a_needed_failure_shrinks_to_the_first_error_kind() -> None:
    session = redis_session(commands=["SET", "GET"], max_steps=4)
    failing_get = minimal(
        session, lambda s: any(step.command == "GET" and step.failed for step in s.steps)
    )
    assert failing_get == (
        "RedisSession(\n"
        "    tripwire.redis.mock_command('GET', returns=None, "
        "raises=redis.exceptions.ConnectionError('Connection closed by server.')),\n"
        ")"
    )


def test_a_needed_count_of_steps_shrinks_to_exactly_that() -> None:
    assert minimal(redis_session(commands=["INCR"]), lambda s: len(s.steps) >= 2) == (
        "RedisSession(\n"
        "    tripwire.redis.mock_command('INCR', returns=0),\n"
        "    tripwire.redis.mock_command('INCR', returns=0),\n"
        ")"
    )


# -- argument checks -----------------------------------------------------------------------------

STRATEGY = st.just(b"v")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"commands": "GET"},
            "argument 'commands' must be a non-empty sequence of command names or None, "
            "got 'GET' (str)",
            id="commands-a-str",
        ),
        pytest.param(
            {"commands": []},
            "argument 'commands' must be a non-empty sequence of command names or None, "
            "got [] (list)",
            id="commands-empty",
        ),
        pytest.param(
            {"commands": ["GET", "NOPE"]},
            "argument 'commands' must be names with a reply strategy (see supported_commands(), "
            "or pass replies=), got 'NOPE' (str)",
            id="commands-unknown",
        ),
        pytest.param(
            {"commands": [b"GET"]},
            "argument 'commands' must be names with a reply strategy (see supported_commands(), "
            "or pass replies=), got b'GET' (bytes)",
            id="commands-bytes",
        ),
        pytest.param(
            {"min_steps": -1},
            "argument 'min_steps' must be an int >= 0, got -1 (int)",
            id="min-steps-negative",
        ),
        pytest.param(
            {"min_steps": True},
            "argument 'min_steps' must be an int >= 0, got True (bool)",
            id="min-steps-bool",
        ),
        pytest.param(
            {"min_steps": 3, "max_steps": 2},
            "argument 'max_steps' must be an int >= min_steps (3), got 2 (int)",
            id="max-steps-below-min",
        ),
        pytest.param(
            {"max_steps": 2.0},
            "argument 'max_steps' must be an int >= min_steps (0), got 2.0 (float)",
            id="max-steps-float",
        ),
        pytest.param(
            {"replies": [("GET", STRATEGY)]},
            "argument 'replies' must be a mapping from command name to a SearchStrategy of "
            "replies, got [('GET', just(b'v'))] (list)",
            id="replies-not-a-mapping",
        ),
        pytest.param(
            {"replies": {"GET": b"v"}},
            "argument 'replies' must be a mapping from command name to a SearchStrategy of "
            "replies, got {'GET': b'v'} (dict)",
            id="replies-value-not-a-strategy",
        ),
        pytest.param(
            {"replies": {"": STRATEGY}},
            "argument 'replies' must be a mapping from command name to a SearchStrategy of "
            "replies, got {'': just(b'v')} (dict)",
            id="replies-empty-name",
        ),
        pytest.param(
            {"commands": ["GET"], "replies": {"SET": STRATEGY}},
            "argument 'replies' must be keyed by names in commands ('GET'), got 'SET' (str)",
            id="replies-not-in-commands",
        ),
        pytest.param(
            {"errors": redis.exceptions.ConnectionError()},
            "argument 'errors' must be a SearchStrategy of exceptions or None, "
            "got network:ConnectionError (ConnectionError)",
            id="errors-not-a-strategy",
        ),
        pytest.param(
            {"error_rate": 1.5},
            "argument 'error_rate' must be a number from 0 to 1, got 1.5 (float)",
            id="error-rate-above-one",
        ),
        pytest.param(
            {"error_rate": float("nan")},
            "argument 'error_rate' must be a number from 0 to 1, got nan (float)",
            id="error-rate-nan",
        ),
        pytest.param(
            {"error_rate": True},
            "argument 'error_rate' must be a number from 0 to 1, got True (bool)",
            id="error-rate-bool",
        ),
        pytest.param(
            {"decode_responses": "yes"},
            "argument 'decode_responses' must be a bool, got 'yes' (str)",
            id="decode-responses-not-bool",
        ),
        pytest.param(
            {"required": None},
            "argument 'required' must be a bool, got None (NoneType)",
            id="required-not-bool",
        ),
    ],
)
def test_invalid_arguments_are_refused_when_the_strategy_is_built(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgument) as error:
        redis_session(**options)
    assert str(error.value) == f"redis_session() {message}"


def test_a_command_outside_the_reply_table_needs_a_reply_strategy() -> None:
    session = minimal(
        redis_session(commands=["JSON.GET"], replies={"json.get": STRATEGY}, min_steps=1)
    )
    assert session == "RedisSession(\n    tripwire.redis.mock_command('JSON.GET', returns=b'v'),\n)"

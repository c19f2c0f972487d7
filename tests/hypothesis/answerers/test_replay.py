"""`RedisSession.replay`: a failing example's story, replayed call by call on changed code.

What a report's ``@example`` prints: each call gets the next step of its command; a call beyond
the story, or one the story did not have, gets the simplest answer a drawn session shrinks to;
a step left unused is not an error.
"""

from __future__ import annotations

import pytest
import redis
from hypothesis.errors import InvalidArgument

import tripwire
from tripwire import StrictVerifier
from tripwire_hypothesis import RedisSession, Step

TIMEOUT = redis.exceptions.TimeoutError("Timeout reading from socket")


def run(session: RedisSession, *calls: tuple[object, ...], decode: bool = False) -> list[object]:
    session.install()
    results: list[object] = []
    with tripwire:
        client = redis.Redis(decode_responses=decode)
        for call in calls:
            try:
                results.append(client.execute_command(*call))
            except redis.RedisError as error:
                results.append(error)
    session.assert_sent(
        [(step.command, *step.args) for step in session.consumed if not step.retried]
    )
    return results


def test_steps_answer_their_command_in_order(verifier: StrictVerifier) -> None:
    session = RedisSession.replay(
        [Step("GET", returns=b"1"), Step("GET", raises=TIMEOUT, outage=True)]
    )
    assert run(session, ("GET", "a"), ("GET", "b")) == [b"1", TIMEOUT]
    verifier.verify_all()


def test_a_retry_beyond_the_story_gets_the_simplest_answer(verifier: StrictVerifier) -> None:
    # The client's retry policy sends GET again after the timeout; the story has no more steps.
    session = RedisSession.replay([Step("GET", raises=TIMEOUT)])
    assert run(session, ("GET", "a")) == [None]
    assert [(step.command, step.raises, step.retried) for step in session.consumed] == [
        ("GET", TIMEOUT, True),
        ("GET", None, False),
    ]
    verifier.verify_all()


def test_calls_beyond_the_story_get_the_simplest_answer(verifier: StrictVerifier) -> None:
    session = RedisSession.replay([Step("INCRBY", returns=7)])
    results = run(
        session,
        ("INCRBY", "n", 1),
        ("INCRBY", "n", 1),
        ("GET", "k"),
        ("SET", "k", "v", "NX"),
        ("SCAN", 0, "MATCH", "user:*"),
        ("HGETALL", "h"),
        ("MGET", "a", "b"),
        ("EXPIRE", "k", 60),
        ("EVAL", "return 1", 0),
    )
    assert results == [7, 1, None, True, (0, []), {}, [None, None], True, None]
    verifier.verify_all()


def test_decoded_replays_answer_text(verifier: StrictVerifier) -> None:
    session = RedisSession.replay([])
    assert run(session, ("SRANDMEMBER", "s", -2), decode=True) == [["member:0", "member:0"]]
    verifier.verify_all()


def test_a_step_left_unused_is_not_an_error(verifier: StrictVerifier) -> None:
    session = RedisSession.replay([Step("GET", returns=b"1"), Step("DEL", returns=1)])
    assert run(session, ("GET", "a")) == [b"1"]
    verifier.verify_all()


def test_a_reply_the_code_edits_is_its_own_each_run() -> None:
    session = RedisSession.replay([])
    for _ in range(2):
        with tripwire.use_verifier(StrictVerifier()) as verifier:
            (reply,) = run(session, ("HGETALL", "h"))
            assert reply == {}
            reply["edited"] = True  # type: ignore[index]
            verifier.verify_all()


def test_the_repr_of_a_replay_builds_it() -> None:
    session = RedisSession.replay([Step("GET", returns=b"1")])
    text = "RedisSession.replay([\n    Step('GET', returns=b'1'),\n])"
    assert repr(session) == text
    assert repr(eval(text, {"RedisSession": RedisSession, "Step": Step})) == text
    assert repr(RedisSession.replay([])) == "RedisSession.replay([\n])"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(
            {"steps": "GET"},
            "RedisSession.replay() argument 'steps' must be an iterable of Step objects, got "
            "'GET' (str)",
            id="steps-a-str",
        ),
    ],
)
def test_replay_arguments_are_checked(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        RedisSession.replay(**arguments)  # type: ignore[arg-type]
    assert str(error.value) == message

"""`RedisSession.assert_sent`: the commands sent, in order, their names included.

A list is the whole story; a mapping says what each command is sent with. A call the assertion
does not expect is the code's behaviour: an `AssertionError` saying what the code sent, with the
assertion of what it sent to paste.
"""

from __future__ import annotations

import contextlib

import pytest
import redis
from dirty_equals import IsBytes, IsInstance, IsStr, IsTuple
from hypothesis.errors import InvalidArgument

import tripwire
from tripwire import InteractionMismatchError, StrictVerifier
from tripwire_hypothesis import RedisSession, Step, UnexpectedCommandError


def run(session: RedisSession, *calls: tuple[object, ...]) -> None:
    session.install()
    with tripwire:
        client = redis.Redis()
        for call in calls:
            with contextlib.suppress(redis.RedisError):
                client.execute_command(*call)


def queue_session() -> RedisSession:
    session = RedisSession([Step("INCRBY", returns=1), Step("RPUSH", returns=1)])
    run(session, ("INCRBY", "jobs:count", 1), ("RPUSH", "queue", b"x"))
    return session


def assert_all(session: RedisSession) -> None:
    session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])


PASTE = (
    "If the code is right, assert what it sent instead:\n"
    "    session.assert_sent([\n"
    "        ('INCRBY', 'jobs:count', 1),\n"
    "        ('RPUSH', 'queue', b'x'),\n"
    "    ])"
)


def test_a_list_asserts_every_call_in_order(verifier: StrictVerifier) -> None:
    session = queue_session()
    session.assert_sent([("incrby", "jobs:count", 1), ("RPUSH", "queue", IsBytes())])
    verifier.verify_all()


def test_entries_may_be_matchers_of_the_call_or_functions_of_it(verifier: StrictVerifier) -> None:
    session = queue_session()
    session.assert_sent(
        [
            IsTuple("INCRBY", 1, "jobs:count", check_order=False),
            lambda call: ("RPUSH", "queue", call.args[1]),
        ]
    )
    verifier.verify_all()


def test_a_mapping_says_what_each_command_is_sent_with(verifier: StrictVerifier) -> None:
    session = queue_session()
    session.assert_sent({"RPUSH": ("queue", IsBytes), "INCRBY": lambda call: ("jobs:count", 1)})
    verifier.verify_all()


def test_commands_without_arguments_are_expected_with_none(verifier: StrictVerifier) -> None:
    steps = [Step("WATCH", returns=True), Step("UNWATCH", returns=True), Step("INCRBY", returns=1)]
    session = RedisSession(steps)
    session.install()
    with tripwire:
        pipe = redis.Redis().pipeline()
        pipe.watch("n")
        pipe.unwatch()
        pipe.multi()
        pipe.incrby("n", 1)
        pipe.execute()
    assert [call.command for call in session.consumed] == [
        "WATCH",
        "UNWATCH",
        "MULTI",
        "INCRBY",
        "EXEC",
    ]
    session.assert_sent({"WATCH": ("n",), "INCRBY": ("n", 1)})
    verifier.verify_all()


def test_a_different_command_is_the_code_s_behaviour_with_the_line_to_paste() -> None:
    session = queue_session()
    with pytest.raises(UnexpectedCommandError) as error:
        session.assert_sent([("INCRBY", "jobs:count", 1), ("LPUSH", "queue", IsBytes)])
    assert isinstance(error.value, AssertionError)
    assert isinstance(error.value, InteractionMismatchError)
    assert str(error.value) == (
        "The code sent RPUSH('queue', b'x') (call 1) where ('LPUSH', 'queue', IsBytes) was "
        f"expected. {PASTE}"
    )
    assert_all(session)


def test_the_name_counts_even_when_the_arguments_match() -> None:
    # ZRANGE instead of ZREVRANGE: the old short form, which compared arguments only, passed it.
    session = RedisSession([Step("ZRANGE", returns=[])])
    run(session, ("ZRANGE", "board", 0, 9))
    with pytest.raises(UnexpectedCommandError) as error:
        session.assert_sent({"ZREVRANGE": ("board", 0, 9)})
    assert str(error.value) == (
        "The code sent ZRANGE('board', 0, 9) (call 0), a command this assertion does not "
        "expect: it expects ZREVRANGE. If the code is right, assert what it sent instead:\n"
        "    session.assert_sent([\n"
        "        ('ZRANGE', 'board', 0, 9),\n"
        "    ])"
    )
    assert_all(session)


def test_other_arguments_of_a_command_in_the_mapping() -> None:
    session = queue_session()
    with pytest.raises(UnexpectedCommandError) as error:
        session.assert_sent({"INCRBY": ("jobs:count", 1), "RPUSH": ("queue", IsStr)})
    assert str(error.value) == (
        "The code sent RPUSH('queue', b'x') (call 1) where RPUSH with args ('queue', IsStr) was "
        f"expected. {PASTE}"
    )
    assert_all(session)


def test_a_call_beyond_the_list() -> None:
    session = queue_session()
    with pytest.raises(UnexpectedCommandError) as error:
        session.assert_sent([("INCRBY", "jobs:count", 1)])
    assert str(error.value) == (
        "The code sent RPUSH('queue', b'x') (call 1) where no more calls were expected "
        f"(1 expected). {PASTE}"
    )
    assert_all(session)


def test_a_call_the_code_did_not_send() -> None:
    session = queue_session()
    with pytest.raises(UnexpectedCommandError) as error:
        session.assert_sent(
            [("INCRBY", "jobs:count", 1), ("RPUSH", "queue", b"x"), ("EXPIRE", "queue", 60)]
        )
    assert str(error.value) == (
        "The code sent 2 calls, where ('EXPIRE', 'queue', 60) was expected next (3 expected). "
        f"{PASTE}"
    )
    assert_all(session)


def test_nothing_asserted_when_the_assertion_fails(verifier: StrictVerifier) -> None:
    session = queue_session()
    with pytest.raises(UnexpectedCommandError):
        session.assert_sent([("INCRBY", "jobs:count", 1)])
    with pytest.raises(tripwire.UnassertedInteractionsError):
        verifier.verify_all()
    session.assert_sent([("INCRBY", "jobs:count", 1), ("RPUSH", "queue", b"x")])


@pytest.mark.parametrize(
    ("expected", "shown"),
    [
        pytest.param("GET", "'GET' (str)", id="a-str"),
        pytest.param(None, "None (NoneType)", id="none"),
        pytest.param({"": ()}, "'' (str)", id="empty-command"),
        pytest.param({b"GET": ()}, "b'GET' (bytes)", id="bytes-command"),
    ],
)
def test_what_is_expected_is_checked(expected: object, shown: str) -> None:
    session = queue_session()
    with pytest.raises(InvalidArgument) as error:
        session.assert_sent(expected)  # type: ignore[arg-type]
    assert str(error.value) == (
        "RedisSession.assert_sent() argument 'expected' must be a list of the calls expected, "
        "each ('COMMAND', *args), or a mapping from command names to their expected args, got "
        + shown
    )
    session.assert_sent({"INCRBY": IsInstance(tuple), "RPUSH": IsInstance(tuple)})

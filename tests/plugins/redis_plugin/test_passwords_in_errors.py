"""Passwords the code sends never appear in tripwire's messages, whichever error shows the call.

AUTH, HELLO ... AUTH, ACL SETUSER password rules, CONFIG SET requirepass/masterauth and MIGRATE
... AUTH/AUTH2 carry a password; every message that shows such a call (unmocked, unasserted,
asserted otherwise) shows ``ANY`` in its place, which ``unittest.mock.ANY`` matches when the
line is pasted.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import ANY

import pytest
import redis

import tripwire
from tripwire import (
    InteractionMismatchError,
    StrictVerifier,
    UnassertedInteractionsError,
    UnmockedInteractionError,
)

PASSWORD = "s3cret-pw"

#: (command, the arguments sent, the arguments shown).
CALLS = [
    pytest.param("AUTH", (PASSWORD,), (ANY,), id="auth"),
    pytest.param("AUTH", ("default", PASSWORD), ("default", ANY), id="auth-user"),
    pytest.param(
        "HELLO", (3, "AUTH", "default", PASSWORD), (3, "AUTH", "default", ANY), id="hello"
    ),
    pytest.param("CONFIG SET", ("requirepass", PASSWORD), ("requirepass", ANY), id="config-set"),
    pytest.param(
        "ACL SETUSER", ("ada", "on", f">{PASSWORD}"), ("ada", "on", ANY), id="acl-setuser"
    ),
    pytest.param(
        "MIGRATE",
        ("h", 6379, "k", 0, 5000, "AUTH", PASSWORD),
        ("h", 6379, "k", 0, 5000, "AUTH", ANY),
        id="migrate",
    ),
]


def _code(shown: tuple[Any, ...]) -> str:
    """``shown`` as a message writes it: the password as ``ANY``, the name it is imported as."""
    return repr(shown).replace("<ANY>", "ANY")


def _call(command: str, args: tuple[Any, ...]) -> None:
    redis.Redis().execute_command(command, *args)


@pytest.mark.parametrize(("command", "args", "shown"), CALLS)
def test_an_unmocked_call_does_not_show_the_password(
    verifier: StrictVerifier, command: str, args: tuple[Any, ...], shown: tuple[Any, ...]
) -> None:
    with pytest.raises(UnmockedInteractionError) as excinfo, tripwire:
        _call(command, args)
    message = str(excinfo.value)
    assert PASSWORD not in message
    assert f"args={_code(shown)}" in message
    verifier._unmocked.clear()  # reported at the call; not raised again at teardown


@pytest.mark.parametrize(("command", "args", "shown"), CALLS)
def test_an_unasserted_call_does_not_show_the_password(
    verifier: StrictVerifier, command: str, args: tuple[Any, ...], shown: tuple[Any, ...]
) -> None:
    tripwire.redis.mock_command(command, returns=b"OK")
    with tripwire:
        _call(command, args)
    with pytest.raises(UnassertedInteractionsError) as excinfo:
        verifier.verify_all()
    message = str(excinfo.value)
    assert PASSWORD not in message
    line = message.splitlines()[1].strip()
    assert line == f"tripwire.redis.assert_command({command!r}, args={_code(shown)}, kwargs={{}})"
    # The shown line, pasted (with ANY imported), asserts the call.
    eval(line, {"tripwire": tripwire, "ANY": ANY})


@pytest.mark.parametrize(("command", "args", "shown"), CALLS)
def test_a_mismatched_assertion_does_not_show_the_password(
    command: str, args: tuple[Any, ...], shown: tuple[Any, ...]
) -> None:
    tripwire.redis.mock_command(command, returns=b"OK")
    with tripwire:
        _call(command, args)
    old = ">an-old-password" if command == "ACL SETUSER" else "an-old-password"
    wrong = tuple(old if item is ANY else item for item in shown)
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command(command, args=wrong)
    message = str(excinfo.value)
    assert PASSWORD not in message
    assert "an-old-password" not in message  # the test's own password is one too
    tripwire.redis.assert_command(command, args=args)


def test_a_call_without_a_password_is_shown_as_it_is(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("CONFIG SET", returns=True)
    with tripwire:
        redis.Redis().config_set("maxmemory", "100mb")
    with pytest.raises(UnassertedInteractionsError) as excinfo:
        verifier.verify_all()
    assert "args=('maxmemory', '100mb')" in str(excinfo.value)

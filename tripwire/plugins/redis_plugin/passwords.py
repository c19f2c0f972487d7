"""Passwords the code sends, never shown: the arguments of the commands that carry one.

AUTH, HELLO ... AUTH, ACL SETUSER password rules, CONFIG SET of a password setting and MIGRATE
... AUTH/AUTH2 carry a password. Every message that shows such a call (an unmocked call, an
unasserted one, an assertion that does not match), and every line a recording writes, shows
`SECRET` in its place: ``ANY``, which ``unittest.mock.ANY`` makes match the password when the
line is pasted. Built only when a message (or a recorded line) is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["PASSWORD_SETTINGS", "SECRET", "SECRET_NOTE", "lower_word", "scrub_args", "scrub_rows"]

#: CONFIG parameters whose value is a password.
PASSWORD_SETTINGS = frozenset(
    {"requirepass", "masterauth", "tls-key-file-pass", "tls-client-key-file-pass"}
)


class _Secret:
    """An argument that held a password, written as ``ANY``."""

    def __repr__(self) -> str:
        return "ANY"


SECRET = _Secret()

#: The review note of a line where `SECRET` stands for a password.
SECRET_NOTE = "a password, not recorded: ANY (from unittest.mock) matches it"


def lower_word(value: Any) -> str:
    """An argument as a lower-case word, to compare with a subcommand or an option."""
    if isinstance(value, bytes):
        return value.decode("latin-1").lower()
    return str(value).lower()


def scrub_args(command: str, args: Sequence[Any]) -> tuple[Any, ...]:
    """The arguments of ``command`` (those after its name) with every password as `SECRET`."""
    scrubbed = list(args)
    if command in ("CONFIG", "ACL") and args:  # the subcommand sent as an argument of its own
        subcommand = lower_word(args[0]).upper()
        return (args[0], *scrub_args(f"{command} {subcommand}", args[1:]))
    if command == "AUTH" and scrubbed:
        scrubbed[-1] = SECRET
    elif command in ("HELLO", "MIGRATE"):
        for index, word in enumerate(map(lower_word, args)):
            if word == "auth" and index + 1 < len(scrubbed):
                # HELLO ... AUTH user password; MIGRATE ... AUTH password.
                target = index + 2 if command == "HELLO" else index + 1
                if target < len(scrubbed):
                    scrubbed[target] = SECRET
            elif word == "auth2" and index + 2 < len(scrubbed):
                scrubbed[index + 2] = SECRET
    elif command == "CONFIG SET":
        for index in range(0, len(scrubbed) - 1, 2):
            if lower_word(scrubbed[index]) in PASSWORD_SETTINGS and scrubbed[index + 1]:
                scrubbed[index + 1] = SECRET  # an empty one is no password: shown
    elif command == "ACL SETUSER":
        for index, word in enumerate(map(lower_word, args)):
            # >password and <password add and remove one; #hash and !hash do so by its hash.
            if index and word[:1] in (">", "<", "#", "!"):
                scrubbed[index] = SECRET
    return tuple(scrubbed)


def scrub_rows(
    command: str, rows: list[tuple[str, Any, Any, bool, str]]
) -> list[tuple[str, Any, Any, bool, str]]:
    """The field-by-field rows of an assertion's report with the passwords of their ``args``
    (expected and actual) as `SECRET`."""
    shown = []
    for name, want, got, equal, note in rows:
        if name == "args":
            want = type(want)(scrub_args(command, want)) if type(want) in (tuple, list) else want
            got = scrub_args(command, got) if type(got) is tuple else got
        shown.append((name, want, got, equal, note))
    return shown

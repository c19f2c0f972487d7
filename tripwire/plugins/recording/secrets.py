"""Secrets a recording never prints nor writes: passwords in URLs, commands and replies.

A recorded line stands for what the code sent and what Redis answered; a password in it would
end up committed with the test. The arguments that carry one (AUTH, HELLO ... AUTH, ACL SETUSER
password rules, CONFIG SET of a password setting, MIGRATE ... AUTH/AUTH2) are written as
`SECRET`, ``unittest.mock.ANY`` in the pasted test, which matches whatever the code sends; the
replies that carry one (CONFIG GET of a password setting) are written as ``'<secret>'``.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = [
    "SECRET",
    "SECRET_NOTE",
    "Placeholders",
    "placeholder_code",
    "redact_url",
    "scrub_args",
    "scrub_reply",
]

#: CONFIG parameters whose value is a password.
_PASSWORD_SETTINGS = frozenset(
    {"requirepass", "masterauth", "tls-key-file-pass", "tls-client-key-file-pass"}
)

#: What a password in a reply is replaced by.
_HIDDEN = "<secret>"


class _Secret:
    """An argument that held a password, written as ``ANY``."""

    def __repr__(self) -> str:
        return "ANY"


SECRET = _Secret()

#: The review note of a line where `SECRET` stands for a password.
SECRET_NOTE = "a password, not recorded: ANY (from unittest.mock) matches it"


def redact_url(url: str) -> str:
    """``url`` with its password (and any ``password=`` query option) shown as ``***``."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<a URL that does not parse>"
    netloc = parts.netloc
    if password is not None:
        credentials, _, host = netloc.rpartition("@")
        user = credentials.partition(":")[0]
        netloc = f"{user}:***@{host}"
    query = parts.query
    if "pass" in query.lower():
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(name, "***" if "pass" in name.lower() else value) for name, value in pairs],
            safe="*",
        )
    if netloc == parts.netloc and query == parts.query:
        return url
    shown = f"{parts.scheme}://{netloc}{parts.path}"
    return shown + (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def _word(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1").lower()
    return str(value).lower()


def scrub_args(command: str, args: Sequence[Any]) -> tuple[Any, ...]:
    """The arguments of ``command`` (those after its name) with every password as `SECRET`."""
    scrubbed = list(args)
    if command in ("CONFIG", "ACL") and args:  # the subcommand sent as an argument of its own
        subcommand = _word(args[0]).upper()
        return (args[0], *scrub_args(f"{command} {subcommand}", args[1:]))
    if command == "AUTH" and scrubbed:
        scrubbed[-1] = SECRET
    elif command in ("HELLO", "MIGRATE"):
        for index, word in enumerate(map(_word, args)):
            if word == "auth" and index + 1 < len(scrubbed):
                # HELLO ... AUTH user password; MIGRATE ... AUTH password.
                target = index + 2 if command == "HELLO" else index + 1
                if target < len(scrubbed):
                    scrubbed[target] = SECRET
            elif word == "auth2" and index + 2 < len(scrubbed):
                scrubbed[index + 2] = SECRET
    elif command == "CONFIG SET":
        for index in range(0, len(scrubbed) - 1, 2):
            if _word(scrubbed[index]) in _PASSWORD_SETTINGS and scrubbed[index + 1]:
                scrubbed[index + 1] = SECRET  # an empty one is no password: shown
    elif command == "ACL SETUSER":
        for index, word in enumerate(map(_word, args)):
            # >password and <password add and remove one; #hash and !hash do so by its hash.
            if index and word[:1] in (">", "<", "#", "!"):
                scrubbed[index] = SECRET
    return tuple(scrubbed)


def scrub_reply(command: str, reply: Any) -> Any:
    """A reply with the passwords it holds (CONFIG GET of a password setting) hidden."""
    if command != "CONFIG GET":
        return reply
    if isinstance(reply, dict):
        return {
            name: _hidden(value) if _word(name) in _PASSWORD_SETTINGS else value
            for name, value in reply.items()
        }
    if isinstance(reply, list):  # a raw reply: name, value, name, value...
        return [
            _hidden(value) if index % 2 and _word(reply[index - 1]) in _PASSWORD_SETTINGS else value
            for index, value in enumerate(reply)
        ]
    return reply


def _hidden(value: Any) -> Any:
    if not value:
        return value  # no password set: nothing to hide
    return _HIDDEN.encode() if isinstance(value, bytes) else _HIDDEN


class Placeholders:
    """Values the recorded lines name instead of showing: each environment variable of
    ``tripwire_record_placeholders``, written as ``os.environ['NAME']``.

    Both ways: the recording writes the expression wherever the value appears (a whole argument
    or reply, or a part of one: ``'user:' + os.environ['EMAIL']``), and the pasted test, run
    with the same variable set, sends and gets the same value back.
    """

    def __init__(self, values: dict[str, str]) -> None:
        self._values = [(name, value) for name, value in values.items() if value]

    def __bool__(self) -> bool:
        return bool(self._values)

    def without(self, value: Any) -> Any:
        """A str or bytes ``value`` without the placeholders' values (which are named, not
        shown); any other value as it is."""
        for _, found in self._values:
            if isinstance(value, str):
                value = value.replace(found, " ")
            elif isinstance(value, bytes):
                value = value.replace(found.encode(), b" ")
        return value

    def code(self, value: Any) -> str:
        """``value`` as code: its repr, with the placeholders' values named, and a set's members
        sorted (Redis gives them in no order, and Python shows them in its hash order, which
        changes from run to run: sorted, a recording made again gives the same line)."""
        return self._code(value)

    def _code(self, value: Any) -> str:
        if type(value) is tuple:
            items = [self._code(item) for item in value]
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        if type(value) is list:
            return f"[{', '.join(self._code(item) for item in value)}]"
        if type(value) is dict:
            pairs = (f"{self._code(key)}: {self._code(item)}" for key, item in value.items())
            return f"{{{', '.join(pairs)}}}"
        if type(value) in (set, frozenset) and value:
            members = ", ".join(sorted(self._code(item) for item in value))
            return f"{{{members}}}" if type(value) is set else f"frozenset({{{members}}})"
        if type(value) in (str, bytes) and self._values:
            return " + ".join(self._pieces(value, 0)) or repr(value)
        return repr(value)

    def _pieces(self, text: str | bytes, start: int) -> list[str]:
        """``text`` as code pieces to add up, for the placeholders from ``start`` on."""
        if start == len(self._values):
            return [repr(text)] if text else []
        name, value = self._values[start]
        expression = f"os.environ[{name!r}]"
        parts: list[str | bytes]
        if isinstance(text, bytes):
            parts, expression = [*text.split(value.encode())], f"{expression}.encode()"
        else:
            parts = [*text.split(value)]
        pieces: list[str] = []
        for index, part in enumerate(parts):
            if index:
                pieces.append(expression)
            pieces += self._pieces(part, start + 1)
        return pieces


def placeholder_code(shown: str) -> bool:
    """Whether ``shown`` is literal code but for placeholders (``os.environ['NAME']``)."""
    try:
        tree = ast.parse(shown, mode="eval")
    except SyntaxError:
        return False
    return _literal_or_placeholder(tree.body)


def _literal_or_placeholder(node: Any) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(map(_literal_or_placeholder, node.elts))
    if isinstance(node, ast.Dict):
        return all(key is not None and _literal_or_placeholder(key) for key in node.keys) and all(
            map(_literal_or_placeholder, node.values)
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal_or_placeholder(node.left) and _literal_or_placeholder(node.right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.Constant)
    if isinstance(node, ast.Call):
        return (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "encode"
            and not node.args
            and not node.keywords
            and _is_environ(node.func.value)
        )
    return _is_environ(node)


def _is_environ(node: Any) -> bool:
    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "environ"
        and isinstance(node.value.value, ast.Name)
        and node.value.value.id == "os"
        and isinstance(node.slice, ast.Constant)
    )

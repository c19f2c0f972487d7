"""What a recording produces: the lines of a strict test, printed or written into the test.

For each recorded test, the ``tripwire.redis.mock_command(...)`` lines that go before its
``with tripwire:`` block (the replies the server gave, as redis-py parsed them) and the
``tripwire.redis.assert_command(...)`` lines that go after it (the calls, as the code sent them).
Replies that Redis cannot give twice the same (a TTL, the time, a random member, a scan cursor)
carry a ``# review:`` comment.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tripwire.plugins.recording.secrets import (
    SECRET,
    SECRET_NOTE,
    Placeholders,
    placeholder_code,
    scrub_args,
)

__all__ = ["Recorded", "assert_line", "mock_line"]

_TIME = "depends on when it was recorded"
_RANDOM = "Redis chose it at random"
_SERVER = "depends on the server's state and version"

#: Replies that do not come out the same twice, and why.
REVIEW: dict[str, str] = {
    **dict.fromkeys(
        ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "TIME", "LASTSAVE", "OBJECT", "XADD"), _TIME
    ),
    # Their replies hold stream entry ids, made of the time the entries were added.
    **dict.fromkeys(
        ("XRANGE", "XREVRANGE", "XREAD", "XREADGROUP", "XCLAIM", "XAUTOCLAIM", "XPENDING"), _TIME
    ),
    **dict.fromkeys(("XINFO", "XINFO STREAM", "XINFO GROUPS", "XINFO CONSUMERS"), _TIME),
    **dict.fromkeys(("OBJECT IDLETIME", "OBJECT FREQ", "CLIENT LIST", "CLIENT INFO"), _TIME),
    **dict.fromkeys(("RANDOMKEY", "SRANDMEMBER", "SPOP", "HRANDFIELD", "ZRANDMEMBER"), _RANDOM),
    **dict.fromkeys(
        ("SCAN", "SSCAN", "HSCAN", "ZSCAN", "INFO", "MEMORY", "CLIENT", "CLIENT ID", "HELLO"),
        _SERVER,
    ),
    **dict.fromkeys(("SLOWLOG", "LATENCY", "DBSIZE", "CONFIG", "CONFIG GET", "ROLE"), _SERVER),
}

#: A canonical UUID, or a stream entry id (milliseconds since 1970, a sequence number: the
#: time an entry was added), anywhere in an argument.
_UUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<![0-9])1[0-9]{12}-[0-9]+",
    re.I,
)
#: The words of an argument: its runs of letters and digits.
_WORD = re.compile(r"[0-9a-z]+", re.I)
#: A word of 8 or more hex digits that mixes digits and letters: most likely a made-up token
#: (``uuid4().hex``, ``secrets.token_hex()``), rather than a name or a number.
_TOKEN = re.compile(r"(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,}", re.I)
#: Arguments that are a script's SHA1, the same at every run: the first of EVALSHA's.
_SCRIPT_SHAS = {"EVALSHA": 1, "EVALSHA_RO": 1, "SCRIPT EXISTS": None}


@dataclass
class Recorded:
    """One recorded test: where it is, and the lines that make it strict."""

    nodeid: str
    path: Path
    #: The test function's name and the first line of its definition (decorators included).
    function: str
    first_line: int
    mocks: list[str] = field(default_factory=list)
    asserts: list[str] = field(default_factory=list)
    #: Why the recording is incomplete (the test failed), if it is.
    problem: str = ""
    #: Whether the test arranged data with ``tripwire_record_client``, which the mocks replace.
    seeded: bool = False
    #: Whether the test's module already imports redis-py as ``redis``.
    imports_redis: bool = False
    #: Whether the test is one parameter set of a parametrized function.
    parametrized: bool = False

    @property
    def needs_redis_import(self) -> bool:
        return any("redis.exceptions." in line for line in self.mocks)

    @property
    def needs_os_import(self) -> bool:
        return any("os.environ[" in line for line in (*self.mocks, *self.asserts))

    @property
    def needs_any_import(self) -> bool:
        return any(line.endswith(SECRET_NOTE) for line in self.asserts)

    def block(self, indent: str = "    ") -> list[str]:
        """The lines to paste, as the terminal summary prints them."""
        lines = [self.nodeid]
        if self.problem:
            lines.append(f"{indent}# {self.problem}")
        if self.seeded:
            lines.append(
                f"{indent}# the mocks stand for the data tripwire_record_client arranged: "
                "drop the fixture and its calls"
            )
        if self.needs_redis_import and not self.imports_redis:
            lines.append(f"{indent}# needs `import redis` at the top of the file")
        if self.needs_any_import:
            lines.append(f"{indent}# needs `from unittest.mock import ANY` at the top of the file")
        if self.needs_os_import:
            lines.append(
                f"{indent}# needs `import os` at the top of the file, and the placeholders' "
                "environment variables set where the test runs"
            )
        if self.mocks:
            lines.append(f"{indent}# before `with tripwire:`")
            lines += [indent + line for line in self.mocks]
        lines.append(f"{indent}# after the `with tripwire:` block")
        lines += [indent + line for line in self.asserts]
        return lines


def code_of(value: Any, shown: str) -> tuple[str, bool]:
    """``value`` as code (``shown`` is its repr, taken when it was recorded) and whether it is
    plain Python literal code."""
    if isinstance(value, BaseException):
        cls = type(value)
        return f"{cls.__module__}.{cls.__qualname__}({str(value)!r})", True
    try:
        ast.literal_eval(shown)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return shown, "os.environ[" in shown and placeholder_code(shown)
    return shown, True


def mock_line(command: str, returns: str, raises: BaseException | None, note: str = "") -> str:
    """The ``mock_command`` line of a recorded reply (``returns`` is its repr at the time)."""
    review = []
    if raises is None:
        shown, literal = code_of(None, returns)
        options = f"returns={shown}"
    else:
        raised, literal = code_of(raises, "")
        options = f"returns=None, raises={raised}"
    if note:
        review.append(note)
    if not literal:
        review.append("this reply's repr is not Python code: write it out")
    reason = REVIEW.get(command) or REVIEW.get(command.split(" ")[0])
    if reason is not None and raises is None:
        review.append(f"{command} {reason}")
    line = f"tripwire.redis.mock_command({command!r}, {options})"
    if review:
        line += "  # review: " + "; ".join(review)
    return line


def assert_line(
    command: str,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    placeholders: Placeholders | None = None,
) -> str:
    """The ``assert_command`` line of a recorded call, its passwords written as ``ANY`` and the
    values of ``placeholders`` as the expressions that name them."""
    placeholders = placeholders or Placeholders({})
    code = placeholders.code
    parts = [repr(command)]
    shown = scrub_args(command, args)
    if args:
        parts.append(f"args={code(shown)}")
    if kwargs:
        parts.append(f"kwargs={code(kwargs)}")
    line = f"tripwire.redis.assert_command({', '.join(parts)})"
    review = []
    try:
        ast.literal_eval(f"({tuple(args)!r}, {kwargs!r})")
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        review.append("an argument's repr is not Python code: write it out")
    shas = _SCRIPT_SHAS.get(command, 0)
    checked = args[shas:] if shas is not None else ()
    if any(_looks_random(placeholders.without(arg)) for arg in checked):
        review.append(
            "an argument looks made up (a token, a uuid, a stream entry id): pass a fixed one "
            "to the code, or "
            "match it with dirty_equals"
        )
    if any(arg is SECRET for arg in shown):
        review.append(SECRET_NOTE)
    if review:
        line += "  # review: " + "; ".join(review)
    return line


def _looks_random(value: Any) -> bool:
    """Whether an argument holds a UUID or a word that `_TOKEN` takes for a made-up token."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return False
    return _UUID.search(value) is not None or any(
        _TOKEN.fullmatch(word) for word in _WORD.findall(value)
    )

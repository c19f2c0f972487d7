"""What a recording produces: the lines of a strict test, printed or written into the test.

For each recorded test, the ``tripwire.redis.mock_command(...)`` lines that go before its
``with tripwire:`` block (the replies the server gave, as redis-py parsed them) and the
``tripwire.redis.assert_command(...)`` lines that go after it (the calls, as the code sent them).
What Redis chooses (the time, a random member, a scan page, a stream entry id) and what the code
makes up (a lock's token) are written steadily (`recording.steady`); the replies that still depend
on the moment or the server (`REVIEW`) carry a ``# review:`` comment.
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
from tripwire.plugins.recording.steady import Steady, clock_code, made_up

__all__ = ["Recorded", "assert_line", "mock_line"]

_TIME = "depends on when it was recorded"
_RANDOM = "Redis chose it at random"
_SERVER = "depends on the server's state and version"

#: Replies that do not come out the same twice, and why.
REVIEW: dict[str, str] = {
    # (TTL, TIME, the stream entry ids of XADD, XRANGE...: written steadily, `recording.steady`.)
    **dict.fromkeys(("LASTSAVE", "OBJECT", "XPENDING"), _TIME),
    **dict.fromkeys(("XINFO", "XINFO STREAM", "XINFO GROUPS", "XINFO CONSUMERS"), _TIME),
    **dict.fromkeys(("OBJECT IDLETIME", "OBJECT FREQ", "CLIENT LIST", "CLIENT INFO"), _TIME),
    **dict.fromkeys(("RANDOMKEY", "SRANDMEMBER", "SPOP", "HRANDFIELD", "ZRANDMEMBER"), _RANDOM),
    **dict.fromkeys(
        ("SCAN", "SSCAN", "HSCAN", "ZSCAN", "INFO", "MEMORY", "CLIENT", "CLIENT ID", "HELLO"),
        _SERVER,
    ),
    **dict.fromkeys(("SLOWLOG", "LATENCY", "DBSIZE", "CONFIG", "CONFIG GET", "ROLE"), _SERVER),
}

#: ``ANY`` as an argument of a line: a password, or a made-up value without dirty-equals.
_ANY = re.compile(r"[(, ]ANY[,)]")

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
        return any(_ANY.search(line.partition("  # ")[0]) for line in self.asserts)

    @property
    def more_imports(self) -> list[str]:
        """The other imports the lines need: dirty-equals' matchers, ``time``."""
        text = "\n".join((*self.mocks, *self.asserts))
        found = []
        names = [name for name in ("IsBytes", "IsStr") if f"{name}(regex=" in text]
        if names:
            found.append(f"from dirty_equals import {', '.join(names)}")
        if "time.time()" in text:
            found.append("import time")
        return found

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
        for line in self.more_imports:
            lines.append(f"{indent}# needs `{line}` at the top of the file")
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
        return shown, clock_code(shown) or ("os.environ[" in shown and placeholder_code(shown))
    return shown, True


def mock_line(
    command: str, returns: str, raises: BaseException | None, note: str = "", steady: bool = False
) -> str:
    """The ``mock_command`` line of a recorded reply (``returns`` is its code at the time);
    ``steady``: a reply `steady_reply` chose, which needs no review."""
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
    if reason is not None and raises is None and not steady:
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
    steady: Steady | None = None,
) -> str:
    """The ``assert_command`` line of a recorded call, its passwords written as ``ANY``, the
    values of ``placeholders`` as the expressions that name them, and the values the code made
    up as matchers of their shape (`Steady.arguments`)."""
    placeholders = placeholders or Placeholders({})
    steady = steady or Steady()
    code = placeholders.code
    parts = [repr(command)]
    shown = scrub_args(command, args)
    review = []
    shas = _SCRIPT_SHAS.get(command, 0)
    named = [arg for arg in shown if placeholders.without(arg) != arg]
    if any(_looks_random(placeholders.without(arg)) for arg in named):
        # A matcher would show the placeholder's value: the line keeps the argument.
        review.append(
            "an argument looks made up (a token, a uuid, a stream entry id): pass a fixed one "
            "to the code, or match it with dirty_equals"
        )
    shown = steady.arguments(shown, shas, lambda arg: any(arg is kept for kept in named))
    if args:
        parts.append(f"args={code(shown)}")
    if kwargs:
        parts.append(f"kwargs={code(kwargs)}")
    line = f"tripwire.redis.assert_command({', '.join(parts)})"
    try:
        ast.literal_eval(f"({tuple(args)!r}, {kwargs!r})")
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        review.append("an argument's repr is not Python code: write it out")
    if any(arg is SECRET for arg in shown):
        review.append(SECRET_NOTE)
    if review:
        line += "  # review: " + "; ".join(review)
    return line


def _looks_random(value: Any) -> bool:
    """Whether an argument holds a UUID, a stream entry id or a made-up hex token."""
    return isinstance(value, (str, bytes)) and made_up(value)

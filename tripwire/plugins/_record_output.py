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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tripwire.plugins._record_secrets import SECRET, SECRET_NOTE, scrub_args

__all__ = ["Recorded", "assert_line", "mock_line", "rewrite"]

_TIME = "depends on when it was recorded"
_RANDOM = "Redis chose it at random"
_SERVER = "depends on the server's state and version"

#: Replies that do not come out the same twice, and why.
REVIEW: dict[str, str] = {
    **dict.fromkeys(
        ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "TIME", "LASTSAVE", "OBJECT", "XADD"), _TIME
    ),
    **dict.fromkeys(("OBJECT IDLETIME", "OBJECT FREQ", "CLIENT LIST", "CLIENT INFO"), _TIME),
    **dict.fromkeys(("RANDOMKEY", "SRANDMEMBER", "SPOP", "HRANDFIELD", "ZRANDMEMBER"), _RANDOM),
    **dict.fromkeys(
        ("SCAN", "SSCAN", "HSCAN", "ZSCAN", "INFO", "MEMORY", "CLIENT", "CLIENT ID", "HELLO"),
        _SERVER,
    ),
    **dict.fromkeys(("SLOWLOG", "LATENCY", "DBSIZE", "CONFIG", "CONFIG GET", "ROLE"), _SERVER),
}

#: A canonical UUID, anywhere in an argument.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
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

    @property
    def needs_redis_import(self) -> bool:
        return any("redis.exceptions." in line for line in self.mocks)

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
        return shown, False
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


def assert_line(command: str, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    """The ``assert_command`` line of a recorded call, its passwords written as ``ANY``."""
    parts = [repr(command)]
    shown = scrub_args(command, args)
    if args:
        parts.append(f"args={shown!r}")
    if kwargs:
        parts.append(f"kwargs={kwargs!r}")
    line = f"tripwire.redis.assert_command({', '.join(parts)})"
    review = []
    try:
        ast.literal_eval(f"({tuple(args)!r}, {kwargs!r})")
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        review.append("an argument's repr is not Python code: write it out")
    shas = _SCRIPT_SHAS.get(command, 0)
    checked = args[shas:] if shas is not None else ()
    if any(_looks_random(arg) for arg in checked):
        review.append(
            "an argument looks random (a token, a uuid): pass a fixed one to the code, or "
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


# -- rewriting a test in place ------------------------------------------------------------------


def _sandboxes(function: ast.AST) -> list[ast.With | ast.AsyncWith]:
    """The ``with tripwire:`` and ``async with tripwire:`` blocks of ``function``, in order."""
    found = [
        node
        for node in ast.walk(function)
        if isinstance(node, (ast.With, ast.AsyncWith))
        and any(
            isinstance(item.context_expr, ast.Name) and item.context_expr.id == "tripwire"
            for item in node.items
        )
    ]
    return sorted(found, key=lambda node: node.lineno)


def _marker_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[int]:
    """The line indexes of a ``@pytest.mark.tripwire_record`` decorator, if it has one."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr == "tripwire_record":
            end = decorator.end_lineno or decorator.lineno
            return list(range(decorator.lineno - 1, end))
    return []


def _function(tree: ast.Module, recorded: Recorded) -> ast.FunctionDef | ast.AsyncFunctionDef:
    for node in ast.walk(tree):
        if (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name == recorded.function
        ):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if first == recorded.first_line or node.lineno == recorded.first_line:
                return node
    raise LookupError(f"no function {recorded.function} at line {recorded.first_line}")


def rewrite(path: Path, tests: Iterable[Recorded]) -> list[str]:
    """Write each test's lines into ``path``, around its ``with tripwire:`` blocks.

    The mock lines go before the first block, the assert lines after the last. Returns, for
    each test that could not be rewritten, why.
    """
    source = path.read_text()
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    #: (line index, lines to insert there), applied from the bottom up.
    edits: list[tuple[int, list[str]]] = []
    problems = []
    needs_import = False
    removed: set[int] = set()
    for recorded in tests:
        try:
            function = _function(tree, recorded)
        except LookupError as error:
            problems.append(f"{recorded.nodeid}: not rewritten, {error}")
            continue
        blocks = _sandboxes(function)
        if not blocks:
            problems.append(
                f"{recorded.nodeid}: not rewritten, its function has no `with tripwire:` "
                "block; paste the printed lines where they belong"
            )
            continue
        first, last = blocks[0], blocks[-1]
        indent = " " * first.col_offset
        edits.append((first.lineno - 1, [f"{indent}{line}\n" for line in recorded.mocks]))
        assert last.end_lineno is not None
        indent = " " * last.col_offset
        edits.append((last.end_lineno, [f"{indent}{line}\n" for line in recorded.asserts]))
        needs_import = needs_import or recorded.needs_redis_import
        # Recorded once: the marker would record it again at every run.
        removed.update(_marker_lines(function))
        if recorded.seeded:
            problems.append(
                f"{recorded.nodeid}: drop tripwire_record_client and its calls, which the mocks "
                "now stand for"
            )
    if needs_import and not _imports_redis(tree):
        edits.append((_after_imports(tree), ["import redis\n"]))
    for index, inserted in sorted(edits, key=lambda edit: edit[0], reverse=True):
        lines[index:index] = inserted
        removed = {line + len(inserted) if line >= index else line for line in removed}
    lines = [line for index, line in enumerate(lines) if index not in removed]
    path.write_text("".join(lines))
    return problems


def _imports_redis(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Import)
        and any(
            alias.name.split(".")[0] == "redis" and alias.asname is None for alias in node.names
        )
        for node in tree.body
    )


def _after_imports(tree: ast.Module) -> int:
    """The index of the line after the module's leading imports (and docstring)."""
    end = 0
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and end == 0
        ):
            end = node.end_lineno or node.lineno
        else:
            break
    return end

"""``--tripwire-record-rewrite``: the recorded lines written into the tests, where that is safe.

A test is rewritten only when its lines map to one place in its own file: the mocks before the
first ``with tripwire:`` block of the test function itself, the assertions after its last. A
parametrized test (one function, several recordings), a block inside a loop (several passes,
one recording) and a test whose sandbox opens elsewhere (a decorator, a helper) are left as
they are, saying why; their lines are printed all the same. The file keeps its encoding (its
coding cookie or BOM) and its line endings.
"""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import tokenize
from collections.abc import Iterable
from pathlib import Path

from tripwire.plugins.recording.output import Recorded

__all__ = ["rewrite", "run_offline"]

#: Seconds the rewritten tests may take to run once.
_RUN_TIMEOUT = 600

_PASTE = "paste the printed lines where they belong"

#: What a ``with tripwire:`` block may not be inside for its lines to have one place.
_REPEATING = (
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def rewrite(
    path: Path, tests: Iterable[Recorded], *, replace: bool = False
) -> tuple[list[str], list[str]]:
    """Write each test's lines into ``path``; the node ids of the tests rewritten, and why the
    others were not.

    ``replace``: first remove the test's own ``tripwire.redis.mock_command(...)`` statements
    before its first block and ``assert_command(...)`` statements after its last (a recording
    made afresh stands for them)."""
    tests = list(tests)
    try:
        data = path.read_bytes()
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        source = data.decode(encoding)
        tree = ast.parse(source)
    except (OSError, SyntaxError, UnicodeError, LookupError, ValueError) as error:
        return [], [f"{test.nodeid}: not rewritten, {path} could not be read ({error})"
                   for test in tests]  # fmt: skip
    lines = source.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    #: (line index, lines to insert there), applied from the bottom up.
    edits: list[tuple[int, list[str]]] = []
    problems: list[str] = []
    imports: set[str] = set()
    removed: set[int] = set()
    names = [test.function for test in tests]
    rewritten: list[str] = []
    for recorded in tests:
        if recorded.parametrized or names.count(recorded.function) > 1:
            problems.append(
                f"{recorded.nodeid}: not rewritten, the test is parametrized: each parameter "
                f"recorded lines of its own, which one function cannot hold; {_PASTE}"
            )
            continue
        try:
            function = _function(tree, recorded)
        except LookupError as error:
            problems.append(f"{recorded.nodeid}: not rewritten, {error}; {_PASTE}")
            continue
        blocks = _sandboxes(function)
        if not blocks:
            problems.append(
                f"{recorded.nodeid}: not rewritten, its function has no `with tripwire:` block "
                f"(the sandbox opens elsewhere, such as in a decorator or a helper); {_PASTE}"
            )
            continue
        first, last = blocks[0], blocks[-1]
        if _repeated(function, first) or _repeated(function, last):
            problems.append(
                f"{recorded.nodeid}: not rewritten, its `with tripwire:` block is inside a loop "
                "(or a function of its own), so the lines of every pass were recorded together "
                f"and no one place in the source stands for them; {_PASTE}"
            )
            continue
        indent = " " * first.col_offset
        edits.append((first.lineno - 1, [f"{indent}{line}{newline}" for line in recorded.mocks]))
        assert last.end_lineno is not None
        indent = " " * last.col_offset
        edits.append((last.end_lineno, [f"{indent}{line}{newline}" for line in recorded.asserts]))
        if recorded.needs_redis_import:
            imports.add("import redis")
        if recorded.needs_any_import:
            imports.add("from unittest.mock import ANY")
        if recorded.needs_os_import:
            imports.add("import os")
        # Recorded once: the marker would record it again at every run.
        removed.update(_marker_lines(function))
        if replace:
            removed.update(_old_lines(function, first, last))
        rewritten.append(recorded.nodeid)
        if recorded.seeded:
            problems.append(
                f"{recorded.nodeid}: drop tripwire_record_client and its calls, which the mocks "
                "now stand for"
            )
    missing = sorted(line for line in imports if not _imports(tree, line))
    if missing:
        edits.append((_after_imports(tree), [f"{line}{newline}" for line in missing]))
    if not rewritten:
        return [], problems
    for index, inserted in sorted(edits, key=lambda edit: edit[0], reverse=True):
        lines[index:index] = inserted
        removed = {line + len(inserted) if line >= index else line for line in removed}
    lines = [line for index, line in enumerate(lines) if index not in removed]
    # A character the file's encoding lacks can only be in a string literal: escaped, it stays
    # the same character.
    path.write_bytes("".join(lines).encode(encoding, errors="backslashreplace"))
    return rewritten, problems


def run_offline(directory: Path, nodeids: list[str]) -> str:
    """Run the rewritten tests once, as the suite will, without recording nor a server: the
    line that says how it went."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *nodeids]
    addopts = os.environ.get("PYTEST_ADDOPTS", "")
    try:
        done = subprocess.run(
            command,
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=_RUN_TIMEOUT,
            check=False,
            env={**os.environ, "PYTEST_ADDOPTS": f"{addopts} --tripwire-record=none".strip()},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"the rewritten test(s) could not be run once ({error}): run them yourself"
    shown = " ".join(nodeids)
    if done.returncode == 0:
        return f"ran the {len(nodeids)} rewritten test(s) once, without a server: they pass"
    return (
        f"ran the {len(nodeids)} rewritten test(s) once, without a server: they do not pass "
        f"(pytest exited {done.returncode}); see why with `pytest {shown}`"
    )


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


def _repeated(function: ast.AST, block: ast.AST) -> bool:
    """Whether ``block`` is inside a loop (or a nested function) of ``function``."""

    def inside(node: ast.AST) -> bool:
        for child in ast.iter_child_nodes(node):
            if child is block:
                return False
            if any(descendant is block for descendant in ast.walk(child)):
                return isinstance(child, _REPEATING) or inside(child)
        return False  # pragma: no cover - block is one of function's descendants

    return inside(function)


def _old_lines(
    function: ast.FunctionDef | ast.AsyncFunctionDef, first: ast.stmt, last: ast.stmt
) -> list[int]:
    """The line indexes of the function's own mock lines before ``first`` and assert lines
    after ``last``: statements of its body that are nothing but such a call."""
    assert last.end_lineno is not None
    found: list[int] = []
    for statement in function.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            continue
        owner = call.func.value
        if not (
            isinstance(owner, ast.Attribute)
            and owner.attr == "redis"
            and isinstance(owner.value, ast.Name)
            and owner.value.id == "tripwire"
        ):
            continue
        end = statement.end_lineno or statement.lineno
        if (call.func.attr == "mock_command" and end < first.lineno) or (
            call.func.attr == "assert_command" and statement.lineno > last.end_lineno
        ):
            found += range(statement.lineno - 1, end)
    return found


def _marker_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[int]:
    """The line indexes of a ``@pytest.mark.tripwire_record`` decorator, if it has one."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr == "tripwire_record":
            end = decorator.end_lineno or decorator.lineno
            return list(range(decorator.lineno - 1, end))
    return []


def _function(tree: ast.Module, recorded: Recorded) -> ast.FunctionDef | ast.AsyncFunctionDef:
    """The test's function: the one of its name defined at its line, or the only one."""
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name == recorded.function
    ]
    for node in found:
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        if recorded.first_line in (first, node.lineno):
            return node
    if len(found) == 1 and not recorded.first_line:
        return found[0]
    raise LookupError(f"no function {recorded.function} at line {recorded.first_line}")


def _imports(tree: ast.Module, line: str) -> bool:
    """Whether the module already has the import statement ``line`` (or one that covers it)."""
    for node in tree.body:
        if isinstance(node, ast.Import) and line.startswith("import "):
            module = line.split()[1]
            names = node.names
            if any(a.name.split(".")[0] == module and a.asname is None for a in names):
                return True
        elif (
            isinstance(node, ast.ImportFrom)
            and line == "from unittest.mock import ANY"
            and node.module == "unittest.mock"
            and any(alias.name == "ANY" and alias.asname is None for alias in node.names)
        ):
            return True
    return False


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

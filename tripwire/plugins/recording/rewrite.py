"""``--tripwire-record-rewrite``: the recorded lines written into the tests, where that is safe.

A test is rewritten only when its lines map to one place in its own file: the mocks before the
first ``with tripwire:`` block of the test function itself, the assertions after its last. A
parametrized test (one function, several recordings), a block inside a loop (several passes,
one recording) and a test whose sandbox opens elsewhere (a decorator, a helper) are left as
they are, saying why; their lines are printed all the same.

The file is edited as a concrete syntax tree (libcst, the ``record`` extra), never as text:
statements are inserted and removed as nodes, and everything else (comments, blank lines,
formatting, the encoding given by a coding cookie or a BOM, the line endings) is written back
as it was read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from tripwire._errors import ConfigurationError
from tripwire.plugins.recording.output import Recorded

__all__ = ["MISSING_LIBCST", "libcst_missing", "rewrite", "run_offline"]

#: Seconds the rewritten tests may take to run once.
_RUN_TIMEOUT = 600

_PASTE = "paste the printed lines where they belong"

#: Why a rewrite cannot be done without libcst, and what to install.
MISSING_LIBCST = (
    "writes the recorded lines into the tests with libcst, which is not installed: install "
    "tripwire's `record` extra (or libcst alone: pip install libcst), or record without it "
    "and paste the printed lines"
)


def libcst_missing() -> bool:
    """Whether libcst cannot be imported."""
    try:
        import libcst  # noqa: F401  # the optional `record` extra
    except ImportError:
        return True
    return False


def rewrite(
    path: Path, tests: Iterable[Recorded], *, replace: bool = False
) -> tuple[list[str], list[str]]:
    """Write each test's lines into ``path``; the node ids of the tests rewritten, and why the
    others were not.

    ``replace``: first remove the test's own ``tripwire.redis.mock_command(...)`` statements
    before its first block and ``assert_command(...)`` statements after its last (a recording
    made afresh stands for them)."""
    try:  # libcst, the optional `record` extra, only when a rewrite is asked for
        import libcst as cst
        from libcst import metadata

        from tripwire.plugins.recording.syntax_tree import Edit, Found, has_import
    except ImportError:
        raise ConfigurationError(f"--tripwire-record-rewrite {MISSING_LIBCST}.") from None
    tests = list(tests)
    try:
        module = cst.parse_module(path.read_bytes())
    except (OSError, cst.ParserSyntaxError, UnicodeError, LookupError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return [], [f"{test.nodeid}: not rewritten, {path} could not be read ({reason})"
                   for test in tests]  # fmt: skip
    wrapper = metadata.MetadataWrapper(module, unsafe_skip_copy=True)
    found = Found(wrapper.resolve(metadata.PositionProvider))
    wrapper.visit(found)
    edit = Edit()
    problems: list[str] = []
    imports: set[str] = set()
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
            function = found.function(recorded)
        except LookupError as error:
            problems.append(f"{recorded.nodeid}: not rewritten, {error}; {_PASTE}")
            continue
        blocks = found.sandboxes(function)
        if not blocks:
            problems.append(
                f"{recorded.nodeid}: not rewritten, its function has no `with tripwire:` block "
                f"(the sandbox opens elsewhere, such as in a decorator or a helper); {_PASTE}"
            )
            continue
        first, last = blocks[0], blocks[-1]
        if found.repeated(function, first) or found.repeated(function, last):
            problems.append(
                f"{recorded.nodeid}: not rewritten, its `with tripwire:` block is inside a loop "
                "(or a function of its own), so the lines of every pass were recorded together "
                f"and no one place in the source stands for them; {_PASTE}"
            )
            continue
        edit.before(first, recorded.mocks)
        edit.after(last, recorded.asserts)
        if recorded.needs_redis_import:
            imports.add("import redis")
        if recorded.needs_any_import:
            imports.add("from unittest.mock import ANY")
        if recorded.needs_os_import:
            imports.add("import os")
        imports.update(recorded.more_imports)
        # Recorded once: the marker would record it again at every run.
        edit.undecorate(function)
        if replace:
            edit.remove(found.old_lines(function, first, last))
        rewritten.append(recorded.nodeid)
        if recorded.seeded:
            problems.append(
                f"{recorded.nodeid}: drop tripwire_record_client and its calls, which the mocks "
                "now stand for"
            )
    if not rewritten:
        return [], problems
    edit.imports = [
        cst.parse_statement(line) for line in sorted(imports) if not has_import(module, line)
    ]
    written = module.visit(edit).with_changes(has_trailing_newline=True)
    # A character the file's encoding lacks can only be in a string literal: escaped, it stays
    # the same character.
    path.write_bytes(written.code.encode(module.encoding, errors="backslashreplace"))
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

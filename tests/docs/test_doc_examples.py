"""Every Python code block in ``README.md`` and ``docs/**/*.md``, run as a test.

Collection reads the Markdown files and makes one test per block, or one per ``test_*`` function
for a block that defines some (ids such as ``docs/redis.md:L42::test_multiple_gets``). A block runs
in a fresh namespace (module name ``docs_example``) inside an ordinary pytest test, so tripwire's
per-test verifier checks it at teardown exactly as it checks a user's test. An ``async def`` test
runs with ``asyncio.run`` and must carry ``@pytest.mark.asyncio`` (or ``anyio``), without which
pytest-asyncio's default strict mode would not run it; a ``@given`` test gets a verifier per
example, as under the plugin, and the same examples on every run (``derandomize``, and no explain
phase); ``@pytest.mark.allow(...)`` on a block's test applies to the pytest test that runs it.

Code is compiled under the document's path with the document's line numbers, so tracebacks and
tripwire's "registered at" locations point into the Markdown file.

One marker, an HTML comment on the line before a block's fence, changes how the block runs
(``docs/about-these-docs.md`` explains them to doc writers):

``<!-- module: NAME -->``
    The block is application code: later blocks of the same document can ``import NAME``.
``<!-- fails: ERROR -->``
    The block shows a failure on purpose. Its test must fail with exactly ``tripwire.ERROR``
    (``module.ERROR`` when the name is dotted), at the call or at the end-of-test check, which
    run on a verifier of the block's own. The next fenced block must be a ``text`` block holding
    that failure as pytest prints it (``ExceptionInfo.exconly()``). A last line ``...`` shows only
    the failure's beginning, for failures whose end varies (Hypothesis' notes on its example).
``<!-- not-run: REASON -->``
    The block is not run; its test is skipped with the reason. Keep these few.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import linecache
import re
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from hypothesis import Phase, settings

import tripwire
import tripwire._plugin
from tripwire_hypothesis import per_example_verifier

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PYTHON = frozenset({"python", "py"})

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
MARKER = re.compile(r"^\s*<!--\s*(?P<kind>module|fails|not-run):\s*(?P<value>.*?)\s*-->\s*$")
TestFunction = ast.FunctionDef | ast.AsyncFunctionDef
WITHOUT_EXPLAIN = [phase for phase in Phase if phase is not Phase.explain]

# The pages show what current redis-py sends, such as the keys=[...] option of read commands.
pytestmark = pytest.mark.skipif(
    tuple(map(int, redis.__version__.split(".")[:2])) < (5, 1),
    reason="the docs show redis-py 5.1+ behaviour",
)


@dataclass(repr=False)
class Block:
    """One fenced code block of a document."""

    document: str
    line: int
    language: str
    code: str
    marker: str = ""
    value: str = ""
    #: For a ``fails`` block: the ``text`` block after it.
    output: str = ""

    def __repr__(self) -> str:
        return f"<block at {self.document}:{self.line}>"

    def compiled(self) -> types.CodeType:
        # Blank lines in front keep the document's line numbers; this module's
        # `from __future__ import annotations` must not leak into the example.
        return compile("\n" * self.line + self.code, self.document, "exec", dont_inherit=True)


def read_blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown document, with the marker before each."""
    document = path.relative_to(ROOT).as_posix()
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    # Tracebacks show the lines of the document, which is not a Python file.
    linecache.cache[document] = (len(text), None, [f"{line}\n" for line in lines], document)
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        body = [line.removeprefix(indent) for line in lines[index + 1 : end]]
        language = (opening["info"].split() or [""])[0]
        block = Block(document, index + 1, language, "\n".join(body) + "\n")
        before = index - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        marker = MARKER.match(lines[before]) if before >= 0 else None
        if marker is not None:
            block.marker, block.value = marker["kind"], marker["value"]
        blocks.append(block)
        index = end + 1
    for position, block in enumerate(blocks):
        if block.marker == "fails":
            following = blocks[position + 1] if position + 1 < len(blocks) else None
            if following is None or following.language != "text":
                raise ValueError(
                    f"{document}:{block.line}: a `fails` block must be followed by a ```text "
                    "block holding the failure as pytest prints it"
                )
            block.output = following.code.rstrip("\n")
    return blocks


def defined_tests(block: Block) -> list[TestFunction]:
    """The ``test_*`` functions a block defines at its top level."""
    tree = ast.parse(block.code, f"{block.document}:{block.line}")
    return [
        node
        for node in tree.body
        if isinstance(node, TestFunction) and node.name.startswith("test_")
    ]


def allow_marks(function: TestFunction) -> list[pytest.MarkDecorator]:
    """``@pytest.mark.allow("redis")`` on a block's test, for the pytest test that runs it."""
    return [
        pytest.mark.allow(*(ast.literal_eval(arg) for arg in decorator.args))
        for decorator in function.decorator_list
        if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pytest.mark.allow"
    ]


def collect() -> list[Any]:
    """One pytest parameter set per runnable block, or per test function it defines."""
    params = []
    for path in DOCUMENTS:
        modules: list[Block] = []
        for block in read_blocks(path):
            if block.language not in PYTHON:
                continue
            name = f"{block.document}:L{block.line}"
            if block.marker == "not-run":
                skip = pytest.mark.skip(reason=f"not run: {block.value}")
                params.append(pytest.param(block, None, (), id=name, marks=skip))
                continue
            functions = defined_tests(block)
            if block.marker == "fails" and len(functions) > 1:
                raise ValueError(f"{name}: a `fails` block may define at most one test")
            context = tuple(modules)
            if block.marker == "module":
                modules.append(block)
            if not functions:
                params.append(pytest.param(block, None, context, id=name))
            params.extend(
                pytest.param(
                    block,
                    function.name,
                    context,
                    id=f"{name}::{function.name}",
                    marks=allow_marks(function),
                )
                for function in functions
            )
    return params


def load(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a ``module`` block as the module it names, importable until the test ends."""
    module = types.ModuleType(block.value)
    monkeypatch.setitem(sys.modules, block.value, module)
    exec(block.compiled(), module.__dict__)


def execute(
    block: Block, function: str | None, context: tuple[Block, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run a block after the modules it may import, then the test function, if one is named."""
    __tracebackhide__ = True
    for module_block in context:
        load(module_block, monkeypatch)
    if block.marker == "module":
        load(block, monkeypatch)
        return
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    exec(block.compiled(), namespace)
    if function is None:
        return
    test = namespace[function]
    handle = getattr(test, "hypothesis", None)
    if handle is not None:
        handle.inner_test = per_example_verifier(handle.inner_test)
        # The same examples on every run, so a page's failing example fails as its text shows;
        # no explain phase, which on Python 3.11 traces every line while shrinking (slow).
        own = test._hypothesis_internal_use_settings
        # Hypothesis refuses a second @settings on a test; the page's own are kept underneath.
        vars(test).pop("_hypothesis_internal_settings_applied", None)
        test = settings(own, derandomize=True, database=None, phases=WITHOUT_EXPLAIN)(test)
    if inspect.iscoroutinefunction(test):
        # As pytest would: under pytest-asyncio's strict mode (its default) an unmarked
        # coroutine test never runs, so a doc example without the marker would mislead.
        marks = {mark.name for mark in getattr(test, "pytestmark", [])}
        if not marks & {"asyncio", "anyio"}:
            raise AssertionError(
                f"{function} is an async test without @pytest.mark.asyncio: pytest-asyncio's "
                "strict mode, its default, would not run it"
            )
        asyncio.run(test())
    else:
        test()


@pytest.fixture(autouse=True)
def _plugin_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    # "Writing a plugin" registers a plugin; it must not outlive its example.
    monkeypatch.setattr(tripwire._plugin, "_REGISTRY", dict(tripwire._plugin._REGISTRY))


@pytest.mark.parametrize(("block", "function", "context"), collect())
def test_doc_example(
    block: Block,
    function: str | None,
    context: tuple[Block, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if block.marker != "fails":
        execute(block, function, context, monkeypatch)
        return
    module, _, name = block.value.rpartition(".")
    expected = getattr(importlib.import_module(module or "tripwire"), name)
    own = tripwire.StrictVerifier()
    with tripwire.use_verifier(own), pytest.raises(expected) as excinfo:
        try:
            execute(block, function, context, monkeypatch)
            own.verify_all()
        finally:
            own.close_all()
    assert type(excinfo.value) is expected, f"failed with {excinfo.exconly()}"
    shown = excinfo.exconly()
    if block.output.endswith("\n..."):
        shown = shown[: len(block.output) - 3] + "..."
    assert shown == block.output, (
        f"update the ```text block after {block.document}:{block.line} to the real failure"
    )


def test_the_no_active_verifier_message_in_the_error_reference_is_real() -> None:
    # The one error no example can raise inside a test: it needs a plain script.
    script = "import tripwire; tripwire.redis.mock_command('GET', returns=b'1')"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    failure = result.stderr[result.stderr.index("tripwire.NoActiveVerifierError: ") :].rstrip()
    assert failure in (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")

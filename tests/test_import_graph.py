"""The import graph of `tripwire` and `tripwire_hypothesis` has no cycle, counting imports that run.

Every import statement counts, at module level or inside a function, and so does
``importlib.import_module("...")`` with a literal name; imports under ``if TYPE_CHECKING:`` never
run and do not. A module's own packages are not counted as imported by it: Python runs their
``__init__`` before the module whatever it imports.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import tripwire
import tripwire_hypothesis

PACKAGES = [Path(tripwire.__file__).parent, Path(tripwire_hypothesis.__file__).parent]


def module_name(root: Path, path: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class Imports(ast.NodeVisitor):
    def __init__(self, package: str) -> None:
        self.package = package
        self.found: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for statement in node.orelse:
                self.visit(statement)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.update(alias.name for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            parent = self.package.rsplit(".", node.level - 1)[0] if node.level > 1 else self.package
            base = f"{parent}.{base}" if base else parent
        self.found.add(base)
        # `from package import module` imports the module.
        self.found.update(f"{base}.{alias.name}" for alias in node.names)

    def visit_Call(self, node: ast.Call) -> None:
        if (
            ast.unparse(node.func).endswith("import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            self.found.add(node.args[0].value)
        self.generic_visit(node)


def graph(roots: list[Path]) -> dict[str, set[str]]:
    """Each module of the packages at ``roots``, and the modules of theirs it imports."""
    modules = {module_name(root, path): path for root in roots for path in root.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        visitor = Imports(package)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        edges[name] = {
            found
            for found in visitor.found
            if found in modules and found != name and not name.startswith(f"{found}.")
        }
    return edges


def check_no_cycle(edges: dict[str, set[str]]) -> None:
    try:
        tuple(TopologicalSorter(edges).static_order())
    except CycleError as cycle:
        raise AssertionError(f"import cycle: {' -> '.join(cycle.args[1])}") from None


def test_the_graph_is_read() -> None:
    edges = graph(PACKAGES)
    assert "tripwire_hypothesis._session" in edges["tripwire_hypothesis.strategies"]
    assert "tripwire_hypothesis.strategies" in edges["tripwire_hypothesis._entry_point"]
    redis_plugin = "tripwire.plugins.redis_plugin"
    assert f"{redis_plugin}.intercept.interceptors" in edges[f"{redis_plugin}.plugin"]
    assert redis_plugin in edges["tripwire_hypothesis._session"]
    # A package's own __init__ is not an edge of its modules.
    assert redis_plugin not in edges[f"{redis_plugin}.plugin"]


def test_no_module_of_tripwire_or_tripwire_hypothesis_imports_itself_back() -> None:
    check_no_cycle(graph(PACKAGES))


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    package = tmp_path / "planted"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "__init__.py").write_text("")
    (package / "low.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from planted import high\n"
        "def later():\n"
        "    from planted.inner import high\n"
    )
    (package / "inner" / "high.py").write_text("from .. import low\n")
    with pytest.raises(AssertionError) as failure:
        check_no_cycle(graph([package]))
    assert str(failure.value) in (
        "import cycle: planted.low -> planted.inner.high -> planted.low",
        "import cycle: planted.inner.high -> planted.low -> planted.inner.high",
    )

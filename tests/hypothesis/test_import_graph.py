"""The import graph of `tripwire_hypothesis` has no cycle, counting every import that runs.

Every import statement counts, at module level or inside a function, and so does
``importlib.import_module("...")`` with a literal name; imports under ``if TYPE_CHECKING:`` never
run and do not. A package's own ``__init__`` is not counted as imported by its submodules.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import tripwire_hypothesis

PACKAGE = Path(tripwire_hypothesis.__file__).parent
NAME = "tripwire_hypothesis"


def module_name(path: Path) -> str:
    parts = [NAME, *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class Imports(ast.NodeVisitor):
    def __init__(self) -> None:
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
        if node.module is None:
            return
        self.found.add(node.module)
        # `from package import module` imports the module.
        self.found.update(f"{node.module}.{alias.name}" for alias in node.names)

    def visit_Call(self, node: ast.Call) -> None:
        if (
            ast.unparse(node.func).endswith("import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            self.found.add(node.args[0].value)
        self.generic_visit(node)


def graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        visitor = Imports()
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        edges[name] = {found for found in visitor.found if found in modules and found != name}
    return edges


def test_the_graph_is_read() -> None:
    edges = graph()
    assert "tripwire_hypothesis._session" in edges["tripwire_hypothesis.strategies"]
    assert "tripwire_hypothesis.strategies" in edges["tripwire_hypothesis._entry_point"]


def test_no_module_of_tripwire_hypothesis_imports_itself_back() -> None:
    try:
        tuple(TopologicalSorter(graph()).static_order())
    except CycleError as cycle:  # pragma: no cover - the failure's report
        raise AssertionError(f"import cycle: {' -> '.join(cycle.args[1])}") from None

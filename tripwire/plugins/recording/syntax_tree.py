"""The libcst side of ``--tripwire-record-rewrite``: find the test's blocks, edit the tree.

Imported only to rewrite (libcst is the ``record`` extra): `Found` finds the test functions and
their ``with tripwire:`` blocks, with what holds each; `Edit` inserts and removes statements as
nodes, so that all else in the file is written back as it was read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import CodeRange

from tripwire.plugins.recording.output import Recorded

__all__ = ["Edit", "Found", "has_import"]

#: What a ``with tripwire:`` block may not be inside for its lines to have one place.
_REPEATING = (cst.For, cst.While, cst.FunctionDef, cst.Lambda)


class Found(cst.CSTVisitor):
    """The module's functions and ``with tripwire:`` blocks, and what holds each block."""

    def __init__(self, positions: Mapping[cst.CSTNode, CodeRange]) -> None:
        super().__init__()
        self._positions = positions
        self._functions: list[cst.FunctionDef] = []
        self._blocks: list[tuple[cst.With, tuple[cst.CSTNode, ...]]] = []
        self._stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.FunctionDef):
            self._functions.append(node)
        elif isinstance(node, cst.With) and any(
            isinstance(item.item, cst.Name) and item.item.value == "tripwire" for item in node.items
        ):
            self._blocks.append((node, tuple(self._stack)))
        self._stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()

    def _line(self, node: cst.CSTNode) -> int:
        return self._positions[node].start.line

    def function(self, recorded: Recorded) -> cst.FunctionDef:
        """The test's function: the one of its name defined at its line, or the only one."""
        named = [node for node in self._functions if node.name.value == recorded.function]
        for node in named:
            starts = [self._line(node), *(self._line(d) for d in node.decorators[:1])]
            if recorded.first_line in starts:
                return node
        if len(named) == 1 and not recorded.first_line:
            return named[0]
        raise LookupError(f"no function {recorded.function} at line {recorded.first_line}")

    def sandboxes(self, function: cst.FunctionDef) -> list[cst.With]:
        """The ``with tripwire:`` and ``async with tripwire:`` blocks of ``function``."""
        return [block for block, holders in self._blocks if _holds(holders, function)]

    def repeated(self, function: cst.FunctionDef, block: cst.With) -> bool:
        """Whether ``block`` is inside a loop (or a nested function) of ``function``."""
        holders = next(holders for found, holders in self._blocks if found is block)
        inner = holders[[id(holder) for holder in holders].index(id(function)) + 1 :]
        return any(isinstance(holder, _REPEATING) for holder in inner)

    def old_lines(
        self, function: cst.FunctionDef, first: cst.With, last: cst.With
    ) -> list[cst.BaseStatement]:
        """The function's own mock statements before ``first`` and assert statements after
        ``last``: statements of its body that are nothing but such a call."""
        body = function.body.body if isinstance(function.body, cst.IndentedBlock) else ()
        start, end = self._line(first), self._positions[last].end.line
        return [
            statement
            for statement in body
            if (_tripwire_call(statement) == "mock_command" and self._line(statement) < start)
            or (_tripwire_call(statement) == "assert_command" and self._line(statement) > end)
        ]


def _holds(holders: tuple[cst.CSTNode, ...], node: cst.CSTNode) -> bool:
    return any(holder is node for holder in holders)


def _tripwire_call(statement: cst.CSTNode) -> str | None:
    """``mock_command`` or ``assert_command`` if ``statement`` is only a call of
    ``tripwire.redis.<that>(...)``."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    expression = statement.body[0]
    if not (isinstance(expression, cst.Expr) and isinstance(expression.value, cst.Call)):
        return None
    owner, _, called = (get_full_name_for_node(expression.value.func) or "").rpartition(".")
    return called if owner == "tripwire.redis" else None


class Edit(cst.CSTTransformer):
    """The edits of one file: statements inserted around blocks and removed, markers dropped,
    imports added after the module's own."""

    def __init__(self) -> None:
        super().__init__()
        self._before: dict[int, list[cst.BaseStatement]] = {}
        self._after: dict[int, list[cst.BaseStatement]] = {}
        self._removed: set[int] = set()
        self._undecorated: set[int] = set()
        #: The nodes whose ids key the edits, kept alive so that no other node takes an id.
        self._kept: list[cst.CSTNode] = []
        self.imports: list[cst.BaseStatement] = []

    def before(self, node: cst.CSTNode, lines: list[str]) -> None:
        self._kept.append(node)
        self._before.setdefault(id(node), []).extend(map(cst.parse_statement, lines))

    def after(self, node: cst.CSTNode, lines: list[str]) -> None:
        self._kept.append(node)
        self._after.setdefault(id(node), []).extend(map(cst.parse_statement, lines))

    def remove(self, nodes: Sequence[cst.CSTNode]) -> None:
        self._kept += nodes
        self._removed.update(map(id, nodes))

    def undecorate(self, function: cst.FunctionDef) -> None:
        self._kept.append(function)
        self._undecorated.add(id(function))

    def _splice(
        self, original: Sequence[cst.BaseStatement], updated: Sequence[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        """``updated``, a body's statements edited within, with the inserted statements around
        them and the removed ones out."""
        out: list[cst.BaseStatement] = []
        for old, new in zip(original, updated, strict=True):
            if id(old) in self._removed:
                continue
            inserted = self._before.get(id(old), [])
            if inserted and isinstance(new, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                # The blank lines and comments above the block stay above the mocks.
                out.append(inserted[0].with_changes(leading_lines=new.leading_lines))
                out += inserted[1:]
                new = new.with_changes(leading_lines=[])
            else:
                out += inserted
            out.append(new)
            out += self._after.get(id(old), [])
        return out

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated_node.with_changes(body=self._splice(original_node.body, updated_node.body))

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        if id(original_node) not in self._undecorated:
            return updated_node
        kept = [d for d in updated_node.decorators if not _is_marker(d.decorator)]
        return updated_node.with_changes(decorators=kept)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body = list(updated_node.body)
        at = _after_imports(body)
        return updated_node.with_changes(body=[*body[:at], *self.imports, *body[at:]])


def _is_marker(decorator: cst.BaseExpression) -> bool:
    """Whether a decorator is ``@pytest.mark.tripwire_record`` (called or not)."""
    target = decorator.func if isinstance(decorator, cst.Call) else decorator
    return isinstance(target, cst.Attribute) and target.attr.value == "tripwire_record"


def has_import(module: cst.Module, line: str) -> bool:
    """Whether the module already has the import statement ``line`` (``import m`` or ``from m
    import a, b``), or one that covers it."""
    words = line.replace(",", " ").split()
    for statement in module.body:
        parts = statement.body if isinstance(statement, cst.SimpleStatementLine) else ()
        for node in parts:
            if isinstance(node, cst.Import) and words[0] == "import":
                if any(
                    (get_full_name_for_node(alias.name) or "").split(".")[0] == words[1]
                    and alias.asname is None
                    for alias in node.names
                ):
                    return True
            elif (
                isinstance(node, cst.ImportFrom)
                and words[0] == "from"
                and node.module is not None
                and get_full_name_for_node(node.module) == words[1]
                and not isinstance(node.names, cst.ImportStar)
            ):
                have = {
                    get_full_name_for_node(alias.name)
                    for alias in node.names
                    if alias.asname is None
                }
                if have.issuperset(words[3:]):
                    return True
    return False


def _after_imports(body: Sequence[cst.BaseStatement]) -> int:
    """The index of the statement after the module's leading imports (and docstring)."""
    end = 0
    for index, statement in enumerate(body):
        parts = statement.body if isinstance(statement, cst.SimpleStatementLine) else ()
        if parts and all(isinstance(part, (cst.Import, cst.ImportFrom)) for part in parts):
            end = index + 1
        elif (
            index == 0
            and parts
            and isinstance(parts[0], cst.Expr)
            and isinstance(parts[0].value, (cst.SimpleString, cst.ConcatenatedString))
        ):
            end = 1
        else:
            break
    return end

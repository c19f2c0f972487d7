"""A failing example written as a plain pytest test, to paste next to the property.

The test is the property's own body, read from its source, preceded by the example's other
arguments as assignments and by the session as a script of the answers it gave::

    def test_limiter_example():
        from tripwire_hypothesis import RedisSession, Step

        user = 'alice'
        session = RedisSession([
            Step('INCRBY', returns=11),
        ])
        <the property's body, as written>

Replayed from that script the code makes the same calls and gets the same answers, so the test
fails the same way. Where the source cannot be read (code built at run time), the test is written
with one ``mock_command`` line per answer and one ``assert_command`` line per call.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tripwire._errors import safe_repr

if TYPE_CHECKING:
    from types import CodeType, FrameType

    from tripwire_hypothesis._answerers.scripted import ConsumedStep, Step

__all__ = ["error_code", "example_decorator", "reproduction", "test_frame"]


#: How far up from ``RedisSession.install`` a helper may be called from the test.
_HELPER_DEPTH = 8


def test_frame(caller: FrameType) -> FrameType:
    """The frame of the test that ``caller`` runs in: the one the per-example wrapper called.

    ``caller`` itself, unless it is a helper function the test called (or no wrapper is near).
    """
    frame: FrameType | None = caller
    for _ in range(_HELPER_DEPTH):
        if frame is None:
            break
        back = frame.f_back
        if back is not None and back.f_code.co_name == "_tripwire_wrapper":
            return frame
        frame = back
    return caller


def _imports(session_code: str) -> str:
    """The names of tripwire_hypothesis that ``session_code`` uses: no unused import pasted."""
    used = [name for name in ("Fault", "Step") if f"{name}(" in session_code]
    return ", ".join(sorted(["RedisSession", *used]))


def error_code(error: BaseException | type[BaseException]) -> str:
    """An exception as the code that builds it: ``redis.exceptions.ConnectionError('...')``.

    Built from the class and ``args``, not from ``repr()``: redis-py 8's repr is
    ``network:ConnectionError``, and its ``ConnectionError`` and ``TimeoutError`` shadow the
    builtins, so the module is spelled out for a pasted line to raise the right class.
    """
    cls = error if isinstance(error, type) else type(error)
    name = (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )
    if isinstance(error, type):
        return name
    arguments = [safe_repr(argument) for argument in error.args]
    # redis-py >= 8 keeps the server's error prefix (MOVED, NOSCRIPT, ...) here.
    status_code = getattr(error, "status_code", None)
    if status_code is not None:
        arguments.append(f"status_code={safe_repr(status_code)}")
    return f"{name}({', '.join(arguments)})"


def reproduction(
    *,
    code: CodeType | None,
    session_name: str | None,
    arguments: Mapping[str, Any],
    answers: Sequence[Step],
    consumed: Sequence[ConsumedStep],
    required: bool,
    session_code: str | None = None,
) -> str:
    """The example as a pytest test; see the module's docstring."""
    body = _body_of(code) if code is not None and session_name is not None else None
    if code is None or session_name is None or body is None:
        lines = ["def test_example():"]
        lines += [f"    {step.registration(required=required)}" for step in answers]
        lines += ["    with tripwire:", "        ...  # the code under test"]
        lines += [f"    {call.assertion()}" for call in consumed]
        return _checked("\n".join(lines))
    name = code.co_name if code.co_name.startswith("test") else f"test_{code.co_name}"
    asynchronous = "async " if code.co_flags & inspect.CO_COROUTINE else ""
    values = {argument: safe_repr(value) for argument, value in arguments.items()}
    # A value that does not print as code (a client from a fixture, mostly) stays a parameter,
    # for pytest to pass from the fixture of that name.
    fixtures = [argument for argument, text in values.items() if not _is_expression(text)]
    imports = "RedisSession, Step" if session_code is None else _imports(session_code)
    lines = [
        f"{asynchronous}def {name}_example({', '.join(fixtures)}):",
        f"    from tripwire_hypothesis import {imports}",
        "",
    ]
    if fixtures:
        lines.append(
            "    # Passed by pytest from the fixtures of these names (their values do not print "
            f"as code): {', '.join(fixtures)}"
        )
    lines += [
        f"    {argument} = {text}" for argument, text in values.items() if argument not in fixtures
    ]
    options = "" if required else ", required=False"
    if session_code is not None:
        # A model session: the faults it injected, replayed over a fresh model.
        first, *rest = session_code.splitlines()
        lines.append(f"    {session_name} = {first}")
        lines += [f"    {line}" for line in rest]
    elif answers:
        lines.append(f"    {session_name} = RedisSession([")
        lines += [f"        {step!r}," for step in answers]
        lines.append(f"    ]{options})")
    else:
        lines.append(f"    {session_name} = RedisSession({options[2:]})")
    lines += body
    return _checked("\n".join(lines))


def _function_of(code: CodeType) -> tuple[str, ast.FunctionDef | ast.AsyncFunctionDef] | None:
    """The source of ``code``'s function, dedented, and its syntax tree; None without source."""
    try:
        source_lines, _ = inspect.getsourcelines(code)
    except (OSError, TypeError):
        return None
    source = textwrap.dedent("".join(source_lines))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    function = tree.body[0] if tree.body else None
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    return source, function


def _body_of(code: CodeType) -> list[str] | None:
    """The statements of ``code``'s function, indented by four spaces, or None without source."""
    found = _function_of(code)
    if found is None:
        return None
    source, function = found
    statements = function.body
    first = statements[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and len(statements) > 1
    ):
        statements = statements[1:]  # the docstring
    start, end = statements[0].lineno, function.end_lineno or statements[-1].lineno
    indent = statements[0].col_offset
    # Lines that continue a string literal are its text: re-indenting them would change it.
    verbatim = {
        number
        for node in ast.walk(function)
        if isinstance(node, ast.JoinedStr)
        or (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)))
        for number in range(node.lineno + 1, (node.end_lineno or node.lineno) + 1)
    }
    return [
        line if number in verbatim else f"    {line[indent:]}" if line.strip() else ""
        for number, line in enumerate(source.splitlines()[start - 1 : end], start=start)
    ]


def _is_expression(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


def _checked(text: str, *, decorating: bool = False) -> str:
    """``text``, with a last line saying so when it is not valid Python (as a decorator)."""
    try:
        ast.parse(f"{text}\ndef test(): pass" if decorating else text)
    except SyntaxError as error:
        return (
            f"{text}\n# Not valid Python as printed (line {error.lineno}: {error.msg}): the repr "
            "of a value above is not code; write that value by hand."
        )
    return text


def example_decorator(
    *,
    code: CodeType | None,
    session_name: str | None,
    arguments: Mapping[str, Any],
    session_code: str,
) -> str:
    """The failing example as an ``@example(...)`` for the property itself, with a comment
    saying how to keep it; or a comment saying why it cannot be printed."""
    why = None
    given = _given_names(code) if code is not None else None
    if code is None or session_name is None:
        why = "the session is not an argument of the test that installed it"
    elif given is None:
        why = "the property's @given(...) could not be read from its source"
    else:
        values = {name: safe_repr(value) for name, value in arguments.items() if name in given}
        unprintable = [name for name, text in values.items() if not _is_expression(text)]
        if unprintable:
            why = f"the value of {', '.join(unprintable)} does not print as code"
    if why is not None:
        return f"# No @example to keep this failure as a regression test: {why}."
    first, *rest = session_code.splitlines()
    others = "".join(f", {name}={text}" for name, text in values.items() if name != session_name)
    imports = _imports(session_code)
    lines = [
        "# Keep it as a regression test of the property, which passes once the code is fixed:",
        f"# from hypothesis import example; from tripwire_hypothesis import {imports}",
    ]
    if rest:
        lines += [f"@example({session_name}={first}", *rest[:-1], f"{rest[-1]}{others})"]
    else:
        lines.append(f"@example({session_name}={first}{others})")
    return _checked("\n".join(lines), decorating=True)


def _given_names(code: CodeType) -> frozenset[str] | None:
    """The parameters of ``code``'s function that its ``@given(...)`` draws, or None."""
    found = _function_of(code)
    if found is None:
        return None
    _, function = found
    parameters = [argument.arg for argument in function.args.args + function.args.kwonlyargs]
    for decorator in function.decorator_list:
        if not isinstance(decorator, ast.Call):
            continue
        name = decorator.func
        spelled = name.attr if isinstance(name, ast.Attribute) else getattr(name, "id", "")
        if spelled != "given":
            continue
        names = {keyword.arg for keyword in decorator.keywords if keyword.arg is not None}
        drawn = parameters[len(parameters) - len(decorator.args) :] if decorator.args else []
        return frozenset(names | set(drawn))
    return None

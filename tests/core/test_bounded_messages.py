"""Messages stay short whatever the values, say what they cut, and mark lines that cannot be pasted.

Their cost follows what they show: only the records listed are formatted.
"""

from __future__ import annotations

import ast
import enum
import os
from collections import deque

import pytest
import redis

import tripwire
from tripwire import (
    InteractionMismatchError,
    StrictVerifier,
    UnassertedInteractionsError,
    UnmockedInteractionError,
    UnsandboxedInteractionError,
    UnusedMocksError,
)
from tripwire._errors import MAX_LISTED, safe_repr
from tripwire._reprs import NOT_READY, code_line

THIS_FILE = os.path.relpath(__file__)


class JobStatus(enum.Enum):
    QUEUED = "queued"


def nested(kind: type, depth: int) -> object:
    """1 inside ``depth`` one-item containers of ``kind`` (list or tuple)."""
    value: object = 1
    for _ in range(depth):
        value = kind([value])
    return value


class Shown(list[int]):
    """A list whose repr is its own, shown whole whatever its length."""

    def __repr__(self) -> str:
        return "Shown(...)"


class AtTheLimit:
    """A value whose repr is as long as a message shows one (200 characters), and is code."""

    def __repr__(self) -> str:
        return f"AtTheLimit({'x' * 188})"


class Counted:
    """A value that counts how often it is shown."""

    shown = 0

    def __repr__(self) -> str:
        Counted.shown += 1
        return "Counted()"


class Unpasteable:
    def __repr__(self) -> str:
        return "<unpasteable>"


def test_a_megabyte_argument_gives_a_short_message(verifier: StrictVerifier) -> None:
    with tripwire, pytest.raises(UnmockedInteractionError) as excinfo:
        redis.Redis().execute_command("SET", "k", b"x" * 2**20)
    assert str(excinfo.value) == (
        "redis.SET(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        "    tripwire.redis.mock_command('SET', returns=...)\n"
        f"Called with: args=('k', b'{'x' * 200}...' (1048576 bytes)), kwargs={{}}"
    )


def test_a_megabyte_command_name_gives_a_short_message(verifier: StrictVerifier) -> None:
    with tripwire, pytest.raises(UnmockedInteractionError) as excinfo:
        redis.Redis().execute_command("x" * 2**20, "k")
    assert str(excinfo.value) == (
        f"redis.{'X' * 200}... (1048576 characters)(...) was called but no mock was registered.\n"
        "Register a mock with:\n"
        f"    tripwire.redis.mock_command('{'X' * 200}...' (1048576 characters), returns=...)"
        f"  # {NOT_READY}: a value was shortened\n"
        "Called with: args=('k',), kwargs={}"
    )


def refused(what: str, excinfo: pytest.ExceptionInfo[UnsandboxedInteractionError]) -> str:
    """The guard's refusal of ``what``, made at the line of this file the test raised it from."""
    traceback = excinfo.value.__traceback__
    assert traceback is not None
    return (
        f"{what} outside the tripwire sandbox, at {THIS_FILE}:{traceback.tb_lineno}.\n"
        "During a test tripwire refuses real calls that no sandbox intercepts. Either:\n"
        "    mock it: register tripwire.redis.mock_command(...) and make the call inside "
        "`with tripwire:`\n"
        '    or allow the real redis for this test: @pytest.mark.allow("redis")\n'
        '    or for the whole project: [tool.tripwire] allow = ["redis"] in pyproject.toml'
    )


def test_the_guard_names_a_megabyte_command_shortly() -> None:
    # This suite runs with guard = "all": the call is refused outside the sandbox.
    with pytest.raises(UnsandboxedInteractionError) as excinfo:
        redis.Redis(host="127.0.0.1", port=1).execute_command("x" * 2**20)
    shown = f"{'X' * 200}... (1048576 characters)"
    assert str(excinfo.value) == refused(f"redis.{shown}(...) was called", excinfo)


def test_the_guard_lists_the_first_commands_of_a_long_pipeline() -> None:
    pipe = redis.Redis(host="127.0.0.1", port=1).pipeline()
    pipe.get("y" * 300)
    pipe.execute_command("z" * 201)
    pipe.execute_command("w" * 200)
    for number in range(99_997):
        pipe.set("k", number)
    with pytest.raises(UnsandboxedInteractionError) as excinfo:
        pipe.execute()
    names = ", ".join(["GET", f"{'Z' * 200}... (201 characters)", "W" * 200, *["SET"] * 17])
    assert str(excinfo.value) == refused(
        f"redis pipeline.execute() [{names}, ... and 99980 more] was called", excinfo
    )


def test_the_guard_lists_every_command_of_a_pipeline_of_twenty() -> None:
    pipe = redis.Redis(host="127.0.0.1", port=1).pipeline()
    for number in range(20):
        pipe.set("k", number)
    with pytest.raises(UnsandboxedInteractionError) as excinfo:
        pipe.execute()
    names = ", ".join(["SET"] * 20)
    assert str(excinfo.value) == refused(f"redis pipeline.execute() [{names}] was called", excinfo)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("s" * 201, f"'{'s' * 200}...' (201 characters)"),
        ("s" * 200, f"'{'s' * 200}'"),
        (bytearray(b"b" * 300), f"bytearray(b'{'b' * 200}...') (300 bytes)"),
        (list(range(25)), f"[{', '.join(map(str, range(20)))}, ...] (25 items)"),
        (tuple(range(21)), f"({', '.join(map(str, range(20)))}, ...) (21 items)"),
        (
            {i: i for i in range(21)},
            f"{{{', '.join(f'{i}: {i}' for i in range(20))}, ...}} (21 items)",
        ),
        ({"b": 1, "a": 2}, "{'b': 1, 'a': 2}"),
        ([[[[[[[[1]]]]]]]], "[[[[[[[...]]]]]]]"),
        (JobStatus.QUEUED, "JobStatus.QUEUED"),
        (("one",), "('one',)"),
        (list(range(20)), repr(list(range(20)))),
        ({i: i for i in range(20)}, repr({i: i for i in range(20)})),
        (set(range(25)), f"{{{', '.join(map(str, range(20)))}, ...}} (25 items)"),
        ({nested(tuple, 5): 1}, "{(((((1,),),),),): 1}"),
        ({nested(tuple, 6): 1}, "{((((((...),),),),),): 1}"),
        (Shown(range(25)), "Shown(...)"),
        (AtTheLimit(), f"AtTheLimit({'x' * 188})"),
    ],
    ids=[
        "long-str",
        "str-at-the-limit",
        "long-bytearray",
        "long-list",
        "long-tuple",
        "long-dict",
        "dict-in-insertion-order",
        "deep-nesting",
        "enum-member",
        "one-tuple",
        "list-at-the-limit",
        "dict-at-the-limit",
        "long-set",
        "dict-key-nested-to-the-limit",
        "dict-key-nested-too-deep",
        "list-with-a-repr-of-its-own",
        "repr-at-the-limit",
    ],
)
def test_values_are_bounded(value: object, shown: str) -> None:
    assert safe_repr(value) == shown


class Flag(enum.Flag):
    READ = 1
    WRITE = 2


class BrokenLength(list[int]):
    def __len__(self) -> int:
        raise RuntimeError("no length")


def test_values_with_no_code_form_or_a_failing_part() -> None:
    # A combination of flags has no single name: its own repr, which is not code.
    assert safe_repr(Flag.READ | Flag.WRITE) == repr(Flag.READ | Flag.WRITE)

    class Long:
        def __repr__(self) -> str:
            return "<" + "long" * 100 + ">"

    shown = repr(Long())
    assert safe_repr(Long()) == f"{shown[:200]}... (402 characters)"
    assert safe_repr({"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}) == (
        "{'a': {'b': {'c': {'d': {'e': {'f': {...}}}}}}}"
    )
    assert safe_repr(BrokenLength([1])) == "<BrokenLength object; repr() raised RuntimeError>"


def test_a_list_that_contains_itself() -> None:
    loop: list[object] = []
    loop.append(loop)
    assert safe_repr(loop) == "[[...]]"
    table: dict[str, object] = {}
    table["self"] = table
    assert safe_repr(table) == "{'self': {...}}"


def test_lines_that_cannot_be_pasted_say_why(verifier: StrictVerifier) -> None:
    class Thing:
        def __repr__(self) -> str:
            return "<Thing>"

    loop: list[object] = []
    loop.append(loop)
    for _ in range(4):
        tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        client = redis.Redis()
        client.execute_command("SET", "job", JobStatus.QUEUED)
        client.execute_command("SET", "big", "v" * 300)
        client.execute_command("SET", "loop", loop)
        client.execute_command("SET", "thing", Thing())
    with pytest.raises(UnassertedInteractionsError) as excinfo:
        verifier.verify_all()
    lines = str(excinfo.value).splitlines()
    assert lines == [
        "4 interactions were recorded but never asserted:",
        "    tripwire.redis.assert_command('SET', args=('job', JobStatus.QUEUED), kwargs={})",
        "    tripwire.redis.assert_command('SET', args=('big', "
        f"'{'v' * 200}...' (300 characters)), kwargs={{}})  # not paste-ready: a value was "
        "shortened",
        "    tripwire.redis.assert_command('SET', args=('loop', [[...]]), kwargs={})  "
        "# not paste-ready: a value contains itself",
        "    tripwire.redis.assert_command('SET', args=('thing', <Thing>), kwargs={})  "
        "# not paste-ready: a value's repr is not Python code",
        "Assert each one after the sandbox closes, in the order shown (the lines above can be "
        "pasted, except those marked not paste-ready).",
    ]
    # Every line offered as code parses, or says why not.
    for line in lines[1:5]:
        code = line.strip()
        if "not paste-ready" not in code:
            ast.parse(code)


def test_an_unused_mock_with_an_unpasteable_value(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("GET", returns=b"r" * 201)
    with pytest.raises(UnusedMocksError) as excinfo:
        verifier.verify_all()
    line = str(excinfo.value).splitlines()[1]
    assert line.startswith(f"    tripwire.redis.mock_command('GET', returns=b'{'r' * 200}...' ")
    assert line.endswith(
        "(201 bytes))  # registered at tests/core/test_bounded_messages.py:"
        f"{test_an_unused_mock_with_an_unpasteable_value.__code__.co_firstlineno + 1}; "
        "not paste-ready: a value was shortened"
    )


def test_the_actual_interaction_of_a_mismatch_is_marked(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("SET", returns=True)
    with tripwire:
        redis.Redis().execute_command("SET", "k", Unpasteable())
    with pytest.raises(InteractionMismatchError) as excinfo:
        tripwire.redis.assert_command("SET", args=("k", "v"))
    assert str(excinfo.value).splitlines()[:4] == [
        "Expected the next interaction to be:",
        "    tripwire.redis.assert_command('SET', args=('k', 'v'), kwargs={})",
        "but it was:",
        "    tripwire.redis.assert_command('SET', args=('k', <unpasteable>), kwargs={})  "
        "# not paste-ready: a value's repr is not Python code",
    ]
    verifier.timeline.clear()


@pytest.mark.parametrize("kind", ["unused", "unasserted"])
def test_only_the_listed_records_are_formatted(verifier: StrictVerifier, kind: str) -> None:
    count = 1000
    for _ in range(count):
        tripwire.redis.mock_command("GET", returns=Counted() if kind == "unused" else None)
    if kind == "unasserted":
        with tripwire:
            for _ in range(count):
                redis.Redis().execute_command("GET", Counted())
    Counted.shown = 0
    with pytest.raises(UnusedMocksError if kind == "unused" else UnassertedInteractionsError):
        verifier.verify_all()
    assert Counted.shown == MAX_LISTED
    verifier.dispose()


def test_a_mismatch_formats_only_the_listed_remaining(verifier: StrictVerifier) -> None:
    for _ in range(1000):
        tripwire.redis.mock_command("GET", returns=None)
    with tripwire:
        for _ in range(1000):
            redis.Redis().execute_command("GET", Counted())
    Counted.shown = 0
    with pytest.raises(InteractionMismatchError):
        tripwire.redis.assert_command("SET")
    # The remaining ones listed, plus the actual interaction and its row of fields.
    assert Counted.shown == MAX_LISTED + 2
    verifier.dispose()


class Color(enum.Enum):
    RED = 1

    @classmethod
    def _missing_(cls, value: object) -> Color:
        # A pseudo-member: it has a name, but the class has no attribute of that name.
        member = object.__new__(cls)
        member._name_ = "OTHER"
        member._value_ = value
        return member


def test_values_shown_as_their_own_repr() -> None:
    assert safe_repr(Color(5)) == "<Color.OTHER: 5>"
    shared = [1]
    assert safe_repr([shared, shared]) == "[[1], [1]]"  # met twice, but not inside itself


def test_tuples_and_deques_that_contain_themselves() -> None:
    loop: tuple[list[object]] = ([],)
    loop[0].append(loop)
    assert safe_repr(loop) == "([...],)"
    queue: deque[object] = deque()
    queue.append(queue)
    assert safe_repr(queue) == "deque([...])"


class Long:
    def __repr__(self) -> str:
        return "Long(" + "x" * 300 + ")"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (nested(list, 6), ""),
        (nested(list, 7), "a value was shortened"),
        ({"big": "v" * 201, "long": list(range(21))}, "a value was shortened"),
        ({"long": list(range(21)), "deep": nested(list, 7)}, "a value was shortened"),
        ([Long(), "v" * 201], "a value was shortened"),
        (AtTheLimit(), ""),
    ],
    ids=[
        "nested-to-the-limit",
        "nested-too-deep",
        "long-str-and-long-list",
        "long-list-and-too-deep",
        "long-repr-and-long-str",
        "repr-at-the-limit",
    ],
)
def test_a_line_is_paste_ready_unless_a_value_was_cut(value: object, why: str) -> None:
    line = code_line(lambda: f"f({safe_repr(value)})")
    assert line.partition("  # ")[2] == (f"{NOT_READY}: {why}" if why else "")


def test_a_value_that_contains_itself_is_the_reason_given_over_a_cut() -> None:
    loop: list[object] = []
    loop.append(loop)
    line = code_line(lambda: f"f({safe_repr([loop, 'v' * 201])})")
    assert line.endswith(f"  # {NOT_READY}: a value contains itself")
    line = code_line(lambda: f"f({safe_repr(['v' * 201, loop])})")
    assert line.endswith(f"  # {NOT_READY}: a value contains itself")

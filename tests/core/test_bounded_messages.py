"""Messages stay short whatever the values, say what they cut, and mark lines that cannot be pasted.

Their cost follows what they show: only the records listed are formatted.
"""

from __future__ import annotations

import ast
import enum

import pytest
import redis

import tripwire
from tripwire import (
    InteractionMismatchError,
    StrictVerifier,
    UnassertedInteractionsError,
    UnmockedInteractionError,
    UnusedMocksError,
)
from tripwire._errors import MAX_LISTED, safe_repr


class JobStatus(enum.Enum):
    QUEUED = "queued"


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

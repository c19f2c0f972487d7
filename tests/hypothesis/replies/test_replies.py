"""Property tests for tripwire_hypothesis' reply shapes and error strategies.

They hold for whichever redis-py is installed (4.0 to 8.x): expectations that
differ between redis-py versions state the version condition where they are
made, and the version-dependent table entries are also checked for every
version line directly through ``replies.table.table``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, cast

import pytest
import redis
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from redis import exceptions

from tripwire import InvalidArgumentError

try:  # redis-py >= 5.0
    from redis._parsers import BaseParser
except ImportError:  # redis-py 4.x
    from redis.connection import BaseParser  # type: ignore[attr-defined,unused-ignore]

from tripwire.plugins.redis_plugin.replies.table import table as reply_table
from tripwire_hypothesis._reply_strategies import for_commands as _replies
from tripwire_hypothesis._reply_strategies.errors import error_kinds, redis_errors
from tripwire_hypothesis._reply_strategies.for_commands import (
    REDIS_PY_VERSION,
    REPLY_SHAPES,
    AnyReply,
    Bool,
    Bulk,
    Const,
    DictOf,
    Float,
    Int,
    ListOf,
    Null,
    Nullable,
    Ok,
    OneOf,
    SetOf,
    Sha1,
    Shape,
    Status,
    TupleOf,
    keys,
    redis_py_version,
    replies,
    reply_key,
    reply_shape,
    supported_commands,
    values,
)

COMMANDS = supported_commands()
DECODE = pytest.mark.parametrize("decode", [False, True], ids=["bytes", "str"])


def _minimal(strategy: st.SearchStrategy[Any]) -> Any:
    """The value ``strategy`` shrinks to."""
    return find(strategy, lambda _: True, settings=settings(database=None))


# --------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------


def test_at_least_60_commands_are_supported() -> None:
    real = {c for c in COMMANDS if not any(c.endswith(v) for v in (" WITHSCORES", " COUNT"))}
    assert len(real) >= 60
    assert len(COMMANDS) >= 60


def test_supported_commands_are_the_table_keys_sorted() -> None:
    assert tuple(sorted(REPLY_SHAPES)) == COMMANDS
    assert len(set(COMMANDS)) == len(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_command_names_are_canonical(command: str) -> None:
    assert command == command.upper()
    assert command == " ".join(command.split())
    assert isinstance(REPLY_SHAPES[command], Shape)


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        REPLY_SHAPES["GET"] = Ok()  # type: ignore[index]


@pytest.mark.parametrize(
    "command",
    [
        "GET",
        "SET",
        "SET GET",
        "INCR",
        "INCRBYFLOAT",
        "HGETALL",
        "ZRANGE WITHSCORES",
        "EXISTS",
        "EXPIRE",
        "TTL",
        "KEYS",
        "SCAN",
        "SMEMBERS",
        "EVALSHA",
        "PUBLISH",
        "SCRIPT LOAD",
        "SCRIPT EXISTS",
        "PING",
        "ECHO",
        "DBSIZE",
        "FLUSHDB",
    ],
)
def test_well_known_commands_are_covered(command: str) -> None:
    assert command in REPLY_SHAPES


# --------------------------------------------------------------------------
# Shapes that depend on the redis-py version
# --------------------------------------------------------------------------

_MOVED = Nullable(Bulk())
"""LMOVE/BLMOVE from redis-py 4.1.2 on: the element moved, or None."""

VERSIONED: list[tuple[str, tuple[int, int, int], Shape]] = [
    # redis-py 4.0.0-4.1.1 ran LMOVE/BLMOVE replies through bool().
    ("LMOVE", (4, 0, 0), Bool(shrink_to=False)),
    ("LMOVE", (4, 1, 1), Bool(shrink_to=False)),
    ("LMOVE", (4, 1, 2), _MOVED),
    ("LMOVE", (8, 1, 0), _MOVED),
    ("BLMOVE", (4, 0, 2), Bool(shrink_to=False)),
    ("BLMOVE", (4, 1, 2), _MOVED),
    # redis-py 4.x converts SISMEMBER's reply with bool(), 5.0 dropped that.
    ("SISMEMBER", (4, 0, 2), Bool(shrink_to=False)),
    ("SISMEMBER", (4, 6, 0), Bool(shrink_to=False)),
    ("SISMEMBER", (5, 0, 0), Int(0, 1)),
    ("SISMEMBER", (8, 1, 0), Int(0, 1)),
]
VERSION_LINES: list[tuple[int, int, int]] = [
    (4, 0, 2),
    (4, 1, 2),
    (4, 2, 2),
    (4, 6, 0),
    (5, 0, 0),
    (5, 2, 1),
    (6, 4, 0),
    (7, 4, 1),
    (8, 1, 0),
]


@pytest.mark.parametrize(("command", "version", "shape"), VERSIONED)
def test_shapes_that_depend_on_the_redis_py_version(
    command: str, version: tuple[int, int, int], shape: Shape
) -> None:
    assert reply_table(version)[command] == shape


def test_no_other_shape_depends_on_the_redis_py_version() -> None:
    newest = reply_table(VERSION_LINES[-1])
    differing: set[str] = set()
    for version in VERSION_LINES:
        table = reply_table(version)
        assert list(table) == list(newest)  # the same commands, in every version
        differing |= {command for command in newest if table[command] != newest[command]}
    assert differing == {"LMOVE", "BLMOVE", "SISMEMBER"}


def test_the_table_describes_the_installed_redis_py() -> None:
    assert redis_py_version(redis.__version__) == REDIS_PY_VERSION
    assert dict(REPLY_SHAPES) == reply_table(REDIS_PY_VERSION)


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("4.0.2", (4, 0, 2)),
        ("8.1.0", (8, 1, 0)),
        ("5.0.0b1", (5, 0, 0)),
        ("4.1.2.dev0", (4, 1, 2)),
        ("7.4", (7, 4, 0)),
        ("8", (8, 0, 0)),
    ],
)
def test_redis_py_version_parsing(text: str, version: tuple[int, int, int]) -> None:
    assert redis_py_version(text) == version


# --------------------------------------------------------------------------
# Generated values satisfy their shape
# --------------------------------------------------------------------------


@DECODE
@pytest.mark.parametrize("command", COMMANDS)
def test_generated_replies_match_their_shape(command: str, decode: bool) -> None:
    shape = reply_shape(command)

    @settings(max_examples=25, database=None, deadline=None)
    @given(replies(command, decode_responses=decode))
    def check(value: Any) -> None:
        assert shape.matches(value, decode_responses=decode), value

    check()


@settings(max_examples=300, deadline=None)
@given(data=st.data(), command=st.sampled_from(COMMANDS), decode=st.booleans())
def test_any_command_any_mode(data: st.DataObject, command: str, decode: bool) -> None:
    value = data.draw(replies(command, decode_responses=decode), label="reply")
    assert reply_shape(command).matches(value, decode_responses=decode)


@DECODE
@pytest.mark.parametrize("command", COMMANDS)
def test_no_shape_matches_an_arbitrary_object(command: str, decode: bool) -> None:
    assert not reply_shape(command).matches(object(), decode_responses=decode)


@pytest.mark.parametrize("command", COMMANDS)
def test_bulk_strings_of_the_other_mode_are_rejected(command: str) -> None:
    """A reply containing a str never matches in bytes mode, and vice versa."""
    shape = reply_shape(command)

    @settings(max_examples=25, database=None, deadline=None)
    @given(replies(command, decode_responses=True))
    def check(value: Any) -> None:
        if _contains(value, str) and command != "SCRIPT LOAD":
            assert not shape.matches(value, decode_responses=False), value

    check()


def _contains(value: object, kind: type) -> bool:
    if isinstance(value, kind):
        return True
    if isinstance(value, dict):
        return any(_contains(k, kind) or _contains(v, kind) for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return any(_contains(v, kind) for v in value)
    return False


@given(keys())
def test_keys_are_short_readable_bytes(key: bytes) -> None:
    assert re.fullmatch(rb"[a-z]+:\d{1,4}", key)


@given(keys(decode_responses=True))
def test_decoded_keys_are_str(key: str) -> None:
    assert re.fullmatch(r"[a-z]+:\d{1,4}", key)


@given(values(max_size=5))
def test_values_respect_max_size(value: bytes) -> None:
    assert isinstance(value, bytes)
    assert len(value) <= 5


@given(values(decode_responses=True, max_size=0))
def test_values_can_be_empty_only(value: str) -> None:
    assert value == ""


# --------------------------------------------------------------------------
# matches() rejects wrong types
# --------------------------------------------------------------------------

WRONG: list[tuple[str, object, bool]] = [
    ("GET", "text", False),  # str while not decoding
    ("GET", b"text", True),  # bytes while decoding
    ("GET", 1, False),
    ("SET", b"OK", False),
    ("SET", 1, False),
    ("SET", False, False),
    ("INCR", True, False),  # bool is not an int reply
    ("INCR", 1.0, False),
    ("INCR", b"1", False),
    ("INCRBYFLOAT", 1, False),
    ("INCRBYFLOAT", b"1.5", False),
    ("INCRBYFLOAT", float("inf"), False),
    ("INCRBYFLOAT", float("nan"), False),
    ("ZSCORE", float("nan"), False),
    ("EXPIRE", 1, False),
    ("EXISTS", -1, False),
    ("EXISTS", True, False),
    ("TTL", -3, False),
    ("HGETALL", [(b"f", b"v")], False),
    ("HGETALL", {"f": "v"}, False),
    ("HGETALL", {b"f": None}, False),
    ("SMEMBERS", [b"a"], False),
    ("SMEMBERS", frozenset({b"a"}), False),
    ("KEYS", (b"a",), False),
    ("KEYS", [b"a", b"a"], False),  # KEYS never repeats a key
    ("ZRANGE WITHSCORES", [[b"a", 1.0]], False),  # RESP3-native shape, not the default
    ("ZRANGE WITHSCORES", [(b"a", b"1")], False),
    ("ZRANGE WITHSCORES", [(b"a", 1.0, 2.0)], False),
    ("SCAN", [0, []], False),
    ("SCAN", (b"0", []), False),
    ("SCAN", (-1, []), False),
    ("BLPOP", [b"k", b"v"], False),
    ("TYPE", b"strange", False),
    ("TYPE", "string", False),
    ("SCRIPT LOAD", b"a" * 40, False),
    ("SCRIPT LOAD", "xyz", False),
    ("SCRIPT EXISTS", [1], False),
    ("SCRIPT EXISTS", [], False),
    ("MGET", [], False),
    ("LPOP COUNT", [], False),
    ("TIME", (1, 1_000_000), False),
    ("PING", b"PONG", False),
    ("EVAL", object(), False),
    ("EVAL", [b"a", "b"], False),
    ("EVAL", "a", False),
    # SISMEMBER is a bool in redis-py 4.x, an int from 5.0 on; never the other one.
    ("SISMEMBER", 1 if REDIS_PY_VERSION < (5, 0, 0) else True, False),
    # LMOVE is a bool in redis-py < 4.1.2, the element (or None) from then on.
    ("LMOVE", b"a" if REDIS_PY_VERSION < (4, 1, 2) else True, False),
]


@pytest.mark.parametrize(("command", "value", "decode"), WRONG)
def test_matches_rejects_wrong_types(command: str, value: object, decode: bool) -> None:
    assert not reply_shape(command).matches(value, decode_responses=decode)


RIGHT: list[tuple[str, object, bool]] = [
    ("GET", None, False),
    ("GET", b"", False),
    ("GET", "", True),
    ("SET", True, False),
    ("SET", None, False),
    ("TTL", -2, False),
    ("TTL", -1, False),
    ("TTL", 0, False),
    ("ZSCORE", float("-inf"), False),
    ("ZRANGE WITHSCORES", [(b"a", 1.0), (b"b", float("inf"))], False),
    ("SCAN", (0, [b"k", b"k"]), False),
    ("SCRIPT LOAD", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", False),
    ("SCRIPT LOAD", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", True),
    ("TYPE", b"zset", False),
    ("TYPE", "none", True),
    ("EVAL", None, False),
    ("EVAL", [1, b"a", [None, True, 1.5]], False),
    ("EVAL", {"k": ["v", 1]}, True),
    ("PUBSUB NUMSUB", [(b"channel:1", 0)], False),
    ("ZRANK", None, False),
    ("TIME", (1_700_000_000, 999_999), False),
    ("SISMEMBER", True if REDIS_PY_VERSION < (5, 0, 0) else 1, False),
    ("LMOVE", False if REDIS_PY_VERSION < (4, 1, 2) else None, False),
    ("LMOVE", True if REDIS_PY_VERSION < (4, 1, 2) else "a", True),
]


@pytest.mark.parametrize(("command", "value", "decode"), RIGHT)
def test_matches_accepts_real_shapes(command: str, value: object, decode: bool) -> None:
    assert reply_shape(command).matches(value, decode_responses=decode)


def test_grammar_edge_cases() -> None:
    assert TupleOf(Int(), Float(), as_list=True).matches([1, 2.0])
    assert not TupleOf(Int(), Float(), as_list=True).matches((1, 2.0))
    assert not TupleOf(Int(), Float()).matches((1,))
    assert Const(-2).matches(-2)
    assert not Const(-2).matches(-2.0)
    assert not Const(1).matches(True)
    assert Null().matches(None)
    assert not Null().matches(0)
    assert not Bool().matches(1)
    assert not ListOf(Bulk(), unique=True).matches([[1], [1]])
    assert SetOf(Int()).matches(set())
    assert not Status("a").matches(1)
    assert Status("a").matches(b"a")
    assert not Sha1().matches("A" * 40)
    nested: list[Any] = [None]
    for _ in range(40):
        nested = [nested]
    assert not AnyReply().matches(nested)


# --------------------------------------------------------------------------
# Shrinking
# --------------------------------------------------------------------------

SHRINKS_TO: list[tuple[str, object]] = [
    ("GET", None),
    ("SET", True),
    ("SET GET", None),
    ("SETNX", True),
    ("EXPIRE", True),
    ("HEXISTS", False),
    ("INCR", 0),
    ("EXISTS", 0),
    ("LPUSH", 1),
    ("TTL", -2),
    ("HGETALL", {}),
    ("SMEMBERS", set()),
    ("KEYS", []),
    ("SCAN", (0, [])),
    ("ZRANGE WITHSCORES", []),
    ("ZSCORE", None),
    ("ZINCRBY", 0.0),
    ("BLPOP", None),
    ("TYPE", b"none"),
    ("EVALSHA", None),
    ("SCRIPT EXISTS", [False]),
    ("MGET", [None]),
    ("PING", True),
    ("ECHO", b""),
    ("TIME", (0, 0)),
]


@pytest.mark.parametrize(("command", "expected"), SHRINKS_TO)
def test_replies_shrink_to_the_simplest_outcome(command: str, expected: object) -> None:
    value = _minimal(replies(command))
    assert value == expected
    assert type(value) is type(expected)


def test_building_blocks_shrink() -> None:
    assert _minimal(keys()) == b"key:0"
    assert _minimal(keys(decode_responses=True)) == "key:0"
    assert _minimal(values()) == b""
    assert _minimal(replies("SCRIPT LOAD")) == "0" * 40


def test_errors_shrink_to_a_closed_connection() -> None:
    error = _minimal(redis_errors())
    assert type(error) is exceptions.ConnectionError
    assert error.args == ("Connection closed by server.",)


def test_errors_shrink_in_kind_order_regardless_of_argument_order() -> None:
    error = _minimal(redis_errors(kinds={"moved", "noscript", "timeout"}))
    assert type(error) is exceptions.TimeoutError


# --------------------------------------------------------------------------
# Reprs
# --------------------------------------------------------------------------


def test_reprs_are_readable() -> None:
    assert repr(reply_shape("GET")) == "Nullable(Bulk())"
    assert repr(reply_shape("ZRANGE WITHSCORES")) == (
        "ListOf(TupleOf(Bulk(kind='member'), Float(allow_infinity=True)))"
    )
    assert repr(reply_shape("TTL")) == "OneOf(Const(-2), Const(-1), Int(min_value=0))"
    assert repr(reply_shape("KEYS")) == "ListOf(Bulk(kind='key'), unique=True)"
    assert repr(TupleOf(Int(), Float(), as_list=True)) == "TupleOf(Int(), Float(), as_list=True)"


@pytest.mark.parametrize("command", COMMANDS)
def test_reprs_evaluate_back_to_the_shape(command: str) -> None:
    shape = reply_shape(command)
    assert eval(repr(shape), vars(_replies)) == shape


# --------------------------------------------------------------------------
# reply_key: the execute_command call -> table entry
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "options", "expected"),
    [
        (("GET", "k"), {}, "GET"),
        (("get", "k"), {}, "GET"),
        (("SET", "k", "v"), {}, "SET"),
        (("SET", "k", "v", "GET"), {"get": True}, "SET GET"),
        (("ZRANGE", "z", 0, -1), {"withscores": False}, "ZRANGE"),
        (("ZRANGE", "z", 0, -1, "WITHSCORES"), {"withscores": True}, "ZRANGE WITHSCORES"),
        (("ZPOPMIN", "z"), {"withscores": True}, "ZPOPMIN"),
        (("ZADD", "z", "INCR", 1, "a"), {"as_score": True}, "ZADD INCR"),
        (("ZADD", "z", 1, "a"), {}, "ZADD"),
        (("LPOP", "l"), {}, "LPOP"),
        (("LPOP", "l", 2), {}, "LPOP COUNT"),
        (("SRANDMEMBER", "s", 3), {}, "SRANDMEMBER COUNT"),
        (("SCRIPT LOAD", "return 1"), {}, "SCRIPT LOAD"),
        (("FOO",), {}, "FOO"),
    ],
)
def test_reply_key(args: tuple[Any, ...], options: dict[str, Any], expected: str) -> None:
    assert reply_key(*args, **options) == expected


def test_reply_key_needs_a_command_name() -> None:
    message = (
        "reply_key() needs the command name (a str) as first positional argument, "
        "got None of type NoneType"
    )
    with pytest.raises(InvalidArgument, match=f"^{re.escape(message)}$"):
        reply_key()


# --------------------------------------------------------------------------
# Argument validation
# --------------------------------------------------------------------------


def _raises(message: str) -> Any:
    return pytest.raises(InvalidArgument, match=f"^{re.escape(message)}$")


def _refused(message: str) -> Any:
    return pytest.raises(InvalidArgumentError, match=f"^{re.escape(message)}$")


def test_unknown_command_is_rejected_eagerly() -> None:
    with _raises(
        "replies() argument 'command' must be one of the supported commands "
        "(see supported_commands()), got 'FOO'"
    ):
        replies("FOO")


def test_unknown_command_suggests_a_close_match() -> None:
    with _raises(
        "replies() argument 'command' must be one of the supported commands "
        "(see supported_commands()), got 'HGETAL'; did you mean 'HGETALL'?"
    ):
        replies("HGETAL")


def test_reply_shape_rejects_unknown_command() -> None:
    with _raises(
        "reply_shape() argument 'command' must be one of the supported commands "
        "(see supported_commands()), got 'NOPE'"
    ):
        reply_shape("NOPE")


def test_command_must_be_a_str() -> None:
    with _raises("replies() argument 'command' must be a str, got b'GET' of type bytes"):
        replies(b"GET")  # type: ignore[arg-type]


def test_decode_responses_must_be_a_bool() -> None:
    with _raises("replies() argument 'decode_responses' must be a bool, got 1 of type int"):
        replies("GET", decode_responses=1)  # type: ignore[arg-type]
    with _raises("keys() argument 'decode_responses' must be a bool, got None of type NoneType"):
        keys(decode_responses=None)  # type: ignore[arg-type]


def test_values_max_size_must_be_a_non_negative_int() -> None:
    with _raises("values() argument 'max_size' must be a non-negative int, got -1 of type int"):
        values(max_size=-1)


def test_command_lookup_is_case_and_space_insensitive() -> None:
    assert reply_shape("script   load") == reply_shape("SCRIPT LOAD")
    assert replies("get") is replies("GET")


def test_invalid_shapes_are_rejected() -> None:
    # The grammar lives in the Redis plugin, which checks mocks with it: its errors are
    # tripwire's (a TypeError, as Hypothesis' InvalidArgument is).
    with _refused("Int() needs min_value <= max_value, got 2 > 1"):
        Int(2, 1)
    with _refused("Nullable() expects Shape instances, got 1 of type int"):
        Nullable(1)  # type: ignore[arg-type]
    with _refused("OneOf() needs at least one Shape"):
        OneOf()
    with pytest.raises(
        InvalidArgumentError, match="^" + re.escape("Bulk() argument 'kind' must be one of")
    ):
        Bulk("nope")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        ListOf(Bulk(), min_size=3, max_size=2)
    with pytest.raises(InvalidArgumentError):
        TupleOf()
    with pytest.raises(InvalidArgumentError):
        Status()
    with pytest.raises(InvalidArgumentError):
        DictOf(Bulk(), "v")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        SetOf(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Error strategies
# --------------------------------------------------------------------------

_CLUSTER = REDIS_PY_VERSION >= (6, 0, 0)
"""redis-py >= 6 maps cluster redirections in every client, before only in the cluster one."""
HAS_STATUS_CODE = REDIS_PY_VERSION >= (7, 2, 0)
"""redis-py 7.2 added ``RedisError.status_code`` (the reply's error prefix, or None)."""
UNMAPPED_STATUS_CODE = REDIS_PY_VERSION >= (8, 2, 0)
"""redis-py 8.2 sets ``status_code`` for unmapped prefixes too (``WRONGTYPE``, ``BUSY``, ...)."""

EXPECTED_CLASS: dict[str, type[exceptions.RedisError]] = {
    "connection": exceptions.ConnectionError,
    "timeout": exceptions.TimeoutError,
    "loading": exceptions.BusyLoadingError,
    "readonly": exceptions.ReadOnlyError,
    "wrongtype": exceptions.ResponseError,
    # redis-py 4.6 added OutOfMemoryError; before, OOM is a plain ResponseError.
    "oom": exceptions.OutOfMemoryError
    if REDIS_PY_VERSION >= (4, 6, 0)
    else exceptions.ResponseError,
    "noscript": exceptions.NoScriptError,
    "busy": exceptions.ResponseError,
    "noauth": exceptions.AuthenticationError,
    # redis-py 4.4 mapped WRONGPASS; before, it is a plain ResponseError.
    "wrongpass": (
        exceptions.AuthenticationError
        if REDIS_PY_VERSION >= (4, 4, 0)
        else exceptions.ResponseError
    ),
    "noperm": exceptions.NoPermissionError,
    "execabort": exceptions.ExecAbortError,
    "err": exceptions.ResponseError,
    # redis-py 8.2 added MaxClientsReachedError (a ConnectionError) for this reply.
    "max_clients": getattr(exceptions, "MaxClientsReachedError", exceptions.ConnectionError),
    "misconf": exceptions.ResponseError,
    "busykey": exceptions.ResponseError,
    "noreplicas": exceptions.ResponseError,
    "moved": exceptions.MovedError if _CLUSTER else exceptions.ResponseError,
    "ask": exceptions.AskError if _CLUSTER else exceptions.ResponseError,
    "tryagain": exceptions.TryAgainError if _CLUSTER else exceptions.ResponseError,
    "clusterdown": exceptions.ClusterDownError if _CLUSTER else exceptions.ResponseError,
    "crossslot": exceptions.ClusterCrossSlotError if _CLUSTER else exceptions.ResponseError,
    "masterdown": exceptions.MasterDownError if _CLUSTER else exceptions.ResponseError,
}
CLIENT_SIDE = {"connection", "timeout"}
WIRE_CODE: dict[str, str] = {
    "loading": "LOADING",
    "readonly": "READONLY",
    "wrongtype": "WRONGTYPE",
    "oom": "OOM",
    "noscript": "NOSCRIPT",
    "busy": "BUSY",
    "noauth": "NOAUTH",
    "wrongpass": "WRONGPASS",
    "noperm": "NOPERM",
    "execabort": "EXECABORT",
    "err": "ERR",
    "max_clients": "ERR",
    "misconf": "MISCONF",
    "busykey": "BUSYKEY",
    "noreplicas": "NOREPLICAS",
    "moved": "MOVED",
    "ask": "ASK",
    "tryagain": "TRYAGAIN",
    "clusterdown": "CLUSTERDOWN",
    "crossslot": "CROSSSLOT",
    "masterdown": "MASTERDOWN",
}
"""The prefix of the server's error line for each server-side kind."""
# A classmethod from redis-py 4.5.5 on, an instance method (using no state) before.
_PARSER: Any = (
    BaseParser
    if isinstance(inspect.getattr_static(BaseParser, "parse_error"), classmethod)
    else cast("Any", BaseParser)()
)
_parse_error: Callable[[str], Any] = _PARSER.parse_error
"""redis-py's own error-reply parser (untyped upstream)."""


def test_error_kinds_start_with_connection_failures() -> None:
    assert error_kinds()[:2] == ("connection", "timeout")
    assert set(error_kinds()) == set(EXPECTED_CLASS)
    assert set(error_kinds()) == CLIENT_SIDE | set(WIRE_CODE)


def _wire_message(error: exceptions.RedisError, kind: str) -> str:
    """Rebuild the server's error line from what redis-py's parser made of it.

    An unmapped prefix stays in the message; a mapped one is dropped (and is the
    ``status_code`` from redis-py 7.2 on; an unmapped one is too from 8.2 on).
    """
    (message,) = error.args
    assert isinstance(message, str)
    code = WIRE_CODE[kind]
    mapped = not message.startswith(f"{code} ")
    if HAS_STATUS_CODE:
        assert error.status_code == (code if mapped or UNMAPPED_STATUS_CODE else None)
    return f"{code} {message}" if mapped else message


@pytest.mark.parametrize("kind", error_kinds())
def test_each_kind_produces_exactly_the_class_redis_py_raises(kind: str) -> None:
    @settings(max_examples=30, database=None, deadline=None)
    @given(redis_errors(kinds=[kind]))
    def check(error: exceptions.RedisError) -> None:
        assert type(error) is EXPECTED_CLASS[kind]
        assert len(error.args) == 1
        assert isinstance(error.args[0], str)
        assert error.args[0]
        if kind in CLIENT_SIDE:
            if HAS_STATUS_CODE:
                assert error.status_code is None
            else:
                assert not hasattr(error, "status_code")
            return
        # Feed the server's error line through redis-py's own parser.
        wire = _wire_message(error, kind)
        assert wire.split(" ")[0].isupper()
        parsed = _parse_error(wire)
        assert type(parsed) is type(error)
        assert parsed.args == error.args
        assert vars(parsed) == vars(error)

    check()


@given(redis_errors())
def test_every_error_is_a_redis_error(error: exceptions.RedisError) -> None:
    assert isinstance(error, exceptions.RedisError)
    assert repr(error)


def test_moved_errors_carry_a_slot_and_address() -> None:
    @settings(max_examples=30, database=None)
    @given(redis_errors(kinds=["moved", "ask"]))
    def check(error: exceptions.RedisError) -> None:
        if _CLUSTER:
            assert isinstance(error, exceptions.AskError)
            assert 0 <= error.slot_id <= 16383
            assert error.host == "127.0.0.1"

    check()


def test_kinds_must_be_a_collection_not_a_str() -> None:
    with _raises(
        "redis_errors() argument 'kinds' must be a collection of kind names "
        "(e.g. ['connection', 'timeout']) or None, got 'connection' of type str"
    ):
        redis_errors(kinds="connection")
    with pytest.raises(
        InvalidArgument, match="^" + re.escape("redis_errors() argument 'kinds' must be a")
    ):
        redis_errors(kinds=3)  # type: ignore[arg-type]


def test_kinds_must_not_be_empty() -> None:
    with _raises(
        f"redis_errors() argument 'kinds' must not be empty; choose from {', '.join(error_kinds())}"
    ):
        redis_errors(kinds=[])


def test_kinds_must_be_known() -> None:
    with _raises(
        "redis_errors() argument 'kinds' contains unknown kind 'oops'; valid kinds are: "
        f"{', '.join(error_kinds())}"
    ):
        redis_errors(kinds=["connection", "oops"])
    with pytest.raises(InvalidArgument, match="contains unknown kind 1;"):
        redis_errors(kinds=[1])  # type: ignore[list-item]

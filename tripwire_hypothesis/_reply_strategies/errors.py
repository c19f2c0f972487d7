"""Error-injection strategies: the exceptions redis-py itself raises.

Client-side failures (``"connection"``, ``"timeout"``) are built directly with
the message texts redis-py's connection code uses.  Server error replies are
built from a realistic wire message (``"NOSCRIPT No matching script. Please
use EVAL."``) passed through the installed redis-py's own error parser
(``BaseParser.parse_error``), so the generated exception has exactly the
class, message and ``status_code`` redis-py would raise for that reply, in
whatever redis-py version is installed.

Mapping by redis-py's parser; unmapped prefixes give a plain ``ResponseError``
carrying the full message, mapped ones drop the prefix from the message:

=============================  =================================================
``ERR max number of clients``  ``MaxClientsReachedError`` (redis-py >= 8.2; before,
                               ``ConnectionError``), a ``ConnectionError`` (other
                               ``ERR``: ``ResponseError`` without the ``ERR`` prefix)
``LOADING``                    ``BusyLoadingError`` (a ``ConnectionError``)
``NOAUTH``                     ``AuthenticationError`` (a ``ConnectionError``)
``WRONGPASS``                  ``AuthenticationError`` (redis-py >= 4.4; before,
                               ``ResponseError("WRONGPASS ...")``)
``READONLY``                   ``ReadOnlyError``
``OOM``                        ``OutOfMemoryError`` (redis-py >= 4.6, which added
                               the class; before, ``ResponseError("OOM ...")``)
``NOSCRIPT``                   ``NoScriptError``
``NOPERM``                     ``NoPermissionError``
``EXECABORT``                  ``ExecAbortError``
``MOVED`` / ``ASK``            ``MovedError`` / ``AskError`` (redis-py >= 6.0;
                               before, only the cluster client mapped them and a
                               plain client raised ``ResponseError("MOVED ...")``)
``TRYAGAIN``, ``CLUSTERDOWN``,  ``TryAgainError``, ``ClusterDownError``,
``CROSSSLOT``, ``MASTERDOWN``  ``ClusterCrossSlotError``, ``MasterDownError``
                               (redis-py >= 6.0, as for ``MOVED``)
``WRONGTYPE``, ``BUSY``,       ``ResponseError`` with the full message
``BUSYKEY``, ``MISCONF``,
``NOREPLICAS``
=============================  =================================================

Other differences between redis-py versions, all reproduced because the
installed parser builds the exceptions:

* ``status_code`` (the prefix of a mapped error, ``None`` otherwise) exists
  from redis-py 7.2 on; older exceptions have no such attribute.  From 8.2 on
  an unmapped prefix (``WRONGTYPE``, ``BUSY``) is the ``status_code`` too.
* ``BaseParser.parse_error`` is a classmethod from redis-py 4.5.5 on; before,
  it is an instance method (see :func:`_bind_parse_error`).
* A wrong password (``AUTH`` answered with ``WRONGPASS``) raises what the
  table gives for ``WRONGPASS``: ``ResponseError`` before redis-py 4.4.
"""

from __future__ import annotations

import inspect
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, cast

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from redis import exceptions

try:  # redis-py >= 5.0
    from redis._parsers import BaseParser
except ImportError:  # pragma: no cover - redis-py 4.x
    from redis.connection import BaseParser  # type: ignore[attr-defined,unused-ignore]

if TYPE_CHECKING:
    from collections.abc import Callable

    from hypothesis.strategies import SearchStrategy

__all__ = ["error_kinds", "redis_errors"]


def _bind_parse_error() -> Callable[[str], object]:
    """Return redis-py's error-reply parser as a function of the reply line.

    From redis-py 4.5.5 on ``BaseParser.parse_error`` is a classmethod.  Before,
    it is an instance method, which uses no instance state: it is bound to a
    bare ``BaseParser`` (instantiable in those versions).
    """
    if isinstance(inspect.getattr_static(BaseParser, "parse_error"), classmethod):
        # redis-py's parser is untyped; this is its signature.
        parse: Callable[[str], object] = BaseParser.parse_error
        return parse
    parser: Any = cast("Any", BaseParser)()  # pragma: no cover - redis-py < 4.5.5
    return cast("Callable[[str], object]", parser.parse_error)  # pragma: no cover


_parse_error: Callable[[str], object] = _bind_parse_error()

_HOSTS = ("127.0.0.1:6379", "localhost:6379", "127.0.0.1:6380")

_CLIENT_SIDE: dict[str, type[exceptions.RedisError]] = {
    "connection": exceptions.ConnectionError,
    "timeout": exceptions.TimeoutError,
}

# Kind name -> message texts, first (simplest) first.  For the client-side
# kinds these are the texts redis-py's connection code raises with; for the
# others they are the server's error reply lines, ``{slot}``/``{port}``
# being filled in for cluster redirections.
_MESSAGES: dict[str, tuple[str, ...]] = {
    "connection": (
        "Connection closed by server.",
        *(f"Error 111 connecting to {host}. Connection refused." for host in _HOSTS),
        *(
            f"Error while reading from {host} : (104, 'Connection reset by peer')"
            for host in _HOSTS
        ),
        "Error 32 while writing to socket. Broken pipe.",
    ),
    "timeout": (
        *(f"Timeout reading from {host}" for host in _HOSTS),
        "Timeout connecting to server",
        "Timeout writing to socket",
    ),
    "loading": ("LOADING Redis is loading the dataset in memory",),
    "readonly": ("READONLY You can't write against a read only replica.",),
    "wrongtype": ("WRONGTYPE Operation against a key holding the wrong kind of value",),
    "oom": ("OOM command not allowed when used memory > 'maxmemory'.",),
    "noscript": ("NOSCRIPT No matching script. Please use EVAL.",),
    "busy": (
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.",
    ),
    "noauth": ("NOAUTH Authentication required.",),
    "wrongpass": ("WRONGPASS invalid username-password pair or user is disabled.",),
    "noperm": (
        "NOPERM this user has no permissions to run the 'get' command or its subcommand",
        "NOPERM User default has no permissions to run the 'set' command",
    ),
    "execabort": ("EXECABORT Transaction discarded because of previous errors.",),
    "err": (
        "ERR value is not an integer or out of range",
        "ERR syntax error",
        "ERR wrong number of arguments for 'get' command",
        "ERR value is not a valid float",
        "ERR no such key",
        "ERR index out of range",
        "ERR unknown command 'FOO', with args beginning with: ",
    ),
    "max_clients": ("ERR max number of clients reached",),
    "misconf": (
        "MISCONF Redis is configured to save RDB snapshots, but it's currently unable "
        "to persist to disk. Commands that may modify the data set are disabled, because "
        "this instance is configured to report errors during writes if RDB snapshotting "
        "fails (stop-writes-on-bgsave-error option). Please check the Redis logs for "
        "details about the RDB error.",
    ),
    "busykey": ("BUSYKEY Target key name already exists.",),
    "noreplicas": ("NOREPLICAS Not enough good replicas to write.",),
    "moved": ("MOVED {slot} 127.0.0.1:{port}",),
    "ask": ("ASK {slot} 127.0.0.1:{port}",),
    "tryagain": ("TRYAGAIN Multiple keys request during rehashing of slot",),
    "clusterdown": ("CLUSTERDOWN The cluster is down", "CLUSTERDOWN Hash slot not served"),
    "crossslot": ("CROSSSLOT Keys in request don't hash to the same slot",),
    "masterdown": (
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
    ),
}

_KIND_NAMES: tuple[str, ...] = tuple(_MESSAGES)


def _from_server(message: str) -> exceptions.RedisError:
    """Return the exception redis-py raises for the server error reply ``message``."""
    error = _parse_error(message)
    assert isinstance(error, exceptions.RedisError)
    return error


def _build(choice: tuple[str, int, int, int]) -> exceptions.RedisError:
    kind, variant, slot, port = choice
    messages = _MESSAGES[kind]
    message = messages[variant % len(messages)].format(slot=slot, port=port)
    client_side = _CLIENT_SIDE.get(kind)
    if client_side is not None:
        return client_side(message)
    return _from_server(message)


def error_kinds() -> tuple[str, ...]:
    """Return the kind names :func:`redis_errors` accepts, in shrink order.

    ``"connection"`` (a dropped or refused connection) comes first, then
    ``"timeout"``, then the server error replies (``"loading"``,
    ``"readonly"``, ``"wrongtype"``, ``"oom"``, ``"noscript"``, ...).
    """
    return _KIND_NAMES


def redis_errors(*, kinds: Collection[str] | None = None) -> SearchStrategy[exceptions.RedisError]:
    """Generate instances of the exceptions redis-py raises when a command fails.

    Each value is an instance of exactly the class redis-py raises, with a
    realistic message: ``ConnectionError``/``TimeoutError`` for client-side
    failures, and for server error replies whatever redis-py's parser turns
    the reply into (``NoScriptError``, ``ReadOnlyError``,
    ``BusyLoadingError``, ``ResponseError("WRONGTYPE ...")``, ...).  ``kinds``
    restricts generation to some of :func:`error_kinds` (all when ``None``).
    Shrinks towards a ``ConnectionError("Connection closed by server.")``, or
    towards the earliest selected kind in :func:`error_kinds` order.  Raises
    ``InvalidArgument`` eagerly for a bad ``kinds``.
    """
    if kinds is None:
        selected = _KIND_NAMES
    else:
        if isinstance(kinds, (str, bytes)) or not isinstance(kinds, Collection):
            raise InvalidArgument(
                "redis_errors() argument 'kinds' must be a collection of kind names "
                f"(e.g. ['connection', 'timeout']) or None, got {kinds!r} "
                f"of type {type(kinds).__name__}"
            )
        wanted = list(kinds)
        if not wanted:
            raise InvalidArgument(
                "redis_errors() argument 'kinds' must not be empty; "
                f"choose from {', '.join(_KIND_NAMES)}"
            )
        for kind in wanted:
            if not isinstance(kind, str) or kind not in _MESSAGES:
                raise InvalidArgument(
                    f"redis_errors() argument 'kinds' contains unknown kind {kind!r}; "
                    f"valid kinds are: {', '.join(_KIND_NAMES)}"
                )
        selected = tuple(name for name in _KIND_NAMES if name in wanted)
    # Every example draws the same four choices (kind, message variant, slot,
    # port), so Hypothesis shrinks by kind order first, then to the first
    # message; a one_of of per-kind strategies would instead shrink towards
    # whichever kind needs the fewest choices.
    return st.tuples(
        st.sampled_from(selected),
        st.integers(0, 255),
        st.integers(0, 16383),
        st.integers(7000, 7005),
    ).map(_build)

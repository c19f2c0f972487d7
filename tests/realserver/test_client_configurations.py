"""What a session's answer becomes for clients of every configuration, checked on a real server.

A session draws each reply as a client of the default configuration receives it, and the
calling client's own callbacks make what the code gets (`tripwire_hypothesis._answerers.
clients`). Here, for every command of the table and every call of ``test_reply_shapes.CASES``:
the reply a default client got from the server, made into what a client of another
configuration gets (``protocol=3``; ``legacy_responses=False`` on redis-py 8; valkey-py's
client), equals what that client got from the server for the same call on the same data.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from tests.realserver import test_reply_shapes as reply_shapes
from tests.realserver.test_reply_shapes import (
    CASES,
    POPULATED,
    Case,
    _populate,
    _record,
    _Server,
)
from tripwire_hypothesis._answerers.clients import library_error, through_callbacks
from tripwire_hypothesis._reply_strategies.for_calls import command_name
from tripwire_hypothesis._reply_strategies.for_commands import REDIS_PY_VERSION

#: Replies the server draws at random, or reads off its clock, or counts subscribers by (the
#: first client's subscription may not be gone yet when the second client asks): compared by
#: their shape only.
RANDOM = frozenset(
    {
        *("RANDOMKEY", "SPOP", "SPOP COUNT", "SRANDMEMBER", "SRANDMEMBER COUNT"),
        *("TIME", "TTL", "PTTL"),
        *("PUBLISH", "PUBSUB CHANNELS", "PUBSUB NUMSUB", "PUBSUB NUMPAT"),
    }
)

#: Replies a default client gets as a set: another client gets their members in the server's
#: order, which the set does not keep.
UNORDERED = frozenset({"SMEMBERS", "SINTER", "SUNION", "SDIFF", "KEYS"})
#: Scans, whose page of keys or members is in the order of the server's hash table.
UNORDERED_PAGES = frozenset({"SCAN", "SSCAN"})


def _configurations() -> list[tuple[str, dict[str, Any]]]:
    """(library, options) of each client configuration whose replies differ from the default."""
    found: list[tuple[str, dict[str, Any]]] = []
    if REDIS_PY_VERSION >= (5, 0, 0):
        found.append(("redis", {"protocol": 3}))
    if REDIS_PY_VERSION >= (8, 0, 0):
        found.append(("redis", {"legacy_responses": False}))
        found.append(("redis", {"protocol": 2, "legacy_responses": False}))
    if importlib.util.find_spec("valkey") is not None:
        found.append(("valkey", {}))
        found.append(("valkey", {"protocol": 3}))
    return found


#: What a default client of redis-py before 8 (RESP2) receives has lost what a RESP3 client gets:
#: a script's double or map (a bulk string, a flat array). And redis-py 4.0 and 4.1 turn LMOVE's
#: element into a bool. Those replies cannot be made back into another client's: not compared.
_LOST_ON_RESP2 = frozenset({"EVAL", "EVALSHA"})
_LOST_BEFORE_4_1_2 = frozenset({"LMOVE", "BLMOVE"})


def _comparable(command: str, options: dict[str, Any]) -> bool:
    resp3_target = str(options.get("protocol")) == "3" or (
        "protocol" not in options and REDIS_PY_VERSION >= (8, 0, 0)
    )
    if command in _LOST_ON_RESP2 and REDIS_PY_VERSION < (8, 0, 0) and resp3_target:
        return False
    return not (command in _LOST_BEFORE_4_1_2 and REDIS_PY_VERSION < (4, 1, 2))


def _params() -> Iterator[Any]:
    for library, options in _configurations():
        spelled = ",".join(f"{name}={value}" for name, value in options.items()) or "default"
        for command, cases in CASES.items():
            if not _comparable(command, options):
                continue
            for index, case in enumerate(cases):
                for state in case.states:
                    for decode in (False, True):
                        mode = "str" if decode else "bytes"
                        yield pytest.param(
                            library,
                            options,
                            command,
                            case,
                            state,
                            decode,
                            id=f"{library}({spelled})-{command}-{index}-{state}-{mode}",
                        )


@pytest.fixture
def connect(redis_server: _Server) -> Iterator[Callable[..., Any]]:
    """Clients of the real server, of either library; closed afterwards."""
    clients: list[Any] = []

    def make(library: str, **options: Any) -> Any:
        module = importlib.import_module(library)
        client = module.Redis(
            host=redis_server.host, port=redis_server.port, socket_timeout=5.0, **options
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _fresh(client: Any, state: str) -> None:
    client.flushall()
    client.script_flush()
    if state == POPULATED:
        _populate(client)


def _shape_of(value: Any) -> Any:
    """The types of a reply, and its length where it has one, without the values."""
    if isinstance(value, dict):
        return ("dict", len(value))
    if isinstance(value, (list, tuple, set)):
        return (type(value).__name__, [_shape_of(item) for item in value])
    return type(value).__name__


@pytest.mark.allow("redis")
@pytest.mark.parametrize(
    ("library", "options", "command", "case", "state", "decode"), list(_params())
)
def test_a_default_reply_becomes_what_the_clients_own_callbacks_make(
    connect: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    library: str,
    options: dict[str, Any],
    command: str,
    case: Case,
    state: str,
    decode: bool,
) -> None:
    default = connect("redis", decode_responses=decode)
    _fresh(default, state)
    drawn = case.call(default)

    client = connect(library, decode_responses=decode, **options)
    _fresh(client, state)
    recorder = _record(client)
    if library != "redis":
        # The cases expect redis-py's deprecation warnings (SETEX, HMSET), by its version: not
        # valkey-py's, which warns for others, and which are not what is compared here.
        monkeypatch.setattr(reply_shapes, "REDIS_PY_VERSION", (0, 0, 0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        real = case.call(client)
    monkeypatch.undo()
    args, call_options = recorder.calls[-1]

    made = through_callbacks(client, command_name(args[0]), args, call_options, drawn)

    if command in RANDOM:
        assert _shape_of(made) == _shape_of(real), (drawn, made, real)
    elif command in UNORDERED and isinstance(real, list):
        # The default client's set kept no order (nor does the server's hash table, between
        # two runs): the server's order cannot be made again.
        assert sorted(made) == sorted(real), f"the default client got {drawn!r}"
    elif command in UNORDERED_PAGES:
        assert made[0] == real[0]
        assert sorted(made[1]) == sorted(real[1]), f"the default client got {drawn!r}"
    else:
        assert made == real, f"the default client got {drawn!r}"
    assert type(made) is type(real)


@pytest.mark.allow("redis")
def test_a_server_error_is_raised_as_valkeys_own(connect: Callable[..., Any]) -> None:
    pytest.importorskip("valkey")
    import valkey

    default = connect("redis")
    client = connect("valkey")
    _fresh(default, POPULATED)
    errors = []
    for maker in (default, client):
        for call in (lambda r: r.lpush("s", "x"), lambda r: r.evalsha("0" * 40, 0)):
            with pytest.raises(Exception) as info:
                call(maker)
            errors.append(info.value)
    wrongtype, noscript, valkey_wrongtype, valkey_noscript = errors

    for drawn, real in ((wrongtype, valkey_wrongtype), (noscript, valkey_noscript)):
        made = library_error(client, drawn)
        assert type(made) is type(real)
        assert made.args == real.args
        assert vars(made) == vars(real)
    made = library_error(client, redis.exceptions.ConnectionError("Connection reset by peer"))
    assert type(made) is valkey.exceptions.ConnectionError
    assert made.args == ("Connection reset by peer",)

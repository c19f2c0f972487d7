"""Redis Cluster clients in the sandbox: the same per-command mocks as `Redis`.

Inside the sandbox a ``RedisCluster`` (sync or asyncio, redis-py 4.1 and later, valkey-py) is a
cluster of one node, the first node it was given, holding every hash slot: topology discovery
(``CLUSTER SLOTS``, ``COMMAND``) is answered without a mock and without a connection. Its commands
are intercepted where the caller makes them, before redis-py routes them to a node:

- ``RedisCluster.execute_command`` consumes the command's mock like ``Redis.execute_command``;
  ``target_nodes=None``, redis-py's own default, is left out of the recorded keyword arguments
  (a ``target_nodes`` the caller chose is kept, and can be asserted);
- the commands redis-py splits per hash slot (``delete``, ``exists``, ``touch``, ``unlink``,
  ``mget_nonatomic``, ``mset_nonatomic``) are recorded as the caller made them, one call
  (``DEL a b``, ``MGET a b``, ``MSET a 1 b 2``) answered by one mock, whatever the slots;
- ``ClusterPipeline.execute`` runs its queued commands like a `Redis` pipeline's.

Outside the sandbox, under the guard, discovery and every command are refused
(`UnsandboxedInteractionError`); without it, redis-py's own methods run.

Facts relied on: ``NodesManager.initialize`` fills ``nodes_cache``, ``slots_cache`` and
``default_node`` from ``startup_nodes`` (sync: at construction; asyncio: from the client's
``initialize``, on first use or ``async with``); ``CommandsParser.initialize`` runs ``COMMAND``;
the pipeline's queue is ``command_stack`` (sync 4.x-5.x and valkey-py), ``_command_stack``
(asyncio 4.x-5.x and valkey-py) or its ``_execution_strategy``'s ``_command_queue`` (6.x and
later), of commands with ``args`` and ``options`` (sync) or ``kwargs`` (asyncio).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from tripwire import _validate
from tripwire._errors import InvalidArgumentError
from tripwire.plugins.redis_plugin.intercept import interceptors as _intercept
from tripwire.plugins.redis_plugin.intercept import libraries as _libraries
from tripwire.plugins.redis_plugin.intercept import refusals as _refusals

__all__ = ["patches"]

#: Redis Cluster's hash slots.
_SLOTS = range(16384)

#: The methods of the multi-key commands mixin that split a call per hash slot, with the command
#: each records.
_SPLITTING = ("_split_command_across_slots", "mget_nonatomic", "mset_nonatomic")


def patches(library: _libraries.Library) -> list[_intercept.Patch]:
    """The cluster interceptors of ``library`` (none before redis-py 4.1)."""
    found: list[_intercept.Patch] = []
    sync = _module(f"{library.name}.cluster")
    if sync is None:  # pragma: no cover - redis-py 4.0
        return found
    commands = importlib.import_module(f"{library.name}.commands.cluster")
    parser = _libraries._defining(sync.CommandsParser, "initialize")
    found += [
        (sync.NodesManager, "initialize", _sync_initialize(sync.PRIMARY)),
        (parser, "initialize", _sync_parser_initialize),
        (_libraries._defining(sync.CommandsParser, "get_keys"), "get_keys", _sync_get_keys),
        (_client(sync), "execute_command", execute_command),
        (sync.ClusterPipeline, "execute", pipeline_execute),
    ]
    mixin = commands.ClusterMultiKeyCommands
    found += [(mixin, name, _sync_split(name)) for name in _SPLITTING]
    side = _module(f"{library.name}.asyncio.cluster")
    if side is not None:
        parser_class = getattr(side, "AsyncCommandsParser", None) or side.CommandsParser
        found += [
            (side.NodesManager, "initialize", _async_initialize(side.PRIMARY)),
            (_libraries._defining(parser_class, "initialize"), "initialize", _async_skip),
            (_libraries._defining(parser_class, "get_keys"), "get_keys", _async_get_keys),
            (_client(side), "execute_command", async_execute_command),
            (side.ClusterPipeline, "execute", async_pipeline_execute),
        ]
        mixin = commands.AsyncClusterMultiKeyCommands
        found += [(mixin, name, _async_split(name)) for name in _SPLITTING]
    return found


def _client(module: ModuleType) -> type:
    """``RedisCluster`` of redis-py's cluster module, ``ValkeyCluster`` of valkey-py's."""
    found: type = getattr(module, "RedisCluster", None) or module.ValkeyCluster
    return found


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:  # pragma: no cover - redis-py 4.0 (sync), 4.0-4.2 (asyncio)
        return None


# -- topology ------------------------------------------------------------------------------------


def _one_node(manager: Any, primary: str) -> None:
    """Make ``manager``'s cluster one node, its first startup node, holding every slot."""
    node = next(iter(manager.startup_nodes.values()))
    node.server_type = primary
    manager.nodes_cache = {node.name: node}
    # One list for every slot, as redis-py shares one per range of slots.
    manager.slots_cache = dict.fromkeys(_SLOTS, [node])  # noqa: RUF024
    manager.default_node = node
    if hasattr(manager, "_moved_exception"):
        manager._moved_exception = None
    if hasattr(manager, "_epoch"):
        manager._epoch += 1


def _refused_discovery() -> Exception:
    return _refusals.refuse("a redis cluster client discovered its nodes (CLUSTER SLOTS)")


def _sync_initialize(primary: str) -> Callable[..., Any]:
    def initialize(manager: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        if _intercept._hot[2] is _intercept._INACTIVE:
            if _intercept._guards:
                raise _refused_discovery()
            owner = _intercept._owner(manager, "initialize")
            return _intercept._originals[owner, "initialize"](manager, *args, **kwargs)
        _one_node(manager, primary)
        # The node's client (``redis_connection``, valkey-py's ``valkey_connection``), which
        # opens no connection until it is used.
        create = getattr(manager, "create_redis_connections", None)
        if create is None:
            create = manager.create_valkey_connections
        create([manager.default_node])
        return None

    return initialize


def _async_initialize(primary: str) -> Callable[..., Any]:
    async def initialize(manager: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        if _intercept._hot[2] is _intercept._INACTIVE:
            if _intercept._guards:
                raise _refused_discovery()
            owner = _intercept._owner(manager, "initialize")
            return await _intercept._originals[owner, "initialize"](manager, *args, **kwargs)
        _one_node(manager, primary)
        return None

    return initialize


def _sync_parser_initialize(parser: Any, *args: Any, **kwargs: Any) -> Any:
    """``COMMAND``, for the key positions of commands routed by redis-py: none in the sandbox."""
    __tracebackhide__ = True
    if _intercept._hot[2] is _intercept._INACTIVE:
        owner = _intercept._owner(parser, "initialize")
        return _intercept._originals[owner, "initialize"](parser, *args, **kwargs)
    return None


async def _async_skip(parser: Any, *args: Any, **kwargs: Any) -> Any:
    """``COMMAND`` skipped, but the node kept: a transaction queues its commands with it."""
    __tracebackhide__ = True
    if _intercept._hot[2] is _intercept._INACTIVE:
        owner = _intercept._owner(parser, "initialize")
        return await _intercept._originals[owner, "initialize"](parser, *args, **kwargs)
    if args:  # the node, which redis-py and valkey-py pass as the one argument
        # Not mutated: kept as redis-py keeps it, but a node of None does as well, since the
        # sandbox's `_async_get_keys` asks no node for a command's keys.
        parser.node = args[0]  # pragma: no mutate
    return None


def _sync_get_keys(parser: Any, *args: Any) -> Any:
    """The keys of a command, for a transaction's check that they share a slot.

    In the sandbox the parser knows no command: a command's first argument stands for its keys.
    """
    __tracebackhide__ = True
    if _intercept._hot[2] is _intercept._INACTIVE:
        owner = _intercept._owner(parser, "get_keys")
        return _intercept._originals[owner, "get_keys"](parser, *args)
    return _first_key(args[1:])


async def _async_get_keys(parser: Any, *args: Any) -> Any:
    __tracebackhide__ = True
    if _intercept._hot[2] is _intercept._INACTIVE:
        owner = _intercept._owner(parser, "get_keys")
        return await _intercept._originals[owner, "get_keys"](parser, *args)
    return _first_key(args)


def _first_key(args: tuple[Any, ...]) -> list[Any] | None:
    """``args`` are a command's name and arguments."""
    return [args[1]] if len(args) > 1 else None


# -- commands ------------------------------------------------------------------------------------


def _answer(plugin: Any, client: Any, args: tuple[Any, ...], options: dict[str, Any]) -> Any:
    __tracebackhide__ = True
    if "target_nodes" in options and options["target_nodes"] is None:
        options = {key: value for key, value in options.items() if key != "target_nodes"}
    _intercept._calling.client = client
    mock = _intercept._consume(plugin, args, options)
    if mock.raises is not None:
        raise mock.raises
    returns = mock.returns
    if type(returns) is tuple and returns and type(returns[0]) is int and mock.command == "SCAN":
        raise _single_node_scan(client, mock)
    return returns


def _single_node_scan(client: Any, mock: Any) -> Exception:
    """A cluster's SCAN answered with a single node's reply, which its ``scan_iter`` cannot use."""
    node = client.nodes_manager.default_node.name
    example = ({node: 0}, [b"key"])
    error = _validate.invalid(
        "mock_command",
        "returns",
        "what a RedisCluster returns for SCAN: ({node name: cursor}, keys), such as "
        f"{example!r} for this client",
        mock.returns,
    )
    return InvalidArgumentError(f"{error}\nThe mock was registered at {mock.location()}.")


def execute_command(client: Any, *args: Any, **options: Any) -> Any:
    __tracebackhide__ = True
    plugin = _intercept._hot[2]
    if plugin is _intercept._INACTIVE:
        owner = _intercept._owner(client, "execute_command")
        return _intercept._outside_command(owner, "execute_command", client, args, options)
    return _answer(plugin, client, args, options)


async def async_execute_command(client: Any, *args: Any, **options: Any) -> Any:
    __tracebackhide__ = True
    plugin = _intercept._hot[2]
    if plugin is _intercept._INACTIVE:
        owner = _intercept._owner(client, "execute_command")
        return await _intercept._outside_command(owner, "execute_command", client, args, options)
    return _answer(plugin, client, args, options)


def _as_called(name: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The command a per-slot method stands for, as the caller made it."""
    if name == "_split_command_across_slots":
        return args  # (command, *keys)
    if name == "mget_nonatomic":
        keys, *more = args
        listed = [keys] if isinstance(keys, (bytes, str, memoryview)) else list(keys)
        # Not mutated: a command's name is matched whatever its case (a call spelled "mget"
        # takes MGET's mocks and is reported as MGET); only its arguments are kept as sent.
        return ("MGET", *listed, *more)  # pragma: no mutate
    (mapping,) = args
    return ("MSET", *(item for pair in mapping.items() for item in pair))  # pragma: no mutate


def _sync_split(name: str) -> Callable[..., Any]:
    def split(client: Any, *args: Any) -> Any:
        __tracebackhide__ = True
        plugin = _intercept._hot[2]
        if plugin is _intercept._INACTIVE:
            # redis-py's own method, whose per-slot commands the guard refuses.
            owner = _intercept._owner(client, name)
            return _intercept._originals[owner, name](client, *args)
        return _answer(plugin, client, _as_called(name, args), {})

    split.__name__ = split.__qualname__ = name
    return split


def _async_split(name: str) -> Callable[..., Any]:
    async def split(client: Any, *args: Any) -> Any:
        __tracebackhide__ = True
        plugin = _intercept._hot[2]
        if plugin is _intercept._INACTIVE:
            owner = _intercept._owner(client, name)
            return await _intercept._originals[owner, name](client, *args)
        return _answer(plugin, client, _as_called(name, args), {})

    split.__name__ = split.__qualname__ = name
    return split


# -- pipelines -----------------------------------------------------------------------------------


def _queued(pipe: Any) -> tuple[list[Any], bool]:
    """The pipeline's queued commands, and whether it is a transaction (redis-py 6 and later)."""
    strategy = getattr(pipe, "_execution_strategy", None)
    if strategy is None:  # redis-py 4.x-5.x, valkey-py
        stack = getattr(pipe, "command_stack", None)
        return (pipe._command_stack if stack is None else stack), False
    return strategy._command_queue, type(strategy).__name__ == "TransactionStrategy"


def _batch(pipe: Any) -> tuple[list[tuple[Any, Any]], bool]:
    queue, transaction = _queued(pipe)
    batch = []
    for command in queue:
        options = getattr(command, "options", None)
        batch.append((command.args, command.kwargs if options is None else options))
    return batch, transaction


def _refused_pipeline(pipe: Any) -> Exception:
    batch, _ = _batch(pipe)
    names = _refusals.listed_names(batch)
    return _refusals.refuse(f"redis cluster pipeline.execute() [{names}] was called")


def pipeline_execute(pipe: Any, raise_on_error: bool = True, *args: Any, **kwargs: Any) -> Any:
    __tracebackhide__ = True
    plugin = _intercept._hot[2]
    if plugin is _intercept._INACTIVE:
        if _intercept._guards:
            error = _refused_pipeline(pipe)
            pipe.reset()
            raise error
        owner = _intercept._owner(pipe, "execute")
        return _intercept._originals[owner, "execute"](pipe, raise_on_error, *args, **kwargs)
    try:
        batch, transaction = _batch(pipe)
        if not batch:
            return []
        _intercept._calling.client = pipe
        return _intercept._run_batch(plugin, pipe, batch, transaction, raise_on_error, False)
    finally:
        pipe.reset()


async def async_pipeline_execute(
    pipe: Any, raise_on_error: bool = True, *args: Any, **kwargs: Any
) -> Any:
    __tracebackhide__ = True
    plugin = _intercept._hot[2]
    if plugin is _intercept._INACTIVE:
        if _intercept._guards:
            error = _refused_pipeline(pipe)
            await _async_reset(pipe)
            raise error
        owner = _intercept._owner(pipe, "execute")
        return await _intercept._originals[owner, "execute"](pipe, raise_on_error, *args, **kwargs)
    try:
        batch, transaction = _batch(pipe)
        if not batch:
            return []
        _intercept._calling.client = pipe
        return _intercept._run_batch(
            plugin,
            # Not mutated: `_run_batch` reads the pipeline only for its response_callbacks,
            # which an asyncio ClusterPipeline (redis-py's, valkey-py's) does not have.
            pipe,  # pragma: no mutate
            batch,
            transaction,
            raise_on_error,
            False,
        )
    finally:
        await _async_reset(pipe)


async def _async_reset(pipe: Any) -> None:
    if getattr(pipe, "_execution_strategy", None) is None:
        pipe._command_stack = []  # redis-py 4.x-5.x, valkey-py: what its execute() does
    else:
        await pipe.reset()


_intercept.extend(patches)

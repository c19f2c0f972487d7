"""Pub/sub in the sandbox: subscriptions recorded like commands, incoming messages mocked.

A ``PubSub`` (sync or asyncio, and a cluster's) talks to the plugin instead of a server. Two of
its methods are intercepted; everything above them is redis-py's own code, so the messages
callers see (their dict shape, ``decode_responses``, handlers, ``ignore_subscribe_messages``,
``listen``, ``run_in_thread``, asyncio ``run``) are redis-py's:

- ``execute_command`` (SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, PING) is recorded on the
  timeline like a command, to be asserted with ``assert_command``. It needs no mock; a mock
  queued for it is consumed, and its ``raises`` fails the call. The plugin answers as a server
  would: one confirmation per channel or pattern, counting the subscriptions;
- ``parse_response``, which reads what the server pushed, returns the confirmations still
  unread, then the messages mocked with ``mock_message``, in the order they were mocked, each
  to the first client that reads while subscribed to its channel (or pattern). With nothing to
  read, a read with a timeout waits it out and returns nothing, as redis-py would; a blocking
  read (``listen()``, ``get_message(timeout=None)``) fails the test instead of hanging.

Outside the sandbox these methods are redis-py's own; the connection layer below them refuses
the network under the guard.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading
import time
from collections import deque
from typing import Any

from tripwire._errors import UnmockedInteractionError, safe_repr
from tripwire._timeline import Interaction
from tripwire._validate import check_bool, invalid
from tripwire._verifier import StrictVerifier
from tripwire.plugins.redis_plugin.intercept import interceptors as _intercept
from tripwire.plugins.redis_plugin.intercept import libraries as _libraries
from tripwire.plugins.redis_plugin.intercept import refusals as _refusals

__all__ = ["MessageMock", "PubSubMocks", "patches"]

#: Subscribing commands, by name: (kind of subscription, whether it subscribes).
_SUBSCRIBING = {
    "SUBSCRIBE": ("subscribe", True),
    "PSUBSCRIBE": ("psubscribe", True),
    "UNSUBSCRIBE": ("unsubscribe", False),
    "PUNSUBSCRIBE": ("punsubscribe", False),
}

#: Held while a PubSub's state changes or a message is taken (``run_in_thread`` reads in its own
#: thread). One for every plugin: making one per test would cost every test.
_lock = threading.RLock()

_NOT_CONNECTED = "pubsub connection not set: did you forget to call subscribe() or psubscribe()?"


class MessageMock(Interaction):
    """A message mocked with `PubSubMocks.mock_message`, delivered to a subscribed client.

    Not recorded on the timeline when delivered (it is what the server sent, not a call of the
    code under test); an undelivered ``required`` one fails the test at teardown.
    """

    __slots__ = ("channel", "data", "delivered", "order", "pattern", "required")

    def __init__(
        self,
        plugin: Any,
        channel: str | bytes,
        data: Any,
        pattern: str | bytes | None,
        required: bool,
        order: int,
    ) -> None:
        super().__init__(plugin, "", 0)
        self._registered_at(sys._getframe(2))
        self.channel = channel
        self.data = data
        self.pattern = pattern
        self.required = required
        self.order = order
        self.delivered = False

    def fields(self) -> dict[str, Any]:
        return {"channel": self.channel, "data": self.data, "pattern": self.pattern}

    def registration_hint(self) -> str:
        options = [safe_repr(self.channel), safe_repr(self.data)]
        if self.pattern is not None:
            options.append(f"pattern={safe_repr(self.pattern)}")
        if not self.required:
            options.append("required=False")
        return f"tripwire.redis.mock_message({', '.join(options)})"

    def reply(self, encoder: Any) -> list[Any]:
        """The message as a subscribed connection reads it."""
        if self.pattern is None:
            return [
                _wire(encoder, "message"),
                _wire(encoder, self.channel),
                _wire(encoder, self.data),
            ]
        return [
            _wire(encoder, "pmessage"),
            _wire(encoder, self.pattern),
            _wire(encoder, self.channel),
            _wire(encoder, self.data),
        ]

    def __repr__(self) -> str:
        return f"<MessageMock {self.registration_hint()}>"


def _wire(encoder: Any, value: Any) -> Any:
    """``value`` as the server sends it (bytes), decoded if the client decodes responses."""
    return encoder.decode(encoder.encode(value))


class _Subscriber:
    """What the server knows of one PubSub: its subscriptions and the replies it has not read."""

    __slots__ = ("channels", "patterns", "unread")

    def __init__(self) -> None:
        self.channels: dict[bytes, None] = {}
        self.patterns: dict[bytes, None] = {}
        self.unread: deque[list[Any]] = deque()

    def receives(self, message: MessageMock, encoder: Any) -> bool:
        if message.pattern is None:
            return encoder.encode(message.channel) in self.channels
        return encoder.encode(message.pattern) in self.patterns

    def run(self, kind: str, subscribing: bool, names: tuple[Any, ...], encoder: Any) -> None:
        """Answer a (un)subscribing command as Redis does: one reply per name."""
        held = self.patterns if kind.startswith("p") else self.channels
        if not subscribing and not names:
            names = tuple(held)
            if not names:
                self.unread.append([_wire(encoder, kind), None, self._count()])
                return
        for name in names:
            sent = encoder.encode(name)
            if subscribing:
                held[sent] = None
            else:
                held.pop(sent, None)
            self.unread.append([_wire(encoder, kind), _wire(encoder, sent), self._count()])

    def _count(self) -> int:
        return len(self.channels) + len(self.patterns)


class PubSubMocks:
    """The pub/sub part of `RedisPlugin`: mocked messages, and the server side of each PubSub."""

    verifier: StrictVerifier
    _next_order: Any

    #: Mocked messages not yet delivered, in the order they were mocked: a deque once
    #: `mock_message` is called. Made then, so that a test without pub/sub pays nothing for it.
    _messages: deque[MessageMock] | tuple[()] = ()
    #: What the server knows of each PubSub used in the sandbox, made at its first command.
    _subscribers: dict[Any, _Subscriber] | None = None

    def mock_message(
        self,
        channel: str | bytes,
        data: str | bytes | int | float,
        *,
        pattern: str | bytes | None = None,
        required: bool = True,
    ) -> MessageMock:
        """Queue a message published on ``channel``, for a PubSub subscribed to it to read.

        Messages are delivered in the order they were mocked, each once, to the first PubSub
        that reads while subscribed to ``channel`` (or, with ``pattern``, to that pattern), after
        the confirmations of its own (un)subscriptions. ``data`` reaches the reader as Redis
        sends it: bytes, or str with ``decode_responses=True``. An undelivered ``required``
        message fails the test at teardown.
        """
        _check_name("channel", channel)
        if not isinstance(data, (str, bytes, int, float)) or isinstance(data, bool):
            raise invalid("mock_message", "data", "a str, bytes, int or float", data)
        if pattern is not None:
            _check_name("pattern", pattern)
        if required is not True:
            check_bool("mock_message", "required", required)
        plugin: Any = self
        # As mock_command: in a Hypothesis example that does not own the verifier, the message
        # would reach the next example.
        plugin.verifier.refuse_in_example("mock_message() was called")
        message = MessageMock(self, channel, data, pattern, required, self._next_order())
        messages = self._messages
        if isinstance(messages, tuple):
            messages = self._messages = deque()
        messages.append(message)
        return message

    # -- what the interceptors call -----------------------------------------------------------

    def _pubsub_command(self, pubsub: Any, args: tuple[Any, ...]) -> None:
        """Record a PubSub's command and answer it as the server would."""
        __tracebackhide__ = True
        name = _refusals.command_name(args)
        plugin: Any = self
        if name in _SUBSCRIBING or name == "PING":
            call = plugin._consume_if_queued((name, *args[1:]), {})
            if call is None:
                plugin._record_builtin(args, {}, None)
            elif call.raises is not None:
                raise _intercept._result(call)
        else:
            call = _intercept._consume(plugin, args, {})
            if call.raises is not None:
                raise _intercept._result(call)
        encoder = pubsub.encoder
        with _lock:
            subscribers = self._subscribers
            if subscribers is None:
                subscribers = self._subscribers = {}
            subscriber = subscribers.setdefault(pubsub, _Subscriber())
            if name == "PING":
                said = args[1] if len(args) > 1 else b""
                subscriber.unread.append([_wire(encoder, "pong"), _wire(encoder, said)])
            elif name in _SUBSCRIBING:
                kind, subscribing = _SUBSCRIBING[name]
                subscriber.run(kind, subscribing, args[1:], encoder)

    def _pubsub_read(self, pubsub: Any, block: bool) -> Any:
        """The next reply a PubSub reads, or None when nothing was pushed to it."""
        __tracebackhide__ = True
        encoder = pubsub.encoder
        with _lock:
            subscriber = self._subscribers.get(pubsub) if self._subscribers else None
            if subscriber is None:
                raise RuntimeError(_NOT_CONNECTED)
            if subscriber.unread:
                return subscriber.unread.popleft()
            messages = self._messages
            if messages and subscriber.receives(messages[0], encoder):
                message = messages.popleft()
                message.delivered = True
                return message.reply(encoder)
        if block:
            raise self._nothing_to_read(pubsub)
        return None

    def _pubsub_forget(self, pubsub: Any) -> None:
        """A PubSub was reset (closed): the server dropped its subscriptions.

        No lock: ``reset`` also runs from ``__del__``, at any allocation of a thread that may
        hold it; ``dict.pop`` is atomic.
        """
        subscribers = self._subscribers
        if subscribers:
            subscribers.pop(pubsub, None)

    def _nothing_to_read(self, pubsub: Any) -> UnmockedInteractionError:
        with _lock:
            subscriber = self._subscribers.get(pubsub) if self._subscribers else None
            held = [*subscriber.channels, *subscriber.patterns] if subscriber else []
            waiting = len(self._messages)
        note = (
            f"{waiting} mocked message{'s are' if waiting != 1 else ' is'} waiting for another "
            "channel or client first: messages are delivered in the order they were mocked."
            if waiting
            else "To end the loop, unsubscribe (the server's confirmation ends listen())."
        )
        error = UnmockedInteractionError(
            "redis PubSub waited for a message (listen() or get_message(timeout=None)) but no "
            "mocked message is left for it.",
            "tripwire.redis.mock_message(channel, data)",
            f"subscribed to {safe_repr(held)}",
            note,
        )
        self.verifier.report_unmocked(error)
        return error


def _check_name(argument: str, value: object) -> None:
    if not isinstance(value, (str, bytes)) or not value:
        raise invalid("mock_message", argument, "a non-empty str or bytes", value)


# -- the interceptors ----------------------------------------------------------------------------


def execute_command(pubsub: Any, *args: Any) -> Any:
    __tracebackhide__ = True
    plugin = _intercept._hot[2]
    if plugin is _intercept._INACTIVE or pubsub.connection is not None:
        # A PubSub connected before the sandbox keeps its connection, which refuses to send.
        owner = _intercept._owner(pubsub, "execute_command")
        return _intercept._originals[owner, "execute_command"](pubsub, *args)
    plugin._pubsub_command(pubsub, args)
    return None


def parse_response(pubsub: Any, block: bool = True, timeout: float | None = 0) -> Any:
    __tracebackhide__ = True
    plugin = _intercept._hot[2]
    if plugin is _intercept._INACTIVE or pubsub.connection is not None:
        owner = _intercept._owner(pubsub, "parse_response")
        return _intercept._originals[owner, "parse_response"](pubsub, block, timeout)
    reply = plugin._pubsub_read(pubsub, block)
    if reply is None and timeout:
        time.sleep(timeout)  # nothing was published meanwhile, as the server would tell
    return reply


async def async_execute_command(pubsub: Any, *args: Any) -> Any:
    __tracebackhide__ = True
    plugin = _intercept._hot[2]
    if plugin is _intercept._INACTIVE or pubsub.connection is not None:
        # A PubSub connected before the sandbox keeps its connection, which refuses to send.
        owner = _intercept._owner(pubsub, "execute_command")
        return await _intercept._originals[owner, "execute_command"](pubsub, *args)
    plugin._pubsub_command(pubsub, args)
    return None


async def async_parse_response(pubsub: Any, block: bool = True, timeout: float | None = 0) -> Any:
    __tracebackhide__ = True
    plugin = _intercept._hot[2]
    if plugin is _intercept._INACTIVE or pubsub.connection is not None:
        owner = _intercept._owner(pubsub, "parse_response")
        return await _intercept._originals[owner, "parse_response"](pubsub, block, timeout)
    reply = plugin._pubsub_read(pubsub, block)
    if reply is None and timeout:
        await asyncio.sleep(timeout)
    return reply


def _sync_reset(owner: type, attribute: str) -> Any:
    def reset(pubsub: Any, *args: Any, **kwargs: Any) -> Any:
        plugin = _intercept._hot[2]
        if plugin is not _intercept._INACTIVE:
            plugin._pubsub_forget(pubsub)
        return _intercept._originals[owner, attribute](pubsub, *args, **kwargs)

    reset.__name__ = reset.__qualname__ = attribute
    return reset


def _async_reset(owner: type, attribute: str) -> Any:
    async def reset(pubsub: Any, *args: Any, **kwargs: Any) -> Any:
        plugin = _intercept._hot[2]
        if plugin is not _intercept._INACTIVE:
            plugin._pubsub_forget(pubsub)
        return await _intercept._originals[owner, attribute](pubsub, *args, **kwargs)

    reset.__name__ = reset.__qualname__ = attribute
    return reset


def patches(library: _libraries.Library) -> list[_intercept.Patch]:
    """The PubSub interceptors of ``library``: its PubSub classes, sync and asyncio."""
    found: list[_intercept.Patch] = []
    sides = [(f"{library.name}.client", execute_command, parse_response, _sync_reset)]
    if library.asyncio is not None:
        sides.append(
            (
                f"{library.name}.asyncio.client",
                async_execute_command,
                async_parse_response,
                _async_reset,
            )
        )
    for module_name, execute, parse, resetting in sides:
        pubsub = importlib.import_module(module_name).PubSub
        found += [(pubsub, "execute_command", execute), (pubsub, "parse_response", parse)]
        # Closing drops the subscriptions: ``reset``, or asyncio's ``aclose`` (redis-py 5 on).
        closing = "aclose" if "aclose" in vars(pubsub) else "reset"
        found.append((pubsub, closing, resetting(pubsub, closing)))
        # A cluster's PubSub picks its node in an execute_command of its own.
        cluster_module = module_name.replace(".client", ".cluster")
        try:
            cluster_pubsub = importlib.import_module(cluster_module).ClusterPubSub
        except (ImportError, AttributeError):
            continue
        if "execute_command" in vars(cluster_pubsub):
            found.append((cluster_pubsub, "execute_command", execute))
    return found


_intercept.extend(patches)

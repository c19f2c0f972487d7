"""Bad arguments fail at once, with a message naming the argument and what was given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import tripwire
from tripwire import BasePlugin, InvalidArgumentError, Sandbox, StrictVerifier, TripwireError
from tripwire._plugin import registered_plugins
from tripwire.plugins.redis_plugin import RedisPlugin


def mock(**kwargs: Any) -> Callable[[], object]:
    return lambda: tripwire.redis.mock_command(**kwargs)


def assert_(*args: Any, **kwargs: Any) -> Callable[[], object]:
    return lambda: tripwire.redis.assert_command(*args, **kwargs)


BAD_ARGUMENTS = [
    pytest.param(
        mock(command=42, returns=None),
        "mock_command() argument 'command' must be a non-empty str, got 42 (int)",
        id="mock_command-command-int",
    ),
    pytest.param(
        mock(command="", returns=None),
        "mock_command() argument 'command' must be a non-empty str, got '' (str)",
        id="mock_command-command-empty",
    ),
    pytest.param(
        mock(command="  ", returns=None),
        "mock_command() argument 'command' must be a non-empty str, got '  ' (str)",
        id="mock_command-command-blank",
    ),
    pytest.param(
        mock(command=b"GET", returns=None),
        "mock_command() argument 'command' must be a non-empty str, got b'GET' (bytes)",
        id="mock_command-command-bytes",
    ),
    pytest.param(
        mock(command=None, returns=None),
        "mock_command() argument 'command' must be a non-empty str, got None (NoneType)",
        id="mock_command-command-none",
    ),
    pytest.param(
        mock(command="GET", returns=None, raises="boom"),
        "mock_command() argument 'raises' must be an exception instance, an exception class or "
        "None, got 'boom' (str)",
        id="mock_command-raises-str",
    ),
    pytest.param(
        mock(command="GET", returns=None, raises=int),
        "mock_command() argument 'raises' must be an exception instance, an exception class or "
        "None, got <class 'int'> (type)",
        id="mock_command-raises-non-exception-class",
    ),
    pytest.param(
        mock(command="GET", returns=None, required=1),
        "mock_command() argument 'required' must be a bool, got 1 (int)",
        id="mock_command-required-int",
    ),
    pytest.param(
        mock(command="GET", returns=None, required="yes"),
        "mock_command() argument 'required' must be a bool, got 'yes' (str)",
        id="mock_command-required-str",
    ),
    pytest.param(
        assert_(7),
        "assert_command() argument 'command' must be a non-empty str, got 7 (int)",
        id="assert_command-command-int",
    ),
    pytest.param(
        assert_(""),
        "assert_command() argument 'command' must be a non-empty str, got '' (str)",
        id="assert_command-command-empty",
    ),
    pytest.param(
        lambda: tripwire.current_verifier().get_plugin(42),  # type: ignore[type-var]
        "get_plugin() argument 'cls' must be a BasePlugin subclass with a name, got 42 (int)",
        id="get_plugin-cls-int",
    ),
    pytest.param(
        lambda: tripwire.current_verifier().get_plugin(str),  # type: ignore[type-var]
        "get_plugin() argument 'cls' must be a BasePlugin subclass with a name, "
        "got <class 'str'> (type)",
        id="get_plugin-cls-not-a-plugin",
    ),
    pytest.param(
        lambda: tripwire.current_verifier().get_plugin(BasePlugin),
        "get_plugin() argument 'cls' must be a BasePlugin subclass with a name, "
        "got <class 'tripwire._plugin.BasePlugin'> (type)",
        id="get_plugin-cls-without-a-name",
    ),
    pytest.param(
        lambda: tripwire.current_verifier().plugin_named("nope"),
        "plugin_named() argument 'name' must be the name of a registered plugin ('redis'), "
        "got 'nope' (str)",
        id="plugin_named-name-unknown",
    ),
    pytest.param(
        lambda: tripwire.current_verifier().plugin_named(42),  # type: ignore[arg-type]
        "plugin_named() argument 'name' must be the name of a registered plugin ('redis'), "
        "got 42 (int)",
        id="plugin_named-name-int",
    ),
    pytest.param(
        lambda: RedisPlugin(42),  # type: ignore[arg-type]
        "RedisPlugin() argument 'verifier' must be a StrictVerifier, got 42 (int)",
        id="RedisPlugin-verifier-int",
    ),
    pytest.param(
        lambda: Sandbox(42),  # type: ignore[arg-type]
        "Sandbox() argument 'verifier' must be a StrictVerifier, got 42 (int)",
        id="Sandbox-verifier-int",
    ),
    pytest.param(
        lambda: tripwire.use_verifier(42),  # type: ignore[arg-type]
        "use_verifier() argument 'verifier' must be a StrictVerifier, got 42 (int)",
        id="use_verifier-verifier-int",
    ),
    pytest.param(
        lambda: tripwire.register_plugin(42, "pkg.mod:Plugin", requires="pkg"),  # type: ignore[arg-type]
        "register_plugin() argument 'name' must be a str that is a Python identifier, got 42 (int)",
        id="register_plugin-name-int",
    ),
    pytest.param(
        lambda: tripwire.register_plugin("my plugin", "pkg.mod:Plugin", requires="pkg"),
        "register_plugin() argument 'name' must be a str that is a Python identifier, "
        "got 'my plugin' (str)",
        id="register_plugin-name-not-an-identifier",
    ),
    pytest.param(
        lambda: tripwire.register_plugin("mine", "pkg.mod.Plugin", requires="pkg"),
        "register_plugin() argument 'target' must be a str 'package.module:Class', "
        "got 'pkg.mod.Plugin' (str)",
        id="register_plugin-target-without-colon",
    ),
    pytest.param(
        lambda: tripwire.register_plugin("mine", " :pkg.mod:Plugin", requires="pkg"),
        "register_plugin() argument 'target' must be a str 'package.module:Class', "
        "got ' :pkg.mod:Plugin' (str)",
        id="register_plugin-target-blank-module",
    ),
    pytest.param(
        lambda: tripwire.register_plugin("mine", 42, requires="pkg"),  # type: ignore[arg-type]
        "register_plugin() argument 'target' must be a str 'package.module:Class', got 42 (int)",
        id="register_plugin-target-int",
    ),
    pytest.param(
        lambda: tripwire.register_plugin("mine", "pkg.mod:Plugin", requires=" "),
        "register_plugin() argument 'requires' must be a non-empty str (a module name), "
        "got ' ' (str)",
        id="register_plugin-requires-blank",
    ),
    pytest.param(
        lambda: tripwire.register_plugin("mine", "pkg.mod:Plugin", requires=None),  # type: ignore[arg-type]
        "register_plugin() argument 'requires' must be a non-empty str (a module name), "
        "got None (NoneType)",
        id="register_plugin-requires-none",
    ),
    pytest.param(
        lambda: tripwire.register_plugin(
            "mine",
            "pkg.mod:Plugin",
            requires="pkg",
            also_intercepts="fork",  # type: ignore[arg-type]
        ),
        "register_plugin() argument 'also_intercepts' must be a tuple of non-empty str (module "
        "names), got 'fork' (str)",
        id="register_plugin-also_intercepts-str",
    ),
    pytest.param(
        lambda: tripwire.register_plugin(
            "mine", "pkg.mod:Plugin", requires="pkg", also_intercepts=("fork", "")
        ),
        "register_plugin() argument 'also_intercepts' must be a tuple of non-empty str (module "
        "names), got ('fork', '') (tuple)",
        id="register_plugin-also_intercepts-blank",
    ),
]


@pytest.mark.parametrize(("call", "message"), BAD_ARGUMENTS)
def test_bad_argument(verifier: StrictVerifier, call: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidArgumentError) as excinfo:
        call()
    assert str(excinfo.value) == message
    # Bad arguments are both TypeError and ValueError, and tripwire's own.
    assert isinstance(excinfo.value, TypeError)
    assert isinstance(excinfo.value, ValueError)
    assert isinstance(excinfo.value, TripwireError)
    # Nothing was registered.
    verifier.verify_all()
    assert [spec.name for spec in registered_plugins()] == ["redis"]


@pytest.mark.parametrize(
    ("spelling", "called_as"),
    [
        (" GET", "GET"),
        ("GET\n", "get"),
        ("\tget ", b"GET"),
        ("SCRIPT  LOAD", "SCRIPT LOAD"),
        (" script\nload ", b"script load"),
    ],
    ids=["leading-space", "newline", "tab-and-lower-case", "two-spaces", "newline-inside"],
)
def test_command_names_are_spelled_as_redis_py_sends_them(
    verifier: StrictVerifier, spelling: str, called_as: object
) -> None:
    # Stripped, single-spaced and upper-cased, by mock_command and assert_command alike.
    import redis

    mock = tripwire.redis.mock_command(spelling, returns=b"ok")
    assert mock.command == " ".join(spelling.split()).upper()
    with tripwire:
        assert redis.Redis().execute_command(called_as, "k") == b"ok"
    tripwire.redis.assert_command(spelling, args=("k",))
    verifier.verify_all()


def test_a_normalised_name_is_shown_as_such(verifier: StrictVerifier) -> None:
    tripwire.redis.mock_command("script  load\n", returns=b"sha")
    with pytest.raises(tripwire.UnusedMocksError) as excinfo:
        verifier.verify_all()
    assert (
        str(excinfo.value)
        .splitlines()[1]
        .startswith(
            "    tripwire.redis.mock_command('SCRIPT LOAD', returns=b'sha')  # registered at "
        )
    )


def test_returns_is_required(verifier: StrictVerifier) -> None:
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'returns'"):
        tripwire.redis.mock_command("GET")  # type: ignore[call-arg]


def test_options_are_keyword_only(verifier: StrictVerifier) -> None:
    with pytest.raises(TypeError, match="takes 2 positional arguments but 3 were given"):
        tripwire.redis.mock_command("GET", None)  # type: ignore[misc]


def test_execute_command_without_a_command(verifier: StrictVerifier) -> None:
    import redis

    with tripwire, pytest.raises(InvalidArgumentError) as excinfo:
        redis.Redis().execute_command()
    assert str(excinfo.value) == (
        "execute_command() argument 'args' must be a command name followed by its arguments, "
        "got () (tuple)"
    )


@pytest.mark.parametrize(
    ("command", "shown"),
    [("", "'' (str)"), ("  ", "'  ' (str)"), (None, "None (NoneType)"), (42, "42 (int)")],
    ids=["empty", "blank", "none", "int"],
)
def test_execute_command_with_a_bad_command_name(
    verifier: StrictVerifier, command: object, shown: str
) -> None:
    import redis

    with tripwire, pytest.raises(InvalidArgumentError) as excinfo:
        redis.Redis().execute_command(command, "k")
    assert str(excinfo.value) == (
        f"execute_command() argument 'command' must be a non-empty str or bytes, got {shown}"
    )

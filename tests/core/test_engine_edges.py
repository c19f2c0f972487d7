"""Edges of the engine that the main tests pass over: a plugin of one's own, the plugin registry,
hand-made proxies, the verifier's repr and the [tool.tripwire] messages.

Each test here was written to catch a change to the engine that the rest of the suite let
through (mutation testing, `nox -s mutation`); each checks what a user or a plugin author sees.
"""

from __future__ import annotations

import gc
import operator
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
import redis
from dirty_equals import IsInstance

import tripwire
import tripwire._plugin
from tripwire import (
    AssertionInsideSandboxError,
    BasePlugin,
    ConfigurationError,
    Interaction,
    InteractionMismatchError,
    InvalidArgumentError,
    Patches,
    PluginProxy,
    StrictVerifier,
    UnsandboxedInteractionError,
    UnusedMocksError,
    register_plugin,
    use_verifier,
)
from tripwire._config import allowed_by_marker, load_settings
from tripwire._per_example import per_example_verifier
from tripwire.plugins.redis_plugin import RedisPlugin


class Note(Interaction):
    """One note a `NotesPlugin` expects or recorded."""

    __slots__ = ("level", "text")

    def fields(self) -> dict[str, Any]:
        # ``level`` first: a field missing from an expectation must not hide those after it.
        return {"level": self.level, "text": self.text}


class NotesPlugin(BasePlugin):
    """A plugin of one's own, built as the "Writing a plugin" page describes."""

    name: ClassVar[str] = "notes"

    def __init__(self, verifier: StrictVerifier) -> None:
        self.expected: list[Note] = []
        super().__init__(verifier)

    def expect(self, text: str, level: object = None) -> Note:
        caller = sys._getframe(1)
        note = Note(self, caller.f_code.co_filename, caller.f_lineno)
        note.text, note.level = text, level
        self.expected.append(note)
        return note

    def write(self, text: str) -> None:
        note = self.expected.pop(0)
        note.text = text
        self.verifier.timeline.entries.append(note)

    def install_patches(self) -> None:
        pass

    def restore_patches(self) -> None:
        pass

    def unused_mocks(self) -> list[Interaction]:
        return list(self.expected)

    def format_assertion(self, interaction: Interaction) -> str:
        assert isinstance(interaction, Note)
        return f"notes.assert_note(level={interaction.level!r}, text={interaction.text!r})"

    def format_registration(self, interaction: Interaction) -> str:
        assert isinstance(interaction, Note)
        return f"notes.expect({interaction.text!r})"

    def format_expected(self, expected: Mapping[str, Any]) -> str:
        return "notes.assert_note(" + ", ".join(f"{k}={v!r}" for k, v in expected.items()) + ")"


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plugins registered by the test are forgotten after it; what is cached about plugins is
    forgotten before it, as in a fresh process."""
    monkeypatch.setattr(tripwire._plugin, "_REGISTRY", dict(tripwire._plugin._REGISTRY))
    monkeypatch.setattr(tripwire._plugin, "_LOADED", {})
    monkeypatch.setattr(tripwire._plugin, "_IMPORTABLE", {})


# -- a plugin of one's own ------------------------------------------------------------------------


def test_a_field_missing_from_the_expectation_never_matches_and_is_shown() -> None:
    own = StrictVerifier()
    notes = NotesPlugin(own)
    notes.expect("hi")
    with own.sandbox():
        notes.write("hi")
    with pytest.raises(InteractionMismatchError) as excinfo:
        own.assert_interaction(notes, {"text": "hi"})
    assert str(excinfo.value) == (
        "Expected the next interaction to be:\n"
        "    notes.assert_note(text='hi')\n"
        "but it was:\n"
        "    notes.assert_note(level=None, text='hi')\n"
        "Field by field (expected, then actual):\n"
        "    level  <not given> != None\n"
        "    text   'hi' == 'hi'\n"
        "Unasserted interactions, in the order they happened (1):\n"
        "    notes.assert_note(level=None, text='hi')"
    )
    assert own.assert_interaction(notes, {"level": None, "text": "hi"}).asserted
    own.verify_all()


def test_an_unused_mock_of_ones_own_plugin_is_located_where_it_was_registered(
    tmp_path: Path, line_of: Callable[[str], int]
) -> None:
    own = StrictVerifier()
    notes = NotesPlugin(own)
    notes.expect("here")  # registered here
    # Code compiled from a file outside the working directory is shown by its absolute path.
    outside = str(tmp_path / "outside.py")
    exec(compile("\n\nnotes.expect('there')", outside, "exec"), {"notes": notes})
    with pytest.raises(UnusedMocksError) as excinfo:
        own.verify_all()
    here = f"tests/core/test_engine_edges.py:{line_of('# registered here')}"
    assert str(excinfo.value) == (
        "2 required mocks were never used:\n"
        f"    notes.expect('here')  # registered at {here}\n"
        f"    notes.expect('there')  # registered at {outside}:3\n"
        "Remove each mock the code no longer needs, or pass required=False if it is optional."
    )


def test_a_mock_registered_from_code_without_a_file_name_is_located_by_line_only() -> None:
    own = StrictVerifier()
    notes = NotesPlugin(own)
    exec(compile("notes.expect('anonymous')", "", "exec"), {"notes": notes})
    with pytest.raises(UnusedMocksError) as excinfo:
        own.verify_all()
    assert "    notes.expect('anonymous')  # registered at :1\n" in str(excinfo.value)


def test_unused_mocks_of_every_plugin_are_reported_together() -> None:
    own = StrictVerifier()
    NotesPlugin(own).expect("never written")
    RedisPlugin(own).mock_command("GET", returns=None)
    with pytest.raises(UnusedMocksError) as excinfo:
        own.verify_all()
    assert [type(mock.plugin).__name__ for mock in excinfo.value.unused] == [
        "NotesPlugin",
        "RedisPlugin",
    ]


# -- the registry ---------------------------------------------------------------------------------


def test_a_registered_plugin_joins_every_sandbox_and_is_reached_by_name(registry: None) -> None:
    spec = register_plugin(
        "notes", f"{__name__}:NotesPlugin", requires="json", also_intercepts=["csv"]
    )
    assert (spec.name, spec.module, spec.qualname, spec.requires, spec.libraries) == (
        "notes",
        __name__,
        "NotesPlugin",
        "json",
        ("json", "csv"),
    )
    own = StrictVerifier()
    with own.sandbox():
        notes = own.plugin_named("notes")
        assert type(notes) is NotesPlugin
        assert notes.active
    assert [type(plugin) for plugin in own.plugins] == [RedisPlugin, NotesPlugin]
    assert not notes.active
    with use_verifier(own):
        assert PluginProxy("notes").expected == []
        assert repr(PluginProxy("notes")) == "<tripwire.notes: the current test's notes plugin>"
        # A name another plugin's proxy has used is still looked up on this proxy's plugin.
        assert callable(tripwire.redis.mock_command)
        with pytest.raises(AttributeError, match="'NotesPlugin' object has no attribute"):
            PluginProxy("notes").mock_command  # noqa: B018


def test_a_plugin_whose_library_is_missing_stays_out_of_the_sandbox(registry: None) -> None:
    register_plugin("notes", f"{__name__}:NotesPlugin", requires="no_such_library_for_tripwire")
    own = StrictVerifier()
    with own.sandbox():
        assert [type(plugin) for plugin in own.plugins] == [RedisPlugin]


def test_every_registered_plugin_name_is_listed_when_a_name_is_wrong(registry: None) -> None:
    register_plugin("notes", f"{__name__}:NotesPlugin", requires="json")
    with pytest.raises(InvalidArgumentError) as wrong_name:
        StrictVerifier().plugin_named("nope")
    assert str(wrong_name.value) == (
        "plugin_named() argument 'name' must be the name of a registered plugin "
        "('redis', 'notes'), got 'nope' (str)"
    )
    with pytest.raises(ConfigurationError) as excinfo:
        allowed_by_marker([pytest.mark.allow("nope").mark])
    assert str(excinfo.value) == (
        "@pytest.mark.allow() accepts the plugin names 'notes', 'redis'; got 'nope'"
    )
    assert allowed_by_marker([pytest.mark.allow("notes", "redis").mark]) == {"notes", "redis"}


# -- proxies and the verifier's repr --------------------------------------------------------------


def test_a_proxy_made_by_hand_reaches_the_current_verifiers_plugin() -> None:
    own = StrictVerifier()
    proxy = PluginProxy("redis")
    assert repr(proxy) == "<tripwire.redis: the current test's redis plugin>"
    with use_verifier(own):
        mock = proxy.mock_command("GET", returns=b"1")
    assert own.get_plugin(RedisPlugin).unused_mocks() == [mock]


def test_the_proxy_follows_the_current_verifier_and_a_disposal() -> None:
    first, second = StrictVerifier(), StrictVerifier()
    with use_verifier(first):
        tripwire.redis.mock_command("GET", returns=1)
        with use_verifier(second):
            two = tripwire.redis.mock_command("GET", returns=2)
        tripwire.redis.mock_command("GET", returns=3)
        first.dispose()
        # The disposed plugin is let go: the proxy reaches the verifier's new one.
        four = tripwire.redis.mock_command("GET", returns=4)
    assert first.get_plugin(RedisPlugin).unused_mocks() == [four]
    assert second.get_plugin(RedisPlugin).unused_mocks() == [two]


def test_a_disposed_verifier_records_and_asserts_afresh() -> None:
    own = StrictVerifier()
    with use_verifier(own):
        tripwire.redis.mock_command("GET", returns=b"1")
        with tripwire:
            redis.Redis().execute_command("GET", "a")
        own.dispose()
        tripwire.redis.mock_command("GET", returns=b"2")
        with tripwire:
            assert redis.Redis().execute_command("GET", "b") == b"2"
        tripwire.redis.assert_command("GET", args=("b",))
    own.verify_all()


def test_a_name_the_plugin_lacks_is_the_plugins_attribute_error() -> None:
    for _ in range(2):
        with pytest.raises(AttributeError, match="'RedisPlugin' object has no attribute 'mock'"):
            tripwire.redis.mock  # noqa: B018
    with pytest.raises(AttributeError, match="__wrapped__"):
        tripwire.redis.__wrapped__  # noqa: B018


def test_the_verifier_repr_says_whether_a_sandbox_is_open() -> None:
    own = StrictVerifier()
    RedisPlugin(own)
    with own.sandbox():
        assert repr(own) == "<StrictVerifier plugins=['redis'] interactions=0 sandbox_open=True>"
    assert repr(own) == "<StrictVerifier plugins=['redis'] interactions=0 sandbox_open=False>"


# -- [tool.tripwire] ------------------------------------------------------------------------------


def test_an_unknown_key_lists_the_accepted_keys(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.tripwire]\nalow = ["redis"]\n')
    with pytest.raises(ConfigurationError) as excinfo:
        load_settings(path)
    assert str(excinfo.value) == (
        f"[tool.tripwire] in {path} has an unknown key 'alow'; the accepted keys are: "
        "'allow' (plugins whose real service every test may reach outside the sandbox), "
        "'guard' (which tests refuse real calls outside the sandbox: \"used\" by default, "
        '"all" or false), '
        "'reply_check' (what a reply the client could never get does: \"warn\" by default, "
        '"error" or false)'
    )


def test_allow_must_be_a_list(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.tripwire]\nallow = "redis"\n')
    with pytest.raises(ConfigurationError) as excinfo:
        load_settings(path)
    assert str(excinfo.value) == (
        f"[tool.tripwire] allow in {path} must be a list of plugin names such as "
        "[\"redis\"]; got 'redis'"
    )


def test_re_registering_a_name_takes_effect(registry: None) -> None:
    register_plugin("notes", f"{__name__}:NotesPlugin", requires="json")
    assert type(StrictVerifier().plugin_named("notes")) is NotesPlugin
    register_plugin("notes", f"{__name__}:LoudNotesPlugin", requires="json")
    assert type(StrictVerifier().plugin_named("notes")) is LoudNotesPlugin


class LoudNotesPlugin(NotesPlugin):
    """Another class for the same name."""


def test_a_plugin_module_that_cannot_be_imported_says_what_to_install(registry: None) -> None:
    register_plugin("ghost", "no_such_module_for_tripwire:GhostPlugin", requires="json")
    with pytest.raises(ConfigurationError) as excinfo, StrictVerifier().sandbox():
        pass  # pragma: no cover - the sandbox never opens
    assert str(excinfo.value) == (
        "tripwire.ghost needs the 'json' package, which could not be imported (No module named "
        "'no_such_module_for_tripwire'). Install it in this environment: pip install json"
    )


def test_several_allow_markers_add_up(registry: None) -> None:
    register_plugin("notes", f"{__name__}:NotesPlugin", requires="json")
    markers = [pytest.mark.allow("redis").mark, pytest.mark.allow("notes").mark]
    assert allowed_by_marker(markers) == {"notes", "redis"}


# -- plugin lifecycle and patches -----------------------------------------------------------------


class FlakyInstallPlugin(NotesPlugin):
    """Fails its first installation, as a patch target that is briefly unavailable would."""

    name: ClassVar[str] = "flaky"

    def __init__(self, verifier: StrictVerifier) -> None:
        self.attempts = 0
        super().__init__(verifier)

    def install_patches(self) -> None:
        self.attempts += 1
        if self.attempts == 1:
            raise RuntimeError("not yet")


def test_a_sandbox_opened_after_a_failed_install_installs_again() -> None:
    own = StrictVerifier()
    plugin = FlakyInstallPlugin(own)
    with pytest.raises(RuntimeError, match="not yet"), own.sandbox():
        pass  # pragma: no cover - the sandbox never opens
    assert not plugin.active
    with own.sandbox():
        assert plugin.active
        assert plugin.attempts == 2
    assert not plugin.active


def test_patches_on_an_inherited_attribute_uncover_it_again() -> None:
    class Base:
        def greet(self) -> str:
            return "base"

    class Child(Base):
        pass

    patches = Patches()
    patches.apply(Child, "greet", lambda self: "patched")
    patches.apply(Base, "greet", lambda self: "patched base")
    assert Child().greet() == "patched"
    assert len(patches) == 2
    patches.restore()
    assert "greet" not in vars(Child)
    assert Child().greet() == "base"
    assert len(patches) == 0


# -- assertions -----------------------------------------------------------------------------------


def test_assert_interaction_inside_the_sandbox_is_named_in_the_error() -> None:
    own = StrictVerifier()
    notes = NotesPlugin(own)
    with own.sandbox(), pytest.raises(AssertionInsideSandboxError) as excinfo:
        own.assert_interaction(notes, {"text": "hi"})
    assert str(excinfo.value) == (
        "assert_interaction() was called while the sandbox is still open.\n"
        "Interactions are asserted after the code under test has finished: move the assertion "
        "below the `with tripwire:` block."
    )


# -- with tripwire: -------------------------------------------------------------------------------


def test_a_sandbox_an_example_leaves_open_is_closed_and_the_tests_own_stays_open() -> None:
    @per_example_verifier
    def example() -> None:
        tripwire.__enter__()  # type: ignore[attr-defined]  # never exited, as by abandoned code

    own = StrictVerifier()
    plugin = RedisPlugin(own)
    plugin.mock_command("GET", returns=b"own")
    with use_verifier(own), tripwire:
        example()
        assert own.sandbox_open
        # The test's own sandbox intercepts again, with its own mocks.
        assert redis.Redis().get("k") == b"own"
    assert not own.sandbox_open
    with pytest.raises(UnsandboxedInteractionError):
        redis.Redis().get("k")
    plugin.assert_command("GET", args=("k",), kwargs=IsInstance(dict))
    own.verify_all()


def test_where_a_mock_was_registered_can_be_set_a_part_at_a_time(
    line_of: Callable[[str], int],
) -> None:
    own = StrictVerifier()
    mock = RedisPlugin(own).mock_command("GET", returns=None)  # located mock
    here = line_of("# located mock")
    assert (mock.filename, mock.lineno) == (__file__, here)
    mock.filename = "elsewhere.py"
    assert (mock.filename, mock.lineno) == ("elsewhere.py", here)
    mock.lineno = 7
    assert (mock.filename, mock.lineno) == ("elsewhere.py", 7)
    other = RedisPlugin(StrictVerifier()).mock_command("GET", returns=None)
    other.lineno = 3
    assert (other.filename, other.lineno) == (__file__, 3)


@pytest.fixture
def proxies_as_new(monkeypatch: pytest.MonkeyPatch) -> None:
    """PluginProxy as in a fresh process: no attribute name learned yet."""
    for name, value in list(vars(PluginProxy).items()):
        # What a proxy learns: a property reading that attribute of its target.
        if isinstance(value, property) and isinstance(value.fget, operator.attrgetter):
            monkeypatch.delattr(PluginProxy, name)


@pytest.mark.usefixtures("proxies_as_new")
def test_a_proxy_learns_each_name_on_first_use() -> None:
    first, second = StrictVerifier(), StrictVerifier()
    proxy = PluginProxy("redis")
    with use_verifier(first):
        one = proxy.mock_command("GET", returns=1)  # first use: through __getattr__
        assert "mock_command" in vars(PluginProxy)
        with use_verifier(second):
            two = proxy.mock_command("GET", returns=2)  # learned: read straight through
    assert first.get_plugin(RedisPlugin).unused_mocks() == [one]
    assert second.get_plugin(RedisPlugin).unused_mocks() == [two]
    # Private names of the plugin are reached too, and learned the same way.
    with use_verifier(first):
        assert proxy._queues is first.get_plugin(RedisPlugin)._queues
    assert "_queues" in vars(PluginProxy)


@pytest.mark.usefixtures("proxies_as_new")
def test_a_proxy_keeps_its_own_names_and_dunders() -> None:
    proxy = PluginProxy("redis")
    with use_verifier(StrictVerifier()):
        proxy.mock_command("GET", returns=1)
        with pytest.raises(AttributeError) as excinfo:
            proxy.__wrapped__  # noqa: B018
        assert str(excinfo.value) == "__wrapped__"
        with pytest.raises(AttributeError):
            proxy._target_of_nothing  # noqa: B018
    assert "__wrapped__" not in vars(PluginProxy)
    assert "_target_of_nothing" not in vars(PluginProxy)
    # The proxy's own slots are never replaced by learned properties.
    assert repr(proxy) == "<tripwire.redis: the current test's redis plugin>"


def test_a_proxy_gone_is_forgotten_without_disturbing_the_others() -> None:
    own = StrictVerifier()
    short_lived = PluginProxy("redis")
    with use_verifier(own):
        short_lived.mock_command("GET", returns=1)
    del short_lived
    gc.collect()
    other = StrictVerifier()
    with use_verifier(other):
        mock = tripwire.redis.mock_command("GET", returns=2)
    assert other.get_plugin(RedisPlugin).unused_mocks() == [mock]


# -- the default guard and patches of a plugin of one's own ----------------------------------------


class Lamp:
    def light(self) -> str:
        return "on"


def refuse_light(self: Lamp) -> str:
    raise RuntimeError("refused")


def dim_light(self: Lamp) -> str:
    return "dim"


class LampPlugin(NotesPlugin):
    name: ClassVar[str] = "lamp"

    def install_patches(self) -> None:
        self.patches.apply(Lamp, "light", dim_light)

    def restore_patches(self) -> None:
        self.patches.restore()

    @classmethod
    def guard_patches(cls) -> list[tuple[type, str, object]]:
        return [(Lamp, "light", refuse_light)]


def test_the_default_guard_installs_guard_patches_and_lifts_them() -> None:
    lift = LampPlugin.guard()
    with pytest.raises(RuntimeError, match="refused"):
        Lamp().light()
    lift()
    assert Lamp().light() == "on"
    assert NotesPlugin.guard_patches() == []


def test_a_plugin_patches_through_its_patches_inside_the_sandbox() -> None:
    own = StrictVerifier()
    LampPlugin(own)
    with own.sandbox():
        assert Lamp().light() == "dim"
        with own.sandbox():
            assert Lamp().light() == "dim"
        assert Lamp().light() == "dim"
    assert Lamp().light() == "on"
    assert "light" in vars(Lamp)


def test_a_plugin_not_allowed_is_guarded_after_one_that_is(
    registry: None, pytester: pytest.Pytester
) -> None:
    register_plugin("lamp", f"{__name__}:LampPlugin", requires="json")
    pytester.makepyfile(
        test_suite=f"""
import pytest

from {__name__} import Lamp


@pytest.mark.allow("redis")
def test_the_lamp_is_guarded():
    with pytest.raises(RuntimeError, match="refused"):
        Lamp().light()
"""
    )
    result = pytester.runpytest(
        "-p",
        "no:randomly",
        "-o",
        "tripwire_guard=all",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    )
    result.assert_outcomes(passed=1)
    assert Lamp().light() == "on"

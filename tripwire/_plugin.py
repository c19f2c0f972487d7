"""`BasePlugin`, what every plugin extends, and the registry of known plugins.

A plugin owns the mocks for one library. Its lifecycle is driven by the verifier: every time a
sandbox of that verifier opens, `activate` is called, and every time one closes, `deactivate`; the
plugin installs its patches on the first activation and restores them on the last, so nested and
concurrent sandboxes share one installation.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from tripwire._errors import ConfigurationError
from tripwire._validate import check_name, invalid

if TYPE_CHECKING:
    from tripwire._timeline import Interaction
    from tripwire._verifier import StrictVerifier

__all__ = [
    "BasePlugin",
    "Patches",
    "PluginSpec",
    "plugin_class",
    "register_plugin",
    "registered_plugins",
]


class BasePlugin:
    """The base of every tripwire plugin.

    A subclass sets `name` (the attribute under ``tripwire.``, such as ``"redis"``) and implements
    `install_patches`, `restore_patches` and `unused_mocks`, plus `format_assertion` and
    `format_registration` for the hints in error messages.
    """

    name: ClassVar[str] = ""
    """``tripwire.<name>`` is the plugin's proxy, ``@pytest.mark.allow("<name>")`` its marker."""

    def __init__(self, verifier: StrictVerifier) -> None:
        # Duck-typed: this module cannot import the verifier's, which imports it.
        if not callable(getattr(verifier, "_register_plugin", None)):
            raise invalid(type(self).__name__, "verifier", "a StrictVerifier", verifier)
        self.verifier = verifier
        self._activations = 0
        self.patches = Patches()
        verifier._register_plugin(self)

    # -- lifecycle -----------------------------------------------------------------------------
    # The verifier calls these while holding its lock, so they need none of their own.

    def activate(self) -> None:
        """Count one more open sandbox; install the patches if this is the first."""
        self._activations += 1
        if self._activations == 1:
            try:
                self.install_patches()
            except BaseException:
                self._activations = 0
                raise

    def deactivate(self) -> None:
        """Count one sandbox fewer; restore the patches when none is left."""
        if self._activations == 0:
            return
        self._activations -= 1
        if self._activations == 0:
            self.restore_patches()

    @property
    def active(self) -> bool:
        """Whether this plugin's patches are installed."""
        return self._activations > 0

    # -- what a plugin implements --------------------------------------------------------------

    def install_patches(self) -> None:
        """Replace the library's entry points with this plugin's interceptors.

        Use ``self.patches.apply(owner, attribute, replacement)`` so `restore_patches` can put
        everything back with ``self.patches.restore()``.
        """
        raise NotImplementedError

    def restore_patches(self) -> None:
        """Put back exactly what `install_patches` replaced."""
        raise NotImplementedError

    def unused_mocks(self) -> list[Interaction]:
        """The required mocks never consumed, in registration order."""
        raise NotImplementedError

    def dispose(self) -> None:
        """Drop what the plugin holds once its verifier is done (see `StrictVerifier.dispose`).

        Override to release a plugin's own state; the default holds nothing to release.
        """

    @classmethod
    def guard_patches(cls) -> list[tuple[type, str, object]]:
        """Replacements that refuse real calls during a test, outside any sandbox.

        The pytest plugin installs them (through `guard`) for each test that does not allow this
        plugin's real service (``@pytest.mark.allow("<name>")``). The default guards nothing.
        """
        return []

    @classmethod
    def guard(cls) -> Callable[[], None]:
        """Start refusing real calls outside the sandbox; return the function that stops it.

        The default installs `guard_patches` and restores them. Override it when the guard and
        the interceptors share an installation, as the Redis plugin's do.
        """
        patches = Patches()
        for owner, attribute, replacement in cls.guard_patches():
            patches.apply(owner, attribute, replacement)
        return patches.restore

    def format_assertion(self, interaction: Interaction) -> str:
        """The line that asserts ``interaction``, as a user could paste it."""
        raise NotImplementedError

    def format_registration(self, interaction: Interaction) -> str:
        """The line that registers the mock ``interaction``, as a user could paste it."""
        raise NotImplementedError

    def format_expected(self, expected: Mapping[str, Any]) -> str:
        """The assertion the user made, as the line they wrote."""
        raise NotImplementedError


_ABSENT = object()


class Patches:
    """Attributes replaced on classes, and how to put each one back."""

    __slots__ = ("_saved",)

    def __init__(self) -> None:
        self._saved: list[tuple[type, str, object]] = []

    def apply(self, owner: type, attribute: str, replacement: object) -> None:
        """Set ``owner.attribute`` to ``replacement``, remembering what was there."""
        self._saved.append((owner, attribute, owner.__dict__.get(attribute, _ABSENT)))
        setattr(owner, attribute, replacement)

    def restore(self) -> None:
        """Undo every `apply`, newest first."""
        while self._saved:
            owner, attribute, original = self._saved.pop()
            if original is _ABSENT:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, original)

    def __len__(self) -> int:
        return len(self._saved)


@dataclass(frozen=True)
class PluginSpec:
    """Where a plugin class lives, imported only when first needed."""

    name: str
    module: str
    qualname: str
    #: The library the plugin intercepts: the plugin is available only when it is installed.
    requires: str
    #: Further libraries it intercepts, such as valkey-py for the Redis plugin: importing any of
    #: them, like importing `requires`, puts a test's guard on.
    also_intercepts: tuple[str, ...] = ()

    @property
    def libraries(self) -> tuple[str, ...]:
        """Every library whose import puts the guard on: `requires`, then `also_intercepts`."""
        return (self.requires, *self.also_intercepts)

    def available(self) -> bool:
        """Whether the library the plugin intercepts can be imported."""
        return _importable(self.requires)

    def load(self) -> type[BasePlugin]:
        """The plugin class, imported on first use."""
        loaded = _LOADED.get(self.name)
        if loaded is not None and loaded[0] is self:
            return loaded[1]
        try:
            module = importlib.import_module(self.module)
        except ImportError as exc:
            raise ConfigurationError(
                f"tripwire.{self.name} needs the {self.requires!r} package, which could not be "
                f"imported ({exc}). Install it in this environment: pip install {self.requires}"
            ) from exc
        cls: type[BasePlugin] = getattr(module, self.qualname)
        _LOADED[self.name] = (self, cls)
        return cls


_IMPORTABLE: dict[str, bool] = {}
_LOADED: dict[str, tuple[PluginSpec, type[BasePlugin]]] = {}


def _importable(module: str) -> bool:
    known = _IMPORTABLE.get(module)
    if known is None:
        known = _IMPORTABLE[module] = importlib.util.find_spec(module) is not None
    return known


_REGISTRY: dict[str, PluginSpec] = {}


def register_plugin(
    name: str, target: str, *, requires: str, also_intercepts: tuple[str, ...] | list[str] = ()
) -> PluginSpec:
    """Make ``tripwire.<name>`` resolve to the plugin class at ``"package.module:Class"``.

    ``requires`` is the library the plugin needs; ``also_intercepts`` names other libraries it
    intercepts when they are installed, whose import puts a test's guard on as well.
    """
    check_name("register_plugin", "name", name)
    parts: tuple[str, ...] = target.partition(":") if type(target) is str else ("",)
    if not all(part.strip() for part in parts):
        raise invalid("register_plugin", "target", "a str 'package.module:Class'", target)
    if type(requires) is not str or not requires.strip():
        raise invalid("register_plugin", "requires", "a non-empty str (a module name)", requires)
    others = tuple(also_intercepts) if isinstance(also_intercepts, (tuple, list)) else None
    if others is None or not all(type(other) is str and other.strip() for other in others):
        raise invalid(
            "register_plugin",
            "also_intercepts",
            "a tuple of non-empty str (module names)",
            also_intercepts,
        )
    module, _, qualname = parts
    spec = PluginSpec(
        name=name, module=module, qualname=qualname, requires=requires, also_intercepts=others
    )
    _REGISTRY[name] = spec
    return spec


def registered_plugins() -> Iterable[PluginSpec]:
    return tuple(_REGISTRY.values())


def plugin_class(name: str) -> type[BasePlugin]:
    """The plugin class registered under ``name``."""
    return _REGISTRY[name].load()


# valkey-py, redis-py's fork, is intercepted by the same plugin, which needs redis-py.
register_plugin(
    "redis",
    "tripwire.plugins.redis_plugin:RedisPlugin",
    requires="redis",
    also_intercepts=("valkey",),
)

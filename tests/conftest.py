"""Shared fixtures for tripwire's own tests."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings

from tripwire import StrictVerifier, use_verifier

# Tests compare Hypothesis' failure reports word for word. Under CI=true Hypothesis loads its
# "ci" profile, which adds a @reproduce_failure blob to every report: keep that profile's other
# settings, without the blob. No deadline: the examples that run clients in threads take
# several times longer on a loaded machine than on a quiet one, which Hypothesis would report
# as a flaky failure rather than the failure the test checks.
settings.register_profile(
    "tripwire-tests", parent=settings.default, print_blob=False, deadline=None
)
settings.load_profile("tripwire-tests")

#: ``TRIPWIRE_TEST_CLIENT``: the configuration every redis-py client the tests make (``Redis``,
#: ``redis.asyncio.Redis`` and their subclasses, fakeredis' among them; not those tripwire makes)
#: gets unless it is given another: ``protocol=3``, or ``legacy_responses=False`` (redis-py 8 and
#: later). Unset: redis-py's default. nox's ``client_configurations`` session runs the Redis and
#: Hypothesis tests under each.
CLIENT_CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "protocol=3": {"protocol": 3},
    "legacy_responses=False": {"legacy_responses": False},
}
CLIENT_CONFIGURATION = os.environ.get("TRIPWIRE_TEST_CLIENT", "")


def _client_options() -> dict[str, Any]:
    """The options of ``TRIPWIRE_TEST_CLIENT``'s configuration ({} when unset)."""
    if not CLIENT_CONFIGURATION:
        return {}
    try:
        return CLIENT_CONFIGURATIONS[CLIENT_CONFIGURATION]
    except KeyError:
        raise pytest.UsageError(
            f"TRIPWIRE_TEST_CLIENT must be one of {', '.join(CLIENT_CONFIGURATIONS)}, got "
            f"{CLIENT_CONFIGURATION!r}"
        ) from None


def _missing_option(options: dict[str, Any]) -> str | None:
    """Why the installed redis-py cannot make clients with ``options``, naming its release."""
    import redis

    accepted = inspect.signature(redis.Redis.__init__).parameters
    for name in options:
        if name not in accepted:
            since = {"protocol": "5.0", "legacy_responses": "8.0"}.get(name, "a later release")
            return (
                f"TRIPWIRE_TEST_CLIENT={CLIENT_CONFIGURATION}: redis-py {redis.__version__} has "
                f"no {name} option (it arrived in redis-py {since})"
            )
    return None


def _default_clients_to(options: dict[str, Any]) -> None:
    """Make ``options`` the defaults of the clients of redis-py the tests make."""
    import redis

    classes = [redis.Redis]
    try:
        import redis.asyncio
    except ImportError:  # redis-py 4.0 and 4.1
        pass
    else:
        classes.append(redis.asyncio.Redis)
    for cls in classes:
        original = cls.__init__

        @functools.wraps(original)
        def __init__(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> None:
            # Not those tripwire makes itself (the reply check's default clients, a model's).
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if not caller.startswith("tripwire"):
                for name, value in options.items():
                    kwargs.setdefault(name, value)
            __original(self, *args, **kwargs)

        cls.__init__ = __init__  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    options = _client_options()
    if options and _missing_option(options) is None:
        _default_clients_to(options)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    options = _client_options()
    reason = _missing_option(options) if options else None
    if reason is not None:
        for item in items:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_report_header(config: pytest.Config) -> list[str]:
    """The client libraries' releases and the clients' configuration, at the top of every run:
    a failure that a new release brings is then read with the release that brought it."""
    from importlib import metadata

    releases = []
    for name in ("redis", "valkey", "fakeredis"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            releases.append(f"{name} {metadata.version(name)}")
    configuration = CLIENT_CONFIGURATION or "redis-py's default configuration"
    return [f"client libraries: {', '.join(releases)}; test clients: {configuration}"]


@pytest.fixture
def verifier() -> Iterator[StrictVerifier]:
    """A verifier of the test's own, made current, for tests that inspect errors directly.

    The test's automatic verifier is set aside meanwhile, so deliberately provoked errors
    (unmocked calls, mismatches) are not reported again at teardown.
    """
    own = StrictVerifier()
    with use_verifier(own):
        yield own
    own.close_all()


@pytest.fixture
def line_of(request: pytest.FixtureRequest) -> Callable[[str], int]:
    """The number of the first line of the test's own file that contains ``marker``.

    Lines that call ``line_of(`` are skipped, so a marker can be a comment on the line under test.
    """

    def find(marker: str) -> int:
        with open(request.path) as source:
            for number, text in enumerate(source, start=1):
                if marker in text and "line_of(" not in text:
                    return number
        raise AssertionError(f"no line of {request.path} contains {marker!r}")

    return find

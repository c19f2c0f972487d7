"""The guard: during a test, Redis outside every sandbox is refused unless allowed."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

import pytest
import redis

import tripwire
from tripwire import UnsandboxedInteractionError


def test_a_command_outside_the_sandbox_is_refused(line_of: Callable[[str], int]) -> None:
    with pytest.raises(UnsandboxedInteractionError) as excinfo:
        redis.Redis(host="127.0.0.1", port=1).get("k")  # guarded call
    assert str(excinfo.value) == (
        "redis.GET(...) was called outside the tripwire sandbox, at "
        f"tests/pytest_plugin/test_guard.py:{line_of('# guarded call')}.\n"
        "During a test tripwire refuses real calls that no sandbox intercepts. Either:\n"
        "    mock it: register tripwire.redis.mock_command(...) and make the call inside "
        "`with tripwire:`\n"
        '    or allow the real redis for this test: @pytest.mark.allow("redis")\n'
        '    or for the whole project: [tool.tripwire] allow = ["redis"] in pyproject.toml'
    )


def test_pipelines_and_connections_outside_the_sandbox_are_refused() -> None:
    pipe = redis.Redis(host="127.0.0.1", port=1).pipeline()
    pipe.get("a").set("b", 1)
    refused = r"^redis pipeline.execute\(\) \[GET, SET\]"
    with pytest.raises(UnsandboxedInteractionError, match=refused):
        pipe.execute()
    assert pipe.command_stack == []
    with pytest.raises(UnsandboxedInteractionError, match=r"^a redis connection to 127.0.0.1:1 "):
        redis.Redis(host="127.0.0.1", port=1).pubsub().subscribe("news")


@pytest.mark.asyncio
async def test_asyncio_outside_the_sandbox_is_refused() -> None:
    aredis = pytest.importorskip("redis.asyncio")
    with pytest.raises(UnsandboxedInteractionError, match=r"^redis.SET\(\.\.\.\) was called"):
        await aredis.Redis(host="127.0.0.1", port=1).set("k", 1)


def test_the_sandbox_still_works_under_the_guard() -> None:
    tripwire.redis.mock_command("GET", returns=b"1")
    with tripwire:
        assert redis.Redis().get("k") == b"1"
    with pytest.raises(UnsandboxedInteractionError):
        redis.Redis().get("k")
    tripwire.redis.assert_command("GET", args=("k",), kwargs={"keys": ["k"]})


@pytest.mark.allow("redis")
def test_the_allow_marker_lifts_the_guard() -> None:
    # No guard: the real client runs and fails to connect to a closed port.
    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2).get("k")


GUARD_ALL = '[tool.tripwire]\nguard = "all"\n'

GUARDED_SUITE = """
import pytest
import redis
import tripwire

def test_guarded():
    with pytest.raises(tripwire.UnsandboxedInteractionError):
        redis.Redis(host="127.0.0.1", port=1).ping()

@pytest.mark.allow("redis")
def test_allowed():
    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2).ping()

def test_guarded_again():
    with pytest.raises(tripwire.UnsandboxedInteractionError):
        redis.Redis(host="127.0.0.1", port=1).ping()
"""


def test_the_guard_lives_only_during_each_test(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(GUARD_ALL)
    pytester.makepyfile(test_suite=GUARDED_SUITE)
    pytester.makeconftest(
        """
import redis
ORIGINAL = redis.client.Redis.execute_command

def pytest_runtest_logfinish(nodeid, location):
    # Nothing of tripwire's stays installed between tests.
    assert redis.client.Redis.execute_command is ORIGINAL
    print("UNTOUCHED AFTER", nodeid.rpartition("::")[2])
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-s")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*UNTOUCHED AFTER test_guarded*",
            "*UNTOUCHED AFTER test_allowed*",
            "*UNTOUCHED AFTER test_guarded_again*",
        ]
    )


def test_project_wide_allow_in_pyproject(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.tripwire]\nallow = ["redis"]\n')
    pytester.makepyfile(
        test_suite="""
import pytest, redis

def test_real_client_runs():
    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2).ping()
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param(
            'alow = ["redis"]',
            "[tool.tripwire] in */pyproject.toml has an unknown key 'alow'; the accepted keys "
            "are: 'allow' (plugins whose real service every test may reach outside the sandbox), "
            "'guard' (which tests refuse real calls outside the sandbox: \"used\" by default, "
            '"all" or false)',
            id="unknown-key",
        ),
        pytest.param(
            'allow = "redis"',
            "[tool.tripwire] allow in */pyproject.toml must be a list of plugin names such as "
            "[\"redis\"]; got 'redis'",
            id="allow-not-a-list",
        ),
        pytest.param(
            'allow = ["redsi"]',
            "[tool.tripwire] allow in */pyproject.toml accepts the plugin names 'redis'; "
            "got 'redsi'",
            id="allow-unknown-plugin",
        ),
    ],
)
def test_invalid_configuration_names_the_key_and_accepted_values(
    pytester: pytest.Pytester, table: str, message: str
) -> None:
    pytester.makepyprojecttoml(f"[tool.tripwire]\n{table}\n")
    pytester.makepyfile(test_suite="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    pattern = re.escape(f"ERROR: {message}").replace(r"\*", ".*")
    result.stderr.re_match_lines([pattern])


def test_an_invalid_allow_marker_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_suite="""
import pytest

@pytest.mark.allow("redsi")
def test_typo():
    pass

@pytest.mark.allow()
def test_empty():
    pass
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ConfigurationError: @pytest.mark.allow() accepts the plugin names 'redis'; "
            "got 'redsi'",
            "*ConfigurationError: @pytest.mark.allow() takes the names of the plugins to allow, "
            'such as @pytest.mark.allow("redis"); got args=(), kwargs={}',
        ]
    )


def test_with_the_plugin_disabled_redis_is_untouched(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_suite="""
import pytest, redis, tripwire

ORIGINAL = redis.client.Redis.execute_command

def test_untouched():
    assert redis.client.Redis.execute_command is ORIGINAL
    with pytest.raises(tripwire.NoActiveVerifierError):
        tripwire.redis.mock_command("GET", returns=1)
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:tripwire")
    result.assert_outcomes(passed=1)


# -- guards of plugins of one's own -------------------------------------------------------------

OWN_PLUGIN_CONFTEST = """
from typing import ClassVar

import tripwire
from tripwire import BasePlugin, UnsandboxedInteractionError, register_plugin


class Bell:
    def ring(self):
        return "ring"


def refuse(self):
    raise UnsandboxedInteractionError("bell.ring() was called", "here", "bell", "bell.expect()")


class BellPlugin(BasePlugin):
    name: ClassVar[str] = "bell"

    def install_patches(self):
        pass

    def restore_patches(self):
        pass

    def unused_mocks(self):
        return []

    @classmethod
    def guard_patches(cls):
        return [(Bell, "ring", refuse)]


class BrokenGuardPlugin(BellPlugin):
    name: ClassVar[str] = "broken"

    @classmethod
    def guard(cls):
        raise RuntimeError("this guard cannot be installed")


register_plugin("bell", "conftest:BellPlugin", requires="json")
"""


def test_a_plugin_of_ones_own_guards_through_its_guard_patches(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(GUARD_ALL)
    pytester.makeconftest(
        OWN_PLUGIN_CONFTEST
        + """
def pytest_runtest_logfinish(nodeid, location):
    # The guard is lifted after every test.
    assert Bell.__dict__["ring"] is not refuse
    print("LIFTED AFTER", nodeid.rpartition("::")[2])
"""
    )
    pytester.makepyfile(
        test_suite="""
import pytest
import tripwire
from conftest import Bell

def test_guarded():
    with pytest.raises(tripwire.UnsandboxedInteractionError, match="bell.ring"):
        Bell().ring()

@pytest.mark.allow("bell")
def test_allowed():
    assert Bell().ring() == "ring"

def test_guarded_again():
    with pytest.raises(tripwire.UnsandboxedInteractionError):
        Bell().ring()
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-s")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*LIFTED AFTER test_guarded*",
            "*LIFTED AFTER test_allowed*",
            "*LIFTED AFTER test_guarded_again*",
        ]
    )


def test_a_guard_that_cannot_be_installed_errors_the_test_and_lifts_the_others(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyprojecttoml(GUARD_ALL)
    pytester.makeconftest(
        OWN_PLUGIN_CONFTEST
        + """
register_plugin("broken", "conftest:BrokenGuardPlugin", requires="json")

def pytest_runtest_logfinish(nodeid, location):
    assert Bell.__dict__["ring"] is not refuse
    print("BELL GUARD LIFTED")
"""
    )
    pytester.makepyfile(
        test_suite="""
def test_anything():
    pass
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-s")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*BELL GUARD LIFTED*", "*RuntimeError: this guard cannot be installed*"]
    )


BELL_LIBRARY = """
class Bell:
    def ring(self):
        return "ring"
"""

BELL_PLUGIN = """
from typing import ClassVar

from tripwire import BasePlugin, UnsandboxedInteractionError


def refuse(self):
    raise UnsandboxedInteractionError("bell.ring() was called", "here", "bell", "bell.expect()")


class BellPlugin(BasePlugin):
    name: ClassVar[str] = "bell"

    def install_patches(self):
        pass

    def restore_patches(self):
        pass

    def unused_mocks(self):
        return []

    @classmethod
    def guard_patches(cls):
        import bell_library

        return [(bell_library.Bell, "ring", refuse)]
"""


def test_a_library_first_imported_during_a_test_is_guarded_from_its_import(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In this process, so that the mutation run's mutants run; the suite's plugin is registered
    # in this process's registry, which gets its own entries back afterwards.
    monkeypatch.setattr(tripwire._plugin, "_REGISTRY", dict(tripwire._plugin._REGISTRY))
    pytester.makepyprojecttoml(GUARD_ALL)
    pytester.makepyfile(bell_library=BELL_LIBRARY, bell_plugin=BELL_PLUGIN)
    pytester.makeconftest(
        "from tripwire import register_plugin\n\n"
        'register_plugin("bell", "bell_plugin:BellPlugin", requires="bell_library", '
        'also_intercepts=("bell_fork_not_installed",))\n'
    )
    pytester.makepyfile(
        test_suite="""
import sys

import pytest

import tripwire


def test_never_imports_it():
    pass


@pytest.mark.allow("bell")
def test_allowed_imports_it_unguarded():
    import bell_library

    assert bell_library.Bell().ring() == "ring"
    del sys.modules["bell_library"]  # the next test imports it afresh


def test_guarded_imports_it():
    import colorsys  # another library imports as ever

    with pytest.raises(ImportError):  # a library the plugin also intercepts, not installed
        import bell_fork_not_installed

    import bell_library

    assert colorsys.rgb_to_hsv(0, 0, 0) == (0, 0, 0)
    with pytest.raises(tripwire.UnsandboxedInteractionError, match="^bell.ring"):
        bell_library.Bell().ring()


@pytest.mark.allow("bell")
def test_allowed_after_it():
    import bell_library

    assert bell_library.Bell().ring() == "ring"
"""
    )
    result = pytester.runpytest(
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    )
    result.assert_outcomes(passed=4)


FORK_PLUGIN = BELL_PLUGIN.replace("import bell_library", "import bell_fork").replace(
    "bell_library.Bell", "bell_fork.Fork"
)


def test_a_library_the_plugin_also_intercepts_puts_the_guard_on(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # valkey-py for the Redis plugin: a suite that imports it, and never the required library,
    # is guarded, from the import during a test or from the start of a test after it.
    monkeypatch.setattr(tripwire._plugin, "_REGISTRY", dict(tripwire._plugin._REGISTRY))
    pytester.makepyprojecttoml(GUARD_ALL)
    pytester.makepyfile(
        bell_library=BELL_LIBRARY,
        bell_fork=BELL_LIBRARY.replace("Bell", "Fork"),
        fork_plugin=FORK_PLUGIN,
    )
    pytester.makeconftest(
        "from tripwire import register_plugin\n\n"
        'register_plugin("bell", "fork_plugin:BellPlugin", requires="bell_library", '
        'also_intercepts=("bell_fork",))\n'
    )
    pytester.makepyfile(
        test_suite="""
import sys

import pytest

import tripwire


def test_guarded_from_the_forks_import():
    import bell_fork

    with pytest.raises(tripwire.UnsandboxedInteractionError, match="^bell.ring"):
        bell_fork.Fork().ring()


def test_guarded_from_the_start_once_the_fork_is_imported():
    import bell_fork

    assert "bell_library" not in sys.modules
    with pytest.raises(tripwire.UnsandboxedInteractionError, match="^bell.ring"):
        bell_fork.Fork().ring()


@pytest.mark.allow("bell")
def test_allowed():
    import bell_fork

    assert bell_fork.Fork().ring() == "ring"
"""
    )
    try:
        result = pytester.runpytest(
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
        )
    finally:
        sys.modules.pop("bell_fork", None)
    result.assert_outcomes(passed=3)

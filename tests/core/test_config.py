"""[tool.tripwire] settings and the allow marker, read directly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tripwire import ConfigurationError
from tripwire._config import (
    GUARD_ALL,
    GUARD_OFF,
    GUARD_USED,
    REPLY_CHECK_ERROR,
    REPLY_CHECK_OFF,
    REPLY_CHECK_WARN,
    Settings,
    allowed_by_marker,
    load_settings,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    return path


def test_no_file_or_no_table_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(None) == Settings()
    assert load_settings(tmp_path / "missing.toml") == Settings()
    assert load_settings(write(tmp_path, "[project]\nname = 'x'\n")) == Settings()


def test_allow_is_read(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[tool.tripwire]\nallow = ["redis"]\n'))
    assert settings.allow == frozenset({"redis"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "[tool.tripwire\n",
            "{path} is not valid TOML: Expected ']' at the end of a table declaration "
            "(at line 1, column 15)",
            id="bad-toml",
        ),
        pytest.param(
            "[tool]\ntripwire = 3\n",
            "[tool.tripwire] in {path} must be a table",
            id="not-a-table",
        ),
        pytest.param(
            "[tool.tripwire]\nallow = [1]\n",
            "[tool.tripwire] allow in {path} accepts the plugin names 'redis'; got 1",
            id="allow-int",
        ),
    ],
)
def test_invalid_settings(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as excinfo:
        load_settings(path)
    assert str(excinfo.value) == message.format(path=path)


def test_allow_markers_are_collected_and_checked() -> None:
    assert allowed_by_marker([pytest.mark.allow("redis").mark]) == frozenset({"redis"})
    assert allowed_by_marker([]) == frozenset()
    with pytest.raises(ConfigurationError) as excinfo:
        allowed_by_marker([pytest.mark.allow("redis", strict=True).mark])
    assert str(excinfo.value) == (
        "@pytest.mark.allow() takes the names of the plugins to allow, such as "
        "@pytest.mark.allow(\"redis\"); got args=('redis',), kwargs={'strict': True}"
    )


# -- guard, and settings from pytest's ini options -----------------------------------------


@pytest.mark.parametrize(
    ("text", "ini", "guard"),
    [
        pytest.param("", {}, GUARD_USED, id="default"),
        pytest.param('[tool.tripwire]\nguard = "used"\n', {}, GUARD_USED, id="toml-used"),
        pytest.param('[tool.tripwire]\nguard = "all"\n', {}, GUARD_ALL, id="toml-all"),
        pytest.param("[tool.tripwire]\nguard = false\n", {}, GUARD_OFF, id="toml-false"),
        pytest.param("", {"tripwire_guard": "all"}, GUARD_ALL, id="ini-all"),
        pytest.param("", {"tripwire_guard": "false"}, GUARD_OFF, id="ini-false"),
        pytest.param("", {"tripwire_guard": ""}, GUARD_USED, id="ini-empty-is-unset"),
    ],
)
def test_guard_values(tmp_path: Path, text: str, ini: dict[str, str], guard: str) -> None:
    assert load_settings(write(tmp_path, text), ini) == Settings(guard=guard)


@pytest.mark.parametrize(
    ("text", "ini", "message"),
    [
        pytest.param(
            '[tool.tripwire]\nguard = "al"\n',
            {},
            "[tool.tripwire] guard in {path} must be one of 'used', 'all', false; got 'al'",
            id="toml-typo",
        ),
        pytest.param(
            "[tool.tripwire]\nguard = true\n",
            {},
            "[tool.tripwire] guard in {path} must be one of 'used', 'all', false; got True",
            id="toml-true",
        ),
        pytest.param(
            "",
            {"tripwire_guard": "sometimes"},
            "the pytest ini option tripwire_guard must be one of 'used', 'all', 'false'; "
            "got 'sometimes'",
            id="ini-typo",
        ),
        pytest.param(
            "",
            {"tripwire_allow": ["redsi"]},
            "the pytest ini option tripwire_allow accepts the plugin names 'redis'; got 'redsi'",
            id="ini-allow-typo",
        ),
        pytest.param(
            '[tool.tripwire]\nallow = ["redis"]\n',
            {"tripwire_allow": ["redis"]},
            "tripwire's 'allow' is set both in [tool.tripwire] in {path} and in the pytest ini "
            "option tripwire_allow; keep one of them",
            id="allow-twice",
        ),
    ],
)
def test_invalid_guard_settings(
    tmp_path: Path, text: str, ini: dict[str, object], message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as excinfo:
        load_settings(path, ini)
    assert str(excinfo.value) == message.format(path=path)


def test_allow_and_guard_are_read_together(tmp_path: Path) -> None:
    text = '[tool.tripwire]\nallow = ["redis"]\nguard = "all"\n'
    assert load_settings(write(tmp_path, text)) == Settings(
        allow=frozenset({"redis"}), guard=GUARD_ALL
    )
    ini = {"tripwire_guard": "false"}
    assert load_settings(write(tmp_path, '[tool.tripwire]\nallow = ["redis"]\n'), ini) == Settings(
        allow=frozenset({"redis"}), guard=GUARD_OFF
    )


# -- reply_check ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ini", "check"),
    [
        pytest.param("", {}, REPLY_CHECK_WARN, id="default"),
        pytest.param(
            '[tool.tripwire]\nreply_check = "warn"\n', {}, REPLY_CHECK_WARN, id="toml-warn"
        ),
        pytest.param(
            '[tool.tripwire]\nreply_check = "error"\n', {}, REPLY_CHECK_ERROR, id="toml-error"
        ),
        pytest.param(
            "[tool.tripwire]\nreply_check = false\n", {}, REPLY_CHECK_OFF, id="toml-false"
        ),
        pytest.param("", {"tripwire_reply_check": "error"}, REPLY_CHECK_ERROR, id="ini-error"),
        pytest.param("", {"tripwire_reply_check": "false"}, REPLY_CHECK_OFF, id="ini-false"),
    ],
)
def test_reply_check_values(tmp_path: Path, text: str, ini: dict[str, str], check: str) -> None:
    assert load_settings(write(tmp_path, text), ini) == Settings(reply_check=check)


@pytest.mark.parametrize(
    ("text", "ini", "message"),
    [
        pytest.param(
            "[tool.tripwire]\nreply_check = true\n",
            {},
            "[tool.tripwire] reply_check in {path} must be one of 'warn', 'error', false; got True",
            id="toml-true",
        ),
        pytest.param(
            "",
            {"tripwire_reply_check": "strict"},
            "the pytest ini option tripwire_reply_check must be one of 'warn', 'error', 'false'; "
            "got 'strict'",
            id="ini-typo",
        ),
    ],
)
def test_invalid_reply_check_settings(
    tmp_path: Path, text: str, ini: dict[str, object], message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as excinfo:
        load_settings(path, ini)
    assert str(excinfo.value) == message.format(path=path)


def test_the_ini_option_reaches_the_reply_check(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\ntripwire_reply_check = error\n"
    )
    pytester.makepyfile(
        """
        import redis
        import tripwire

        def test_expire():
            tripwire.redis.mock_command("EXPIRE", returns=1)
            with tripwire:
                redis.Redis().expire("k", 1)
        """
    )
    result = pytester.runpytest("-p", "tripwire", "-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*InvalidArgumentError: mock_command() argument 'returns' must be what redis-py "
            "returns for EXPIRE: a bool, got 1 (int)"
        ]
    )

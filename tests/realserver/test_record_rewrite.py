"""``--tripwire-record-rewrite`` on a user's run: only the test's own file, only where safe.

Each test records a file with pytester against the ``redis-server`` the recording starts, asks
for the rewrite, and reads the files back: what may not be rewritten is left byte for byte,
with the reason in the summary; what is rewritten keeps its encoding and line endings, and
passes without a server.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("default")

PASTE = "paste the printed lines where they belong"


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", *args)


HELPERS = """\
import functools

import tripwire


def strict(test):
    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        with tripwire:
            return test(*args, **kwargs)

    return wrapper
"""

DECORATED = """\
import redis

from helpers import strict


@strict
def test_decorated():
    redis.Redis().incr("visits")
"""


@pytest.mark.parametrize(
    "helpers",
    [
        pytest.param(HELPERS, id="functools-wraps"),
        pytest.param(HELPERS.replace("    @functools.wraps(test)\n", ""), id="plain-wrapper"),
    ],
)
def test_a_test_whose_sandbox_opens_in_a_decorator_is_not_rewritten(
    pytester: pytest.Pytester, helpers: str
) -> None:
    (pytester.path / "helpers.py").write_text(helpers)
    (pytester.path / "test_decorated.py").write_text(DECORATED)
    result = run(pytester, "--tripwire-record=new", "--tripwire-record-rewrite")
    result.assert_outcomes(passed=1)
    assert (pytester.path / "helpers.py").read_text() == helpers
    assert (pytester.path / "test_decorated.py").read_text() == DECORATED
    result.stdout.fnmatch_lines(
        [
            "test_decorated.py::test_decorated",
            "    tripwire.redis.mock_command('INCRBY', returns=1)",
            "*",
            "test_decorated.py::test_decorated: not rewritten, its function has no `with "
            "tripwire:` block (the sandbox opens elsewhere, such as in a decorator or a helper); "
            f"{PASTE}",
        ]
    )
    assert "rewrote" not in result.stdout.str()


PARAMETRIZED = """\
import pytest
import redis
import tripwire


@pytest.mark.parametrize("key", ["a", "b"])
def test_keys(key):
    with tripwire:
        redis.Redis().incr(key)
"""

LOOP = """\
import redis
import tripwire


def test_loop():
    for key in ["a", "b"]:
        with tripwire:
            redis.Redis().incr(key)
"""


@pytest.mark.parametrize(
    ("source", "nodeids", "reason"),
    [
        pytest.param(
            PARAMETRIZED,
            ["test_repeated.py::test_keys[a]", "test_repeated.py::test_keys[b]"],
            "not rewritten, the test is parametrized: each parameter recorded lines of its own, "
            f"which one function cannot hold; {PASTE}",
            id="parametrized",
        ),
        pytest.param(
            LOOP,
            ["test_repeated.py::test_loop"],
            "not rewritten, its `with tripwire:` block is inside a loop (or a function of its "
            "own), so the lines of every pass were recorded together and no one place in the "
            f"source stands for them; {PASTE}",
            id="loop",
        ),
    ],
)
def test_a_test_recorded_more_than_once_per_block_is_not_rewritten(
    pytester: pytest.Pytester, source: str, nodeids: list[str], reason: str
) -> None:
    (pytester.path / "test_repeated.py").write_text(source)
    result = run(pytester, "--tripwire-record=new", "--tripwire-record-rewrite")
    assert result.ret == pytest.ExitCode.OK
    assert (pytester.path / "test_repeated.py").read_text() == source
    result.stdout.fnmatch_lines([f"{nodeid}: {reason}" for nodeid in nodeids])


def test_a_rewrite_keeps_crlf_line_endings(pytester: pytest.Pytester) -> None:
    source = (
        "import redis\nimport tripwire\n\n\n"
        "def test_a():\n    with tripwire:\n        redis.Redis().incr('n')\n"
    )
    path = pytester.path / "test_crlf.py"
    path.write_bytes(source.replace("\n", "\r\n").encode())
    result = run(pytester, "--tripwire-record=new", "--tripwire-record-rewrite")
    result.assert_outcomes(passed=1)
    assert (
        path.read_bytes()
        == (
            "import redis\nimport tripwire\n\n\ndef test_a():\n"
            "    tripwire.redis.mock_command('INCRBY', returns=1)\n"
            "    with tripwire:\n        redis.Redis().incr('n')\n"
            "    tripwire.redis.assert_command('INCRBY', args=('n', 1))\n"
        )
        .replace("\n", "\r\n")
        .encode()
    )
    run(pytester).assert_outcomes(passed=1)


def test_a_rewrite_keeps_a_coding_cookie(pytester: pytest.Pytester) -> None:
    source = (
        "# -*- coding: latin-1 -*-\n"
        "import redis\n"
        "import tripwire\n"
        "\n"
        "\n"
        "def test_a():\n"
        "    with tripwire:\n"
        "        redis.Redis().set('caf\u00e9', 'cr\u00e8me')\n"
    )
    path = pytester.path / "test_latin.py"
    path.write_bytes(source.encode("latin-1"))
    result = run(pytester, "--tripwire-record=new", "--tripwire-record-rewrite")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    assert path.read_bytes().decode("latin-1") == source.replace(
        "    with tripwire:\n",
        "    tripwire.redis.mock_command('SET', returns=True)\n    with tripwire:\n",
    ) + ("    tripwire.redis.assert_command('SET', args=('caf\u00e9', 'cr\u00e8me'))\n")
    run(pytester).assert_outcomes(passed=1)


OUTDATED = """\
import redis
import tripwire


def test_visits():
    tripwire.redis.mock_command("INCRBY", returns=41)
    tripwire.redis.mock_command(
        "GET",
        returns=b"stale",
    )
    with tripwire:
        client = redis.Redis()
        client.incr("visits")
        client.expire("visits", 60)
    tripwire.redis.assert_command("INCRBY", args=("visits", 1))
    tripwire.redis.assert_command(
        "GET", args=("visits",)
    )
    assert True
"""


def test_rewrite_all_records_afresh_and_replaces_the_tests_own_lines(
    pytester: pytest.Pytester,
) -> None:
    path = pytester.path / "test_outdated.py"
    path.write_text(OUTDATED)
    run(pytester).assert_outcomes(failed=1)  # its lines no longer fit the code
    result = run(pytester, "--tripwire-record=rewrite-all")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            f"rewrote 1 test(s) in {path}",
            "ran the 1 rewritten test(s) once, without a server: they pass",
        ]
    )
    assert path.read_text() == (
        "import redis\n"
        "import tripwire\n"
        "\n"
        "\n"
        "def test_visits():\n"
        "    tripwire.redis.mock_command('INCRBY', returns=1)\n"
        "    tripwire.redis.mock_command('EXPIRE', returns=True)\n"
        "    with tripwire:\n"
        "        client = redis.Redis()\n"
        '        client.incr("visits")\n'
        '        client.expire("visits", 60)\n'
        "    tripwire.redis.assert_command('INCRBY', args=('visits', 1))\n"
        "    tripwire.redis.assert_command('EXPIRE', args=('visits', 60))\n"
        "    assert True\n"
    )
    run(pytester).assert_outcomes(passed=1)


MADE_UP = """\
import time

import redis
import tripwire


def test_made_up_key():
    with tripwire:
        redis.Redis().set(f"job:{time.time_ns()}", "queued")
"""


def test_a_rewritten_test_is_run_once_and_a_failure_is_said(pytester: pytest.Pytester) -> None:
    path = pytester.path / "test_made_up.py"
    path.write_text(MADE_UP)
    result = run(pytester, "--tripwire-record=new", "--tripwire-record-rewrite")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            f"rewrote 1 test(s) in {path}",
            "ran the 1 rewritten test(s) once, without a server: they do not pass (pytest exited "
            "1); see why with `pytest test_made_up.py::test_made_up_key`",
        ]
    )
    # The key the code makes up (a number: not taken for a token) differs at each run.
    run(pytester).assert_outcomes(failed=1)

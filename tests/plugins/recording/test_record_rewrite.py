"""How ``--tripwire-record-rewrite`` writes recorded lines into a test file, and what it refuses.

No server here: the rewrite works on source files. It writes only where the lines map to one
place in the test's own function, keeps the file's encoding and line endings, and says why it
leaves a test alone.
"""

from __future__ import annotations

from pathlib import Path

from tripwire.plugins.recording.output import Recorded
from tripwire.plugins.recording.rewrite import rewrite

PASTE = "paste the printed lines where they belong"


def recorded(path: Path, function: str, first_line: int, **options: object) -> Recorded:
    return Recorded(
        f"{path.name}::{function}",
        path,
        function,
        first_line,
        ["tripwire.redis.mock_command('GET', returns=None)"],
        ["tripwire.redis.assert_command('GET', args=('k',))"],
        **options,  # type: ignore[arg-type]
    )


def test_rewrite_surrounds_the_sandboxes_and_adds_the_imports(tmp_path: Path) -> None:
    path = tmp_path / "test_x.py"
    path.write_text(
        '"""Docs."""\n'
        "import tripwire\n"
        "\n"
        "\n"
        "class TestX:\n"
        "    async def test_a(self):\n"
        "        async with tripwire:\n"
        "            pass\n"
        "        with tripwire:\n"
        "            pass"
    )
    test = recorded(path, "test_a", 6)
    test.mocks.append("tripwire.redis.mock_command('GET', returns=None, raises=redis.exceptions.X)")
    test.asserts.append(
        "tripwire.redis.assert_command('AUTH', args=(ANY,))  # review: a password, not "
        "recorded: ANY (from unittest.mock) matches it"
    )
    assert rewrite(path, [test]) == ([test.nodeid], [])
    assert path.read_text() == (
        '"""Docs."""\n'
        "import tripwire\n"
        "from unittest.mock import ANY\n"
        "import redis\n"
        "\n"
        "\n"
        "class TestX:\n"
        "    async def test_a(self):\n"
        "        tripwire.redis.mock_command('GET', returns=None)\n"
        "        tripwire.redis.mock_command('GET', returns=None, raises=redis.exceptions.X)\n"
        "        async with tripwire:\n"
        "            pass\n"
        "        with tripwire:\n"
        "            pass\n"
        "        tripwire.redis.assert_command('GET', args=('k',))\n"
        "        tripwire.redis.assert_command('AUTH', args=(ANY,))  # review: a password, not "
        "recorded: ANY (from unittest.mock) matches it\n"
    )


def test_rewrite_leaves_what_it_cannot_place(tmp_path: Path) -> None:
    path = tmp_path / "test_x.py"
    source = "def test_a():\n    helper()\n"
    path.write_text(source)
    assert rewrite(
        path, [recorded(path, "test_a", 1, seeded=True), recorded(path, "test_b", 7)]
    ) == (
        [],
        [
            "test_x.py::test_a: not rewritten, its function has no `with tripwire:` block (the "
            f"sandbox opens elsewhere, such as in a decorator or a helper); {PASTE}",
            f"test_x.py::test_b: not rewritten, no function test_b at line 7; {PASTE}",
        ],
    )
    assert path.read_text() == source


LOOPS = """\
import tripwire


def test_loop():
    for key in "ab":
        with tripwire:
            pass


def test_while():
    while True:
        with tripwire:
            break


def test_nested():
    def step():
        with tripwire:
            pass

    step()
    step()
"""


def test_a_block_inside_a_loop_is_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "test_x.py"
    path.write_text(LOOPS)
    tests = [
        recorded(path, "test_loop", 4),
        recorded(path, "test_while", 10),
        recorded(path, "test_nested", 16),
    ]
    reason = (
        "not rewritten, its `with tripwire:` block is inside a loop (or a function of its own), "
        "so the lines of every pass were recorded together and no one place in the source "
        f"stands for them; {PASTE}"
    )
    assert rewrite(path, tests) == (
        [],
        [
            f"test_x.py::test_loop: {reason}",
            f"test_x.py::test_while: {reason}",
            f"test_x.py::test_nested: {reason}",
        ],
    )
    assert path.read_text() == LOOPS


def test_a_parametrized_test_is_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "test_x.py"
    source = "import tripwire\n\n\ndef test_a(n):\n    with tripwire:\n        pass\n"
    path.write_text(source)
    assert rewrite(path, [recorded(path, "test_a", 4, parametrized=True)]) == (
        [],
        [
            "test_x.py::test_a: not rewritten, the test is parametrized: each parameter "
            f"recorded lines of its own, which one function cannot hold; {PASTE}"
        ],
    )
    assert path.read_text() == source


def test_crlf_line_endings_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "test_x.py"
    path.write_bytes(
        b"import tripwire\r\n\r\n\r\ndef test_a():\r\n    with tripwire:\r\n        pass"
    )
    assert rewrite(path, [recorded(path, "test_a", 4)]) == (["test_x.py::test_a"], [])
    assert path.read_bytes() == (
        b"import tripwire\r\n\r\n\r\ndef test_a():\r\n"
        b"    tripwire.redis.mock_command('GET', returns=None)\r\n"
        b"    with tripwire:\r\n        pass\r\n"
        b"    tripwire.redis.assert_command('GET', args=('k',))\r\n"
    )


def test_a_coding_cookie_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "test_x.py"
    source = (
        (
            "# -*- coding: latin-1 -*-\n"
            "import tripwire\n"
            "\n"
            "\n"
            "def test_caf\\u00e9():\n"
            "    with tripwire:\n"
            "        assert 'caf\\u00e9'\n"
        )
        .encode("ascii")
        .decode("unicode_escape")
    )
    path.write_bytes(source.encode("latin-1"))
    test = recorded(path, "test_caf\u00e9", 5)
    test.mocks = ["tripwire.redis.mock_command('GET', returns='caf\u00e9 \u20ac')"]
    assert rewrite(path, [test]) == ([test.nodeid], [])
    written = path.read_bytes().decode("latin-1")
    assert written == source.replace(
        "    with tripwire:\n",
        "    tripwire.redis.mock_command('GET', returns='caf\u00e9 \\u20ac')\n    with tripwire:\n",
    ) + ("    tripwire.redis.assert_command('GET', args=('k',))\n")


def test_a_file_that_cannot_be_read_is_left_saying_why(tmp_path: Path) -> None:
    path = tmp_path / "test_x.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\ndef test_a(:\n")
    rewritten, problems = rewrite(path, [recorded(path, "test_a", 2)])
    assert rewritten == []
    assert problems[0].startswith(f"test_x.py::test_a: not rewritten, {path} could not be read (")


def test_a_test_found_by_name_only_is_rewritten_and_keeps_its_imports(tmp_path: Path) -> None:
    # first_line 0: the function's code lives elsewhere (a decorator without functools.wraps).
    path = tmp_path / "test_x.py"
    path.write_text(
        "from unittest.mock import ANY\nimport redis.asyncio\nimport tripwire\n\n\n"
        "def test_a():\n    with tripwire:\n        pass\n"
    )
    test = recorded(path, "test_a", 0, seeded=True)
    test.mocks.append("tripwire.redis.mock_command('GET', returns=None, raises=redis.exceptions.X)")
    test.asserts.append(
        "tripwire.redis.assert_command('AUTH', args=(ANY,))  # review: a password, not "
        "recorded: ANY (from unittest.mock) matches it"
    )
    assert rewrite(path, [test]) == (
        ["test_x.py::test_a"],
        [
            "test_x.py::test_a: drop tripwire_record_client and its calls, which the mocks now "
            "stand for"
        ],
    )
    assert path.read_text().startswith(
        "from unittest.mock import ANY\nimport redis.asyncio\nimport tripwire\n\n\ndef test_a():\n"
    )

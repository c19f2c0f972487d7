"""A failing example is printed as a plain pytest test that, pasted, fails the same way.

Each property below has a planted bug. Hypothesis' report must hold the printed test; the test
must parse, and run in this module's namespace (where it would be pasted) it must raise the same
exception, with the same message, as the property did.
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import redis
import redis.asyncio
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import tripwire
from tripwire import StrictVerifier
from tripwire_hypothesis import RedisSession, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

deterministic = settings(
    database=None,
    derandomize=True,
    deadline=None,
    max_examples=200,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)

HEADER = "# The same example as a plain pytest test:\n"


def expect(condition: bool, message: str) -> None:
    """An assertion whose message does not depend on pytest rewriting ``assert``."""
    if not condition:
        raise AssertionError(message)


def failure_of(check: Callable[[], None]) -> BaseException:
    """Run a failing property and return what it raised."""
    with pytest.raises(Exception) as failure:  # each test checks the type
        check()
    return failure.value


def printed_test(failure: BaseException) -> str:
    """The plain pytest test in Hypothesis' report of ``failure``."""
    report = "\n".join(getattr(failure, "__notes__", ()))
    assert HEADER in report, report
    return report.partition(HEADER)[2]


def replay(test: str, **fixtures: object) -> BaseException:
    """Run the printed ``test`` as if pasted into this module; return what it raised."""
    tree = ast.parse(test)
    (function,) = tree.body
    assert isinstance(function, ast.FunctionDef)
    namespace = dict(globals())
    exec(compile(tree, "<pasted>", "exec"), namespace)
    with tripwire.use_verifier(StrictVerifier()) as verifier:
        try:
            with pytest.raises(Exception) as failure:  # compared by the caller
                namespace[function.name](**fixtures)
        finally:
            verifier.close_all()
    return failure.value


# -- the properties, each with a planted bug -----------------------------------------------------


def release_lock(client: redis.Redis, name: str, token: str) -> bool:
    key = f"lock:{name}"
    if client.get(key) == token:  # planted bug: GET answers bytes, the token is a str
        client.delete(key)
        return True
    return False


@deterministic
@given(
    tripwire_strategies.redis_session(
        replies={"GET": st.sampled_from([None, b"token-1", b"token-2"])}, error_rate=0
    ),
    st.just("token-1"),
)
@per_example_verifier
def lock_release(session: RedisSession, token: str) -> None:
    session.install()
    with tripwire:
        released = release_lock(redis.Redis(), "report", token)
    (get, *deleted) = session.consumed
    session.assert_sent({"GET": ("lock:report",), "DEL": ("lock:report",)})
    expect(released == bool(deleted), "release_lock() must say whether it deleted the lock")
    expect(released == (get.returns == token.encode()), f"held by {get.returns!r}: not released")


def hits_per_page(client: redis.Redis) -> int:
    size = int(client.get("page:size"))
    return int(client.incr("page:hits")) // size  # planted bug: a counter reset below zero


@deterministic
@given(tripwire_strategies.redis_session(error_rate=0))
@per_example_verifier
def paged_hits(session: RedisSession) -> None:
    tripwire.redis.mock_command("GET", returns=b"10")  # registered by hand, before the session
    session.install()
    with tripwire:
        pages = hits_per_page(redis.Redis())
    session.assert_sent([("GET", "page:size"), ("INCRBY", "page:hits", 1)])
    expect(pages >= 0, f"{pages} pages")


def read_twice(client: redis.Redis) -> tuple[bytes | None, bytes | None]:
    return client.get("k"), client.get("k")


@deterministic
@given(
    tripwire_strategies.redis_session(
        replies={"GET": st.sampled_from([b"fresh", b"stale"])}, error_rate=0
    )
)
@per_example_verifier
def hand_mock_after_install(session: RedisSession) -> None:
    session.install()
    tripwire.redis.mock_command("GET", returns=b"cached")  # registered by hand, after install
    with tripwire:
        first, second = read_twice(redis.Redis())
    session.assert_sent({"GET": ("k",)})
    expect(first == b"cached", f"first read {first!r}")
    expect(second == b"fresh", f"second read {second!r}")


@deterministic
@given(tripwire_strategies.redis_session(error_rate=0))
@per_example_verifier
def lua_release(session: RedisSession) -> None:
    script = """
if redis.call("get", KEYS[1]) == ARGV[1] then
  return redis.call("del", KEYS[1])
end
return 0
"""
    session.install()  # the script's lines above are its text: printed as they are
    with tripwire:
        released = redis.Redis().eval(script, 1, "lock:report", "token-1")
    session.assert_sent([("EVAL", script, 1, "lock:report", "token-1")])
    expect(released in (0, 1), f"{released!r} from {script.splitlines()[2].strip()}")


@deterministic
@given(st.builds(redis.Redis), tripwire_strategies.redis_session(error_rate=0))
@per_example_verifier
def client_argument(client: redis.Redis, session: RedisSession) -> None:
    session.install()
    with tripwire:
        value = client.get("k")
    session.assert_sent({"GET": ("k",)})
    expect(value is not None, f"GET answered {value!r}")


async def read_counter(client: redis.asyncio.Redis, name: str) -> int:
    return int(await client.get(f"counter:{name}"))  # planted bug: a missing counter is None


@deterministic
@given(
    tripwire_strategies.redis_session(
        replies={"GET": st.none() | st.integers(0, 99).map(lambda n: str(n).encode())},
        error_rate=0,
    ),
    st.sampled_from(["signups", "logins"]),
)
@per_example_verifier
def counter_read(session: RedisSession, name: str) -> None:
    session.install()
    with tripwire:
        count = asyncio.run(read_counter(redis.asyncio.Redis(), name))
    session.assert_sent([("GET", f"counter:{name}")])
    expect(count >= 0, "a count is never negative")


PROPERTIES: list[Any] = [
    pytest.param(
        lock_release,
        AssertionError("held by b'token-1': not released"),
        "def test_lock_release_example():\n"
        "    from tripwire_hypothesis import RedisSession, Step\n"
        "\n"
        "    token = 'token-1'\n"
        "    session = RedisSession([\n"
        "        Step('GET', returns=b'token-1'),\n"
        "    ])\n"
        "    session.install()\n"
        "    with tripwire:\n"
        '        released = release_lock(redis.Redis(), "report", token)\n'
        "    (get, *deleted) = session.consumed\n"
        '    session.assert_sent({"GET": ("lock:report",), "DEL": ("lock:report",)})\n'
        '    expect(released == bool(deleted), "release_lock() must say whether it deleted the '
        'lock")\n'
        '    expect(released == (get.returns == token.encode()), f"held by {get.returns!r}: not '
        'released")',
        id="lock-release",
    ),
    pytest.param(
        paged_hits,
        AssertionError("-1 pages"),
        "def test_paged_hits_example():\n"
        "    from tripwire_hypothesis import RedisSession, Step\n"
        "\n"
        "    session = RedisSession([\n"
        "        Step('INCRBY', returns=-1),\n"
        "    ])\n"
        '    tripwire.redis.mock_command("GET", returns=b"10")  # registered by hand, before the '
        "session\n"
        "    session.install()\n"
        "    with tripwire:\n"
        "        pages = hits_per_page(redis.Redis())\n"
        '    session.assert_sent([("GET", "page:size"), ("INCRBY", "page:hits", 1)])\n'
        '    expect(pages >= 0, f"{pages} pages")',
        id="hand-mock-before-install",
    ),
    pytest.param(
        counter_read,
        TypeError(
            "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"
        ),
        "def test_counter_read_example():\n"
        "    from tripwire_hypothesis import RedisSession, Step\n"
        "\n"
        "    name = 'signups'\n"
        "    session = RedisSession([\n"
        "        Step('GET', returns=None),\n"
        "    ])\n"
        "    session.install()\n"
        "    with tripwire:\n"
        "        count = asyncio.run(read_counter(redis.asyncio.Redis(), name))\n"
        '    session.assert_sent([("GET", f"counter:{name}")])\n'
        '    expect(count >= 0, "a count is never negative")',
        id="asyncio",
    ),
    pytest.param(
        lua_release,
        AssertionError('None from return redis.call("del", KEYS[1])'),
        "def test_lua_release_example():\n"
        "    from tripwire_hypothesis import RedisSession, Step\n"
        "\n"
        "    session = RedisSession([\n"
        "        Step('EVAL', returns=None),\n"
        "    ])\n"
        '    script = """\n'
        'if redis.call("get", KEYS[1]) == ARGV[1] then\n'
        '  return redis.call("del", KEYS[1])\n'
        "end\n"
        "return 0\n"
        '"""\n'
        "    session.install()  # the script's lines above are its text: printed as they are\n"
        "    with tripwire:\n"
        '        released = redis.Redis().eval(script, 1, "lock:report", "token-1")\n'
        '    session.assert_sent([("EVAL", script, 1, "lock:report", "token-1")])\n'
        '    expect(released in (0, 1), f"{released!r} from {script.splitlines()[2].strip()}")',
        id="multi-line-string",
    ),
    pytest.param(
        hand_mock_after_install,
        AssertionError("second read b'stale'"),
        "def test_hand_mock_after_install_example():\n"
        "    from tripwire_hypothesis import RedisSession, Step\n"
        "\n"
        "    session = RedisSession([\n"
        "        Step('GET', returns=b'stale'),\n"
        "    ])\n"
        "    session.install()\n"
        '    tripwire.redis.mock_command("GET", returns=b"cached")  # registered by hand, after '
        "install\n"
        "    with tripwire:\n"
        "        first, second = read_twice(redis.Redis())\n"
        '    session.assert_sent({"GET": ("k",)})\n'
        '    expect(first == b"cached", f"first read {first!r}")\n'
        '    expect(second == b"fresh", f"second read {second!r}")',
        id="hand-mock-after-install",
    ),
]


@pytest.mark.parametrize(("check", "error", "test"), PROPERTIES)
def test_the_report_prints_a_test_that_fails_the_same_way(
    check: Callable[[], None], error: BaseException, test: str
) -> None:
    failure = failure_of(check)
    assert (type(failure), str(failure)) == (type(error), str(error))
    assert printed_test(failure) == test
    assert isinstance(ast.parse(test).body[0], ast.FunctionDef)
    pasted = replay(test)
    assert (type(pasted), str(pasted)) == (type(failure), str(failure))


def test_the_report_lists_each_drawn_answer_under_its_call() -> None:
    report = "\n".join(failure_of(lock_release).__notes__)
    assert "\nDraw 1 (GET('lock:report')): returns b'token-1'\n# Keep it as" in report


def printed_example(failure: BaseException) -> str:
    """The ``@example(...)`` part of Hypothesis' report of ``failure``, or why there is none."""
    before = "\n".join(getattr(failure, "__notes__", ())).partition(HEADER)[0]
    start = before.find("\n# Keep it")
    start = before.find("\n# No @example") if start < 0 else start
    return before[start + 1 :].rstrip("\n")


def test_the_example_names_the_property_s_other_drawn_arguments() -> None:
    assert printed_example(failure_of(lock_release)) == (
        "# Keep it as a regression test of the property, which passes once the code is fixed:\n"
        "# from hypothesis import example; from tripwire_hypothesis import RedisSession, Step\n"
        "@example(session=RedisSession.replay([\n"
        "    Step('GET', returns=b'token-1'),\n"
        "]), token='token-1')"
    )


def test_an_argument_that_does_not_print_as_code_says_why_there_is_no_example() -> None:
    assert printed_example(failure_of(client_argument)) == (
        "# No @example to keep this failure as a regression test: the value of client does not "
        "print as code."
    )


def fetch_and_check(session: RedisSession, key: str) -> bytes | None:
    """A helper that installs the session and runs the code, as a test may call one."""
    session.install()
    with tripwire:
        value = redis.Redis().get(key)
    session.assert_sent([("GET", key)])
    return value


@deterministic
@given(tripwire_strategies.redis_session(error_rate=0))
@per_example_verifier
def helper_installs(session: RedisSession) -> None:
    value = fetch_and_check(session, "k")
    expect(value is not None, f"GET answered {value!r}")


def test_a_session_installed_by_a_helper_prints_the_test_that_called_it() -> None:
    failure = failure_of(helper_installs)
    test = printed_test(failure)
    assert test == (
        "def test_helper_installs_example():\n"
        "    from tripwire_hypothesis import RedisSession, Step\n"
        "\n"
        "    session = RedisSession([\n"
        "        Step('GET', returns=None),\n"
        "    ])\n"
        '    value = fetch_and_check(session, "k")\n'
        '    expect(value is not None, f"GET answered {value!r}")'
    )
    pasted = replay(test)
    assert (type(pasted), str(pasted)) == (type(failure), str(failure))
    assert printed_example(failure).endswith(
        "@example(session=RedisSession.replay([\n    Step('GET', returns=None),\n]))"
    )


GENERATED = """
def generated(session):
    session.install()
    with tripwire:
        redis.Redis().get("k")
    session.assert_sent({"GET": ("k",)})
    raise AssertionError("always fails")
"""


def test_a_property_without_source_is_printed_as_a_skeleton_with_its_mocks() -> None:
    namespace = dict(globals())
    exec(compile(GENERATED, "<generated>", "exec"), namespace)
    session = tripwire_strategies.redis_session(error_rate=0)
    check = deterministic(given(session)(per_example_verifier(namespace["generated"])))
    failure = failure_of(check)
    assert (type(failure), str(failure)) == (AssertionError, "always fails")
    test = printed_test(failure)
    assert test == (
        "def test_example():\n"
        "    tripwire.redis.mock_command('GET', returns=None)\n"
        "    with tripwire:\n"
        "        ...  # the code under test\n"
        "    tripwire.redis.assert_command('GET', args=('k',), kwargs={'keys': ['k']})"
    )
    assert isinstance(ast.parse(test).body[0], ast.FunctionDef)
    assert printed_example(failure) == (
        "# No @example to keep this failure as a regression test: the property's @given(...) "
        "could not be read from its source."
    )


def test_an_argument_that_does_not_print_as_code_is_a_parameter_of_the_printed_test() -> None:
    # As a client from a pytest fixture would be.
    failure = failure_of(client_argument)
    test = printed_test(failure)
    assert test == (
        "def test_client_argument_example(client):\n"
        "    from tripwire_hypothesis import RedisSession, Step\n"
        "\n"
        "    # Passed by pytest from the fixtures of these names (their values do not print as "
        "code): client\n"
        "    session = RedisSession([\n"
        "        Step('GET', returns=None),\n"
        "    ])\n"
        "    session.install()\n"
        "    with tripwire:\n"
        '        value = client.get("k")\n'
        '    session.assert_sent({"GET": ("k",)})\n'
        '    expect(value is not None, f"GET answered {value!r}")'
    )
    pasted = replay(test, client=redis.Redis())
    assert (type(pasted), str(pasted)) == (type(failure), str(failure))

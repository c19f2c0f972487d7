"""``pytest --tripwire-record=MODE``: record tests' strict mocks from a real Redis, or verify them.

Options, the ``tripwire_record`` marker, the ``tripwire_record_client`` fixture and the hooks
that install a `Recorder` around each recorded test's call. Nothing here imports redis-py, and
nothing records, starts a server or connects unless the option or the marker asks for it.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tripwire._errors import ConfigurationError

if TYPE_CHECKING:
    from tripwire.plugins.recording.output import Recorded
    from tripwire.plugins.recording.server import Server

_RUN = pytest.StashKey["_Run"]()

_MARKER = "tripwire_record"
_MODES = ("none", "new", "rewrite-all", "verify")
_PLACEHOLDERS = "tripwire_record_placeholders"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tripwire")
    group.addoption(
        "--tripwire-record",
        choices=_MODES,
        default="none",
        metavar="MODE",
        help="none (the default): no server, nothing recorded. new: run the calls that no mock "
        "answers against a real Redis server and print, for each test, the "
        "tripwire.redis.mock_command(...) and assert_command(...) lines that make it strict. "
        "rewrite-all: record every test afresh, its own mock and assert lines ignored, and "
        "write the new lines in their place. "
        "verify: run the tests on their mocks, send the same calls to a real server, and fail "
        "each test whose mocks answer otherwise than Redis; nothing is written.",
    )
    group.addoption(
        "--tripwire-record-url",
        metavar="URL",
        help="the Redis server to record against (loopback only, unless "
        "--tripwire-record-any-host); default: a redis-server started for the run.",
    )
    group.addoption(
        "--tripwire-record-any-host",
        action="store_true",
        help="let --tripwire-record-url name a server on another machine.",
    )
    group.addoption(
        "--tripwire-record-output",
        metavar="PATH",
        help="also write the recorded lines to this file.",
    )
    group.addoption(
        "--tripwire-record-rewrite",
        action="store_true",
        help="write the recorded lines into the tests themselves, around their `with tripwire:` "
        "blocks, instead of only printing them.",
    )
    parser.addini(
        _PLACEHOLDERS,
        "tripwire: environment variables whose values recorded lines show as "
        "os.environ['NAME'] (tokens, emails), one name a line.",
        type="linelist",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}: record this test's Redis calls against a real server, as "
        "--tripwire-record=new does for every test.",
    )
    mode = config.getoption("--tripwire-record")
    if mode != "none" and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError(
            f"--tripwire-record={mode} reports what each test recorded in the process that ran "
            "it: record without -n (pytest-xdist)."
        )
    url = config.getoption("--tripwire-record-url")
    if url is not None:
        # Imported only when recording or verifying: loading the pytest plugin stays cheap.
        from tripwire.plugins.recording.server import check_url

        try:
            check_url(url, config.getoption("--tripwire-record-any-host"))
        except ConfigurationError as error:
            raise pytest.UsageError(str(error)) from None
    config.stash[_RUN] = _Run(config, url)


def _recording(item: pytest.Item) -> bool:
    """Whether the test records (``new``, or the marker)."""
    mode = item.config.getoption("--tripwire-record")
    return mode in ("new", "rewrite-all") or (
        mode == "none" and item.get_closest_marker(_MARKER) is not None
    )


def _verifying(item: pytest.Item) -> bool:
    return bool(item.config.getoption("--tripwire-record") == "verify")


def _needs_server(item: pytest.Item) -> bool:
    return _recording(item) or _verifying(item)


def _in_worker(config: pytest.Config) -> bool:
    """Whether this process is a pytest-xdist worker."""
    return hasattr(config, "workerinput")


_UNDER_XDIST = (
    "@pytest.mark.tripwire_record records in the process that runs the test, and a pytest-xdist "
    "worker cannot print what it recorded: nothing was recorded, and no server was reached. "
    "Run this test without -n."
)


_GIVEN = (
    "it is a Hypothesis @given test, whose examples each make their own calls, which one list "
    "of mocks cannot stand for. Record a plain test with one example's values, or give the "
    "@given test a drawn session (tripwire_hypothesis.redis_session)."
)


class _Run:
    """The recording state of one pytest run: its server, and what each test recorded."""

    def __init__(self, config: pytest.Config, url: str | None) -> None:
        self.config = config
        self.url = url
        self.server: Server | None = None
        self.recorded: list[Recorded] = []
        self.problems: list[str] = []
        self.placeholders: dict[str, str] = {}
        #: In verify mode: the tests verified, and those whose mocks differ from Redis.
        self.verified = 0
        self.drifted = 0

    def start(self) -> None:
        """Read the placeholders and start the run's own server, unless a URL names one;
        refuse the run if either cannot be done."""
        for name in self.config.getini(_PLACEHOLDERS):
            value = os.environ.get(name, "")
            if not value:
                raise pytest.UsageError(
                    f"{_PLACEHOLDERS} names {name!r}, which is not set in this environment (or "
                    "is empty): set it to the value the recorded lines should name, or remove "
                    "it from the list."
                )
            self.placeholders[name] = value
        if self.url is not None:
            return
        # Imported only when recording or verifying: loading the pytest plugin stays cheap.
        from tripwire.plugins.recording.server import Server

        try:
            self.server = Server()
        except ConfigurationError as error:
            message = str(error)
        else:
            self.url = self.server.url
            return
        raise pytest.UsageError(message)

    def refusal(self) -> str | None:
        """Why this process cannot record, if it cannot."""
        return _UNDER_XDIST if _in_worker(self.config) else None

    def target(self) -> str:
        """The server's URL (`start` found or started it before the first test)."""
        refusal = self.refusal()
        if refusal is not None:
            pytest.fail(refusal, pytrace=False)
        assert self.url is not None
        return self.url

    def add(self, recorded: Recorded | None) -> None:
        if recorded is not None:
            self.recorded.append(recorded)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # After deselection (-k, -m): start a server only when a test that stays is recorded, and
    # say once, before any test runs, if none can be started.
    if config.option.collectonly or _in_worker(config):
        return
    if any(_needs_server(item) for item in items):
        config.stash[_RUN].start()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    if not _needs_server(item):
        return (yield)
    run = item.config.stash[_RUN]
    refusal = run.refusal()
    if refusal is None and run.server is not None:
        run.server.empty()  # before the fixtures, which may arrange data on it
    result = yield
    # After every other setup, so that their teardowns find what they set up.
    if refusal is not None:
        pytest.fail(refusal, pytrace=False)
    return result


@pytest.fixture
def tripwire_record_client(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A redis-py client of the recording server, to arrange its data before ``with tripwire:``.

    Only while recording or verifying (``--tripwire-record=new``, ``verify``, or the
    ``tripwire_record`` marker); its calls
    are not recorded, and it refuses to run inside the sandbox.
    """
    if not _needs_server(request.node):
        pytest.fail(
            "tripwire_record_client arranges data on the recording server, and this test is "
            "not being recorded: run it with --tripwire-record=new (or mark it "
            "@pytest.mark.tripwire_record), or remove the fixture once the recorded lines are "
            "pasted.",
            pytrace=False,
        )
    # Imported only when recording or verifying: loading the pytest plugin stays cheap.
    from tripwire.plugins.recording.recorder import Twins, seeding_client

    twins = Twins(request.config.stash[_RUN].target())
    try:
        yield seeding_client(twins)
    finally:
        twins.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    verifying = _verifying(item)
    if not verifying and not _recording(item):
        return (yield)
    run = item.config.stash[_RUN]
    if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
        run.problems.append(
            f"{item.nodeid}: not {'verified' if verifying else 'recorded'}: {_GIVEN}"
        )
        return (yield)
    if verifying:
        return (yield from _verify(item))
    # Imported only when recording or verifying: loading the pytest plugin stays cheap.
    from tripwire.plugins.recording.session import Session

    afresh = item.config.getoption("--tripwire-record") == "rewrite-all"
    session = Session(item, run.target(), run.placeholders, afresh)
    try:
        result = yield
    except BaseException as error:
        run.add(session.finish(error))
        raise
    run.add(session.finish(None))
    return result


def _verify(item: pytest.Item) -> Generator[None, None, None]:
    """Run the test on its mocks, then send its calls to the server and compare the replies."""
    # Imported only when recording or verifying: loading the pytest plugin stays cheap.
    from tripwire._context import current_verifier
    from tripwire.plugins.recording.verify import differences
    from tripwire.plugins.redis_plugin import RedisPlugin

    run = item.config.stash[_RUN]
    plugin = current_verifier().get_plugin(RedisPlugin)
    failed = True
    try:
        result = yield
        failed = False
    finally:
        found = differences(plugin, run.target())
        run.verified += 1
        if found:
            run.drifted += 1
            run.problems.append(f"{item.nodeid}: {len(found)} mock(s) differ from Redis")
            run.problems += [f"    {line}" for line in found]
    if found and not failed:
        pytest.fail(
            f"{len(found)} mock(s) answer otherwise than Redis:\n"
            + "\n".join(found)
            + "\nRecord the test again (remove its mocks, run pytest --tripwire-record=new), or "
            "correct each mock to Redis's answer.",
            pytrace=False,
        )
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    run = session.config.stash.get(_RUN, None)
    if run is None:
        return
    run.stop()
    output = session.config.getoption("--tripwire-record-output")
    if output is not None:
        lines = [line for recorded in run.recorded for line in recorded.block()]
        Path(output).write_text("".join(f"{line}\n" for line in lines))
    afresh = session.config.getoption("--tripwire-record") == "rewrite-all"
    if run.recorded and (afresh or session.config.getoption("--tripwire-record-rewrite")):
        # Imported only when recording or verifying: loading the pytest plugin stays cheap.
        from tripwire.plugins.recording.rewrite import rewrite, run_offline

        by_file: dict[Path, list[Recorded]] = {}
        for recorded in run.recorded:
            if not recorded.problem:
                by_file.setdefault(recorded.path, []).append(recorded)
        everything: list[str] = []
        for path, tests in by_file.items():
            rewritten, problems = rewrite(path, tests, replace=afresh)
            run.problems += problems
            if rewritten:
                run.problems.append(f"rewrote {len(rewritten)} test(s) in {path}")
                everything += rewritten
        if everything:
            run.problems.append(run_offline(session.config.rootpath, everything))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    run = terminalreporter.config.stash.get(_RUN, None)
    if run is not None and run.verified:
        run.problems.append(
            f"verified the mocks of {run.verified} test(s) against Redis: "
            + (f"{run.drifted} differ" if run.drifted else "every mock answers as Redis does")
        )
    if run is None or not (run.recorded or run.problems):
        return
    verifying = terminalreporter.config.getoption("--tripwire-record") == "verify"
    terminalreporter.section(
        "tripwire: mocks verified against Redis"
        if verifying
        else "tripwire: recorded Redis sessions"
    )
    for recorded in run.recorded:
        for line in recorded.block():
            terminalreporter.line(line)
    for problem in run.problems:
        terminalreporter.line(problem)

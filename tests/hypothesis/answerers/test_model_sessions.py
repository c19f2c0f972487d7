"""Model sessions, ``redis_session(model=True)``: replies from fakeredis, faults, transactions.

Scripted with ``RedisSession.from_faults([...])`` where the faults must be exact; drawn with
``@given`` where Hypothesis' choices are the point.
"""

from __future__ import annotations

import contextlib
from typing import Any

import fakeredis
import pytest
import redis
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import initialize, invariant, rule, run_state_machine_as_test
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

import tripwire
from tests.client_configuration import CONFIGURATION
from tripwire import StrictVerifier
from tripwire_hypothesis import Fault, RedisSession, VerifiedStateMachine, per_example_verifier
from tripwire_hypothesis import strategies as tripwire_strategies

client = redis.Redis()
#: A client that never retries: every fault reaches the caller.
once = redis.Redis(retry=Retry(NoBackoff(), 0))
quick = settings(
    max_examples=30,
    database=None,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)

CONNECTION = redis.exceptions.ConnectionError("Connection closed by server.")
CONNECTION_CODE = "redis.exceptions.ConnectionError('Connection closed by server.')"


def assert_all(session: RedisSession) -> None:
    session.assert_sent([(c.command, *c.args) for c in session.consumed if not c.retried])


def run_commands(target: Any) -> list[Any]:
    """Commands of several reply shapes, as the code under test would send them."""
    return [
        target.set("k", "v"),
        target.get("k"),
        target.get("missing"),
        target.set("k", "w", nx=True),
        target.incrby("n", 3),
        target.expire("n", 60),
        target.rpush("l", "a", "b"),
        target.lrange("l", 0, -1),
        target.lmove("l", "m", "RIGHT", "LEFT"),
        target.hset("h", mapping={"f": "1", "g": "2"}),
        target.hgetall("h"),
        target.zadd("z", {"a": 1.5, "b": 2}),
        target.zrange("z", 0, -1, withscores=True),
        target.exists("k", "missing"),
        target.mget("k", "n"),
        target.delete("k"),
    ]


@pytest.mark.skipif(
    bool(CONFIGURATION),
    reason="fakeredis' own RESP3 replies differ from a server's: for clients of other "
    "configurations, tests/realserver/test_client_configurations.py checks against a server",
)
@pytest.mark.allow("redis")  # the plain fakeredis client compared with
@pytest.mark.parametrize("decode_responses", [False, True])
def test_replies_are_what_redis_py_returns_from_the_same_commands_on_fakeredis(
    verifier: StrictVerifier, decode_responses: bool
) -> None:
    session = RedisSession.from_faults([])
    session.install()
    with verifier.sandbox():
        # The client's own decode_responses says whether the model's replies are text.
        replies = run_commands(redis.Redis(decode_responses=decode_responses))
    assert_all(session)
    plain = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=decode_responses)
    assert replies == run_commands(plain)
    assert [step.returns for step in session.consumed] == replies
    assert session.model.lrange("m", 0, -1) == [b"b"]


def test_a_fault_before_the_command_changes_nothing_and_one_after_loses_only_the_reply(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession.from_faults(
        [Fault(CONNECTION), Fault(redis.exceptions.TimeoutError("Timeout"), applied=True)]
    )
    session.install()
    with verifier.sandbox():
        with pytest.raises(redis.exceptions.ConnectionError):
            once.set("before", "1")
        with pytest.raises(redis.exceptions.TimeoutError):
            once.set("after", "1")
        assert once.get("after") == b"1"
    assert_all(session)
    assert session.model.keys() == [b"after"]
    assert [(step.command, step.returns, type(step.raises)) for step in session.consumed] == [
        ("SET", None, redis.exceptions.ConnectionError),
        ("SET", None, redis.exceptions.TimeoutError),
        ("GET", b"1", type(None)),
    ]


def test_the_model_gives_its_own_error_replies(verifier: StrictVerifier) -> None:
    session = RedisSession.from_faults([])
    session.model.set("s", "text")
    session.install()
    with verifier.sandbox(), pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
        client.lpush("s", "x")
    assert_all(session)


def test_session_model_is_never_intercepted_nor_recorded(verifier: StrictVerifier) -> None:
    session = RedisSession.from_faults([])
    session.model.set("seed", "1")  # outside the sandbox, where the guard refuses redis.Redis
    session.install()
    with verifier.sandbox():
        assert session.model.get("seed") == b"1"
        assert client.get("seed") == b"1"
    assert [step.command for step in session.consumed] == ["GET"]
    assert_all(session)


def test_a_transaction_replies_from_the_model_and_commits_at_exec(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession.from_faults([])
    session.model.set("a", "10")
    session.install()
    with verifier.sandbox(), client.pipeline() as pipe:
        pipe.watch("a")
        balance = int(pipe.get("a"))
        pipe.multi()
        pipe.decrby("a", 4)
        pipe.incrby("b", 4)
        replies = pipe.execute()
    assert_all(session)
    assert (balance, replies) == (10, [6, 4])
    assert session.model.mget("a", "b") == [b"6", b"4"]
    commands = [step.command for step in session.consumed]
    assert commands == ["WATCH", "GET", "MULTI", "DECRBY", "INCRBY", "EXEC"]


def test_a_transactions_exec_answered_by_the_model_is_asserted_with_no_kwargs(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession.from_faults([])
    session.install()
    with verifier.sandbox():
        assert client.pipeline().incr("n").execute() == [1]
    tripwire.redis.assert_command("MULTI")
    tripwire.redis.assert_command("INCRBY", args=("n", 1))
    tripwire.redis.assert_command("EXEC")


@pytest.mark.parametrize(
    ("fault", "raised"),
    [
        (Fault(redis.exceptions.WatchError("Watched variable changed.")), "WatchError"),
        # redis-py's own: a watching pipeline does not send its batch again.
        (Fault(CONNECTION), "WatchError"),
        (
            Fault(redis.exceptions.OutOfMemoryError("command not allowed when used memory")),
            "OutOfMemoryError",
        ),
    ],
    ids=["watch", "connection-before", "oom"],
)
def test_a_transaction_whose_exec_fails_changes_nothing(
    verifier: StrictVerifier, fault: Fault, raised: str
) -> None:
    session = RedisSession.from_faults([None, fault])
    session.model.set("a", "10")
    session.install()
    with verifier.sandbox(), client.pipeline() as pipe:
        pipe.watch("a")
        pipe.multi()
        pipe.decrby("a", 4)
        pipe.incrby("b", 4)
        with pytest.raises(getattr(redis.exceptions, raised)):
            pipe.execute()
    assert_all(session)
    assert session.model.mget("a", "b") == [b"10", None]


def test_a_connection_lost_after_exec_took_effect_keeps_the_transaction(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession.from_faults([Fault(CONNECTION, applied=True)])
    session.install()
    with verifier.sandbox(), once.pipeline() as pipe:  # a client that never retries
        pipe.incrby("a", 1)
        pipe.incrby("b", 1)
        with pytest.raises(redis.exceptions.ConnectionError):
            pipe.execute()
    assert_all(session)
    assert session.model.mget("a", "b") == [b"1", b"1"]


def test_a_watched_key_the_code_changes_itself_fails_exec_as_redis_does(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession.from_faults([])
    session.install()
    with verifier.sandbox(), client.pipeline() as pipe:
        pipe.watch("a")
        client.set("a", "changed")  # another client of the code writes the watched key
        pipe.multi()
        pipe.set("a", "mine")
        with pytest.raises(redis.exceptions.WatchError):
            pipe.execute()
    assert_all(session)
    assert session.model.get("a") == b"changed"


def test_an_asyncio_watched_key_the_code_changes_itself_fails_exec_too(
    verifier: StrictVerifier,
) -> None:
    import asyncio

    import redis.asyncio

    async def race() -> None:
        async_client = redis.asyncio.Redis()
        async with async_client.pipeline() as pipe:
            await pipe.watch("a")
            await async_client.set("a", "changed")  # another client of the code
            pipe.multi()
            pipe.set("a", "mine")
            with pytest.raises(redis.exceptions.WatchError):
                await pipe.execute()

    session = RedisSession.from_faults([])
    session.install()
    with verifier.sandbox():
        asyncio.run(race())
    assert_all(session)
    assert session.model.get("a") == b"changed"


def test_multi_sent_on_its_own_is_refused(verifier: StrictVerifier) -> None:
    session = RedisSession.from_faults([])
    session.install()
    with verifier.sandbox(), pytest.raises(tripwire.UnmockedInteractionError) as refused:
        client.execute_command("MULTI")
    assert str(refused.value).startswith(
        "redis.MULTI(...) was sent on its own, but a model session answers transactions only "
        "through a pipeline (client.pipeline(), client.transaction())."
    )
    verifier.timeline.entries.clear()


def test_mocks_registered_by_hand_answer_first(verifier: StrictVerifier) -> None:
    session = RedisSession.from_faults([])
    tripwire.redis.mock_command("GET", returns=b"mocked")
    session.install()
    with verifier.sandbox():
        assert client.get("k") == b"mocked"
        assert client.get("k") is None
    assert_all(session)


@quick
@given(tripwire_strategies.redis_session(model=True, faults=["readonly"], error_rate=1))
def test_readonly_faults_hit_only_commands_that_write(session: RedisSession) -> None:
    session.install()
    with tripwire:
        assert client.get("k") is None
        with pytest.raises(redis.exceptions.ReadOnlyError):
            client.set("k", "v")
    assert_all(session)
    assert session.model.keys() == []


@quick
@given(tripwire_strategies.redis_session(model=True, error_rate=0))
def test_error_rate_zero_injects_no_fault(session: RedisSession) -> None:
    session.install()
    with tripwire:
        assert client.incr("n") == 1
        assert client.get("n") == b"1"
    assert_all(session)


@quick
@given(tripwire_strategies.redis_session(model=True, faults=["connection"], error_rate=1))
def test_connection_faults_are_drawn_before_and_after(session: RedisSession) -> None:
    session.install()
    with tripwire, pytest.raises(redis.exceptions.ConnectionError):
        once.incr("n")
    assert_all(session)
    assert session.model.get("n") in (None, b"1")


# -- faults under the client's own retry policy ---------------------------------------------


def sent(session: RedisSession) -> list[tuple[str, str | None]]:
    """Each command sent, with the class of the error its attempt failed with."""
    return [
        (step.command, None if step.raises is None else type(step.raises).__name__)
        for step in session.consumed
    ]


def test_a_reply_lost_after_incr_is_retried_and_counts_twice(verifier: StrictVerifier) -> None:
    session = RedisSession.from_faults([Fault(CONNECTION, applied=True), None])
    session.install()
    with verifier.sandbox():
        assert client.incr("n") == 2  # the retry's reply: the first INCR took effect too
    assert sent(session) == [("INCRBY", "ConnectionError"), ("INCRBY", None)]
    assert_all(session)
    assert session.model.get("n") == b"2"


def test_a_connection_lost_before_the_command_is_retried_once(verifier: StrictVerifier) -> None:
    session = RedisSession.from_faults([Fault(CONNECTION), None])
    session.install()
    with verifier.sandbox():
        assert client.incr("n") == 1
    assert sent(session) == [("INCRBY", "ConnectionError"), ("INCRBY", None)]
    assert_all(session)


def test_an_outage_reaches_the_caller_once_the_policy_gives_up(verifier: StrictVerifier) -> None:
    three = redis.Redis(retry=Retry(NoBackoff(), 2))
    session = RedisSession.from_faults([Fault(CONNECTION, applied=True, outage=True)])
    session.install()
    with verifier.sandbox(), pytest.raises(redis.exceptions.ConnectionError):
        three.incr("n")
    assert sent(session) == [("INCRBY", "ConnectionError")] * 3
    assert_all(session)
    assert session.model.get("n") == b"1"  # only the first attempt reached the server


def test_a_client_that_never_retries_sees_the_first_fault(verifier: StrictVerifier) -> None:
    session = RedisSession.from_faults([Fault(CONNECTION, applied=True), None])
    session.install()
    with verifier.sandbox(), pytest.raises(redis.exceptions.ConnectionError):
        once.incr("n")
    assert sent(session) == [("INCRBY", "ConnectionError")]
    assert_all(session)
    assert session.model.get("n") == b"1"


def test_backoff_between_attempts_is_not_slept(
    verifier: StrictVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slept(seconds: float) -> None:
        raise AssertionError(f"slept {seconds} s")

    monkeypatch.setattr(redis.retry, "sleep", slept)
    patient = redis.Redis(retry=Retry(ExponentialBackoff(cap=3600, base=60), 3))
    session = RedisSession.from_faults([Fault(CONNECTION), Fault(CONNECTION), None])
    session.install()
    with verifier.sandbox():
        assert patient.incr("n") == 1
    assert_all(session)


@quick
@given(tripwire_strategies.redis_session(model=True, faults=["connection"]))
def test_drawn_faults_are_retried_or_outages(session: RedisSession) -> None:
    session.install()
    with tripwire:
        try:
            client.incr("n")
        except redis.exceptions.ConnectionError:
            failed = True
        else:
            failed = False
    assert_all(session)
    attempts = len(session.consumed)
    # The default policy: the first attempt and its retries (ten in redis-py 8).
    assert attempts <= client.get_retry().get_retries() + 1
    assert failed == (
        attempts == client.get_retry().get_retries() + 1
        and all(step.raises is not None for step in session.consumed)
    )


def test_model_sessions_find_a_double_applied_incr_within_300_examples() -> None:
    @settings(max_examples=300, database=None, derandomize=True, deadline=None)
    @given(tripwire_strategies.redis_session(model=True))
    @per_example_verifier
    def counts_once(session: RedisSession) -> None:
        session.install()
        with tripwire, contextlib.suppress(redis.RedisError):
            client.incr("hits")
        assert_all(session)
        assert session.model.get("hits") in (None, b"1"), "a hit counted twice"

    with pytest.raises(AssertionError, match="a hit counted twice") as failed:
        counts_once()
    report = "\n".join(failed.value.__notes__)
    assert (
        "Fault(redis.exceptions.ConnectionError('Connection closed by server.'), applied=True)"
        in report
        or ("Fault(redis.exceptions.TimeoutError" in report)
    )


def test_faults_shrink_to_the_fewest_and_simplest() -> None:
    @per_example_verifier
    def fails_somewhere(session: RedisSession) -> bool:
        session.install()
        with tripwire:
            try:
                client.incr("n")
                client.incr("n")
            except redis.RedisError:
                failed = True
            else:
                failed = False
        assert_all(session)
        return failed

    minimal = find(
        tripwire_strategies.redis_session(model=True),
        fails_somewhere,
        settings=settings(database=None, derandomize=True),
    )
    # A server error reply: redis-py retries no such error, so it needs no outage to show.
    readonly = (
        'Fault(redis.exceptions.ReadOnlyError("You can\'t write against a read only replica.", '
        "status_code='READONLY'))"
    )
    script = (
        f"    session = RedisSession.from_faults([\n        {readonly},  # INCRBY('n', 1)\n    ])\n"
    )
    assert script in minimal.reproduction()


def test_the_strategy_repr_is_the_call_that_built_it() -> None:
    strategy = tripwire_strategies.redis_session(model=True, faults=["timeout", "connection"])
    drawn = find(strategy, lambda session: True, settings=settings(database=None))
    assert repr(drawn) == "redis_session(model=True, faults=['connection', 'timeout'])"
    assert repr(RedisSession.from_faults([None, Fault(CONNECTION, applied=True)])) == (
        f"RedisSession.from_faults([\n    None,\n    Fault({CONNECTION_CODE}, applied=True),\n])"
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: tripwire_strategies.redis_session(model=1),
            "redis_session() argument 'model' must be a bool, got 1 (int)",
        ),
        (
            lambda: tripwire_strategies.redis_session(faults=["oom"]),
            "redis_session() argument 'faults' must be None without model=True (use errors=), "
            "got ['oom'] (list)",
        ),
        (
            lambda: tripwire_strategies.redis_session(model=True, faults="oom"),
            "redis_session() argument 'faults' must be a non-empty sequence of fault kinds "
            "('connection', 'timeout', 'loading', 'readonly', 'oom', 'watch'), got 'oom' (str)",
        ),
        (
            lambda: tripwire_strategies.redis_session(model=True, faults=["fire"]),
            "redis_session() argument 'faults' must be a non-empty sequence of fault kinds "
            "('connection', 'timeout', 'loading', 'readonly', 'oom', 'watch'), got 'fire' (str)",
        ),
        (
            lambda: tripwire_strategies.redis_session(model=True, faults=[]),
            "redis_session() argument 'faults' must be a non-empty sequence of fault kinds "
            "('connection', 'timeout', 'loading', 'readonly', 'oom', 'watch'); error_rate=0 "
            "turns faults off, got [] (list)",
        ),
        (
            lambda: tripwire_strategies.redis_session(model=True, replies={"GET": st.none()}),
            "redis_session() argument 'replies' must be None with model=True (the model "
            "replies), got {'GET': none()} (dict)",
        ),
        (
            lambda: tripwire_strategies.redis_session(model=True, errors=st.none()),
            "redis_session() argument 'errors' must be None with model=True (use faults=), "
            "got none() (LazyStrategy)",
        ),
        (
            lambda: RedisSession.from_faults("none"),
            "RedisSession.from_faults() argument 'faults' must be an iterable of Fault objects "
            "or None, got 'none' (str)",
        ),
        (
            lambda: RedisSession.from_faults([ValueError("x")]),
            "RedisSession.from_faults() argument 'faults' must be an iterable of Fault objects "
            "or None, got ValueError('x') (ValueError)",
        ),
        (
            lambda: Fault(redis.exceptions.ConnectionError),
            "Fault() argument 'error' must be an exception instance, got <class "
            "'redis.exceptions.ConnectionError'> (type)",
        ),
        (
            lambda: Fault(CONNECTION, applied=1),
            "Fault() argument 'applied' must be a bool, got 1 (int)",
        ),
        (
            lambda: RedisSession([]).model,
            "RedisSession.model needs a session answered by a model: draw it with "
            "redis_session(model=True).",
        ),
    ],
    ids=[
        "model-not-bool",
        "faults-without-model",
        "faults-a-str",
        "faults-unknown",
        "faults-empty",
        "replies-with-model",
        "errors-with-model",
        "from-faults-a-str",
        "from-faults-an-error",
        "fault-a-class",
        "fault-applied-not-bool",
        "model-of-a-script",
    ],
)
def test_bad_arguments_are_refused_eagerly(build: Any, message: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        build()
    assert str(refused.value) == message


class PlantedQueue(VerifiedStateMachine):
    """A state machine over one model: RPOP then LPUSH loses jobs to faults."""

    @initialize(session=tripwire_strategies.redis_session(model=True))
    def start(self, session: RedisSession) -> None:
        self.session, self.enqueued, self.handled = session, set(), []  # type: ignore[var-annotated]
        session.install()

    @rule(job=st.sampled_from(["job-1", "job-2"]))
    def enqueue(self, job: str) -> None:
        with tripwire:
            try:
                client.lpush("jobs", job)
            except redis.RedisError:
                return
        self.enqueued.add(job.encode())

    @rule()
    def work(self) -> None:
        with tripwire:
            try:
                job = client.rpop("jobs")
                if job is not None:
                    client.lpush("jobs:processing", job)
                    self.handled.append(job)
                    client.lrem("jobs:processing", 1, job)
            except redis.RedisError:
                pass

    @invariant()
    def no_job_is_lost(self) -> None:
        if hasattr(self, "session"):
            model = self.session.model
            kept = model.lrange("jobs", 0, -1) + model.lrange("jobs:processing", 0, -1)
            assert self.enqueued <= {*kept, *self.handled}, "a job was lost"

    def teardown(self) -> None:
        if hasattr(self, "session"):
            assert_all(self.session)
        super().teardown()


def test_a_state_machine_keeps_one_model_per_run_and_finds_the_lost_job() -> None:
    with pytest.raises(AssertionError, match="a job was lost") as failed:
        run_state_machine_as_test(
            PlantedQueue,
            settings=settings(
                max_examples=200,
                database=None,
                derandomize=True,
                deadline=None,
                phases=[Phase.generate, Phase.shrink],
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    # The heading's wording depends on the Hypothesis version ("Failing test case:" before
    # 6.170, "Failing test case: <state machine>" since).
    heading, _, notes = "\n".join(failed.value.__notes__).partition("\n")
    assert heading in ("Failing test case:", "Failing test case: <state machine>")
    # Two stories of one outage lose the job; which one the shrinker reaches depends on what
    # Hypothesis generates, which the modules loaded before the test move (it draws constants
    # found in them): alone, the RPOP whose reply was lost; in the whole suite, the LPUSH.
    rpop = (
        f"Draw 2 (RPOP('jobs')): Fault({CONNECTION_CODE}, applied=True)\n"
        "Draw 3 (RPOP('jobs'), every attempt fails): True\n",
        f"    Fault({CONNECTION_CODE}, applied=True, outage=True),  # RPOP('jobs')\n",
    )
    lpush = (
        "Draw 2 (RPOP('jobs')): None\n"
        f"Draw 3 (LPUSH('jobs:processing', b'job-1')): Fault({CONNECTION_CODE})\n"
        "Draw 4 (LPUSH('jobs:processing', b'job-1'), every attempt fails): True\n",
        "    None,  # RPOP('jobs')\n"
        f"    Fault({CONNECTION_CODE}, outage=True),  # LPUSH('jobs:processing', b'job-1')\n",
    )
    assert notes in {
        "state = PlantedQueue()\n"
        "state.start(session=redis_session(model=True))\n"
        "state.no_job_is_lost()\n"
        "Draw 1 (LPUSH('jobs', 'job-1')): None\n"
        "state.enqueue(job='job-1')\n"
        "state.no_job_is_lost()\n"
        f"{draws}"
        "state.work()\n"
        "state.no_job_is_lost()\n"
        "state.teardown()\n"
        "# This run's session, to pass instead of the drawn one in the steps above:\n"
        "RedisSession.from_faults([\n"
        "    None,  # LPUSH('jobs', 'job-1')\n"
        f"{faults}"
        "])"
        for draws, faults in (rpop, lpush)
    }


def test_the_printed_steps_replay_with_the_printed_session() -> None:
    state = PlantedQueue()
    state.start(session=RedisSession.from_faults([None, None, Fault(CONNECTION, outage=True)]))
    state.enqueue(job="job-1")
    state.work()
    with pytest.raises(AssertionError, match="a job was lost"):
        state.no_job_is_lost()
    state.teardown()


@quick
@given(tripwire_strategies.redis_session(model=True, commands=["get"], error_rate=0))
def test_commands_limits_what_a_model_session_answers(session: RedisSession) -> None:
    session.install()
    with tripwire:
        assert client.get("k") is None
        with pytest.raises(tripwire.UnmockedInteractionError) as refused:
            client.set("k", "v")
    assert str(refused.value).startswith(
        "redis.SET(...) was called, but this session answers only GET "
        "(redis_session(commands=...)) and no mock was registered for it."
    )
    assert_all(session)


def test_a_watch_left_behind_by_a_failed_call_fails_no_later_transaction(
    verifier: StrictVerifier,
) -> None:
    session = RedisSession.from_faults([None, Fault(CONNECTION)])
    session.model.set("a", "1")
    session.install()
    with verifier.sandbox():
        with client.pipeline() as pipe, pytest.raises(redis.exceptions.ConnectionError):
            pipe.watch("a")
            pipe.get("a")  # fails: the pipeline is dropped with its WATCH
        client.set("a", "2")
        with client.pipeline() as pipe:
            pipe.set("a", "3")
            assert pipe.execute() == [True]
    assert_all(session)
    assert session.model.get("a") == b"3"


def test_asyncio_clients_are_answered_by_the_model_too(verifier: StrictVerifier) -> None:
    import asyncio

    import redis.asyncio

    async def transfer() -> list[Any]:
        async_client = redis.asyncio.Redis()
        async with async_client.pipeline() as pipe:
            await pipe.watch("a")
            balance = await pipe.get("a")
            pipe.multi()
            pipe.decrby("a", 4)
            pipe.incrby("b", 4)
            return [balance, await pipe.execute()]

    session = RedisSession.from_faults([None, None, Fault(CONNECTION, applied=True)])
    session.model.set("a", "10")
    session.install()
    # The EXEC took effect and its reply was lost: a watching pipeline does not send it again.
    with verifier.sandbox(), pytest.raises(redis.exceptions.WatchError):
        asyncio.run(transfer())
    assert_all(session)
    assert session.model.mget("a", "b") == [b"6", b"4"]


def test_a_model_session_without_fakeredis_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.delitem(sys.modules, "tripwire_hypothesis._answerers.model")
    monkeypatch.setitem(sys.modules, "fakeredis", None)
    with pytest.raises(ModuleNotFoundError) as missing:
        tripwire_strategies.redis_session(model=True)
    assert str(missing.value) == (
        "redis_session(model=True) answers from fakeredis, which is not installed: "
        "pip install 'fakeredis[lua]' (the model extra of python-tripwire brings it)"
    )

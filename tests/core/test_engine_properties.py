"""Property tests of the engine: any interleaving of registrations and calls behaves like a model.

The model is a dict of plain lists. For any program over a few commands, tripwire must hand out
exactly the mocks the model predicts, raise exactly where the model has nothing queued, and
`verify_all` must report exactly the model's unused required mocks and unasserted calls.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from tripwire import (
    StrictVerifier,
    UnassertedInteractionsError,
    UnmockedInteractionError,
    UnusedMocksError,
    VerificationError,
    WrongReplyWarning,
)
from tripwire.plugins.redis_plugin import RedisPlugin

COMMANDS = ["GET", "SET", "HGET"]


@dataclass(frozen=True)
class Register:
    command: str
    required: bool


@dataclass(frozen=True)
class Call:
    command: str
    spelling: str


register = st.builds(Register, st.sampled_from(COMMANDS), st.booleans())
call = st.sampled_from(COMMANDS).flatmap(
    lambda c: st.builds(Call, st.just(c), st.sampled_from([c, c.lower(), c.title()]))
)
programs = st.lists(st.one_of(register, call), max_size=40)


@settings(max_examples=150, deadline=None)
@given(programs, st.integers(min_value=0, max_value=40))
def test_queues_behave_like_a_dict_of_fifo_lists(
    program: list[Register | Call], assert_count: int
) -> None:
    verifier = StrictVerifier()
    plugin = RedisPlugin(verifier)
    model: dict[str, list[tuple[int, bool]]] = {c: [] for c in COMMANDS}
    consumed: list[tuple[str, int]] = []
    client = redis.Redis()
    # The replies are the step numbers, whatever the command: no reply is checked.
    with warnings.catch_warnings(), verifier.sandbox():
        warnings.simplefilter("ignore", WrongReplyWarning)
        for step, action in enumerate(program):
            if isinstance(action, Register):
                plugin.mock_command(action.command, returns=step, required=action.required)
                model[action.command].append((step, action.required))
            elif model[action.command]:
                expected, _ = model[action.command].pop(0)
                assert client.execute_command(action.spelling, step) == expected
                consumed.append((action.command, step))
            else:
                with pytest.raises(UnmockedInteractionError):
                    client.execute_command(action.spelling, step)
    verifier._unmocked.clear()  # the model checks unmocked calls above, one by one

    # Assert a prefix of the calls, in order.
    asserted = consumed[:assert_count]
    for command, step in asserted:
        plugin.assert_command(command, args=(step,))
    unasserted = consumed[len(asserted) :]
    # Unused mocks are reported in registration order, across commands.
    unused = sorted(
        ((command, step) for command in COMMANDS for step, required in model[command] if required),
        key=lambda pair: pair[1],
    )

    if not unused and not unasserted:
        verifier.verify_all()
        return
    with pytest.raises(VerificationError) as excinfo:
        verifier.verify_all()
    error = excinfo.value
    assert isinstance(error, UnusedMocksError) == bool(unused)
    assert isinstance(error, UnassertedInteractionsError) == bool(unasserted)
    assert [(m.command, m.returns) for m in error.unused] == unused  # type: ignore[attr-defined]
    assert [(i.command, i.args[0]) for i in error.unasserted] == unasserted  # type: ignore[attr-defined]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(COMMANDS), min_size=1, max_size=30), st.randoms())
def test_in_any_order_accepts_every_permutation(commands: list[str], rnd: object) -> None:
    verifier = StrictVerifier()
    plugin = RedisPlugin(verifier)
    for command in commands:
        plugin.mock_command(command, returns=None)
    with verifier.sandbox():
        for index, command in enumerate(commands):
            redis.Redis().execute_command(command, index)
    order = list(enumerate(commands))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    with verifier.in_any_order():
        for index, command in order:
            plugin.assert_command(command, args=(index,))
    verifier.verify_all()

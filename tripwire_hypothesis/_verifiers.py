"""A verifier per example where the pytest plugin cannot give one: state machines, other runners.

The pytest plugin wraps every ``@given`` test it runs (see `tripwire._per_example`). What it
cannot see: ``find()``, ``@given`` applied inside a test body, `RuleBasedStateMachine` runs and
other runners. `per_example_verifier` and `VerifiedStateMachine` cover those, and
`check_example_verifier` turns the remaining case, mocks registered inside such an example,
into a clear error instead of mocks leaking from one example into the next.
"""

from __future__ import annotations

import sys

from hypothesis.stateful import RuleBasedStateMachine

from tripwire._context import current_verifier
from tripwire._errors import NoExampleVerifierError
from tripwire._per_example import Example, in_example_without_verifier

__all__ = ["NoExampleVerifierError", "VerifiedStateMachine", "check_example_verifier"]


def check_example_verifier(what: str) -> None:
    """Raise `NoExampleVerifierError` inside a Hypothesis example without its own verifier."""
    if in_example_without_verifier(current_verifier()):
        raise NoExampleVerifierError(f"{what} was called")


class VerifiedStateMachine(RuleBasedStateMachine):
    """A `RuleBasedStateMachine` whose every run has its own verifier, verified at teardown.

    Subclass it instead of `RuleBasedStateMachine`. The verifier is made current when the machine
    is created; `teardown` verifies it if the run's steps succeeded, so an unused mock or an
    unasserted interaction fails the run and Hypothesis shrinks it to a minimal program. A
    subclass that overrides ``teardown`` must call ``super().teardown()`` last.
    """

    def __init__(self) -> None:
        super().__init__()
        # Hypothesis calls teardown() in a `finally`, so an exception "in flight" there is the
        # run's failure; whatever was being handled when the run started is not.
        self.__handling_at_start = sys.exc_info()[1]
        self.__example: Example | None = Example()

    def teardown(self) -> None:
        __tracebackhide__ = True
        super().teardown()
        example, self.__example = self.__example, None
        if example is not None:
            example.finish(passed=sys.exc_info()[1] is self.__handling_at_start)

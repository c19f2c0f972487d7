"""The public surface: ``__all__`` lists exactly the public names, errors form one tree."""

from __future__ import annotations

import inspect

import pytest

import tripwire
from tripwire import (
    AssertionInsideSandboxError,
    ConfigurationError,
    InteractionMismatchError,
    InvalidArgumentError,
    NoActiveVerifierError,
    TripwireError,
    UnassertedInteractionsError,
    UnmockedInteractionError,
    UnsandboxedInteractionError,
    UnusedMocksAndUnassertedInteractionsError,
    UnusedMocksError,
    VerificationError,
)


def test_all_matches_the_public_names() -> None:
    public = {
        name
        for name, value in vars(tripwire).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    public.discard("annotations")  # from __future__
    assert public | {"__version__"} == set(tripwire.__all__)
    assert len(tripwire.__all__) == len(set(tripwire.__all__))


@pytest.mark.parametrize("name", tripwire.__all__)
def test_every_public_name_has_a_docstring(name: str) -> None:
    value = getattr(tripwire, name)
    if name in {"__version__", "redis"}:
        return
    assert inspect.getdoc(value), name


EXPECTATIONS = [
    UnmockedInteractionError,
    UnsandboxedInteractionError,
    InteractionMismatchError,
    VerificationError,
    UnusedMocksError,
    UnassertedInteractionsError,
    UnusedMocksAndUnassertedInteractionsError,
]


@pytest.mark.parametrize("error", EXPECTATIONS, ids=lambda e: e.__name__)
def test_unmet_expectations_are_assertion_errors(error: type[Exception]) -> None:
    assert issubclass(error, TripwireError)
    assert issubclass(error, AssertionError)


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (InvalidArgumentError, TypeError),
        (InvalidArgumentError, ValueError),
        (ConfigurationError, ValueError),
        (NoActiveVerifierError, RuntimeError),
        (AssertionInsideSandboxError, RuntimeError),
    ],
    ids=lambda e: e.__name__,
)
def test_usage_errors_are_not_assertion_errors(
    error: type[Exception], builtin: type[Exception]
) -> None:
    assert issubclass(error, TripwireError)
    assert issubclass(error, builtin)
    assert not issubclass(error, AssertionError)


def test_errors_are_named_as_users_import_them() -> None:
    assert UnusedMocksError.__module__ == "tripwire"
    assert repr(UnusedMocksError) == "<class 'tripwire.UnusedMocksError'>"

"""The call the code under test makes, answered by each stand-in (see conftest.py).

The client and every mock are made before the clock starts; only the call is timed. tripwire's
timeline grows by one interaction per call, to about 22,000 by the end of a run;
`plot_scaling.py` shows that the cost of a call does not depend on that size.
"""

from __future__ import annotations

import pytest


@pytest.mark.benchmark(group="call: r.execute_command('GET', 'k')")
def test_call_execute_command(benchmark, stand_in) -> None:
    assert stand_in.time_each_call(benchmark, "execute_command", "GET", "k") == b"v"


@pytest.mark.benchmark(group="call: r.get('k')")
def test_call_get(benchmark, stand_in) -> None:
    assert stand_in.time_each_call(benchmark, "get", "k") == b"v"

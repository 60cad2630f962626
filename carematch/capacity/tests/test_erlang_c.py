"""The simulation against queueing theory: configured as an M/M/c queue (one kind of
provider, exponential sessions, Poisson arrivals), its probability of waiting and mean wait
match the Erlang C formula within the simulation's own 95% interval."""

from __future__ import annotations

import pytest

from carematch.capacity.queueing import erlang_c, erlang_c_mean_wait, mmc_replication
from carematch.capacity.simulation import interval


def test_erlang_c_gives_the_textbook_values():
    # M/M/1: the probability of waiting is the load, the mean wait rho / (mu - lambda).
    assert erlang_c(1, 0.5, 1.0) == pytest.approx(0.5)
    assert erlang_c_mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)
    # M/M/2 with a load of 1 (rho 0.5): C = 1/3.
    assert erlang_c(2, 1.0, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(3, 3.0, 1.0) == 1.0  # a load the servers cannot carry: everyone waits


@pytest.mark.parametrize(("servers", "arrivals", "sessions"), [(3, 2.0, 1.0), (5, 4.2, 1.0)])
def test_the_simulated_queue_matches_erlang_c_within_its_95_percent_interval(servers, arrivals, sessions):
    runs = [mmc_replication(servers=servers, arrivals_per_hour=arrivals, sessions_per_hour=sessions, hours=3000,
                            warm_up_hours=200, seed=21, replication=r) for r in range(20)]
    waited = interval([run.waited_share for run in runs], 0.95)
    mean_wait = interval([run.mean_wait for run in runs], 0.95)
    expected_share = erlang_c(servers, arrivals, sessions)
    expected_wait = erlang_c_mean_wait(servers, arrivals, sessions)
    assert waited.low <= expected_share <= waited.high, (waited, expected_share)
    assert mean_wait.low <= expected_wait <= mean_wait.high, (mean_wait, expected_wait)
    # And the intervals are narrow enough to mean something.
    assert waited.high - waited.low < 0.05

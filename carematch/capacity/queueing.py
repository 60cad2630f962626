"""The forecast's machinery checked against queueing theory.

With one kind of provider, exponential session lengths and Poisson arrivals, booking the
first free provider is the M/M/c queue, whose probability of waiting and mean wait the
Erlang C formula gives exactly. `mmc_replication` runs that queue on the forecast's own
parts (simpy, the Poisson arrivals of demand.py, the replications' seeds and intervals of
simulation.py), so that a test can hold the simulation to the formula
(capacity/tests/test_erlang_c.py).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from .demand import HOURS_OF_WEEK, arrival_times


def erlang_c(servers: int, arrival_rate: float, service_rate: float) -> float:
    """The probability that an arrival waits in an M/M/c queue (Erlang C)."""
    load = arrival_rate / service_rate
    if load >= servers:
        return 1.0
    head = sum(load**k / math.factorial(k) for k in range(servers))
    tail = load**servers / math.factorial(servers) * servers / (servers - load)
    return tail / (head + tail)


def erlang_c_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """The mean wait in the queue of an M/M/c queue: C / (c mu - lambda)."""
    return erlang_c(servers, arrival_rate, service_rate) / (servers * service_rate - arrival_rate)


@dataclass(frozen=True)
class QueueRun:
    waited_share: float
    mean_wait: float  # in the same unit of time as the rates (hours)


def mmc_replication(*, servers: int, arrivals_per_hour: float, sessions_per_hour: float, hours: int,
                    warm_up_hours: int, seed: int, replication: int) -> QueueRun:
    """One run of the M/M/c queue; arrivals in the first `warm_up_hours` are not counted."""
    rng = np.random.default_rng([seed, replication])
    days = math.ceil(hours / 24)
    times = arrival_times(rng, rate_per_day=arrivals_per_hour * 24, profile=(1.0,) * HOURS_OF_WEEK,
                          start_hour_of_week=0, days=days) / 3600.0
    times = times[times < hours]
    lengths = rng.exponential(1.0 / sessions_per_hour, size=len(times))
    env = simpy.Environment()
    providers = simpy.Resource(env, capacity=servers)
    waits: list[float] = []

    def person(arrived: float, length: float) -> Generator[simpy.Event, Any, None]:
        with providers.request() as turn:
            yield turn
            if arrived >= warm_up_hours:
                waits.append(env.now - arrived)
            yield env.timeout(length)

    def arrivals() -> Generator[simpy.Event, Any, None]:
        for arrived, length in zip(times.tolist(), lengths.tolist(), strict=True):
            yield env.timeout(arrived - env.now)
            env.process(person(arrived, length))

    env.process(arrivals())
    env.run()
    counted = np.array(waits)
    return QueueRun(waited_share=float((counted > 0).mean()), mean_wait=float(counted.mean()))

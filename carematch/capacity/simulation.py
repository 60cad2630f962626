"""The capacity forecast: a discrete-event simulation (simpy) of requests for care over the
real directory, the real match engine and its hard rules.

Each replication runs `days` days from `start`:
- requests arrive as demand.py says (Poisson, by hour of the week, with the demand's mix);
- each asks the match engine (carematch.matching.engine.find_matches, the function the
  API and the pages call) for its best match within 48 hours, and books that match's
  soonest opening; with none, it asks again within a week (what the results page
  suggests), and with none still, waits on the waitlist, asked again once a day;
- the engine sees what the simulation has booked (and what was already booked, held or
  off at the start) through the same BusyLookup the database gives it, so openings taken
  are gone and the ranking's fair share counts the simulated new clients;
- a first booking is cancelled with the demand's cancellation rate, at a uniform moment
  before it, freeing the hour; the person then books again (their clock still running);
- a first session is missed with the no-show rate (the hour is used, and the person
  does not come back); otherwise a geometric number of follow-up sessions follows, each
  a week after the last at the same hour, or the provider's next free opening in the
  following week, so that follow-ups take hours that new clients then cannot have.

A request counts as met when its first appointment starts within 48 hours of asking, as
on the 48-hour clock (carematch/scheduling/clock.py). Waits of people never booked within
the run count as the time to the run's end (so the wait percentiles are at least what is
shown). Utilisation is the share of the weekly windows' opening hours in the run (less
time off) that sessions took.

The directory is built once a network (arrays); nothing reads the database during a run.
Replications use seeds derived from (seed, replication), so a run is reproducible and two
scenarios see the same arrivals (common random numbers), which makes their difference
sharper than their separate intervals.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import Counter
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy
from scipy import stats

from carematch.lib.sessions import SESSION_SECONDS
from carematch.matching.engine.directory import Directory
from carematch.matching.engine.match import Busy, find_matches
from carematch.matching.engine.scoring import RECENT_DAYS
from carematch.matching.engine.slots import candidate_slots, instant, without_blocked
from carematch.matching.engine.types import MatchRequest

from .demand import Demand, RequestKind, arrival_times
from .network import Extra, Network, ProviderKind, with_extra

DAY = 86_400
WEEK = 7 * DAY
PROMISE_HOURS = 48
WIDER_HOURS = 168
MAX_SEARCH_HOURS = 160  # the most extra weekly hours a state's search tries (four full-time providers)
SEARCH_STEPS = (5, 10, 20, 40, 80, 160)
MOST_SEARCH_REPLICATIONS = 10
# The most tries a state's search makes: each doubling, then halving the gap down to the hour.
SEARCH_TRIES = len(SEARCH_STEPS) + math.ceil(math.log2(SEARCH_STEPS[-1] // 2))
_NEVER_EXPIRES = np.iinfo(np.int32).max

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Outcome:
    kind: RequestKind
    wait: float  # seconds from asking to the first appointment's start (or to the run's end)
    booked: bool


@dataclass
class Replication:
    outcomes: list[Outcome]
    taken_hours: int
    open_hours: int

    def share_within(self, keep: Callable[[Outcome], bool] = lambda o: True) -> float | None:
        mine = [o for o in self.outcomes if keep(o)]
        if not mine:
            return None
        return sum(1 for o in mine if o.booked and o.wait <= PROMISE_HOURS * 3600) / len(mine)


def nearest_rank(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


@dataclass(frozen=True)
class Figure:
    """A figure over replications: their mean and the interval around it."""

    mean: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {"mean": round(self.mean, 4), "low": round(self.low, 4), "high": round(self.high, 4), "n": self.n}


def interval(values: Sequence[float], confidence: float = 0.9, *, share: bool = False) -> Figure:
    """The mean of per-replication values and its Student t interval at `confidence`
    (a share's kept within 0 and 1)."""
    n = len(values)
    if n == 0:
        return Figure(math.nan, math.nan, math.nan, 0)
    mean = float(np.mean(values))
    if n == 1:
        return Figure(mean, mean, mean, 1)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * np.std(values, ddof=1) / math.sqrt(n))
    if share:
        return Figure(mean, max(0.0, mean - half), min(1.0, mean + half), n)
    return Figure(mean, mean - half, mean + half, n)


class _World:
    """One replication's bookings, kept as the engine's BusyLookup reads them."""

    def __init__(self, directory: Directory, network: Network, start: int):
        self.directory = directory
        self.start = start
        self.blocked: dict[int, list[tuple[int, int]]] = {}
        for spans in (network.blocked, network.away):
            for pid, taken in spans.items():
                self.blocked.setdefault(pid, []).extend(taken)
        self.recent: dict[int, list[int]] = {pid: list(times) for pid, times in network.recent_new.items()}
        self.sessions: dict[tuple[int, int], bool] = {}  # (provider id, start) of simulated sessions
        self.position = {int(pid): at for at, pid in enumerate(directory.ids.tolist())}

    def lookup_at(self, now: int) -> Callable[[Sequence[int], dt.datetime, dt.datetime], Busy]:
        since = now - RECENT_DAYS * DAY

        def lookup(provider_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> Busy:
            low, high = int(start.timestamp()), math.ceil(end.timestamp())
            blocked = {}
            recent = {}
            for pid in provider_ids:
                spans = self.blocked.get(pid)
                if spans:
                    blocked[pid] = [(instant(a), instant(b)) for a, b in spans if a < high and b > low]
                times = self.recent.get(pid)
                if times:
                    recent[pid] = sum(1 for t in times if t >= since)
            return Busy(blocked=blocked, recent_new_clients=recent)

        return lookup

    def take(self, pid: int, begin: int, *, now: int, new_client: bool) -> None:
        self.blocked.setdefault(pid, []).append((begin, begin + SESSION_SECONDS))
        self.sessions[(pid, begin)] = True
        if new_client:
            self.recent.setdefault(pid, []).append(now)

    def free(self, pid: int, begin: int) -> None:
        self.blocked[pid].remove((begin, begin + SESSION_SECONDS))
        del self.sessions[(pid, begin)]

    def first_booking(self, kind: RequestKind, now: int) -> tuple[int, int] | None:
        """The provider and start the person books: the best match's soonest opening within
        48 hours, else within a week; None when nothing fits."""
        moment = instant(now)
        for hours in (PROMISE_HOURS, WIDER_HOURS):
            request = MatchRequest(
                state=kind.state, age=kind.age, concerns=kind.concerns, earliest=moment, zip=kind.zip,
                format=kind.format,  # type: ignore[arg-type]
                languages=kind.languages, insurance=kind.insurance, self_pay_max=kind.self_pay_max,
                within_hours=hours, limit=1, client_timezone=kind.zone,
            )
            answer = find_matches(self.directory, request, now=moment, busy=self.lookup_at(now))
            if answer.matches:
                match = answer.matches[0]
                return match.provider_id, int(match.openings[0].start.timestamp())
        return None

    def next_opening(self, pid: int, at: int, zone: str) -> int | None:
        """The provider's first free opening in the week from `at` (their windows, holidays
        and what is taken), booked a week ahead."""
        position = self.position.get(pid)
        if position is None:
            return None
        slots = candidate_slots(
            self.directory, np.array([position], dtype=np.int64),
            license_expires=np.array([_NEVER_EXPIRES], dtype=np.int32),
            earliest=instant(at), latest=instant(at + WEEK), now=instant(at - WEEK), client_zone=zone,
        )
        free = without_blocked(slots.of(0), self.blocked.get(pid, []))
        return int(free[0]) if len(free) else None


def _person(env: simpy.Environment, world: _World, kind: RequestKind, demand: Demand, rng: np.random.Generator,
            horizon: int, outcomes: list[Outcome]) -> Generator[simpy.Event, Any, None]:
    asked = world.start + int(env.now)
    while True:
        now = world.start + int(env.now)
        found = world.first_booking(kind, now)
        if found is None:
            if env.now + DAY >= horizon:
                outcomes.append(Outcome(kind, float(world.start + horizon - asked), booked=False))
                return
            yield env.timeout(DAY)  # on the waitlist: placed when something opens
            continue
        pid, begin = found
        world.take(pid, begin, now=now, new_client=True)
        if rng.random() < demand.cancel:
            yield env.timeout(rng.uniform(0, max(0, begin - now)))
            world.free(pid, begin)
            continue
        break
    outcomes.append(Outcome(kind, float(begin - asked), booked=True))
    if rng.random() < demand.no_show:
        return
    follow_ups = int(rng.geometric(1.0 / (1.0 + demand.follow_ups))) - 1
    previous = begin
    for _ in range(follow_ups):
        # Booked when the last session ends, for the same hour a week later.
        wait = previous + SESSION_SECONDS - (world.start + env.now)
        if wait > 0:
            yield env.timeout(wait)
        if env.now >= horizon:
            return
        # The first free opening from that hour on: the hour itself when it is free.
        following = world.next_opening(pid, previous + WEEK, kind.zone)
        if following is None:
            return
        world.take(pid, following, now=world.start + int(env.now), new_client=False)
        previous = following


def _arrivals(env: simpy.Environment, world: _World, demand: Demand, rng: np.random.Generator, seed: Sequence[int],
              times: npt.NDArray[np.float64], kinds: npt.NDArray[np.int64], horizon: int,
              outcomes: list[Outcome]) -> Generator[simpy.Event, Any, None]:
    for number, (moment, kind_at) in enumerate(zip(times.tolist(), kinds.tolist(), strict=True)):
        yield env.timeout(moment - env.now)
        person_rng = np.random.default_rng([*seed, number])
        env.process(_person(env, world, demand.kinds[kind_at], demand, person_rng, horizon, outcomes))


def _hours(directory: Directory, network: Network, world: _World, start: int, end: int) -> tuple[int, int]:
    """Opening hours of every provider in [start, end) less their time off, and how many of
    them sessions took (booked before the run or during it)."""
    if not directory.size:
        return 0, 0
    everyone = np.arange(directory.size, dtype=np.int64)
    slots = candidate_slots(directory, everyone, license_expires=np.full(directory.size, _NEVER_EXPIRES, np.int32),
                            earliest=instant(start), latest=instant(end), now=instant(start - WEEK),
                            client_zone="UTC")
    offered = taken = 0
    for j, pid in enumerate(directory.ids.tolist()):
        begins = slots.of(j)
        if not len(begins):
            continue
        begins = without_blocked(begins, list(network.away.get(pid, ())))
        offered += len(begins)
        claims = [span for span in world.blocked.get(pid, ()) if span not in set(network.away.get(pid, ()))]
        if claims:
            taken += len(begins) - len(without_blocked(begins, claims))
    return offered, taken


def replicate(directory: Directory, network: Network, demand: Demand, *, start: int, days: int, seed: int,
              replication: int) -> Replication:
    """One run of `days` days from `start` (seconds since 1970 UTC)."""
    stream = [seed, replication]
    rng = np.random.default_rng(stream)
    hour_of_week = int(((start // 3600) + 72) % 168)  # 1970-01-01 was a Thursday: 72 hours after Monday 00:00
    times = arrival_times(rng, rate_per_day=demand.arrivals_per_day, profile=demand.profile,
                          start_hour_of_week=hour_of_week, days=days)
    weights = np.array(demand.weights, dtype=np.float64)
    kinds = (rng.choice(len(weights), size=len(times), p=weights / weights.sum()) if len(weights) and len(times)
             else np.zeros(0, dtype=np.int64))
    env = simpy.Environment()
    world = _World(directory, network, start)
    outcomes: list[Outcome] = []
    horizon = days * DAY
    env.process(_arrivals(env, world, demand, rng, stream, times, kinds, horizon, outcomes))
    env.run(until=horizon)
    end = start + horizon
    open_hours, taken = _hours(directory, network, world, start, end)
    return Replication(outcomes=outcomes, taken_hours=taken, open_hours=open_hours)


GROUPS: Mapping[str, Callable[[RequestKind], Sequence[str]]] = {
    "state": lambda kind: (kind.state,),
    "concern": lambda kind: kind.concerns,
    "payer": lambda kind: (kind.payer,),
    "language": lambda kind: (kind.language,),
}


@dataclass
class Forecast:
    settings: dict[str, Any]
    replications: list[Replication]
    confidence: float = 0.9
    suggestions: list[dict[str, Any]] = field(default_factory=list)

    def share(self, keep: Callable[[Outcome], bool] = lambda o: True) -> Figure:
        values = [share for run in self.replications if (share := run.share_within(keep)) is not None]
        return interval(values, self.confidence, share=True)

    def by(self, group: str) -> dict[str, dict[str, Any]]:
        labels = GROUPS[group]
        names = sorted({name for run in self.replications for o in run.outcomes for name in labels(o.kind)})
        result = {}
        for name in names:
            figure = self.share(lambda o, name=name: name in labels(o.kind))  # type: ignore[misc]
            requests = sum(1 for run in self.replications for o in run.outcomes if name in labels(o.kind))
            result[name] = {**figure.as_dict(), "requests": round(requests / max(1, len(self.replications)), 1)}
        return result

    def waits(self, fraction: float) -> Figure:
        values = [nearest_rank([o.wait / 3600 for o in run.outcomes], fraction)
                  for run in self.replications if run.outcomes]
        return interval(values, self.confidence)

    def utilisation(self) -> Figure:
        values = [run.taken_hours / run.open_hours for run in self.replications if run.open_hours]
        return interval(values, self.confidence, share=True)

    def failures(self, state: str) -> list[RequestKind]:
        return [o.kind for run in self.replications for o in run.outcomes
                if o.kind.state == state and not (o.booked and o.wait <= PROMISE_HOURS * 3600)]

    def as_dict(self) -> dict[str, Any]:
        requests = [len(run.outcomes) for run in self.replications]
        return {
            **self.settings,
            "confidence": self.confidence,
            "requests_per_replication": round(float(np.mean(requests)), 1) if requests else 0,
            "share_within_48h": self.share().as_dict(),
            "median_wait_hours": self.waits(0.5).as_dict(),
            "p90_wait_hours": self.waits(0.9).as_dict(),
            "utilisation": self.utilisation().as_dict(),
            "by_state": self.by("state"),
            "by_concern": self.by("concern"),
            "by_payer": self.by("payer"),
            "by_language": self.by("language"),
            "suggestions": self.suggestions,
        }


def run_forecast(network: Network, demand: Demand, *, start: int, days: int, seed: int, replications: int,
                 progress: Progress | None = None, progress_total: int | None = None,
                 progress_done: int = 0) -> Forecast:
    directory = network.directory()
    runs = []
    for number in range(replications):
        runs.append(replicate(directory, network, demand, start=start, days=days, seed=seed, replication=number))
        if progress:
            progress(progress_done + number + 1, progress_total or replications)
    return Forecast(settings={}, replications=runs)


# A language or payer that at least this share of a state's failed requests needed is part
# of the kind suggested (fewer are left to the next provider recruited).
KIND_SHARE = 0.1


def needed_kind(failed: Sequence[RequestKind]) -> ProviderKind:
    """The kind of provider the failed requests needed: speaking the language besides
    English that most of them asked for (when at least KIND_SHARE did: a bilingual provider
    serves both), taking every payer at least KIND_SHARE of them named, most named first,
    and in person only when most of them asked for in person alone."""
    if not failed:
        return ProviderKind()
    enough = KIND_SHARE * len(failed)
    other = Counter(kind.language for kind in failed if kind.language != "en").most_common(1)
    language = other[0][0] if other and other[0][1] >= enough else "en"
    payers = tuple(slug for slug, count in Counter(kind.insurance for kind in failed if kind.insurance).most_common()
                   if count >= enough)
    in_person = [kind for kind in failed if kind.format == "in_person" and kind.zip]
    if len(in_person) * 2 > len(failed):
        zip_code = Counter(kind.zip for kind in in_person).most_common(1)[0][0]
        return ProviderKind(language=language, payers=payers, format="in_person", zip=zip_code)
    return ProviderKind(language=language, payers=payers)


def smallest_extra_hours(network: Network, demand: Demand, *, state: str, kind: ProviderKind, target: float,
                         start: int, days: int, seed: int, replications: int, today: dt.date,
                         progress: Callable[[], None] | None = None) -> tuple[int | None, float]:
    """The fewest extra weekly hours of providers of `kind` in `state` with which the
    state's mean share within 48 hours reaches `target` (doubling, then halving the gap to
    the hour), and the share with them; (None, best share) when even MAX_SEARCH_HOURS
    fall short. Only the state's own demand runs (other states' requests on providers
    licensed in several states are left out), with the same seeds at every step."""
    mine = demand.only_states([state])
    cache: dict[int, float] = {}

    def share_with(hours: int) -> float:
        if hours not in cache:
            varied = with_extra(network, [Extra(state, hours, kind)], today=today)
            forecast = run_forecast(varied, mine, start=start, days=days, seed=seed, replications=replications)
            cache[hours] = forecast.share().mean
            if progress:
                progress()
        return cache[hours]

    low = 0
    high = None
    for hours in SEARCH_STEPS:
        if share_with(hours) >= target:
            high = hours
            break
        low = hours
    if high is None:
        return None, cache[SEARCH_STEPS[-1]]
    while high - low > 1:
        middle = (low + high) // 2
        if share_with(middle) >= target:
            high = middle
        else:
            low = middle
    return high, cache[high]


def suggest(network: Network, demand: Demand, forecast: Forecast, *, target: float, start: int, days: int, seed: int,
            replications: int, today: dt.date, most_states: int,
            progress: Callable[[], None] | None = None) -> list[dict[str, Any]]:
    """For each state below `target` (those with the most requests failing first, at most
    `most_states`), the smallest extra weekly hours and the kind of provider that lift it
    to the target."""
    by_state = forecast.by("state")
    short = [state for state, figure in by_state.items() if figure["mean"] < target]
    short.sort(key=lambda state: -(1 - by_state[state]["mean"]) * by_state[state]["requests"])
    found = []
    for state in short[:most_states]:
        kind = needed_kind(forecast.failures(state))
        hours, share = smallest_extra_hours(
            network, demand, state=state, kind=kind, target=target, start=start, days=days, seed=seed,
            replications=min(replications, MOST_SEARCH_REPLICATIONS), today=today, progress=progress)
        found.append({"state": state, "share": by_state[state]["mean"], "hours": hours,
                      "reached": round(share, 4), "kind": kind.as_dict(), "kind_label": kind.label()})
    return found


def elapsed_since(started: float) -> float:
    return round(time.monotonic() - started, 1)

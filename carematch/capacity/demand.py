"""Who asks for care, when, and what becomes of their sessions: the forecast's demand.

Either measured over the last 90 days (carematch/capacity/selectors.py, `--from-history`)
or the documented default below. Arrivals are Poisson: the rate of each hour of the week
(UTC) is the day's rate times that hour's share of HOUR_OF_WEEK, so within an hour
arrivals are uniform and the count of each hour is Poisson.

The default (a network without enough history):
- arrival profile: on each day, 3 times as many requests from 13:00 to 03:00 UTC (7:00
  to 21:00 in Denver) as in the night hours; Saturday and Sunday have 60% of a weekday's;
- states: as many requests as each state has bookable providers licensed there;
- concerns: one or two of anxiety 30%, depression 25%, stress 15%, relationships 10%,
  trauma 8%, grief 4%, family 4%, adhd 4%;
- languages: English 87%, Spanish 13% (the share of US people who speak Spanish at home);
- format: online 70%, either 30% (without a ZIP code, so online too);
- payer: 30% pay themselves (up to $200 a session), the rest spread evenly over the
  network's payers;
- ages: 13 to 17: 10%, 18 to 64: 80%, 65 and over: 10%;
- no-show 8% of sessions, cancellation 12% of first bookings, 5 follow-up sessions on
  average (geometric), a week apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from carematch.lib.timezones import STATE_ZONE

HOURS_OF_WEEK = 168

DEFAULT_NO_SHOW = 0.08
DEFAULT_CANCEL = 0.12
DEFAULT_FOLLOW_UPS = 5.0
DEFAULT_SELF_PAY_SHARE = 0.30
DEFAULT_SELF_PAY_MAX = 200
DEFAULT_SPANISH_SHARE = 0.13
DEFAULT_CONCERNS = (("anxiety", 0.30), ("depression", 0.25), ("stress", 0.15), ("relationships", 0.10),
                    ("trauma", 0.08), ("grief", 0.04), ("family", 0.04), ("adhd", 0.04))
DEFAULT_AGES = ((15, 0.10), (35, 0.80), (70, 0.10))


def default_profile() -> tuple[float, ...]:
    """Weights of the 168 hours of the week (0 = Monday 00:00 UTC), averaging 1."""
    weights = []
    for hour in range(HOURS_OF_WEEK):
        day, clock = divmod(hour, 24)
        weight = 3.0 if clock >= 13 or clock < 3 else 1.0
        weights.append(weight * (0.6 if day >= 5 else 1.0))
    mean = sum(weights) / len(weights)
    return tuple(w / mean for w in weights)


@dataclass(frozen=True)
class RequestKind:
    """One kind of request: the fields of a match request the forecast varies."""

    state: str
    age: int
    concerns: tuple[str, ...]
    languages: tuple[str, ...] = ("en",)
    format: str = "telehealth"
    insurance: str | None = None
    self_pay_max: int | None = None
    zip: str | None = None

    @property
    def zone(self) -> str:
        return STATE_ZONE.get(self.state, "America/New_York")

    @property
    def language(self) -> str:
        """The language it is counted under: the first asked for."""
        return self.languages[0]

    @property
    def payer(self) -> str:
        return self.insurance or "self-pay"


@dataclass(frozen=True)
class Demand:
    arrivals_per_day: float
    kinds: tuple[RequestKind, ...]
    weights: tuple[float, ...]
    profile: tuple[float, ...] = field(default_factory=default_profile)
    no_show: float = DEFAULT_NO_SHOW
    cancel: float = DEFAULT_CANCEL
    follow_ups: float = DEFAULT_FOLLOW_UPS  # mean follow-up sessions after the first
    source: str = "default"  # "history" or "default"

    def only_states(self, states: Sequence[str]) -> Demand:
        """The demand of these states alone, at the rate their share of requests had."""
        keep = [i for i, kind in enumerate(self.kinds) if kind.state in states]
        total = sum(self.weights)
        kept = sum(self.weights[i] for i in keep)
        rate = self.arrivals_per_day * (kept / total if total else 0.0)
        return Demand(arrivals_per_day=rate, kinds=tuple(self.kinds[i] for i in keep),
                      weights=tuple(self.weights[i] for i in keep), profile=self.profile, no_show=self.no_show,
                      cancel=self.cancel, follow_ups=self.follow_ups, source=self.source)

    def with_rate(self, arrivals_per_day: float) -> Demand:
        return Demand(arrivals_per_day=arrivals_per_day, kinds=self.kinds, weights=self.weights,
                      profile=self.profile, no_show=self.no_show, cancel=self.cancel,
                      follow_ups=self.follow_ups, source=self.source)


def concern_language_mix() -> list[tuple[tuple[str, ...], tuple[str, ...], float]]:
    """The default mix's concerns and languages together: (concerns, languages, probability)."""
    pairs: list[tuple[tuple[str, ...], float]] = [((a,), w * (2 / 3)) for a, w in DEFAULT_CONCERNS]
    pairs.append((("anxiety", "depression"), 1 / 3))
    return [(concerns, languages, concern_weight * language_weight)
            for concerns, concern_weight in pairs
            for languages, language_weight in ((("en",), 1 - DEFAULT_SPANISH_SHARE), (("es",), DEFAULT_SPANISH_SHARE))]


def default_kinds(states: Sequence[str], state_weights: Sequence[float], payers: Sequence[str]) -> tuple[
        tuple[RequestKind, ...], tuple[float, ...]]:
    """Every combination of the default mix, with its probability."""
    kinds: list[RequestKind] = []
    weights: list[float] = []
    total_state = sum(state_weights) or 1.0
    # A second concern for a third of requests: the two most common together.
    pairs: list[tuple[tuple[str, ...], float]] = [((a,), wa * (2 / 3)) for a, wa in DEFAULT_CONCERNS]
    pairs.append((("anxiety", "depression"), 1 / 3))
    pay_options: list[tuple[str | None, int | None, float]] = [(None, DEFAULT_SELF_PAY_MAX, DEFAULT_SELF_PAY_SHARE)]
    pay_options += [(slug, None, (1 - DEFAULT_SELF_PAY_SHARE) / len(payers)) for slug in payers]
    if not payers:
        pay_options = [(None, DEFAULT_SELF_PAY_MAX, 1.0)]
    for state, state_weight in zip(states, state_weights, strict=True):
        for concerns, concern_weight in pairs:
            for languages, language_weight in ((("en",), 1 - DEFAULT_SPANISH_SHARE), (("es",), DEFAULT_SPANISH_SHARE)):
                for format_, format_weight in (("telehealth", 0.7), ("any", 0.3)):
                    for insurance, self_pay_max, pay_weight in pay_options:
                        for age, age_weight in DEFAULT_AGES:
                            kinds.append(RequestKind(state=state, age=age, concerns=concerns, languages=languages,
                                                     format=format_, insurance=insurance,
                                                     self_pay_max=self_pay_max))
                            weights.append(state_weight / total_state * concern_weight * language_weight
                                           * format_weight * pay_weight * age_weight)
    return tuple(kinds), tuple(weights)


def arrival_times(rng: np.random.Generator, *, rate_per_day: float, profile: Sequence[float], start_hour_of_week: int,
                  days: int) -> npt.NDArray[np.float64]:
    """Poisson arrival instants, in seconds after the start, over `days` days: each hour's
    count is Poisson with the day's rate / 24 times that hour's profile weight, spread
    uniformly within the hour."""
    hours = days * 24
    weights = np.array([profile[(start_hour_of_week + h) % HOURS_OF_WEEK] for h in range(hours)])
    counts = rng.poisson(rate_per_day / 24.0 * weights)
    starts = np.repeat(np.arange(hours, dtype=np.float64) * 3600.0, counts)
    return np.sort(starts + rng.uniform(0.0, 3600.0, size=len(starts)))

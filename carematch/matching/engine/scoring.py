"""How matches are ranked: seven parts, each between 0 and 1, weighted.

| part | weight | value |
| --- | --- | --- |
| concerns | 0.30 | share of the client's concerns the provider treats |
| approaches | 0.15 | share of the client's preferred approaches the provider offers (when they named any) |
| gender | 0.10 | 1 when the provider's gender is the one the client preferred (when they named one) |
| soonness | 0.20 | 1 - (first opening - earliest) / the window: 1 at once, 0 at the window's end |
| times_of_day | 0.10 | share of the openings in the window at times of day the client chose (when they chose any) |
| fair_share | 0.15 | c / (c + r + 1): c openings in the window, r new clients booked in the last 14 days |
| outcomes | 0.10 | how the provider's clients improved on the client's measured concerns (when they named any) |

A part the client gave no preference for is left out, and the score is the weighted sum
divided by the weights of the parts that count, so it stays between 0 and 1. The last
part spreads new clients: of two otherwise equal providers, the one with more open
hours and fewer recent new clients comes first. Equal scores are ordered by provider id.

The outcomes part follows the outcome-informed matching of Constantino et al., JAMA
Psychiatry 2021 (carematch/measures/outcomes.py has the full citation and the model). It
counts when the client named a measured concern (depression, measured by the PHQ-9;
anxiety, by the GAD-7). For each such concern the provider's estimate e (questionnaire
points of improvement above or below what the network's clients of the same baseline
achieve, shrunk by empirical Bayes) becomes 1 / (1 + exp(-e / 2.5)): 0.5 at the network
mean, about 0.73 at 2.5 points better and 0.88 at 5 (roughly the smallest change on the
PHQ-9 that clients notice). The part is the mean of those values over the client's
measured concerns, in the client's order. A concern for which fewer than 5 of the
provider's clients back an estimate counts at 0.5, the network mean: a provider without
enough measured clients then scores exactly as one whose clients did as well as the
network's, neither rewarded nor punished. (Leaving the part out for them instead would
not be neutral: it would rank them above average-outcome providers whenever their other
parts are above 0.5, and below them otherwise.) The mapping is fixed, not scaled to the
network's range, so one provider's new estimate never moves anyone else's value.

`combine` works the same on floats and on NumPy arrays, step by step in the order above,
so the engine and the reference matcher get the same numbers to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from carematch.lib.outcome_rules import CONCERN_INSTRUMENTS, MIN_CLIENTS

from .types import MatchRequest

WEIGHTS: Mapping[str, float] = {
    "concerns": 0.30,
    "approaches": 0.15,
    "gender": 0.10,
    "soonness": 0.20,
    "times_of_day": 0.10,
    "fair_share": 0.15,
    "outcomes": 0.10,
}
RECENT_DAYS = 14  # new clients booked this recently count against a provider's fair share
MEASURED_CONCERNS = tuple(CONCERN_INSTRUMENTS)  # concerns with an outcome questionnaire
OUTCOME_SCALE = 2.5  # questionnaire points of estimate that move the outcome value from 0.5 to about 0.73
NETWORK_MEAN_OUTCOME = 0.5  # the outcome value of the network mean, and of a provider without an estimate

# A provider's estimate for one concern, as carematch.measures.selectors.provider_effects gives it.
Effect = tuple[float, int, float]  # (estimate in points, clients behind it, posterior sd)


def measured_concerns(request: MatchRequest) -> tuple[str, ...]:
    """The client's concerns that have an outcome questionnaire, in the client's order."""
    return tuple(concern for concern in request.concerns if concern in CONCERN_INSTRUMENTS)


def parts_counted(request: MatchRequest) -> tuple[str, ...]:
    skipped = set()
    if not request.approaches:
        skipped.add("approaches")
    if not request.provider_gender:
        skipped.add("gender")
    if not request.times_of_day:
        skipped.add("times_of_day")
    if not measured_concerns(request):
        skipped.add("outcomes")
    return tuple(name for name in WEIGHTS if name not in skipped)


def combine(parts: Mapping[str, Any], counted: tuple[str, ...]) -> Any:
    """The score from the parts' values: floats give a float, arrays an array."""
    total: Any = 0.0
    weight = 0.0
    for name in counted:
        total = total + WEIGHTS[name] * parts[name]
        weight = weight + WEIGHTS[name]
    return total / weight


def fair_share(openings: int, recent_new_clients: int) -> float:
    return openings / (openings + recent_new_clients + 1)


def outcome_value(effect: Effect | None) -> float:
    """One concern's estimate as a value between 0 and 1; the network mean's without an
    estimate that enough clients back."""
    if effect is None or effect[1] < MIN_CLIENTS:
        return NETWORK_MEAN_OUTCOME
    return 1.0 / (1.0 + math.exp(-effect[0] / OUTCOME_SCALE))


def outcomes_part(values: Sequence[Any]) -> Any:
    """The mean of the measured concerns' values, added in the client's order: floats give
    a float, arrays an array, the same to the last bit."""
    total: Any = 0.0
    for value in values:
        total = total + value
    return total / len(values)


def done_well(measured: Sequence[str], values: Sequence[float]) -> list[str]:
    """The measured concerns to name in a reason: those whose value is above the network
    mean's, when the part as a whole helped (above the network mean's too)."""
    if not measured or outcomes_part(values) <= NETWORK_MEAN_OUTCOME:
        return []
    return [concern for concern, value in zip(measured, values, strict=True) if value > NETWORK_MEAN_OUTCOME]

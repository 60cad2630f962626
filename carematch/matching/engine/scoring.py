"""How matches are ranked: six parts, each between 0 and 1, weighted.

| part | weight | value |
| --- | --- | --- |
| concerns | 0.30 | share of the client's concerns the provider treats |
| approaches | 0.15 | share of the client's preferred approaches the provider offers (when they named any) |
| gender | 0.10 | 1 when the provider's gender is the one the client preferred (when they named one) |
| soonness | 0.20 | 1 - (first opening - earliest) / the window: 1 at once, 0 at the window's end |
| times_of_day | 0.10 | share of the openings in the window at times of day the client chose (when they chose any) |
| fair_share | 0.15 | c / (c + r + 1): c openings in the window, r new clients booked in the last 14 days |

A part the client gave no preference for is left out, and the score is the weighted sum
divided by the weights of the parts that count, so it stays between 0 and 1. The last
part spreads new clients: of two otherwise equal providers, the one with more open
hours and fewer recent new clients comes first. Equal scores are ordered by provider id.

`combine` works the same on floats and on NumPy arrays, step by step in the order above,
so the engine and the reference matcher get the same numbers to the last bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .types import MatchRequest

WEIGHTS: Mapping[str, float] = {
    "concerns": 0.30,
    "approaches": 0.15,
    "gender": 0.10,
    "soonness": 0.20,
    "times_of_day": 0.10,
    "fair_share": 0.15,
}
RECENT_DAYS = 14  # new clients booked this recently count against a provider's fair share

def parts_counted(request: MatchRequest) -> tuple[str, ...]:
    skipped = set()
    if not request.approaches:
        skipped.add("approaches")
    if not request.provider_gender:
        skipped.add("gender")
    if not request.times_of_day:
        skipped.add("times_of_day")
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

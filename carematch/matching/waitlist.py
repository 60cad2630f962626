"""The waitlist: people for whom nothing fitted yet, placed all at once into open
first-session openings so that as many as possible are seen within 48 hours and, among
those placements, the total fit is as high as possible (see assignment.py).

The writes (joining, placing and booking) are in services.py (`waitlist_join`,
`waitlist_assign`); this module holds what they share: the stored request and the fit of
entries to openings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .assignment import Assignment
from .engine.types import MatchAnswer, MatchRequest
from .models import WaitlistEntry

CANDIDATES_PER_ENTRY = 20  # the most one match request returns


def request_to_json(request: MatchRequest) -> dict[str, Any]:
    data = dataclasses.asdict(request)
    data.pop("earliest")
    return data


def request_from_json(data: dict[str, Any], *, earliest: dt.datetime, within_hours: int,
                      limit: int) -> MatchRequest:
    fields = {f.name for f in dataclasses.fields(MatchRequest)}
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in fields}
    values |= {"earliest": earliest, "within_hours": within_hours, "limit": limit}
    return MatchRequest(**values)


@dataclass(frozen=True)
class Outcome:
    name: str
    placed: int
    placed_within_48h: int
    total_fit: float


@dataclass(frozen=True)
class WaitlistRun:
    waiting: int
    openings: int
    optimal: Outcome
    greedy: Outcome | None
    booked: int
    failed: int


def fit_matrix(entries: list[WaitlistEntry], *, now: dt.datetime, within_hours: int,
               find: Callable[..., MatchAnswer]) -> tuple[np.ndarray, list[tuple[int, dt.datetime, tuple[str, ...]]]]:
    """The fit of each waiting entry (rows) to each opening any of them matched (columns; NaN
    where an entry does not fit), with each column's provider, start and formats. `find` is
    the matcher (services.match_find)."""
    columns: dict[tuple[int, dt.datetime], int] = {}
    keys: list[tuple[int, dt.datetime, tuple[str, ...]]] = []
    cells: list[tuple[int, int, float]] = []
    for row, entry in enumerate(entries):
        request = request_from_json(entry.request, earliest=now, within_hours=within_hours,
                                    limit=CANDIDATES_PER_ENTRY)
        for found in find(request=request, now=now).matches:
            for rank, opening in enumerate(found.openings):
                key = (found.provider_id, opening.start)
                if key not in columns:
                    columns[key] = len(keys)
                    keys.append((found.provider_id, opening.start, opening.formats))
                # The match's fit, a touch more for its sooner openings.
                cells.append((row, columns[key], max(0.0, found.score - 0.001 * rank)))
    fit = np.full((len(entries), len(keys)), np.nan)
    for row, col, value in cells:
        fit[row, col] = value
    return fit, keys


def outcome_of(name: str, result: Assignment, keys: list[tuple[int, dt.datetime, tuple[str, ...]]],
               now: dt.datetime) -> Outcome:
    within = sum(
        1 for col in result.columns if col is not None and keys[col][1] < now + dt.timedelta(hours=48)
    )
    return Outcome(name, result.placed, within, round(result.total_fit, 4))

"""Plain data in and out of matching. Shared by the engine, the reference matcher, the API
and the pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from carematch.lib.timezones import CLIENT_ZONE_DEFAULT

FormatChoice = Literal["telehealth", "in_person", "any"]
TimeOfDay = Literal["morning", "afternoon", "evening"]

# Local hours (in the client's zone) that each time of day covers: [start, end).
TIMES_OF_DAY: dict[str, tuple[int, int]] = {"morning": (6, 12), "afternoon": (12, 17), "evening": (17, 22)}


@dataclass(frozen=True)
class MatchRequest:
    """What a person asked for. Defaults as documented for POST /api/v1/match."""

    state: str
    age: int
    concerns: tuple[str, ...]
    earliest: dt.datetime
    zip: str | None = None
    approaches: tuple[str, ...] = ()
    format: FormatChoice = "any"
    max_distance_miles: float = 25.0
    languages: tuple[str, ...] = ("en",)
    provider_gender: str | None = None  # a preference, not a filter
    insurance: str | None = None  # payer slug
    self_pay_max: int | None = None  # whole USD, used when insurance is None
    within_hours: int = 48
    limit: int = 5
    times_of_day: tuple[TimeOfDay, ...] = ()
    client_timezone: str = CLIENT_ZONE_DEFAULT  # for reasons and time-of-day fit

    @property
    def latest(self) -> dt.datetime:
        return self.earliest + dt.timedelta(hours=self.within_hours)


@dataclass(frozen=True)
class Opening:
    start: dt.datetime
    end: dt.datetime
    formats: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    provider_id: int
    npi: str
    name: str
    credentials: tuple[str, ...]
    score: float  # 0..1
    reasons: tuple[str, ...]
    openings: tuple[Opening, ...]  # up to 3, soonest first


@dataclass(frozen=True)
class Suggestion:
    change: dict[str, object]  # e.g. {"within_hours": 72}
    more_matches: int


@dataclass(frozen=True)
class MatchAnswer:
    matches: tuple[Match, ...]
    suggestions: tuple[Suggestion, ...] = field(default_factory=tuple)

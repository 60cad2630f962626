"""Plain data in and out of matching. Shared by the engine, the reference matcher, the API
and the pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from carematch.lib.timezones import CLIENT_ZONE_DEFAULT, in_zone

FormatChoice = Literal["telehealth", "in_person", "any"]
TimeOfDay = Literal["morning", "afternoon", "evening"]

# Local hours (in the client's zone) that each time of day covers: [start, end).
TIMES_OF_DAY: dict[str, tuple[int, int]] = {"morning": (6, 12), "afternoon": (12, 17), "evening": (17, 22)}


def time_of_day(start: dt.datetime, zone_name: str) -> str | None:
    """The time of day (TIMES_OF_DAY) a session starting at `start` begins in on the clock of
    `zone_name`, or None (at night)."""
    hour = in_zone(start, zone_name).hour
    return next((name for name, (low, high) in TIMES_OF_DAY.items() if low <= hour < high), None)


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
    insurance: str | None = None  # payer slug (directory.models.Payer; checked by matching.services.match_find)
    insurance_name: str | None = None  # the payer's name, for reasons (filled by matching.services.match_find)
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
class Fact:
    """One claim about a match, true of the provider for this person (engine/reasons.py).
    `key` names the claim and is the same for every provider of whom it is true."""

    key: str  # e.g. "speaks:es", "network:aetna", "times:evening"
    text: str  # on this provider's card: "Has 3 evening openings in the next 48 hours"
    phrase: str  # of all matches at once, after "All of these therapists": "have evening openings ..."
    common: str = ""  # the claim as a sentence true of any provider it is true of; `text` when empty


@dataclass(frozen=True)
class Match:
    provider_id: int
    npi: str
    name: str
    credentials: tuple[str, ...]
    score: float  # 0..1
    reasons: tuple[str, ...]  # what sets this provider apart (never empty); the answer's `shared` says the rest
    openings: tuple[Opening, ...]  # up to 3: those at the times of day asked for first, each part soonest first


@dataclass(frozen=True)
class Suggestion:
    change: dict[str, object]  # e.g. {"within_hours": 72}
    more_matches: int


@dataclass(frozen=True)
class MatchAnswer:
    matches: tuple[Match, ...]
    suggestions: tuple[Suggestion, ...] = field(default_factory=tuple)
    shared: tuple[Fact, ...] = ()  # true of every match (two or more), said once above them

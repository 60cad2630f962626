"""What makes a match request answerable; every problem is named by its field."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Container

from carematch.lib import geo, vocab
from carematch.lib.errors import InvalidInput
from carematch.lib.languages import is_language
from carematch.lib.timezones import is_time_zone

from .types import TIMES_OF_DAY, MatchRequest

MAX_WITHIN_HOURS = 168
MAX_LIMIT = 20
MAX_DISTANCE_MILES = 500
MAX_AGE = 130
MAX_SELF_PAY = 10_000
MOST_DAYS_AHEAD = 365
FORMATS = ("telehealth", "in_person", "any")

# Meeting in person is bounded by the distance from the client's ZIP code.
ZIP_NEEDED = "A ZIP code is needed to find providers you can meet in person."
ZIP_REQUIRED = "required when format is in_person or any"


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _slugs(values: object, known: Container[str], noun: str, *, required: bool) -> str | None:
    if not isinstance(values, tuple | list) or not all(isinstance(v, str) for v in values):
        return f"must be a list of {noun} names"
    if required and not values:
        return f"name at least one {noun}"
    unknown = [v for v in values if v not in known]
    if unknown:
        return f"unknown {noun} '{unknown[0]}'"
    return None


def zip_needed(format: object, *, asking: bool) -> bool:
    """Whether a request in `format` needs the client's ZIP code.

    A person asking now (on the API or the intake pages) gives one whenever they may meet in
    person: `in_person`, or `any` ("either is fine"), so that no provider near them is left
    out unseen. Without `asking` (a request stored on the waitlist, or made up by the
    benchmark) only `in_person` needs one: `any` without a ZIP is answered with online
    sessions only."""
    return format == "in_person" or (asking and format == "any")


def request_problems(request: MatchRequest, *, now: dt.datetime, asking: bool = False) -> dict[str, str]:
    """Every problem of `request` by its field; `asking` as for `zip_needed`."""
    problems: dict[str, str] = {}
    if request.state not in vocab.STATES:
        problems["state"] = "must be a US state code, e.g. CO (the 50 states and DC)"
    if not _whole(request.age) or not 0 <= request.age <= MAX_AGE:
        problems["age"] = f"must be a whole number of years from 0 to {MAX_AGE}"
    for name, known, noun, required in (
        ("concerns", vocab.CONCERNS, "concern", True),
        ("approaches", vocab.APPROACHES, "approach", False),
        ("times_of_day", TIMES_OF_DAY, "time of day", False),
    ):
        problem = _slugs(getattr(request, name), known, noun, required=required)
        if problem:
            problems[name] = problem
    languages = request.languages
    if not isinstance(languages, tuple | list) or not languages or not all(isinstance(v, str) for v in languages):
        problems["languages"] = "name at least one language, e.g. en"
    elif not all(is_language(code) for code in languages):
        bad = next(code for code in languages if not is_language(code))
        problems["languages"] = f"'{bad}' is not an ISO 639-1 language code (e.g. en, es)"
    if request.format not in FORMATS:
        problems["format"] = "must be telehealth, in_person or any"
    if request.zip is not None:
        if not isinstance(request.zip, str) or not re.fullmatch(r"\d{5}", request.zip):
            problems["zip"] = "must be a 5-digit ZIP code"
        elif geo.zip_location(request.zip) is None:
            problems["zip"] = f"'{request.zip}' is not a known US ZIP code"
    elif zip_needed(request.format, asking=asking):
        problems["zip"] = ZIP_REQUIRED
    distance = request.max_distance_miles
    if (
        isinstance(distance, bool) or not isinstance(distance, int | float)
        or not math.isfinite(distance) or not 0 < distance <= MAX_DISTANCE_MILES
    ):
        problems["max_distance_miles"] = f"must be more than 0 and at most {MAX_DISTANCE_MILES} miles"
    if request.provider_gender is not None and request.provider_gender not in ("female", "male", "nonbinary"):
        problems["provider_gender"] = "must be female, male or nonbinary (or left out)"
    if request.insurance is not None and (not isinstance(request.insurance, str) or not request.insurance):
        problems["insurance"] = "must be a payer's slug (or left out)"
    if request.self_pay_max is not None and (
        not _whole(request.self_pay_max) or not 0 <= request.self_pay_max <= MAX_SELF_PAY
    ):
        problems["self_pay_max"] = f"must be a whole number of US dollars from 0 to {MAX_SELF_PAY}"
    earliest = request.earliest
    if not isinstance(earliest, dt.datetime) or earliest.tzinfo is None or earliest.utcoffset() is None:
        problems["earliest"] = "must be a date and time with its UTC offset"
    elif not now - dt.timedelta(days=7) <= earliest <= now + dt.timedelta(days=MOST_DAYS_AHEAD):
        problems["earliest"] = "must be within a year from now"
    if not _whole(request.within_hours) or not 1 <= request.within_hours <= MAX_WITHIN_HOURS:
        problems["within_hours"] = f"must be a whole number of hours from 1 to {MAX_WITHIN_HOURS}"
    if not _whole(request.limit) or not 1 <= request.limit <= MAX_LIMIT:
        problems["limit"] = f"must be a whole number from 1 to {MAX_LIMIT}"
    if not isinstance(request.client_timezone, str) or not is_time_zone(request.client_timezone):
        problems["client_timezone"] = "must be an IANA time zone, e.g. America/Denver"
    return problems


def check_request(request: MatchRequest, *, now: dt.datetime, asking: bool = False) -> None:
    """Refuse a request that cannot be answered: InvalidInput naming every field that is
    wrong. With `asking`, the request of a person asking now, held to `zip_needed`; the API
    and the intake pages check it so before they write or match anything."""
    problems = request_problems(request, now=now, asking=asking)
    if problems == {"zip": ZIP_REQUIRED}:
        raise InvalidInput(ZIP_NEEDED, fields=problems)
    if problems:
        raise InvalidInput("Some of what was asked for cannot be used to find a match.", fields=problems)


def population_for(age: int) -> str:
    for slug, (low, high) in vocab.POPULATION_AGES.items():
        if low <= age <= high:
            return slug
    raise ValueError(f"no population for age {age}")

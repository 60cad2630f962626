"""US ZIP code centroids (offline, from the `zipcodes` package) and great-circle distances."""

from __future__ import annotations

import math
from functools import lru_cache

import zipcodes

EARTH_RADIUS_MILES = 3958.7613


@lru_cache(maxsize=1)
def _centroids() -> dict[str, tuple[float, float, str]]:
    table: dict[str, tuple[float, float, str]] = {}
    for entry in zipcodes.list_all():
        try:
            table.setdefault(entry["zip_code"], (float(entry["lat"]), float(entry["long"]), entry["state"]))
        except (KeyError, TypeError, ValueError):
            continue
    return table


def zip_location(zip_code: str) -> tuple[float, float, str] | None:
    """(latitude, longitude, state) of a 5-digit ZIP's centroid, or None if unknown."""
    return _centroids().get(zip_code)


def zip_in_other_state(zip_code: str, state: str) -> str | None:
    """The plain question to ask when a known ZIP code lies in another state than the one
    chosen ("80202 is in Colorado; you chose New York."), or None when they agree or either
    is unknown."""
    from .vocab import STATES

    found = zip_location(zip_code[:5]) if zip_code else None
    if found is None or state not in STATES or found[2] == state:
        return None
    return f"{zip_code[:5]} is in {STATES.get(found[2], found[2])}; you chose {STATES[state]}."


def miles_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine great-circle distance in miles."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(1.0, a)))


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {entry["zip_code"]: entry["timezone"] for entry in zipcodes.list_all() if entry.get("timezone")}


def zip_timezone(zip_code: str) -> str | None:
    """The IANA time zone of a ZIP code, or None if unknown."""
    return _zones().get(zip_code)


@lru_cache(maxsize=1)
def _cities() -> dict[str, str]:
    table: dict[str, str] = {}
    for entry in zipcodes.list_all():
        if entry.get("city"):
            table.setdefault(entry["zip_code"], str(entry["city"]))
    return table


def zip_city(zip_code: str) -> str | None:
    """The city (the postal place name) of a 5-digit ZIP code, or None if unknown."""
    return _cities().get(zip_code)


@lru_cache(maxsize=64)
def zips_in_state(state: str) -> frozenset[str]:
    """Every known 5-digit ZIP code whose centroid is in the state (a USPS code)."""
    return frozenset(code for code, (_lat, _lon, there) in _centroids().items() if there == state)


@lru_cache(maxsize=64)
def zip_match_for_states(states: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """How to find the ZIP codes of some states in a query of bounded size: (3-digit prefixes all of
    whose known ZIP codes are in the states, the states' other ZIP codes). A few prefixes cross a
    state line; their ZIP codes are named one by one."""
    by_prefix: dict[str, set[str]] = {}
    for code in _centroids():
        by_prefix.setdefault(code[:3], set()).add(code)
    wanted = frozenset().union(*(zips_in_state(state) for state in states))
    whole = frozenset(prefix for prefix, codes in by_prefix.items() if codes <= wanted)
    return whole, frozenset(code for code in wanted if code[:3] not in whole)

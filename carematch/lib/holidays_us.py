"""US federal holidays: the days on which a provider who does not work holidays offers no
openings. One definition for scheduling's openings and the match engine alike."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _federal_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("US", years=year).keys())


def is_federal_holiday(day: dt.date) -> bool:
    return day in _federal_holidays(day.year)

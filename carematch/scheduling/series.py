"""The dates of a standing series: the same time on the provider's clock every one or two
weeks. Plain values only (no database): the booking service books each date with the rules
of any booking, and reports the ones it could not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from carematch.lib.timezones import zone

CLOCKS_CHANGE = "The clocks change at that hour on that day, so the time does not exist there."


@dataclass(frozen=True)
class SeriesDate:
    start: dt.datetime  # UTC; for a time the clocks skip, the same wall time read before the change
    problem: str = ""  # why it cannot be booked whatever the calendar says, or ""


def series_dates(
    *, first: dt.datetime, tz_name: str, every_weeks: int, count: int | None, until: dt.date | None,
    after: dt.datetime, most: int,
) -> list[SeriesDate]:
    """The dates after `first` (a session's start), every `every_weeks` weeks at its time on the
    `tz_name` clock, from the first one later than `after`: `count` of them, or up to `until`
    (a date on that clock), whichever ends sooner, and never more than `most`."""
    tz = zone(tz_name)
    local = first.astimezone(tz)
    wall = local.time().replace(fold=0, tzinfo=None)
    dates: list[SeriesDate] = []
    step = dt.timedelta(weeks=every_weeks)
    day = local.date()
    limit = most if count is None else min(count, most)
    while len(dates) < limit:
        day += step
        if until is not None and day > until:
            break
        naive = dt.datetime.combine(day, wall)
        moment = naive.replace(tzinfo=tz)
        start = moment.astimezone(dt.UTC)
        if start <= after:
            continue
        real = start.astimezone(tz).replace(tzinfo=None) == naive
        dates.append(SeriesDate(start=start, problem="" if real else CLOCKS_CHANGE))
    return dates

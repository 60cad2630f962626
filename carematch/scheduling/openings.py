"""Bookable openings, computed from weekly windows; nothing is stored that could go stale.

A pure function over plain data: windows are wall-clock times in the provider's time
zone, so an opening at 09:00 stays at 09:00 local across daylight-saving changes. A
window start that does not exist on a spring-forward day is skipped; a start that
happens twice on a fall-back day is the first of the two.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from carematch.lib.holidays_us import is_federal_holiday
from carematch.lib.sessions import SESSION
from carematch.lib.timezones import zone

UTC = dt.UTC


@dataclass(frozen=True)
class Window:
    weekday: int  # 0 = Monday
    start: dt.time
    end: dt.time


def _local(day: dt.date, at: dt.time, tz: dt.tzinfo) -> dt.datetime | None:
    """The aware local datetime, or None when that wall-clock time does not exist that day."""
    naive = dt.datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz, fold=0)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return aware


def opening_starts(
    *,
    windows: Iterable[Window],
    tz_name: str,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    min_notice: dt.timedelta,
    works_holidays: bool,
    blocked: Sequence[tuple[dt.datetime, dt.datetime]] = (),
    length: dt.timedelta = SESSION,
) -> list[dt.datetime]:
    """Start times (aware, UTC) of openings in [start, end), sorted.

    An opening is `length` long (a session, or a 15-minute consultation:
    carematch/lib/sessions.py), begins at a window's start or a whole number of lengths after
    it, ends inside the window, begins no sooner than
    `now + min_notice`, falls on no US federal holiday (unless the provider works them),
    and overlaps nothing in `blocked` (time off, appointments, holds). The provider's
    notice and holiday choice have no default here: callers pass the provider's own.
    """
    if start.tzinfo is None or end.tzinfo is None or now.tzinfo is None:
        raise ValueError("start, end and now must be time-zone aware")
    tz = zone(tz_name)
    by_day: dict[int, list[Window]] = {}
    for window in windows:
        by_day.setdefault(window.weekday, []).append(window)
    earliest = max(start, now + min_notice)
    busy = sorted(blocked)
    found: list[dt.datetime] = []
    day = start.astimezone(tz).date() - dt.timedelta(days=1)
    last_day = end.astimezone(tz).date() + dt.timedelta(days=1)
    while day <= last_day:
        todays = by_day.get(day.weekday())
        if todays and (works_holidays or not is_federal_holiday(day)):
            for window in todays:
                window_end = _local(day, window.end, tz) or _local_after_gap(day, window.end, tz)
                step = dt.datetime.combine(day, window.start)
                while step.date() == day and step.time() < window.end:
                    local = _local(day, step.time(), tz)
                    step += length
                    if local is None:
                        continue
                    begin = local.astimezone(UTC)
                    finish = begin + length
                    if finish > window_end.astimezone(UTC):
                        break
                    if begin < earliest or begin >= end:
                        continue
                    if any(b_start < finish and b_end > begin for b_start, b_end in busy):
                        continue
                    found.append(begin)
        day += dt.timedelta(days=1)
    return sorted(set(found))


def _local_after_gap(day: dt.date, at: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """A window end that falls in a spring-forward gap (02:30 on the night clocks jump from
    02:00 to 03:00) is read with the offset of the time after the jump, so the window ends
    early (01:30 standard time) rather than running past what the provider asked for."""
    naive = dt.datetime.combine(day, at)
    return naive.replace(tzinfo=tz, fold=1).astimezone(UTC).astimezone(tz)

"""Openings of many providers at once, by the rules of carematch.scheduling.openings.

`candidate_slots` turns the slot templates of the candidates into the instants of every
opening in [earliest, latest) that their weekly windows, federal holidays, minimum notice
and licenses allow, in a handful of array operations. Time off and claims are not known
here (they are read for the short list only); `without_blocked` takes them away.

The rules, as `opening_starts` has them: a session starts at its window's start or a
whole number of sessions after it, on the provider's wall clock; a start that the clock
skips (spring forward) is no opening, one it shows twice (fall back) is the first; a
session ends no later than its window; no opening on a federal holiday unless the provider
works them; none sooner than their notice. And the license rule of booking: the provider
holds a license in the client's state that counts on every calendar date the session
touches, on the provider's clock and on the client's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from carematch.scheduling.openings import is_federal_holiday

from .directory import SESSION_SECONDS, Directory
from .zones import DAY, day_from_number, local_day, local_fold0, local_fold1_in_gap, offset_steps, weekday_of

IntArray = npt.NDArray[np.int64]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def microseconds(moment: dt.datetime) -> int:
    """Microseconds since 1970-01-01 UTC, exactly."""
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


def ceil_seconds(moment: dt.datetime) -> int:
    """The first whole second at or after `moment`: for whole-second instants t,
    t >= moment exactly when t >= ceil_seconds(moment), and t < moment when t < ceil_seconds(moment)."""
    return -(-microseconds(moment) // 1_000_000)


def floor_seconds(moment: dt.datetime) -> int:
    return microseconds(moment) // 1_000_000


def instant(seconds: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=int(seconds))


@lru_cache(maxsize=64)
def _holidays(first_day: int, last_day: int) -> npt.NDArray[np.int64]:
    return np.array(
        [number for number in range(first_day, last_day + 1) if is_federal_holiday(day_from_number(number))],
        dtype=np.int64,
    )


@dataclass(frozen=True)
class Slots:
    """Openings of the candidates, grouped by candidate and sorted by time: those of candidate
    j (a position in the candidates array) are begins[ptr[j]:ptr[j + 1]]."""

    begins: IntArray
    ptr: IntArray

    def of(self, j: int) -> IntArray:
        return self.begins[self.ptr[j]:self.ptr[j + 1]]

    @property
    def counts(self) -> IntArray:
        return np.diff(self.ptr)


def candidate_slots(
    directory: Directory,
    candidates: IntArray,
    *,
    license_expires: npt.NDArray[np.int32],
    earliest: dt.datetime,
    latest: dt.datetime,
    now: dt.datetime,
    client_zone: str,
) -> Slots:
    """Openings in [earliest, latest) of the providers at positions `candidates`, before time off
    and claims; `license_expires[j]` is candidate j's latest license expiry (a day number)
    in the client's state."""
    earliest_s, latest_s, now_s = ceil_seconds(earliest), ceil_seconds(latest), ceil_seconds(now)
    first_day, last_day = earliest_s // DAY - 1, latest_s // DAY + 1
    ptr = directory.slot_ptr
    lows, highs = ptr[candidates], ptr[candidates + 1]
    counts = highs - lows
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(candidates), dtype=np.int64), counts)
    rows = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lows, counts)
    weekday = directory.slot_weekday[rows].astype(np.int64)
    first = first_day + (weekday - weekday_of(np.array(first_day))) % 7

    owners, days, rows_out = [], [], []
    for week in range((last_day - first_day) // 7 + 1):
        day = first + 7 * week
        keep = day <= last_day
        owners.append(owner[keep])
        days.append(day[keep])
        rows_out.append(rows[keep])
    owner, day, rows = np.concatenate(owners), np.concatenate(days), np.concatenate(rows_out)
    provider = candidates[owner]
    start = directory.slot_start[rows].astype(np.int64)
    window_end = directory.slot_window_end[rows].astype(np.int64)

    begin = np.zeros(len(day), dtype=np.int64)
    finish_day = np.zeros(len(day), dtype=np.int64)
    ok = np.zeros(len(day), dtype=np.bool_)
    zones = directory.zone_index[provider]
    for zone_at in np.unique(zones):
        mine = zones == zone_at
        steps = offset_steps(directory.zone_names[zone_at], first_day - 1, last_day + 1)
        local_begin, exists = local_fold0(steps, day[mine] * DAY + start[mine])
        naive_end = day[mine] * DAY + window_end[mine]
        end_fold0, end_exists = local_fold0(steps, naive_end)
        end = np.where(end_exists, end_fold0, local_fold1_in_gap(steps, naive_end))
        begin[mine] = local_begin
        ok[mine] = exists & (local_begin + SESSION_SECONDS <= end)
        finish_day[mine] = local_day(steps, local_begin + SESSION_SECONDS)

    holidays = _holidays(first_day, last_day)
    if len(holidays):
        ok &= directory.works_holidays[provider] | ~np.isin(day, holidays)
    ok &= begin >= np.maximum(earliest_s, now_s + directory.notice_seconds[provider])
    ok &= begin < latest_s
    client = offset_steps(client_zone, first_day - 1, last_day + 1)
    last_date = np.maximum(
        np.maximum(day, finish_day),
        np.maximum(local_day(client, begin), local_day(client, begin + SESSION_SECONDS)),
    )
    ok &= license_expires[owner].astype(np.int64) >= last_date

    owner, begin = owner[ok], begin[ok]
    order = np.lexsort((begin, owner))
    owner, begin = owner[order], begin[order]
    if len(begin) > 1:
        fresh = np.ones(len(begin), dtype=np.bool_)
        fresh[1:] = (owner[1:] != owner[:-1]) | (begin[1:] != begin[:-1])
        owner, begin = owner[fresh], begin[fresh]
    bounds = np.searchsorted(owner, np.arange(len(candidates) + 1), side="left").astype(np.int64)
    return Slots(begins=begin, ptr=bounds)


def without_blocked(begins: IntArray, blocked: list[tuple[int, int]]) -> IntArray:
    """The openings that overlap none of the blocked [start, end) spans (whole seconds: starts
    rounded down, ends rounded up, which decides overlap exactly)."""
    if not blocked or not len(begins):
        return begins
    starts = np.array([start for start, _ in blocked], dtype=np.int64)
    ends = np.array([end for _, end in blocked], dtype=np.int64)
    hit = (starts[None, :] < (begins + SESSION_SECONDS)[:, None]) & (ends[None, :] > begins[:, None])
    return begins[~hit.any(axis=1)]

"""Openings of many providers at once, by the rules of carematch.scheduling.openings.

`candidate_slots` turns the slot templates of the candidates into the instants of every
opening in [earliest, latest) that their weekly windows, federal holidays, minimum notice
and licenses allow, in a handful of array operations. Time off and claims are not known
here (they are read for the short list only); `without_blocked` takes them away. Session
length and step, holidays and the license rule come from carematch.lib, as they do for
`opening_starts`; a property test (matching/tests/test_engine_openings.py) holds the two
to the same openings, blocked time included.

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
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from carematch.lib.holidays_us import is_federal_holiday
from carematch.lib.licenses import unexpired_on
from carematch.lib.sessions import SESSION_SECONDS

from .directory import Directory
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
def _holidays(first_day: int, last_day: int) -> npt.NDArray[np.bool_]:
    """For each day from first_day to last_day: is it a US federal holiday?"""
    return np.array([is_federal_holiday(day_from_number(n)) for n in range(first_day, last_day + 1)], dtype=np.bool_)


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
    rows = np.arange(total, dtype=np.int64) + np.repeat(lows - (np.cumsum(counts) - counts), counts)
    weekday = directory.slot_weekday[rows].astype(np.int64)

    # The local dates a slot can fall on and still begin in [earliest, latest): from the
    # date `earliest` has on the zone's clock (at its smallest offset in these days) to
    # the date `latest` has (at its largest).
    steps_of = [offset_steps(name, first_day - 1, last_day + 1) for name in directory.zone_names]
    lowest = np.array([int(steps[1].min()) for steps in steps_of], dtype=np.int64)
    highest = np.array([int(steps[1].max()) for steps in steps_of], dtype=np.int64)
    zone_of_row = directory.zone_index[candidates][owner]
    day_low = (earliest_s + lowest[zone_of_row]) // DAY
    day_high = (latest_s + highest[zone_of_row]) // DAY
    first = day_low + (weekday - weekday_of(day_low)) % 7

    # Each template falls on its weekday once a week.
    owners, days, rows_out = [], [], []
    for week in range((last_day - first_day) // 7 + 1):
        day = first + 7 * week
        keep = day <= day_high
        owners.append(owner[keep])
        days.append(day[keep])
        rows_out.append(rows[keep])
    owner, day, rows = np.concatenate(owners), np.concatenate(days), np.concatenate(rows_out)
    provider = candidates[owner]
    naive_begin = day * DAY + directory.slot_start[rows]
    naive_end = day * DAY + directory.slot_window_end[rows]

    begin = np.zeros(len(day), dtype=np.int64)
    finish_day = np.zeros(len(day), dtype=np.int64)
    ok = np.zeros(len(day), dtype=np.bool_)
    zones = directory.zone_index[provider]
    present = np.flatnonzero(np.bincount(zones, minlength=len(directory.zone_names)))
    for zone_at in present.tolist():
        mine = zones == zone_at if len(present) > 1 else slice(None)
        steps = steps_of[zone_at]
        if len(steps[1]) == 1:  # no change of the clocks in these days
            offset = int(steps[1][0])
            local_begin = naive_begin[mine] - offset
            begin[mine] = local_begin
            ok[mine] = local_begin + SESSION_SECONDS <= naive_end[mine] - offset
            finish_day[mine] = (local_begin + SESSION_SECONDS + offset) // DAY
            continue
        local_begin, exists = local_fold0(steps, naive_begin[mine])
        end_fold0, end_exists = local_fold0(steps, naive_end[mine])
        end = np.where(end_exists, end_fold0, local_fold1_in_gap(steps, naive_end[mine]))
        begin[mine] = local_begin
        ok[mine] = exists & (local_begin + SESSION_SECONDS <= end)
        finish_day[mine] = local_day(steps, local_begin + SESSION_SECONDS)

    holidays = _holidays(first_day, last_day)
    if holidays.any():
        ok &= directory.works_holidays[provider] | ~holidays[day - first_day]
    ok &= begin >= np.maximum(earliest_s, now_s + directory.notice_seconds[provider])
    ok &= begin < latest_s
    client = offset_steps(client_zone, first_day - 1, last_day + 1)
    last_date = np.maximum(day, finish_day)
    if len(client[1]) == 1:
        offset = int(client[1][0])
        last_date = np.maximum(last_date, (begin + SESSION_SECONDS + offset) // DAY)
    else:
        last_date = np.maximum(
            last_date, np.maximum(local_day(client, begin), local_day(client, begin + SESSION_SECONDS))
        )
    ok &= unexpired_on(license_expires[owner].astype(np.int64), last_date)

    # Sorted by candidate, then time, duplicates dropped: one key holds both (openings begin
    # at most a few weeks after `earliest_s`, well inside 32 bits).
    key = np.sort((owner[ok] << 32) | (begin[ok] - earliest_s))
    if len(key) > 1:
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    owner, begin = key >> 32, (key & 0xFFFFFFFF) + earliest_s
    bounds = np.searchsorted(owner, np.arange(len(candidates) + 1), side="left").astype(np.int64)
    return Slots(begins=begin, ptr=bounds)


def blocked_seconds(spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[tuple[int, int]]:
    """Blocked [start, end) spans (time off, claims) as whole seconds for `without_blocked`:
    starts rounded down, ends rounded up, which decides overlap with openings (whole
    seconds) exactly as the spans themselves would."""
    return [(floor_seconds(start), ceil_seconds(end)) for start, end in spans]


def without_blocked(begins: IntArray, blocked: list[tuple[int, int]]) -> IntArray:
    """The openings that overlap none of the blocked [start, end) spans (`blocked_seconds`)."""
    if not blocked or not len(begins):
        return begins
    starts = np.array([start for start, _ in blocked], dtype=np.int64)
    ends = np.array([end for _, end in blocked], dtype=np.int64)
    hit = (starts[None, :] < (begins + SESSION_SECONDS)[:, None]) & (ends[None, :] > begins[:, None])
    return begins[~hit.any(axis=1)]

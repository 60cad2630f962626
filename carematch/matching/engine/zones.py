"""Wall-clock times to instants and back, for many at once.

Instants are whole seconds since 1970-01-01 UTC (int64); a "naive" local time is the same
count read on the local clock. Over a short span a zone's UTC offset is a step function
of the instant, found here from zoneinfo and cached, so converting thousands of
wall-clock times is a few array operations.

The rules are Python's (PEP 495) as carematch.scheduling.openings uses them:
- `local_fold0`: a wall-clock time that happens twice is the first of the two; one that
  does not happen (a spring-forward gap) has no instant;
- `local_fold1_in_gap`: a time in a gap read with the offset after the change, which is
  what `datetime(..., fold=1)` gives there.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from carematch.lib.timezones import zone

DAY = 86_400
# Sampling step when looking for offset changes: no zone changes its offset twice in 6 hours.
_SAMPLE = 6 * 3600
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return day.toordinal() - _EPOCH_ORDINAL


def day_from_number(number: int) -> dt.date:
    return dt.date.fromordinal(number + _EPOCH_ORDINAL)


def weekday_of(numbers: Int64Array) -> Int64Array:
    """0 = Monday for day numbers (1970-01-01 was a Thursday)."""
    return (numbers + 3) % 7


def _offset_at(tz_name: str, instant: int) -> int:
    offset = dt.datetime.fromtimestamp(instant, zone(tz_name)).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


@lru_cache(maxsize=512)
def offset_steps(tz_name: str, first_day: int, last_day: int) -> tuple[Int64Array, Int64Array]:
    """The zone's offset over the UTC days [first_day, last_day]: `starts[k]` is the instant
    from which `offsets[k]` holds (starts[0] is the far past), in increasing order."""
    lo, hi = first_day * DAY, (last_day + 1) * DAY
    starts: list[int] = [np.iinfo(np.int64).min]
    offsets: list[int] = [_offset_at(tz_name, lo)]
    previous_at, previous = lo, offsets[0]
    for at in range(lo + _SAMPLE, hi + _SAMPLE, _SAMPLE):
        current = _offset_at(tz_name, at)
        if current != previous:
            low, high = previous_at, at  # offset(low) == previous, offset(high) == current
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_at(tz_name, middle) == previous:
                    low = middle
                else:
                    high = middle
            starts.append(high)
            offsets.append(current)
        previous_at, previous = at, current
    return np.array(starts, dtype=np.int64), np.array(offsets, dtype=np.int64)


def offset_of(steps: tuple[Int64Array, Int64Array], instants: Int64Array) -> Int64Array:
    starts, offsets = steps
    return offsets[np.searchsorted(starts, instants, side="right") - 1]


def local_fold0(steps: tuple[Int64Array, Int64Array], naive: Int64Array) -> tuple[Int64Array, BoolArray]:
    """Instants of wall-clock times (the first when a time happens twice) and whether each exists."""
    starts, offsets = steps
    best = np.full(naive.shape, np.iinfo(np.int64).max, dtype=np.int64)
    for k in range(len(offsets)):
        candidate = naive - offsets[k]
        valid = np.searchsorted(starts, candidate, side="right") - 1 == k
        best = np.where(valid & (candidate < best), candidate, best)
    exists = best != np.iinfo(np.int64).max
    return np.where(exists, best, 0), exists


def local_fold1_in_gap(steps: tuple[Int64Array, Int64Array], naive: Int64Array) -> Int64Array:
    """For wall-clock times inside a spring-forward gap: the instant read with the offset after
    the change (`fold=1`). Times outside any gap give 0 (callers only use gap times)."""
    starts, offsets = steps
    result = np.zeros(naive.shape, dtype=np.int64)
    for k in range(1, len(offsets)):
        before, after = offsets[k - 1], offsets[k]
        if after <= before:
            continue
        in_gap = (naive >= starts[k] + before) & (naive < starts[k] + after)
        result = np.where(in_gap, naive - after, result)
    return result


def local_day(steps: tuple[Int64Array, Int64Array], instants: Int64Array) -> Int64Array:
    """The local calendar date (a day number) of each instant."""
    return (instants + offset_of(steps, instants)) // DAY

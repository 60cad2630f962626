"""Openings from weekly windows: alignment, notice, holidays, time off, daylight saving."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from carematch.lib.sessions import SESSION
from carematch.lib.timezones import zone
from carematch.scheduling.openings import Window, is_federal_holiday, opening_starts

UTC = dt.UTC
DENVER = zone("America/Denver")


def local(moment):
    return moment.astimezone(DENVER).strftime("%a %Y-%m-%d %H:%M %Z")


def openings(windows, start, end, now=None, min_notice=dt.timedelta(hours=2), works_holidays=False, **kw):
    return opening_starts(
        windows=windows, tz_name="America/Denver", start=start, end=end,
        now=now or dt.datetime(2020, 1, 1, tzinfo=UTC), min_notice=min_notice, works_holidays=works_holidays, **kw,
    )


def test_a_window_gives_hourly_openings_aligned_to_its_start():
    found = openings([Window(0, dt.time(9), dt.time(12))], dt.datetime(2027, 1, 4, tzinfo=UTC),
                     dt.datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert [local(s) for s in found] == ["Mon 2027-01-04 09:00 MST", "Mon 2027-01-04 10:00 MST",
                                         "Mon 2027-01-04 11:00 MST"]


def test_a_partial_last_hour_is_not_offered():
    found = openings([Window(0, dt.time(9, 30), dt.time(12))], dt.datetime(2027, 1, 4, tzinfo=UTC),
                     dt.datetime(2027, 1, 5, tzinfo=UTC))
    assert [local(s) for s in found] == ["Mon 2027-01-04 09:30 MST", "Mon 2027-01-04 10:30 MST"]


def test_openings_keep_their_local_hour_across_the_spring_change():
    windows = [Window(d, dt.time(9), dt.time(10)) for d in range(7)]
    found = openings(windows, dt.datetime(2027, 3, 12, tzinfo=UTC), dt.datetime(2027, 3, 17, tzinfo=UTC))
    assert [local(s) for s in found] == [
        "Fri 2027-03-12 09:00 MST", "Sat 2027-03-13 09:00 MST", "Sun 2027-03-14 09:00 MDT",
        "Mon 2027-03-15 09:00 MDT", "Tue 2027-03-16 09:00 MDT",
    ]
    assert found[2] - found[1] == dt.timedelta(hours=23)


def test_a_start_that_does_not_exist_on_the_spring_change_is_skipped_and_a_repeated_one_is_offered_once():
    night = [Window(6, dt.time(1), dt.time(4))]
    spring = openings(night, dt.datetime(2027, 3, 13, tzinfo=UTC), dt.datetime(2027, 3, 15, tzinfo=UTC))
    assert [local(s) for s in spring] == ["Sun 2027-03-14 01:00 MST", "Sun 2027-03-14 03:00 MDT"]
    autumn = openings(night, dt.datetime(2027, 11, 6, tzinfo=UTC), dt.datetime(2027, 11, 8, tzinfo=UTC))
    assert [local(s) for s in autumn] == ["Sun 2027-11-07 01:00 MDT", "Sun 2027-11-07 02:00 MST",
                                          "Sun 2027-11-07 03:00 MST"]
    assert all(b - a >= SESSION for a, b in itertools.pairwise(autumn))


def test_federal_holidays_are_skipped_unless_the_provider_works_them():
    christmas = dt.date(2026, 12, 25)
    assert is_federal_holiday(christmas) and not is_federal_holiday(dt.date(2026, 12, 24))
    window = [Window(christmas.weekday(), dt.time(9), dt.time(10))]
    span = (dt.datetime(2026, 12, 25, tzinfo=UTC), dt.datetime(2026, 12, 26, 12, tzinfo=UTC))
    assert openings(window, *span) == []
    assert len(openings(window, *span, works_holidays=True)) == 1


def test_minimum_notice_and_time_off_remove_openings():
    window = [Window(0, dt.time(9), dt.time(13))]
    monday = dt.datetime(2027, 1, 4, 7, tzinfo=UTC)  # 00:00 MST
    now = dt.datetime(2027, 1, 4, 15, 30, tzinfo=UTC)  # 08:30 MST
    found = openings(window, monday, monday + dt.timedelta(days=1), now=now, min_notice=dt.timedelta(hours=2),
                     blocked=[(dt.datetime(2027, 1, 4, 18, 30, tzinfo=UTC), dt.datetime(2027, 1, 4, 19, tzinfo=UTC))])
    assert [local(s) for s in found] == ["Mon 2027-01-04 12:00 MST"]


windows_strategy = st.lists(
    st.builds(
        lambda day, start, length: Window(day, dt.time(start // 60, start % 60),
                                          dt.time(min(23 * 60 + 59, start + length) // 60,
                                                  min(23 * 60 + 59, start + length) % 60)),
        st.integers(0, 6), st.integers(0, 22 * 60).map(lambda m: m - m % 15), st.integers(15, 8 * 60),
    ),
    max_size=6,
)
moments = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2028, 12, 31),  # noqa: DTZ001
                       timezones=st.just(UTC))
intervals = st.lists(
    st.tuples(moments, st.integers(15, 600)).map(lambda t: (t[0], t[0] + dt.timedelta(minutes=t[1]))), max_size=8
)


@settings(max_examples=300, deadline=None)
@given(windows=windows_strategy, start=moments, days=st.integers(1, 20), now=moments, notice=st.integers(0, 48),
       blocked=intervals, zone_name=st.sampled_from(["America/Denver", "America/New_York", "America/Phoenix",
                                                     "Pacific/Honolulu", "America/Los_Angeles"]))
def test_openings_never_overlap_blocked_time_never_leave_windows_never_precede_notice(
    windows, start, days, now, notice, blocked, zone_name
):
    end = start + dt.timedelta(days=days)
    found = opening_starts(windows=windows, tz_name=zone_name, start=start, end=end, now=now,
                           min_notice=dt.timedelta(hours=notice), blocked=blocked, works_holidays=True)
    tz = zone(zone_name)
    assert found == sorted(set(found))
    for opening in found:
        assert start <= opening < end
        assert opening >= now + dt.timedelta(hours=notice)
        assert not any(b < opening + SESSION and e > opening for b, e in blocked)
        assert _fits_in_real_span(opening, windows, tz)


def _fits_in_real_span(opening, windows, tz):
    begin_local = opening.astimezone(tz)
    for w in windows:
        if w.weekday != begin_local.weekday() or not (w.start <= begin_local.time() < w.end):
            continue
        window_end = dt.datetime.combine(begin_local.date(), w.end).replace(tzinfo=tz, fold=1).astimezone(UTC)
        if opening + SESSION <= window_end:
            return True
    return False

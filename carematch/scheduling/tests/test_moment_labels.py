"""One format for a moment across the site (carematch.lib.timezones.moment_label): a short
day, the date, the clock and the zone's short name, "Thu 3 Dec, 5:00 PM MST", with the year
only when the day and month alone could name two dates. Always on the viewer's clock."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carematch.lib.timezones import moment_label, when_label, zone
from carematch.scheduling.templatetags.moments import when

DENVER = zone("America/Denver")
TODAY = dt.date(2027, 10, 20)


def test_a_moment_reads_day_date_clock_and_zone():
    assert moment_label(dt.datetime(2027, 12, 2, 17, 0, tzinfo=DENVER), today=TODAY) == "Thu 2 Dec, 5:00 PM MST"
    assert moment_label(dt.datetime(2027, 12, 2, 9, 5, tzinfo=DENVER), today=TODAY) == "Thu 2 Dec, 9:05 AM MST"
    assert moment_label(dt.datetime(2027, 12, 2, 0, 30, tzinfo=DENVER), today=TODAY) == "Thu 2 Dec, 12:30 AM MST"
    assert moment_label(dt.datetime(2027, 12, 2, 12, 0, tzinfo=DENVER), today=TODAY) == "Thu 2 Dec, 12:00 PM MST"


def test_the_zone_name_follows_daylight_saving_on_the_day_it_changes():
    # Sunday 7 November 2027: Denver's clocks go back at 2:00 AM, from MDT to MST.
    before = dt.datetime(2027, 11, 7, 7, 30, tzinfo=dt.UTC)  # 1:30 AM MDT
    after = dt.datetime(2027, 11, 7, 9, 30, tzinfo=dt.UTC)  # 2:30 AM MST
    assert when_label(before, "America/Denver", today=TODAY) == "Sun 7 Nov, 1:30 AM MDT"
    assert when_label(after, "America/Denver", today=TODAY) == "Sun 7 Nov, 2:30 AM MST"
    # The hour that happens twice reads twice, told apart by the zone's name.
    first = dt.datetime(2027, 11, 7, 7, 15, tzinfo=dt.UTC)
    second = dt.datetime(2027, 11, 7, 8, 15, tzinfo=dt.UTC)
    assert when_label(first, "America/Denver", today=TODAY) == "Sun 7 Nov, 1:15 AM MDT"
    assert when_label(second, "America/Denver", today=TODAY) == "Sun 7 Nov, 1:15 AM MST"


def test_the_year_is_added_when_the_date_is_not_within_the_coming_months():
    next_year = dt.datetime(2028, 10, 3, 17, 0, tzinfo=DENVER)  # the same month a year on
    assert moment_label(next_year, today=TODAY) == "Tue 3 Oct 2028, 5:00 PM MDT"
    assert moment_label(dt.datetime(2028, 1, 4, 9, tzinfo=DENVER), today=TODAY) == "Tue 4 Jan, 9:00 AM MST"
    assert moment_label(dt.datetime(2026, 12, 1, 9, tzinfo=DENVER), today=TODAY) == "Tue 1 Dec 2026, 9:00 AM MST"
    assert moment_label(dt.datetime(2027, 10, 1, 9, tzinfo=DENVER), today=TODAY) == "Fri 1 Oct, 9:00 AM MDT"


@given(st.integers(min_value=-800, max_value=800), st.integers(min_value=-800, max_value=800))
def test_two_different_dates_never_read_the_same(a, b):
    first, second = (dt.datetime.combine(TODAY + dt.timedelta(days=n), dt.time(9), tzinfo=DENVER) for n in (a, b))
    if a != b:
        assert moment_label(first, today=TODAY) != moment_label(second, today=TODAY)


def test_the_viewer_zone_decides_the_clock():
    moment = dt.datetime(2027, 12, 3, 0, 0, tzinfo=dt.UTC)
    assert when_label(moment, "America/New_York", today=TODAY) == "Thu 2 Dec, 7:00 PM EST"
    assert when_label(moment, "America/Los_Angeles", today=TODAY) == "Thu 2 Dec, 4:00 PM PST"


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="aware"):
        moment_label(dt.datetime(2027, 12, 3, 9, 0))  # noqa: DTZ001 - the point of the test


def test_the_template_filter_uses_the_same_format_and_utc_for_readers_without_a_zone(time_machine):
    time_machine.move_to(dt.datetime(2027, 10, 20, 12, tzinfo=dt.UTC))
    moment = dt.datetime(2027, 12, 3, 0, 0, tzinfo=dt.UTC)
    assert when(moment, "America/Denver") == "Thu 2 Dec, 5:00 PM MST"
    assert when(moment) == "Fri 3 Dec, 12:00 AM UTC"
    assert when(moment, "Not/AZone") == "Fri 3 Dec, 12:00 AM UTC"
    assert when(None) == ""

"""The engine computes the openings of many providers at once; for every input they are the
openings carematch.scheduling.openings gives one provider at a time: weekly windows, time
zones and their clock changes, notice, federal holidays, and blocked time (time off, and
booked sessions and holds) alike. No database."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

from carematch.lib.licenses import license_counts_on
from carematch.lib.sessions import SESSION, session_dates
from carematch.lib.timezones import zone
from carematch.matching.engine.directory import ProviderRow, WindowRow, build_directory
from carematch.matching.engine.slots import blocked_seconds, candidate_slots, instant, without_blocked
from carematch.matching.engine.zones import day_number, local_fold0, offset_steps
from carematch.scheduling.openings import Window, opening_starts

ZONES = [
    "America/New_York", "America/Denver", "America/Phoenix", "America/Los_Angeles", "Pacific/Honolulu",
    "America/Anchorage", "Europe/London", "Australia/Lord_Howe", "America/St_Johns",
]
# Around the 2026 daylight-saving changes, Thanksgiving, and Christmas with New Year.
BASES = [
    dt.datetime(2026, 3, 6, tzinfo=dt.UTC), dt.datetime(2026, 3, 27, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 23, tzinfo=dt.UTC), dt.datetime(2026, 10, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 24, tzinfo=dt.UTC), dt.datetime(2026, 12, 22, tzinfo=dt.UTC),
]


def provider_row(provider_id: int = 1, **fields: object) -> ProviderRow:
    values: dict[str, object] = {
        "id": provider_id, "npi": f"{provider_id:010d}", "first_name": "Ada", "last_name": "Example",
        "credentials": ["LPC"], "gender": "female", "languages": ["en"], "concerns": ["anxiety"], "approaches": [],
        "populations": ["adults"], "formats": ["telehealth"], "insurance": [], "self_pay_rate": 100,
        "accepting_new": True, "timezone": "America/Denver", "min_notice_hours": 2, "works_holidays": False,
        "latitude": None, "longitude": None,
    }
    values.update(fields)
    return ProviderRow(**values)  # type: ignore[arg-type]


@st.composite
def weekly_windows(draw: st.DrawFn) -> list[WindowRow]:
    windows: list[WindowRow] = []
    for weekday in draw(st.lists(st.integers(0, 6), min_size=1, max_size=5, unique=True)):
        hour = draw(st.integers(0, 21))
        minute = draw(st.sampled_from([0, 15, 30]))
        end_hour = draw(st.integers(hour + 1, 23))
        end_minute = draw(st.sampled_from([0, 30, 59]))
        windows.append(WindowRow(1, weekday, dt.time(hour, minute), dt.time(end_hour, end_minute)))
        if hour < 1 and end_hour < 22 and draw(st.booleans()):  # a second window later that day
            windows.append(WindowRow(1, weekday, dt.time(end_hour + 1), dt.time(23)))
    return windows


# Microseconds from an opening's edge: on it, and just either side of it.
NEAR = st.sampled_from([0, 1, -1, 500_000, -500_000, 999_999, -999_999, 1_000_000, -1_000_000])


@st.composite
def time_off(draw: st.DrawFn, around: dt.datetime, hours: int) -> tuple[dt.datetime, dt.datetime]:
    """A span of time off anywhere from a day before the window to a day after it, of any
    length from a microsecond to three days, at any microsecond."""
    start = around + dt.timedelta(minutes=draw(st.integers(-24 * 60, (hours + 24) * 60)),
                                  microseconds=draw(st.integers(-999_999, 999_999)))
    length = draw(st.one_of(
        st.integers(1, 3 * 24 * 60 * 60 * 1_000_000),
        st.sampled_from([1, 1_000_000, 30 * 60 * 1_000_000, SESSION // dt.timedelta(microseconds=1)]),
    ))
    return start, start + dt.timedelta(microseconds=length)


@settings(max_examples=200, deadline=None)
@given(
    windows=weekly_windows(),
    tz_name=st.sampled_from(ZONES),
    base=st.sampled_from(BASES),
    minutes=st.integers(0, 7 * 24 * 60),
    lead_minutes=st.integers(-120, 3000),
    micro=st.integers(0, 999_999),
    hours=st.sampled_from([1, 24, 48, 72, 168]),
    notice=st.sampled_from([0, 2, 24]),
    works_holidays=st.booleans(),
    data=st.data(),
)
def test_openings_of_many_providers_are_those_of_opening_starts(
    windows, tz_name, base, minutes, lead_minutes, micro, hours, notice, works_holidays, data
):
    now = base + dt.timedelta(minutes=minutes, microseconds=micro)
    earliest = now + dt.timedelta(minutes=lead_minutes, microseconds=micro // 3)
    latest = earliest + dt.timedelta(hours=hours)
    rules = {"tz_name": tz_name, "now": now, "min_notice": dt.timedelta(hours=notice),
             "works_holidays": works_holidays, "windows": [Window(w.weekday, w.start, w.end) for w in windows]}
    # Blocked time: time off anywhere; time off that ends about when an opening begins or
    # begins about when it ends (to the microsecond either side); and claims (booked
    # sessions, holds) on the provider's own openings, on times beside them, and on openings
    # that start before the window or end after it.
    unblocked = opening_starts(start=earliest - SESSION, end=latest + SESSION, **rules)
    blocked = data.draw(st.lists(time_off(earliest, hours), max_size=4))
    if unblocked:
        for start, ends_then, by, length in data.draw(st.lists(st.tuples(
            st.sampled_from(unblocked), st.booleans(), st.one_of(NEAR, st.integers(-1_000_000, 1_000_000)),
            st.integers(1, 3 * 60 * 60 * 1_000_000),
        ), max_size=3)):
            edge = start + dt.timedelta(microseconds=by) + (dt.timedelta(0) if ends_then else SESSION)
            span = dt.timedelta(microseconds=length)
            blocked.append((edge - span, edge) if ends_then else (edge, edge + span))
        claimed = data.draw(st.lists(st.sampled_from(unblocked), max_size=6, unique=True))
        moved = data.draw(st.lists(st.sampled_from([-90, -30, 30, 90]), max_size=len(claimed)))
        blocked += [(start, start + SESSION) for start in claimed]
        blocked += [(start + dt.timedelta(minutes=by), start + dt.timedelta(minutes=by) + SESSION)
                    for start, by in zip(claimed, moved, strict=False)]
    directory = build_directory(
        providers=[provider_row(timezone=tz_name, min_notice_hours=notice, works_holidays=works_holidays)],
        licenses=[], windows=windows,
    )
    slots = candidate_slots(
        directory, np.array([0]), license_expires=np.array([10**6], dtype=np.int32),
        earliest=earliest, latest=latest, now=now, client_zone="America/New_York",
    )
    expected = opening_starts(start=earliest, end=latest, blocked=blocked, **rules)
    assert [instant(begin) for begin in without_blocked(slots.of(0), blocked_seconds(blocked))] == expected
    free = [start for start in unblocked if earliest <= start < latest]
    event("no openings" if not free else "blocked time took openings away" if len(expected) < len(free)
          else "blocked time took nothing away")


@settings(max_examples=100, deadline=None)
@given(
    provider_zone=st.sampled_from(ZONES),
    client_zone=st.sampled_from(ZONES),
    base=st.sampled_from(BASES),
    expires_in=st.integers(-2, 9),
)
def test_an_opening_needs_a_license_counting_on_every_date_the_session_touches(
    provider_zone, client_zone, base, expires_in
):
    windows = [WindowRow(1, day, dt.time(0), dt.time(23, 59)) for day in range(7)]
    directory = build_directory(
        providers=[provider_row(timezone=provider_zone, min_notice_hours=0, works_holidays=True)], licenses=[],
        windows=windows,
    )
    expires = base.date() + dt.timedelta(days=expires_in)
    latest = base + dt.timedelta(hours=168)
    slots = candidate_slots(
        directory, np.array([0]), license_expires=np.array([day_number(expires)], dtype=np.int32),
        earliest=base, latest=latest, now=base, client_zone=client_zone,
    )
    every = opening_starts(
        windows=[Window(w.weekday, w.start, w.end) for w in windows], tz_name=provider_zone, start=base, end=latest,
        now=base, min_notice=dt.timedelta(0), works_holidays=True,
    )

    def counts(start: dt.datetime) -> bool:  # as the booking check has it
        return all(license_counts_on(status="verified", expires=expires, day=day, match_unverified=False)
                   for day in session_dates(start, (provider_zone, client_zone)))

    assert [instant(begin) for begin in slots.of(0)] == [start for start in every if counts(start)]


@settings(max_examples=100, deadline=None)
@given(
    tz_name=st.sampled_from(ZONES),
    base=st.sampled_from(BASES),
    seconds=st.lists(st.integers(0, 10 * 86_400), min_size=1, max_size=30),
)
def test_wall_clock_times_become_the_instants_python_gives_them(tz_name, base, seconds):
    first_day = day_number(base.date())
    steps = offset_steps(tz_name, first_day - 2, first_day + 12)
    naive = np.array([first_day * 86_400 + s for s in seconds], dtype=np.int64)
    instants, exists = local_fold0(steps, naive)
    tz = zone(tz_name)
    for wall, got, found in zip(naive.tolist(), instants.tolist(), exists.tolist(), strict=True):
        local = (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=wall)).replace(tzinfo=tz, fold=0)
        round_trip = local.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
        assert found == (round_trip == local.replace(tzinfo=None))
        if found:
            assert instant(got) == local.astimezone(dt.UTC)


def test_a_spring_forward_start_that_the_clock_skips_is_no_opening():
    # 02:00 does not happen in Denver on Sunday 8 March 2026; 01:00 and 03:00 do.
    windows = [WindowRow(1, 6, dt.time(1), dt.time(4))]
    directory = build_directory(providers=[provider_row(min_notice_hours=0)], licenses=[], windows=windows)
    start = dt.datetime(2026, 3, 7, tzinfo=dt.UTC)
    slots = candidate_slots(
        directory, np.array([0]), license_expires=np.array([10**6], dtype=np.int32),
        earliest=start, latest=start + dt.timedelta(days=2), now=start, client_zone="America/Denver",
    )
    assert [instant(b).astimezone(zone("America/Denver")).strftime("%H:%M %Z") for b in slots.of(0)] == [
        "01:00 MST", "03:00 MDT",
    ]


def test_blocked_spans_take_away_every_opening_they_overlap_and_no_other():
    begins = np.array([0, 3600, 7200, 10_800], dtype=np.int64)
    assert without_blocked(begins, [(3600 + 1800, 7200)]).tolist() == [0, 7200, 10_800]
    assert without_blocked(begins, [(7200, 7201)]).tolist() == [0, 3600, 10_800]
    assert without_blocked(begins, [(10_800 + 3600, 20_000)]).tolist() == [0, 3600, 7200, 10_800]

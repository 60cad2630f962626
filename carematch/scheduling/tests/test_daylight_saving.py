"""A provider in Denver and a client in New York, across the March 2027 change to summer time."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from carematch.lib.timezones import zone
from carematch.scheduling import calendar
from carematch.scheduling.selectors import provider_openings
from carematch.scheduling.services import appointment_book, appointment_reschedule

from .factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db

DENVER, NEW_YORK = zone("America/Denver"), zone("America/New_York")
BOOKED_ON = dt.datetime(2027, 3, 10, 17, tzinfo=dt.UTC)  # Wednesday, before the change (Sunday 14 March)


@pytest.fixture
def provider():
    return weekday_provider(timezone="America/Denver")


@pytest.fixture
def new_yorker():
    return ClientFactory(state="NY", timezone="America/New_York")


def test_openings_stay_at_nine_in_denver_and_move_from_eleven_to_eleven_in_new_york(provider):
    found = provider_openings(provider=provider, start=dt.datetime(2027, 3, 12, 7, tzinfo=dt.UTC),
                              end=dt.datetime(2027, 3, 16, 7, tzinfo=dt.UTC), now=BOOKED_ON)
    nine = [s for s in found if s.astimezone(DENVER).hour == 9]
    assert [s.astimezone(DENVER).strftime("%a %H:%M %Z") for s in nine] == [
        "Fri 09:00 MST", "Sat 09:00 MST", "Sun 09:00 MDT", "Mon 09:00 MDT"]
    assert [s.astimezone(NEW_YORK).strftime("%a %H:%M %Z") for s in nine] == [
        "Fri 11:00 EST", "Sat 11:00 EST", "Sun 11:00 EDT", "Mon 11:00 EDT"]
    assert [s.strftime("%H:%M") for s in nine] == ["16:00", "16:00", "15:00", "15:00"]


def test_a_session_booked_before_the_change_for_after_it_has_the_right_wall_times_in_both_calendars(
    provider, new_yorker
):
    monday_nine_denver = dt.datetime(2027, 3, 15, 9, tzinfo=DENVER)
    appointment = appointment_book(provider=provider, client=new_yorker, start=monday_nine_denver,
                                   format="telehealth", by=new_yorker.user, now=BOOKED_ON)
    assert appointment.start == dt.datetime(2027, 3, 15, 15, tzinfo=dt.UTC)

    for viewer, wall in (("America/New_York", "20270315T110000"), ("America/Denver", "20270315T090000")):
        text = calendar.appointment_ics(appointment, viewer_timezone=viewer).decode()
        assert f"DTSTART;TZID={viewer}:{wall}" in text
        event = next(iter(Calendar.from_ical(text).walk("VEVENT")))
        assert event["DTSTART"].dt == appointment.start
        assert event["DTEND"].dt - event["DTSTART"].dt == dt.timedelta(hours=1)
        zones = list(Calendar.from_ical(text).walk("VTIMEZONE"))
        assert [z["TZID"] for z in zones] == [viewer]


def test_rescheduling_across_the_change_keeps_the_uid_and_moves_the_wall_time(provider, new_yorker):
    appointment = appointment_book(provider=provider, client=new_yorker, start=dt.datetime(2027, 3, 12, 9,
                                   tzinfo=DENVER), format="telehealth", by=new_yorker.user, now=BOOKED_ON)
    before = calendar.appointment_ics(appointment, viewer_timezone="America/New_York").decode()
    moved = appointment_reschedule(appointment=appointment, start=dt.datetime(2027, 3, 15, 10, tzinfo=DENVER),
                                   by=new_yorker.user, now=BOOKED_ON)
    after = calendar.appointment_ics(moved, viewer_timezone="America/New_York").decode()
    uid = next(line for line in before.splitlines() if line.startswith("UID:"))
    assert uid in after
    assert "DTSTART;TZID=America/New_York:20270312T110000" in before
    assert "DTSTART;TZID=America/New_York:20270315T120000" in after
    assert "SEQUENCE:1" in after

"""An appointment's calendar event carries a SEQUENCE that grows with every significant
change (RFC 5545, 3.8.7.4), so that calendar apps replace their copy: 0 when booked, one
more for each reschedule, one more for the cancellation. The single .ics download and the
private feed say the same."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as Browser
from django.utils import timezone
from icalendar import Calendar

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, token_for
from carematch.lib.errors import Conflict
from carematch.scheduling import services
from carematch.scheduling.calendar import appointment_uid
from carematch.scheduling.models import Appointment, Status
from carematch.scheduling.selectors import provider_openings

from .factories import ClientFactory, weekday_provider
from .test_feeds import make_address, read_feed

pytestmark = pytest.mark.django_db


def _event(calendar: Calendar, appointment: Appointment):
    events = [e for e in calendar.walk("VEVENT") if str(e["UID"]) == appointment_uid(appointment)]
    assert len(events) == 1
    return events[0]


def test_sequence_grows_with_each_reschedule_and_the_cancellation_in_the_download_and_the_feed():
    provider = weekday_provider(user=UserFactory(role=Role.PROVIDER))
    sam = ClientFactory()
    now = timezone.now()
    openings = provider_openings(provider=provider, start=now + dt.timedelta(days=2), end=now + dt.timedelta(days=9))
    appointment = services.appointment_book(provider=provider, client=sam, start=openings[0], format="telehealth",
                                            by=sam.user)
    browser = Browser()
    browser.force_login(sam.user)
    feed_url, _ = make_address(browser)
    provider_browser = Browser()
    provider_browser.force_login(provider.user)
    provider_feed_url, _ = make_address(provider_browser)
    api = {"HTTP_AUTHORIZATION": f"Bearer {token_for(sam.user)}"}

    def sequences() -> dict[str, tuple[int, str]]:
        download = browser.get(f"/sessions/{appointment.pk}/calendar.ics")
        from_api = Browser().get(f"/api/v1/appointments/{appointment.pk}/ics", **api)
        assert download.status_code == from_api.status_code == 200
        seen = {
            "download": _event(Calendar.from_ical(download.content), appointment),
            "api": _event(Calendar.from_ical(from_api.content), appointment),
            "client feed": _event(read_feed(feed_url)[1], appointment),
            "provider feed": _event(read_feed(provider_feed_url)[1], appointment),
        }
        return {where: (int(event["SEQUENCE"]), str(event["STATUS"])) for where, event in seen.items()}

    places = ("download", "api", "client feed", "provider feed")
    assert sequences() == dict.fromkeys(places, (0, "CONFIRMED"))
    services.appointment_reschedule(appointment=appointment, start=openings[1], by=sam.user)
    assert sequences() == dict.fromkeys(places, (1, "CONFIRMED"))
    services.appointment_reschedule(appointment=appointment, start=openings[2], by=provider.user)
    assert sequences() == dict.fromkeys(places, (2, "CONFIRMED"))
    services.appointment_cancel(appointment=appointment, by=sam.user)
    assert sequences() == dict.fromkeys(places, (3, "CANCELLED"))
    appointment.refresh_from_db()
    assert (appointment.status, appointment.sequence) == (Status.CANCELLED, 3)


def test_a_reschedule_to_the_same_time_and_a_refused_cancellation_change_nothing():
    provider = weekday_provider()
    sam = ClientFactory()
    now = timezone.now()
    start = provider_openings(provider=provider, start=now + dt.timedelta(days=2), end=now + dt.timedelta(days=9))[0]
    appointment = services.appointment_book(provider=provider, client=sam, start=start, format="telehealth",
                                            by=sam.user)
    services.appointment_reschedule(appointment=appointment, start=start, by=sam.user)
    services.appointment_cancel(appointment=appointment, by=sam.user)
    with pytest.raises(Conflict):
        services.appointment_cancel(appointment=appointment, by=sam.user)
    appointment.refresh_from_db()
    assert appointment.sequence == 1

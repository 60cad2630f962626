"""The 48-hour clock shows two figures: the time to the first contact (a free 15-minute
consultation or a session, whichever starts first) and the time to the first session."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.lib.sessions import CONSULTATION, SESSION
from carematch.scheduling.clock import RequestRecord, clock_figures
from carematch.scheduling.models import Appointment, CareRequest, Status

from .factories import ClientFactory, weekday_provider

NOW = dt.datetime(2027, 3, 20, 20, 0, tzinfo=dt.UTC)
HOUR = 3600


def test_the_first_contact_is_the_sooner_of_a_consultation_and_the_first_session():
    asked = NOW - dt.timedelta(hours=100)
    records = [
        RequestRecord(id=1, client_name="A", requested_at=asked, wait_seconds=60 * HOUR,
                      consultation_wait_seconds=5 * HOUR),  # a call first: contact in 5 h, session in 60 h
        RequestRecord(id=2, client_name="B", requested_at=asked, wait_seconds=10 * HOUR),  # a session only
        RequestRecord(id=3, client_name="C", requested_at=asked, consultation_wait_seconds=20 * HOUR),  # a call only
        RequestRecord(id=4, client_name="D", requested_at=asked),  # nothing yet
    ]
    figures = clock_figures(records, now=NOW)
    assert (figures.requests, figures.answered, figures.within_promise) == (4, 2, 1)
    assert (figures.contacted, figures.contact_within_promise) == (3, 3)
    assert figures.median_wait_hours == pytest.approx(35.0)
    assert figures.median_contact_hours == pytest.approx(10.0)
    assert figures.p90_contact_hours == pytest.approx(20.0)
    assert figures.contact_share_within == pytest.approx(3 / 4)
    # Someone with only a call booked is still waiting for a first session.
    assert [r.id for r in figures.open_requests] == [3, 4]


@pytest.mark.django_db
def test_the_clock_page_shows_time_to_first_contact_and_to_first_session(client):
    provider = weekday_provider(offers_consultations=True, consultation_formats=["phone"])
    now = timezone.now()
    called = ClientFactory(first_name="Called", last_name="Example")
    asked = now - dt.timedelta(hours=30)
    CareRequest.objects.create(client=called, requested_at=asked)
    call_start = asked + dt.timedelta(hours=4)
    Appointment.objects.create(provider=provider, client=called, start=call_start, end=call_start + CONSULTATION,
                               kind="consultation", format="phone", status=Status.BOOKED,
                               booked_at=asked + dt.timedelta(hours=1))
    seen = ClientFactory(first_name="Seen", last_name="Example")
    request = CareRequest.objects.create(client=seen, requested_at=asked)
    start = asked + dt.timedelta(hours=20)
    session = Appointment.objects.create(provider=provider, client=seen, start=start, end=start + SESSION,
                                         format="telehealth", status=Status.BOOKED, booked_at=asked)
    request.first_appointment, request.first_start, request.wait_seconds = session, start, 20 * HOUR
    request.save()

    client.force_login(UserFactory(role=Role.COORDINATOR))
    page = client.get("/staff/clock/").content.decode()
    assert "<dt>First session within 48 hours</dt>" in page and "1 of 2 (50%)" in page
    assert "<dt>First contact within 48 hours</dt>" in page and "2 of 2 (100%)" in page
    contact = page[page.index("<dt>Median time to first contact</dt>"):]
    assert "12.0 hours" in contact.split("</div>")[0]  # the median of 4 and 20 hours
    # The person with only a call is still waiting for a first session.
    open_table = page[page.index('<table class="clock-open">'):page.index("</table>")]
    assert "Called" in open_table and "Seen" not in open_table

"""The coordinators' waitlist page: who waits and for what, and placing them from the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from carematch.access.models import AccessEvent
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.matching.engine.types import MatchRequest
from carematch.matching.models import WaitlistEntry
from carematch.matching.services import waitlist_join
from carematch.measures.tests.factories import coordinator, run_due_tasks
from carematch.scheduling.tests.factories import ClientFactory

# An ordinary Monday morning in Denver, so that the next 48 hours hold openings.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(dt.datetime(2027, 1, 4, 14, tzinfo=dt.UTC), tick=True)]


def waiting_client(first: str, last: str, concerns: tuple[str, ...] = ("anxiety",), **asked: object) -> WaitlistEntry:
    client = ClientFactory(first_name=first, last_name=last)
    request = MatchRequest(state="CO", age=35, concerns=concerns, earliest=timezone.now(), format="telehealth",
                           client_timezone="America/Denver", **asked)  # type: ignore[arg-type]
    return waitlist_join(client=client, request=request, now=timezone.now() - dt.timedelta(hours=40))


def test_a_coordinator_sees_who_waits_and_what_they_asked_for_and_each_view_is_logged(client):
    entry = waiting_client("Odalys", "Fernhill", concerns=("anxiety", "grief"), languages=("es",), self_pay_max=90)
    staff = coordinator()
    client.force_login(staff)
    page = client.get("/staff/waitlist/").content.decode()
    assert "Waiting (1)" in page and "Odalys Fernhill" in page and "Waiting 40 hours" in page
    assert "Colorado" in page and "online" in page and "Anxiety" in page and "Grief" in page
    assert "Spanish" in page and "themselves, up to $90 a session" in page
    event = AccessEvent.objects.get(resource_type="waitlist_entry")
    assert event.client_id == entry.client_id and event.actor_id == staff.pk
    assert "Waitlist" in client.get("/staff/").content.decode()


def test_placing_from_the_page_books_a_first_session_in_the_worker(client):
    p = ProviderFactory(concerns=["anxiety"], formats=["telehealth"], min_notice_hours=0, insurance=[])
    LicenseFactory(provider=p, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=p, weekday=day, start=dt.time(9), end=dt.time(12))
    entry = waiting_client("Tamsin", "Greyholt")
    client.force_login(coordinator())
    answer = client.post("/staff/waitlist/place/")
    assert answer.status_code == 302 and answer["Location"] == "/staff/waitlist/"
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistEntry.Status.WAITING  # nothing yet: queued
    run_due_tasks()
    placed = WaitlistEntry.objects.get(pk=entry.pk)
    assert placed.status == WaitlistEntry.Status.PLACED and placed.appointment.provider_id == p.pk
    page = client.get("/staff/waitlist/").content.decode()
    assert "Nobody is waiting." in page and "Tamsin Greyholt" in page and "first session" in page


def test_the_page_is_for_coordinators_only(client):
    waiting_client("Ilse", "Marrowby")
    client.force_login(ClientFactory().user)
    assert client.get("/staff/waitlist/").status_code == 403
    assert client.post("/staff/waitlist/place/").status_code == 403

"""The provider records once, after the start, whether the client came; a no-show brings the
client a kind note with a link to book again. The cancellation policy (notice, fees) comes
from the settings and is said the same way before booking, in the emails and when cancelling.
An in-person session's emails carry the address with a map link."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client as Browser

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, token_for
from carematch.lib.errors import Conflict, Forbidden
from carematch.scheduling import services
from carematch.scheduling.cancellation_policy import policy_sentences
from carematch.scheduling.emails import recipients, render_email
from carematch.scheduling.models import Status

from .test_emails import BOOKED_ON, MONDAY_9_DENVER, book, people, run_due_tasks

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(BOOKED_ON, tick=True)]


def at(moment: dt.datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def booked():
    provider, client = people()
    return book(provider, client)


def test_attendance_is_recorded_only_after_the_start_only_once_and_only_by_the_provider_or_staff(booked):
    provider_user, client_user = booked.provider.user, booked.client.user
    with pytest.raises(Conflict) as early:
        services.appointment_attendance_mark(appointment=booked, attended=True, by=provider_user,
                                             now=MONDAY_9_DENVER - dt.timedelta(seconds=1))
    assert early.value.fields == {"start": "not started yet"}
    with pytest.raises(Forbidden):
        services.appointment_attendance_mark(appointment=booked, attended=True, by=client_user, now=MONDAY_9_DENVER)
    other = UserFactory(role=Role.PROVIDER)
    with pytest.raises(Forbidden):
        services.appointment_attendance_mark(appointment=booked, attended=True, by=other, now=MONDAY_9_DENVER)

    marked = services.appointment_attendance_mark(appointment=booked, attended=True, by=provider_user,
                                                  now=MONDAY_9_DENVER)
    assert (marked.status, marked.attendance_marked_at) == (Status.COMPLETED, MONDAY_9_DENVER)
    with pytest.raises(Conflict):
        services.appointment_attendance_mark(appointment=booked, attended=False, by=provider_user,
                                             now=MONDAY_9_DENVER + dt.timedelta(hours=2))
    booked.refresh_from_db()
    assert booked.status == Status.COMPLETED


def test_after_a_no_show_the_client_gets_a_kind_note_with_a_link_to_book_again(
    booked, django_capture_on_commit_callbacks,
):
    mail.outbox.clear()
    after = MONDAY_9_DENVER + dt.timedelta(minutes=20)
    with at(after):
        api = Browser(HTTP_AUTHORIZATION=f"Bearer {token_for(booked.provider.user)}")
        url = f"/api/v1/appointments/{booked.pk}/attendance"
        with django_capture_on_commit_callbacks(execute=True):
            answer = api.post(url, {"attended": False}, content_type="application/json")
        assert answer.status_code == 200 and answer.json()["status"] == "no_show"
        run_due_tasks()
        again = api.post(url, {"attended": True}, content_type="application/json")
        assert again.status_code == 409 and again.json()["error"] == "conflict"
    notes = [m for m in mail.outbox if m.subject == "We missed you today"]
    assert len(notes) == 1 and notes[0].to == ["sam@example.test"]
    body = notes[0].body
    assert f"/book/{booked.provider_id}/" in body
    assert "that is all right" in body
    for blame in ("fail", "you missed", "failure"):
        assert blame not in body.lower()
    assert "fee" not in body  # no fee is set, so none is mentioned


def test_the_session_page_offers_attendance_to_the_provider_once_it_has_started(booked):
    browser = Browser()
    browser.force_login(booked.provider.user)
    with at(MONDAY_9_DENVER - dt.timedelta(minutes=1)):
        assert "Did the client come?" not in browser.get(f"/sessions/{booked.pk}/").content.decode()
    with at(MONDAY_9_DENVER + dt.timedelta(minutes=5)):
        assert "Did the client come?" in browser.get(f"/sessions/{booked.pk}/").content.decode()
        browser.post(f"/sessions/{booked.pk}/attendance/", {"attended": "1"})
        booked.refresh_from_db()
        assert booked.status == Status.COMPLETED
        assert "Did the client come?" not in browser.get(f"/sessions/{booked.pk}/").content.decode()


def test_the_policy_comes_from_the_settings(settings, booked):
    assert policy_sentences() == [
        "Please cancel or move a session at least 24 hours before it starts: doing it later counts as a late "
        "cancellation.", "There is no fee for a late cancellation.", "There is no fee for a missed session."]
    settings.CANCELLATION_NOTICE_HOURS, settings.LATE_CANCEL_FEE, settings.NO_SHOW_FEE = 48, 40, 75
    assert policy_sentences() == [
        "Please cancel or move a session at least 48 hours before it starts: doing it later counts as a late "
        "cancellation.", "A late cancellation carries a $40 fee.", "Missing a session without cancelling carries "
        "a $75 fee."]
    client_user = booked.client.user
    thirty_hours_before = MONDAY_9_DENVER - dt.timedelta(hours=30)
    assert services.counts_as_late(appointment=booked, by=client_user, now=thirty_hours_before)
    assert not services.counts_as_late(appointment=booked, by=client_user,
                                       now=MONDAY_9_DENVER - dt.timedelta(hours=48))
    # The confirmation email, the cancel page and the booking page say the same.
    client_recipient = next(r for r in recipients(booked) if r.role == "client")
    _, body = render_email(kind="booked", appointment=booked, recipient=client_recipient)
    assert "at least 48 hours before" in " ".join(body.split()) and "$40 fee" in body and "$75 fee" in body
    browser = Browser()
    browser.force_login(client_user)
    with at(thirty_hours_before):
        page = " ".join(browser.get(f"/sessions/{booked.pk}/cancel/").content.decode().split())
    assert "less than 48 hours before a session counts as a late cancellation" in page
    assert "This session is less than 48 hours away" in page and "$40 fee" in page
    start = MONDAY_9_DENVER + dt.timedelta(days=1)
    booking = " ".join(Browser().get(f"/book/{booked.provider_id}/?start={start.isoformat()}".replace("+", "%2B"))
                       .content.decode().split())
    assert "$40 fee" in booking and "$75 fee" in booking
    with at(thirty_hours_before):
        cancelled = services.appointment_cancel(appointment=booked, by=client_user)
    assert cancelled.late_cancellation


def test_an_in_person_reminder_has_the_address_and_a_map_link():
    provider, client = people(address="1600 Champa St", zip="80202")
    session = book(provider, client, fmt="in_person")
    client_recipient = next(r for r in recipients(session) if r.role == "client")
    _, body = render_email(kind="reminder", appointment=session, recipient=client_recipient)
    assert "Where: 1600 Champa St, 80202" in body
    assert "Map:   https://www.openstreetmap.org/search?query=1600+Champa+St%2C+80202" in body


def test_providers_see_late_cancellations_and_no_shows_and_coordinators_see_repeated_no_shows(
    booked, django_capture_on_commit_callbacks,
):
    provider, client = booked.provider, booked.client
    second = book(provider, client, start=MONDAY_9_DENVER + dt.timedelta(days=1))
    third = book(provider, client, start=MONDAY_9_DENVER + dt.timedelta(days=2))
    services.appointment_cancel(appointment=third, by=client.user, now=third.start - dt.timedelta(hours=2))
    coordinator = UserFactory(role=Role.COORDINATOR)
    staff = Browser()
    staff.force_login(coordinator)
    with at(MONDAY_9_DENVER + dt.timedelta(days=1, hours=2)):
        services.appointment_attendance_mark(appointment=booked, attended=False, by=provider.user)
        assert "Sam Quill: 2 missed" not in staff.get("/staff/clock/").content.decode()
        services.appointment_attendance_mark(appointment=second, attended=False, by=provider.user)
        clock_page = staff.get("/staff/clock/").content.decode()
        assert "Missed sessions" in clock_page and "Sam Quill: 2 missed" in clock_page
        browser = Browser()
        browser.force_login(provider.user)
        page = " ".join(browser.get(f"/caseload/{client.pk}/").content.decode().split())
        assert "Sessions with you: 1 late cancellation, 2 no-shows." in page
        client_browser = Browser()
        client_browser.force_login(client.user)
        assert "no-show" not in client_browser.get("/progress/").content.decode()
    # After 90 days the misses are no longer "repeated".
    with at(MONDAY_9_DENVER + dt.timedelta(days=91)):
        assert "Sam Quill: 2 missed" not in staff.get("/staff/clock/").content.decode()

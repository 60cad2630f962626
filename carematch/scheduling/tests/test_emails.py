"""Emails about appointments: each party gets their own, in their own time zone, through
the task queue, and only once the booking has committed."""

from __future__ import annotations

import datetime as dt
import signal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.lib.timezones import zone
from carematch.scheduling import calendar, services
from carematch.scheduling.emails import CRISIS_LINE
from carematch.scheduling.models import Appointment, Status

from .factories import ClientFactory, weekday_provider

UTC = dt.UTC
# Booked on a Wednesday in standard time for the Monday after the clocks went forward
# (14 March 2027 in the United States).
BOOKED_ON = dt.datetime(2027, 3, 10, 17, 0, tzinfo=UTC)
MONDAY_9_DENVER = dt.datetime(2027, 3, 15, 15, 0, tzinfo=UTC)  # 9:00 MDT, 11:00 EDT
MONDAY_10_DENVER = MONDAY_9_DENVER + dt.timedelta(hours=1)

# The clock starts at the booking, whatever today's date: the worker sends an email only
# for a session still ahead.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(BOOKED_ON, tick=True)]


def run_due_tasks() -> list[DBTaskResult]:
    """Work the database queue as `carematch db_worker` does (its own Worker.run_task),
    inside this test's transaction; every task must succeed."""
    worker = Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    )
    ran = []
    while (result := DBTaskResult.objects.ready().filter(backend_name="default").first()) is not None:
        result.claim(worker.worker_id)
        worker.run_task(result)
        result.refresh_from_db()
        assert result.status == "SUCCESSFUL", result.traceback
        ran.append(result)
    return ran


def people(provider_zone: str = "America/Denver", client_zone: str = "America/New_York", **provider_fields):
    provider = weekday_provider(
        first_name="Robin", last_name="Birch", timezone=provider_zone,
        user=UserFactory(role=Role.PROVIDER, email="robin@example.test"), **provider_fields,
    )
    client = ClientFactory(
        first_name="Sam", last_name="Quill", state="NY", zip="10001", timezone=client_zone,
        user=UserFactory(role=Role.CLIENT, email="sam@example.test"),
    )
    return provider, client


def book(provider, client, start=MONDAY_9_DENVER, fmt="telehealth", now=BOOKED_ON) -> Appointment:
    return services.appointment_book(provider=provider, client=client, start=start, format=fmt, by=client.user,
                                     now=now)


def by_recipient() -> dict[str, mail.EmailMessage]:
    sent = {message.to[0]: message for message in mail.outbox}
    assert len(sent) == len(mail.outbox), [m.to for m in mail.outbox]
    return sent


def the_event(message: mail.EmailMessage):
    (name, content, mimetype), = message.attachments
    assert name.endswith(".ics") and mimetype == "text/calendar"
    events = Calendar.from_ical(content).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_booking_emails_client_and_provider_each_a_confirmation_with_the_session_attached(
    django_capture_on_commit_callbacks,
):
    provider, client = people()
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(provider, client)
    assert mail.outbox == []  # nothing is sent in the request: the worker sends it
    run_due_tasks()
    sent = by_recipient()
    assert set(sent) == {"sam@example.test", "robin@example.test"}

    to_client, to_provider = sent["sam@example.test"], sent["robin@example.test"]
    assert to_client.subject == "Your session is booked"
    assert "Your session with Robin Birch, LPC is booked." in to_client.body
    assert "Mon 15 Mar, 11:00 AM EDT" in to_client.body
    assert to_provider.subject == "New session booked"
    assert "Mon 15 Mar, 9:00 AM MDT" in to_provider.body
    for message in (to_client, to_provider):
        assert message.body.rstrip().endswith(CRISIS_LINE)
        # No video service in these settings, nor the provider's own link: no made-up link.
        assert "https://" not in message.body.split("Join:")[1].splitlines()[0]
        assert ".invalid" not in message.body
        assert "http://127.0.0.1:8000/accounts/" in message.body  # how to cancel or move it
        event = the_event(message)
        assert str(event["UID"]) == calendar.appointment_uid(appointment)
        assert event["DTSTART"].dt == MONDAY_9_DENVER
        assert str(event["STATUS"]) == "CONFIRMED"
    # The provider's email and calendar name no client; the client's name their provider.
    assert "Sam" not in to_provider.body and "Quill" not in to_provider.body and "sam@" not in to_provider.body
    assert "Quill" not in str(the_event(to_provider)["SUMMARY"])
    assert "Robin Birch" in str(the_event(to_client)["SUMMARY"])


def test_each_party_sees_their_own_wall_clock_across_the_daylight_saving_change(django_capture_on_commit_callbacks):
    provider, client = people(provider_zone="America/Denver", client_zone="America/New_York")
    # Booked while both zones were on standard time, for a session after the change.
    for name in ("America/Denver", "America/New_York"):
        assert BOOKED_ON.astimezone(zone(name)).dst() == dt.timedelta(0)
        assert MONDAY_9_DENVER.astimezone(zone(name)).dst() == dt.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        book(provider, client)
    run_due_tasks()
    sent = by_recipient()

    to_client = sent["sam@example.test"]
    assert "Mon 15 Mar, 11:00 AM EDT" in to_client.body
    start = the_event(to_client)["DTSTART"]
    assert start.params["TZID"] == "America/New_York"
    assert (start.dt.hour, start.dt.minute, start.dt.tzname()) == (11, 0, "EDT")

    to_provider = sent["robin@example.test"]
    assert "Mon 15 Mar, 9:00 AM MDT" in to_provider.body
    start = the_event(to_provider)["DTSTART"]
    assert start.params["TZID"] == "America/Denver"
    assert (start.dt.hour, start.dt.minute, start.dt.tzname()) == (9, 0, "MDT")

    for message in (to_client, to_provider):
        zones = [str(z["TZID"]) for z in Calendar.from_ical(message.attachments[0][1]).walk("VTIMEZONE")]
        assert zones == [the_event(message)["DTSTART"].params["TZID"]]


def test_moving_a_session_sends_the_new_and_old_times_and_keeps_the_calendar_uid(django_capture_on_commit_callbacks):
    provider, client = people()
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(provider, client)
    run_due_tasks()
    first_uid = str(the_event(by_recipient()["sam@example.test"])["UID"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_reschedule(appointment=appointment, start=MONDAY_10_DENVER, by=client.user, now=BOOKED_ON)
    run_due_tasks()
    sent = by_recipient()
    assert set(sent) == {"sam@example.test", "robin@example.test"}
    to_client = sent["sam@example.test"]
    assert to_client.subject == "Your session has a new time"
    assert "When:  Mon 15 Mar, 12:00 PM EDT" in to_client.body
    assert "It was Mon 15 Mar, 11:00 AM EDT." in to_client.body
    assert "When:  Mon 15 Mar, 10:00 AM MDT" in sent["robin@example.test"].body
    event = the_event(to_client)
    assert str(event["UID"]) == first_uid
    assert event["DTSTART"].dt == MONDAY_10_DENVER
    assert int(event["SEQUENCE"]) > 0
    assert to_client.body.rstrip().endswith(CRISIS_LINE)


def test_cancelling_sends_each_party_a_notice_saying_who_cancelled(django_capture_on_commit_callbacks):
    provider, client = people()
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(provider, client)
    run_due_tasks()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(appointment=appointment, by=provider.user, now=BOOKED_ON)
    run_due_tasks()
    sent = by_recipient()
    to_client, to_provider = sent["sam@example.test"], sent["robin@example.test"]
    assert to_client.subject == "Your session is cancelled"
    assert ("Your provider cancelled your session with Robin Birch, LPC on Mon 15 Mar, 11:00 AM EDT."
            in to_client.body)
    assert "You cancelled a session booked with you on Mon 15 Mar, 9:00 AM MDT." in to_provider.body
    for message in (to_client, to_provider):
        assert message.attachments == []
        assert message.body.rstrip().endswith(CRISIS_LINE)


def test_an_in_person_session_gives_the_address_and_an_online_one_the_join_page(
    django_capture_on_commit_callbacks,
):
    provider, client = people(address="17 Quiet Lane, Denver")
    with django_capture_on_commit_callbacks(execute=True):
        book(provider, client, fmt="in_person")
    run_due_tasks()
    to_client = by_recipient()["sam@example.test"]
    assert "Where: 17 Quiet Lane, Denver, 80202" in to_client.body
    assert "Join:" not in to_client.body
    assert str(the_event(to_client)["LOCATION"]) == "17 Quiet Lane, Denver, 80202"
    mail.outbox.clear()

    with override_settings(JITSI_DOMAIN="meet.example.org", JITSI_APP_ID="carematch", JITSI_APP_SECRET="s" * 32):
        with django_capture_on_commit_callbacks(execute=True):
            online = book(provider, client, start=MONDAY_10_DENVER)
        run_due_tasks()
    to_client = by_recipient()["sam@example.test"]
    assert f"Join:  http://127.0.0.1:8000/sessions/{online.pk}/join/" in to_client.body
    assert "send you a link" not in to_client.body


def test_a_booking_that_is_cancelled_before_the_worker_runs_gets_only_the_cancellation(
    django_capture_on_commit_callbacks,
):
    provider, client = people()
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(provider, client)
        services.appointment_cancel(appointment=appointment, by=client.user, now=BOOKED_ON)
    run_due_tasks()
    assert sorted(m.subject for m in mail.outbox) == ["A session is cancelled", "Your session is cancelled"]
    assert "You cancelled" in by_recipient()["sam@example.test"].body


def test_releasing_a_hold_sends_nothing(django_capture_on_commit_callbacks):
    provider, client = people()
    with django_capture_on_commit_callbacks(execute=True):
        hold = services.hold_place(provider=provider, client=client, start=MONDAY_9_DENVER, format="telehealth",
                                   by=client.user, now=BOOKED_ON)
        services.appointment_cancel(appointment=hold, by=client.user, now=BOOKED_ON)
    run_due_tasks()
    assert mail.outbox == []


def test_with_a_task_backend_that_cannot_wait_the_confirmation_still_goes_and_booking_succeeds(
    django_capture_on_commit_callbacks,
):
    provider, client = people()
    immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with override_settings(TASKS=immediate), django_capture_on_commit_callbacks(execute=True):
        appointment = book(provider, client)
    assert Appointment.objects.get(pk=appointment.pk).status == Status.BOOKED
    assert sorted(m.subject for m in mail.outbox) == ["New session booked", "Your session is booked"]


# --- Through the real queue and worker, with real commits --------------------------------------


@pytest.fixture
def keep_signal_handlers():
    """The worker installs its own SIGINT/SIGTERM handlers; put the test run's back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def work_the_queue_once() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--verbosity", "0")


@pytest.mark.django_db(transaction=True)
def test_a_committed_booking_is_queued_in_the_database_and_sent_by_a_worker_run(keep_signal_handlers):
    provider, client = people()
    appointment = book(provider, client)
    queued = {r.task_path: r for r in DBTaskResult.objects.all()}
    assert set(queued) == {
        "carematch.scheduling.tasks.send_appointment_email", "carematch.scheduling.tasks.send_appointment_reminder",
    }
    assert queued["carematch.scheduling.tasks.send_appointment_reminder"].run_after == (
        MONDAY_9_DENVER - dt.timedelta(hours=24)
    )
    assert mail.outbox == []

    work_the_queue_once()
    assert sorted(m.subject for m in mail.outbox) == ["New session booked", "Your session is booked"]
    assert "Mon 15 Mar, 11:00 AM EDT" in by_recipient()["sam@example.test"].body
    reminder = DBTaskResult.objects.get(task_path="carematch.scheduling.tasks.send_appointment_reminder")
    assert reminder.status == "READY"  # not due until 24 hours before the session
    assert Appointment.objects.get(pk=appointment.pk).reminder_sent_at is None

    work_the_queue_once()
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_nothing_is_queued_or_sent_when_the_booking_transaction_rolls_back(keep_signal_handlers):
    provider, client = people()

    class ChangedMind(Exception):
        pass

    with pytest.raises(ChangedMind), transaction.atomic():
        book(provider, client)
        raise ChangedMind
    assert not Appointment.objects.exists()
    assert not DBTaskResult.objects.exists()
    work_the_queue_once()
    assert mail.outbox == []

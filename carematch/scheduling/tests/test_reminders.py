"""The reminder 24 hours before a session: queued with the booking, sent once by the
worker when due, never for a cancelled session, and following a session that moves.

Time moves forward in these tests the way it does for the worker: the clock is held at the
moment in question (time-machine)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django_tasks_db.models import DBTaskResult

from carematch.scheduling import services
from carematch.scheduling.emails import CRISIS_LINE
from carematch.scheduling.models import Appointment
from carematch.scheduling.tasks import send_appointment_reminder

from .test_emails import BOOKED_ON, MONDAY_9_DENVER, book, by_recipient, people, run_due_tasks

# The clock starts at the booking, whatever today's date; tests move it with `at`.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(BOOKED_ON, tick=True)]

REMINDER_TASK = "carematch.scheduling.tasks.send_appointment_reminder"
DAY = dt.timedelta(hours=24)


def at(moment: dt.datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def reminders_sent() -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.subject.startswith("Reminder")]


@pytest.fixture
def booked(django_capture_on_commit_callbacks):
    provider, client = people()
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(provider, client)
    run_due_tasks()  # the confirmations
    mail.outbox.clear()
    return appointment


def test_the_reminder_is_sent_once_24_hours_before_the_session(booked):
    reminder = DBTaskResult.objects.get(task_path=REMINDER_TASK)
    assert reminder.run_after == MONDAY_9_DENVER - DAY

    with at(MONDAY_9_DENVER - DAY - dt.timedelta(minutes=1)):
        run_due_tasks()
    assert mail.outbox == []

    with at(MONDAY_9_DENVER - DAY):
        assert len(run_due_tasks()) == 1
    sent = by_recipient()
    assert set(sent) == {"sam@example.test", "robin@example.test"}
    assert sent["sam@example.test"].subject == "Reminder: your session is coming up"
    assert "When:  Monday, March 15, 2027 at 11:00 AM EDT" in sent["sam@example.test"].body
    assert "When:  Monday, March 15, 2027 at 9:00 AM MDT" in sent["robin@example.test"].body
    assert all(m.body.rstrip().endswith(CRISIS_LINE) for m in mail.outbox)
    assert Appointment.objects.get(pk=booked.pk).reminder_sent_at == MONDAY_9_DENVER - DAY

    # The same reminder run again (a duplicate task, a retry) sends nothing more.
    with at(MONDAY_9_DENVER - dt.timedelta(hours=3)):
        assert send_appointment_reminder.call(appointment_id=booked.pk, start=booked.start.isoformat()) is False
        run_due_tasks()
    assert len(mail.outbox) == 2


def test_a_cancelled_session_gets_no_reminder(booked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(appointment=booked, by=booked.client.user, now=BOOKED_ON)
    with at(MONDAY_9_DENVER - dt.timedelta(hours=2)):
        run_due_tasks()
    assert sorted(m.subject for m in mail.outbox) == ["A session is cancelled", "Your session is cancelled"]
    assert reminders_sent() == []
    assert Appointment.objects.get(pk=booked.pk).reminder_sent_at is None


def test_a_moved_session_is_reminded_24_hours_before_its_new_time_only(booked, django_capture_on_commit_callbacks):
    tuesday = MONDAY_9_DENVER + DAY
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_reschedule(appointment=booked, start=tuesday, by=booked.client.user, now=BOOKED_ON)
    run_due_tasks()  # the new-time emails
    mail.outbox.clear()
    assert sorted(r.run_after for r in DBTaskResult.objects.filter(task_path=REMINDER_TASK)) == [
        MONDAY_9_DENVER - DAY, tuesday - DAY,
    ]

    with at(MONDAY_9_DENVER - DAY):  # when the old time's reminder falls due
        run_due_tasks()
    assert reminders_sent() == []

    with at(tuesday - DAY):
        run_due_tasks()
    sent = by_recipient()
    assert len(reminders_sent()) == 2
    assert "When:  Tuesday, March 16, 2027 at 11:00 AM EDT" in sent["sam@example.test"].body
    assert "Monday" not in sent["sam@example.test"].body
    assert Appointment.objects.get(pk=booked.pk).reminder_sent_at == tuesday - DAY


def test_a_session_booked_less_than_24_hours_ahead_is_reminded_at_once(django_capture_on_commit_callbacks):
    provider, client = people()
    five_hours_before = MONDAY_9_DENVER - dt.timedelta(hours=5)
    with at(five_hours_before):
        with django_capture_on_commit_callbacks(execute=True):
            book(provider, client, now=five_hours_before)
        run_due_tasks()
    assert sorted(m.subject for m in mail.outbox) == [
        "New session booked", "Reminder: a session is coming up", "Reminder: your session is coming up",
        "Your session is booked",
    ]


def test_a_reminder_that_fails_to_send_is_not_recorded_and_can_be_sent_again(booked):
    start = booked.start.isoformat()
    with at(MONDAY_9_DENVER - DAY), mock.patch(
        "carematch.scheduling.emails.get_connection", side_effect=ConnectionRefusedError("mail server down")
    ), pytest.raises(ConnectionRefusedError):
        send_appointment_reminder.call(appointment_id=booked.pk, start=start)
    assert Appointment.objects.get(pk=booked.pk).reminder_sent_at is None
    assert mail.outbox == []

    with at(MONDAY_9_DENVER - DAY + dt.timedelta(minutes=10)):
        assert send_appointment_reminder.call(appointment_id=booked.pk, start=start) is True
    assert len(reminders_sent()) == 2


def test_no_reminder_once_the_session_has_begun(booked):
    with at(MONDAY_9_DENVER + dt.timedelta(minutes=1)):
        run_due_tasks()
    assert mail.outbox == []
    assert Appointment.objects.get(pk=booked.pk).reminder_sent_at is None

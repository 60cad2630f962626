"""The reminders 24 hours and an hour before a session (only the hour before for one booked
sooner, none when too late even for that): queued with the booking, promised in the confirmation only as it is,
sent once by the worker when due, never for a cancelled session, following a session that
moves.

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
from carematch.scheduling.reminders import REMINDER_MARGIN, reminder_due, reminder_promise, reminders_due
from carematch.scheduling.tasks import send_appointment_reminder

from .test_emails import BOOKED_ON, MONDAY_9_DENVER, book, by_recipient, people, run_due_tasks

# The clock starts at the booking, whatever today's date; tests move it with `at`.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(BOOKED_ON, tick=True)]

REMINDER_TASK = "carematch.scheduling.tasks.send_appointment_reminder"
DAY = dt.timedelta(hours=24)
HOUR = dt.timedelta(hours=1)


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
    assert "When:  Mon 15 Mar, 11:00 AM EDT" in sent["sam@example.test"].body
    assert "When:  Mon 15 Mar, 9:00 AM MDT" in sent["robin@example.test"].body
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
    assert "When:  Tue 16 Mar, 11:00 AM EDT" in sent["sam@example.test"].body
    assert "Monday" not in sent["sam@example.test"].body
    assert Appointment.objects.get(pk=booked.pk).reminder_sent_at == tuesday - DAY


def _book_at(moment: dt.datetime, django_capture_on_commit_callbacks, **provider_fields) -> Appointment:
    provider, client = people(min_notice_hours=0, **provider_fields)
    with at(moment):
        with django_capture_on_commit_callbacks(execute=True):
            appointment = book(provider, client, now=moment)
        run_due_tasks()
    return appointment


def test_a_session_booked_less_than_24_hours_ahead_is_reminded_an_hour_before_and_the_confirmation_says_so(
    django_capture_on_commit_callbacks,
):
    five_hours_before = MONDAY_9_DENVER - dt.timedelta(hours=5)
    appointment = _book_at(five_hours_before, django_capture_on_commit_callbacks)
    assert sorted(m.subject for m in mail.outbox) == ["New session booked", "Your session is booked"]
    confirmation = by_recipient()["sam@example.test"].body
    assert "We will remind you an hour before." in confirmation
    assert "the day before" not in confirmation
    assert DBTaskResult.objects.get(task_path=REMINDER_TASK).run_after == MONDAY_9_DENVER - HOUR
    assert Appointment.objects.get(pk=appointment.pk).reminder_due_at == MONDAY_9_DENVER - HOUR
    mail.outbox.clear()

    with at(MONDAY_9_DENVER - HOUR - dt.timedelta(minutes=1)):
        run_due_tasks()
    assert reminders_sent() == []
    with at(MONDAY_9_DENVER - HOUR):
        run_due_tasks()
    assert len(reminders_sent()) == 2


def test_the_day_before_and_the_hour_before_are_promised_when_both_are_ahead(django_capture_on_commit_callbacks):
    _book_at(BOOKED_ON, django_capture_on_commit_callbacks)
    confirmation = by_recipient()["sam@example.test"].body
    assert "We will remind you the day before and an hour before." in confirmation
    assert DBTaskResult.objects.get(task_path=REMINDER_TASK).run_after == MONDAY_9_DENVER - DAY


def test_a_session_booked_too_close_for_a_reminder_gets_none_and_the_confirmation_promises_none(
    django_capture_on_commit_callbacks,
):
    appointment = _book_at(MONDAY_9_DENVER - HOUR - REMINDER_MARGIN + dt.timedelta(seconds=1),
                           django_capture_on_commit_callbacks)
    confirmation = by_recipient()["sam@example.test"].body
    assert "remind" not in confirmation.lower()
    assert not DBTaskResult.objects.filter(task_path=REMINDER_TASK).exists()
    assert Appointment.objects.get(pk=appointment.pk).reminder_due_at is None
    mail.outbox.clear()
    with at(MONDAY_9_DENVER - dt.timedelta(minutes=1)):
        run_due_tasks()
    assert reminders_sent() == []


@pytest.mark.parametrize(("ahead", "due_before", "promise"), [
    (DAY + REMINDER_MARGIN, DAY, "We will remind you the day before and an hour before."),
    (DAY + REMINDER_MARGIN - dt.timedelta(seconds=1), HOUR, "We will remind you an hour before."),
    (HOUR + REMINDER_MARGIN, HOUR, "We will remind you an hour before."),
    (HOUR + REMINDER_MARGIN - dt.timedelta(seconds=1), None, ""),
    (dt.timedelta(minutes=30), None, ""),
])
def test_the_reminder_rule_at_its_boundaries(ahead, due_before, promise):
    start = MONDAY_9_DENVER
    due = reminder_due(start=start, now=start - ahead)
    assert due == (None if due_before is None else start - due_before)
    assert reminder_promise(start=start, due=due) == promise


def test_a_session_moved_to_within_a_day_is_reminded_an_hour_before_its_new_time(
    booked, django_capture_on_commit_callbacks,
):
    moved_at = MONDAY_9_DENVER - dt.timedelta(hours=3)
    new_start = MONDAY_9_DENVER + HOUR
    with at(moved_at), django_capture_on_commit_callbacks(execute=True):
        services.appointment_reschedule(appointment=booked, start=new_start, by=booked.client.user, now=moved_at)
    with at(moved_at):
        run_due_tasks()
    new_time = by_recipient()["sam@example.test"].body
    assert "We will remind you an hour before." in new_time
    assert Appointment.objects.get(pk=booked.pk).reminder_due_at == new_start - HOUR


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


def test_both_reminders_are_sent_each_once_at_24_hours_and_at_an_hour_before(booked):
    with at(MONDAY_9_DENVER - DAY):
        run_due_tasks()
    assert len(reminders_sent()) == 2
    row = Appointment.objects.get(pk=booked.pk)
    assert (row.reminder_sent_at, row.reminder_due_at) == (MONDAY_9_DENVER - DAY, MONDAY_9_DENVER - HOUR)
    # The hour-before reminder was queued by the first, for its own moment.
    assert DBTaskResult.objects.filter(task_path=REMINDER_TASK, run_after=MONDAY_9_DENVER - HOUR).count() == 1
    with at(MONDAY_9_DENVER - HOUR - dt.timedelta(seconds=1)):
        run_due_tasks()
    assert len(reminders_sent()) == 2
    with at(MONDAY_9_DENVER - HOUR):
        run_due_tasks()
    assert len(reminders_sent()) == 4
    row = Appointment.objects.get(pk=booked.pk)
    assert (row.reminder_sent_at, row.reminder_due_at) == (MONDAY_9_DENVER - HOUR, None)
    # Nothing more, however often the worker looks.
    with at(MONDAY_9_DENVER - dt.timedelta(minutes=1)):
        run_due_tasks()
        for due in (MONDAY_9_DENVER - DAY, MONDAY_9_DENVER - HOUR):
            assert send_appointment_reminder.call(appointment_id=booked.pk, start=booked.start.isoformat(),
                                                  due=due.isoformat()) is False
    assert len(reminders_sent()) == 4


def test_a_session_cancelled_after_the_first_reminder_gets_no_second(booked, django_capture_on_commit_callbacks):
    with at(MONDAY_9_DENVER - DAY):
        run_due_tasks()
    with at(MONDAY_9_DENVER - dt.timedelta(hours=5)), django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(appointment=booked, by=booked.client.user)
    mail.outbox.clear()
    with at(MONDAY_9_DENVER - HOUR):
        run_due_tasks()
    assert reminders_sent() == []


@pytest.mark.parametrize(("hours", "ahead", "due_before", "promise"), [
    ((48, 2), dt.timedelta(hours=48) + REMINDER_MARGIN, [48, 2],
     "We will remind you 48 hours before and 2 hours before."),
    ((48, 2), dt.timedelta(hours=48) + REMINDER_MARGIN - dt.timedelta(seconds=1), [2],
     "We will remind you 2 hours before."),
    ((24, 1), DAY + REMINDER_MARGIN - dt.timedelta(seconds=1), [1], "We will remind you an hour before."),
    ((24,), DAY + REMINDER_MARGIN - dt.timedelta(seconds=1), [], ""),
])
def test_the_reminder_hours_come_from_the_setting(settings, hours, ahead, due_before, promise):
    settings.REMINDER_HOURS = hours
    start = MONDAY_9_DENVER
    planned = reminders_due(start=start, now=start - ahead)
    assert planned == [start - dt.timedelta(hours=h) for h in due_before]
    assert reminder_promise(start=start, due=planned[0] if planned else None) == promise

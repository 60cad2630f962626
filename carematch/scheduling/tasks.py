"""Background work for scheduling, run by `carematch db_worker`. Tasks only call services."""

from __future__ import annotations

from django_tasks import task

from . import notifications


@task()
def send_appointment_email(*, event: str, appointment_id: int, start: str | None = None) -> bool:
    """The emails to client and provider about a booking, cancellation or new time."""
    return notifications.appointment_notice_send(event=event, appointment_id=appointment_id, start=start)


@task()
def send_appointment_reminder(*, appointment_id: int, start: str) -> bool:
    """The reminder 24 hours before a session that is still booked at `start`."""
    return notifications.appointment_reminder_send(appointment_id=appointment_id, start=start)

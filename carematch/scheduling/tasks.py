"""Background work for scheduling, run by `carematch db_worker`. Tasks only call services."""

from __future__ import annotations

from django_tasks import task

from . import notifications


@task()
def send_appointment_email(*, event: str, appointment_id: int, start: str | None = None) -> bool:
    """The emails to client and provider about a booking, cancellation or new time."""
    return notifications.appointment_notice_send(event=event, appointment_id=appointment_id, start=start)


@task()
def send_appointment_reminder(*, appointment_id: int, start: str, due: str | None = None) -> bool:
    """The reminder due at `due` (24 hours, or an hour, before) of a session still booked at `start`."""
    return notifications.appointment_reminder_send(appointment_id=appointment_id, start=start, due=due)


@task()
def send_crisis_request_notice(*, crisis_request_id: int) -> int:
    """Tell every coordinator that a person asked to be contacted (no name, number or message)."""
    return notifications.crisis_notice_send(crisis_request_id=crisis_request_id)


@task()
def escalate_crisis_request(*, crisis_request_id: int) -> int:
    """CAREMATCH_CRISIS_ESCALATE_MINUTES after arrival: if nobody has tried to reach the
    person yet, tell every coordinator and admin again."""
    return notifications.crisis_escalation_send(crisis_request_id=crisis_request_id)


@task()
def send_no_show_note(*, appointment_id: int) -> bool:
    """The kind note to a client who missed a session, with a link to book again."""
    return notifications.no_show_note_send(appointment_id=appointment_id)


@task()
def send_series_email(*, series_id: int) -> int:
    """The email to client and provider about a series booked: its sessions and the dates skipped."""
    return notifications.series_notice_send(series_id=series_id)

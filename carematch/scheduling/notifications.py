"""What happens after a booking changes: emails and calendar files (see tasks.py)."""

from __future__ import annotations


def appointment_event(*, event: str, appointment_id: int) -> None:
    """Called after commit for booked, cancelled and rescheduled appointments."""
    from .tasks import send_appointment_email

    send_appointment_email.enqueue(event=event, appointment_id=appointment_id)

"""Emails about appointments: confirmation, cancellation, reschedule."""

from __future__ import annotations

from django.core.mail import EmailMessage

from .models import Appointment


def appointment_email_send(*, event: str, appointment_id: int) -> None:
    appointment = Appointment.objects.select_related("provider", "client__user").filter(pk=appointment_id).first()
    if appointment is None:
        return
    subject = {
        "booked": "Your first session is booked",
        "cancelled": "Your session was cancelled",
        "rescheduled": "Your session has a new time",
    }.get(event, "About your session")
    EmailMessage(subject=subject, body=subject + ".", to=[appointment.client.user.email]).send()

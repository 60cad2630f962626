"""Background work for scheduling. Tasks only call services and renderers."""

from __future__ import annotations

from django_tasks import task


@task()
def send_appointment_email(*, event: str, appointment_id: int) -> None:
    from .emails import appointment_email_send

    appointment_email_send(event=event, appointment_id=appointment_id)

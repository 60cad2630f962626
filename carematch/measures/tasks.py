"""Background work for questionnaires and alerts, run by `carematch db_worker`. Tasks only
call services; they carry record ids and times, never answers or links."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from . import emails, services


@task()
def send_questionnaire_request(*, request_id: int) -> bool:
    """Email a questionnaire's private link to its client."""
    return services.questionnaire_request_email_send(request_id=request_id)


@task()
def send_questionnaire_reminder(*, request_id: int) -> bool:
    """Remind the client, once, of a questionnaire still not answered."""
    return services.questionnaire_reminder_send(request_id=request_id)


@task()
def send_alert_notice(*, alert_id: int) -> int:
    """Tell the provider and coordinators that an alert is waiting."""
    return emails.alert_notice_send(alert_id=alert_id)


@task()
def send_fortnightly_questionnaire(*, client_id: int, provider_id: int, due_at: str) -> bool:
    """The every-2-weeks questionnaire of one client with one provider, due at `due_at`."""
    request = services.fortnightly_questionnaire_send(
        client_id=client_id, provider_id=provider_id, due_at=dt.datetime.fromisoformat(due_at)
    )
    return request is not None

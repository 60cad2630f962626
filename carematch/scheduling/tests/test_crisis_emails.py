"""Nobody has to be looking at the queue: when a person asks to be contacted, every
coordinator is emailed at once through the task worker, and if nobody has recorded a try to
reach them after CAREMATCH_CRISIS_ESCALATE_MINUTES, every coordinator and admin is emailed
again. The emails name nobody: no name, number, state or message.

Time moves forward here the way it does for the worker: the clock it reads
(`django.utils.timezone.now`) is set to the moment in question."""

from __future__ import annotations

import datetime as dt
import logging
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.scheduling import services

from .test_emails import run_due_tasks

pytestmark = pytest.mark.django_db

ASKED_AT = dt.datetime(2027, 3, 10, 15, 0, tzinfo=dt.UTC)
NOTICE_TASK = "carematch.scheduling.tasks.send_crisis_request_notice"
ESCALATION_TASK = "carematch.scheduling.tasks.escalate_crisis_request"
NAME, PHONE, MESSAGE = "Ashworth Quinlan", "(303) 555-0142", "Please ring after the kids are asleep"


def at(moment: dt.datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def staff():
    return {
        "coordinators": [UserFactory(role=Role.COORDINATOR, email=f"coordinator{n}@example.test") for n in (1, 2)],
        "admin": UserFactory(role=Role.ADMIN, email="admin@example.test"),
        "inactive": UserFactory(role=Role.COORDINATOR, email="gone@example.test", is_active=False),
        "provider": UserFactory(role=Role.PROVIDER, email="provider@example.test"),
    }


def ask(django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        return services.crisis_request_create(**({
            "channel": "page", "name": NAME, "phone": PHONE, "state": "CO", "message": MESSAGE, "now": ASKED_AT,
        } | fields))


def assert_names_nobody(message: mail.EmailMessage) -> None:
    text = f"{message.subject}\n{message.body}".lower()
    for detail in (NAME, "Ashworth", PHONE, "303", "555-0142", "+13035550142", MESSAGE, "Colorado"):
        assert detail.lower() not in text, detail


def test_every_active_coordinator_is_emailed_at_once_through_the_worker(staff, django_capture_on_commit_callbacks):
    ask(django_capture_on_commit_callbacks)
    assert DBTaskResult.objects.filter(task_path=NOTICE_TASK).count() == 1
    assert mail.outbox == []  # queued, not sent from the web request

    with at(ASKED_AT + dt.timedelta(seconds=5)):
        run_due_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == ["coordinator1@example.test", "coordinator2@example.test"]
    for message in mail.outbox:
        assert message.subject == "A person asked to be contacted"
        assert "asked a coordinator to contact them" in message.body
        assert f"{settings.SITE_URL}/staff/crisis/" in message.body
        assert_names_nobody(message)


def test_nothing_is_queued_for_a_request_that_rolled_back(staff, django_capture_on_commit_callbacks):
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        from django.db import transaction

        with transaction.atomic():
            services.crisis_request_create(channel="api", name=NAME, phone=PHONE, state="CO")
            raise RuntimeError("something later in the same transaction failed")
    assert not DBTaskResult.objects.exists()


@override_settings(CRISIS_ESCALATE_MINUTES=20)
def test_with_no_attempt_after_the_configured_minutes_coordinators_and_admins_are_emailed_again(
        staff, django_capture_on_commit_callbacks):
    ask(django_capture_on_commit_callbacks)
    escalation = DBTaskResult.objects.get(task_path=ESCALATION_TASK)
    assert escalation.run_after == ASKED_AT + dt.timedelta(minutes=20)
    with at(ASKED_AT + dt.timedelta(minutes=19)):
        run_due_tasks()  # only the first notice is due
    mail.outbox.clear()

    with at(ASKED_AT + dt.timedelta(minutes=20)):
        assert len(run_due_tasks()) == 1
    assert sorted(m.to[0] for m in mail.outbox) == [
        "admin@example.test", "coordinator1@example.test", "coordinator2@example.test"]
    for message in mail.outbox:
        assert message.subject == "Still waiting: a person asked to be contacted 20 minutes ago"
        assert "nobody has recorded a try to reach them" in message.body
        assert_names_nobody(message)


def test_no_escalation_once_an_attempt_was_recorded_even_a_no_answer(staff, django_capture_on_commit_callbacks):
    request = ask(django_capture_on_commit_callbacks)
    with at(ASKED_AT + dt.timedelta(minutes=1)):
        run_due_tasks()
    services.crisis_attempt_record(crisis_request=request, outcome="no_answer", note="Rang, no answer",
                                   by=staff["coordinators"][0], now=ASKED_AT + dt.timedelta(minutes=6))
    mail.outbox.clear()
    with at(ASKED_AT + dt.timedelta(minutes=15)):
        run_due_tasks()
    assert mail.outbox == []
    request.refresh_from_db()
    assert request.escalated_at is None


def test_the_escalation_is_sent_once(staff, django_capture_on_commit_callbacks):
    from carematch.scheduling import notifications

    request = ask(django_capture_on_commit_callbacks)
    with at(ASKED_AT + dt.timedelta(minutes=15)):
        run_due_tasks()
        assert notifications.crisis_escalation_send(crisis_request_id=request.pk) == 0
    request.refresh_from_db()
    assert request.escalated_at == ASKED_AT + dt.timedelta(minutes=15)
    assert sum(m.subject.startswith("Still waiting") for m in mail.outbox) == 3


def test_with_no_coordinator_or_admin_account_a_warning_is_logged(django_capture_on_commit_callbacks, caplog):
    request = ask(django_capture_on_commit_callbacks)
    with caplog.at_level(logging.INFO, logger="carematch.scheduling"), at(ASKED_AT + dt.timedelta(minutes=15)):
        run_due_tasks()
    assert mail.outbox == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"crisis request {request.pk}: there is no coordinator account to email" in warnings
    assert any(f"crisis request {request.pk}: no attempt after 15 minutes and there is no coordinator" in w
               for w in warnings)


def test_the_log_names_the_request_by_id_only(staff, django_capture_on_commit_callbacks, caplog):
    with caplog.at_level(logging.DEBUG):
        request = ask(django_capture_on_commit_callbacks)
        with at(ASKED_AT + dt.timedelta(minutes=15)):
            run_due_tasks()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("carematch"))
    assert f"crisis request {request.pk}" in logged
    for detail in (NAME, "+13035550142", "555", MESSAGE, "coordinator1@example.test"):
        assert detail not in logged


def test_an_immediate_backend_sends_the_notice_and_says_it_cannot_escalate(staff, django_capture_on_commit_callbacks,
                                                                           caplog):
    immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with override_settings(TASKS=immediate), caplog.at_level(logging.WARNING):
        request = ask(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    assert f"the task backend cannot run tasks later: no escalation for crisis request {request.pk}" in caplog.text

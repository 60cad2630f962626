"""People and records the measures tests need: a client in a provider's care, a coordinator,
and questionnaires recorded through the service."""

from __future__ import annotations

import datetime as dt

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.tests.factories import ProviderFactory
from carematch.measures import services
from carematch.scheduling.models import Appointment, Format, Status
from carematch.scheduling.tests.factories import ClientFactory

__all__ = ["ClientFactory", "appointment", "coordinator", "gad7", "in_care", "phq9", "provider_user", "record"]

START = dt.datetime(2027, 1, 4, 16, tzinfo=dt.UTC)


def provider_user(**overrides):
    """A provider with a carematch account."""
    overrides.setdefault("user", UserFactory(role=Role.PROVIDER))
    return ProviderFactory(**overrides)


def coordinator(**overrides):
    return UserFactory(role=Role.COORDINATOR, **overrides)


def appointment(provider, client, *, start=START, status=Status.BOOKED):
    return Appointment.objects.create(
        provider=provider, client=client, start=start, end=start + dt.timedelta(minutes=50), format=Format.TELEHEALTH,
        status=status, booked_at=start - dt.timedelta(days=2),
    )


def in_care(**client_fields):
    """A client and their provider (with an account), linked by a booked session."""
    client = ClientFactory(**client_fields)
    provider = provider_user()
    appointment(provider, client)
    return client, provider


def phq9(total: int, *, item9: int = 0) -> list[int]:
    """PHQ-9 answers adding up to `total`, with item 9 as given."""
    answers = [0] * 9
    answers[8] = item9
    left = total - item9
    for index in range(8):
        answers[index] = min(3, left)
        left -= answers[index]
    assert left == 0 and sum(answers) == total
    return answers


def gad7(total: int) -> list[int]:
    answers = [min(3, max(0, total - 3 * i)) for i in range(7)]
    assert sum(answers) == total
    return answers


def record(client, instrument="phq9", answers=None, *, now=None, difficulty=None, by=None):
    """One questionnaire recorded through the service; the assessment."""
    answers = answers if answers is not None else (phq9(10) if instrument == "phq9" else gad7(8))
    recorded = services.assessments_record(
        client=client, responses=[services.Response(instrument, answers, difficulty)], by=by or client.user, now=now,
    )
    return recorded.assessments[0]


# --- The task queue, worked as `carematch db_worker` works it ------------------------------------


def run_due_tasks() -> list:
    """Run every task that is due (by `django.utils.timezone.now`, which tests may set), as the
    worker does, inside the test's transaction; every task must succeed. What a task queues
    once its writes commit is queued (and run, when due) too."""
    from django.test import TestCase
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    )
    ran = []
    while (result := DBTaskResult.objects.ready().filter(backend_name="default").first()) is not None:
        result.claim(worker.worker_id)
        with TestCase.captureOnCommitCallbacks(execute=True):
            worker.run_task(result)
        result.refresh_from_db()
        assert result.status == "SUCCESSFUL", result.traceback
        ran.append(result)
    return ran


def at(moment):
    """Set the clock that services, tasks and the queue read."""
    from unittest import mock

    return mock.patch("django.utils.timezone.now", return_value=moment)

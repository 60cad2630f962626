"""People and records the measures tests need: a client in a provider's care, a coordinator,
and questionnaires recorded through the service."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine

from carematch.accounts.models import Client, Role, User
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import Provider
from carematch.directory.tests.factories import ProviderFactory
from carematch.measures import services
from carematch.measures.models import Assessment
from carematch.scheduling.models import Appointment, Format, Status
from carematch.scheduling.tests.factories import ClientFactory

__all__ = ["ClientFactory", "appointment", "coordinator", "gad7", "in_care", "phq9", "provider_user", "record"]

START = dt.datetime(2027, 1, 4, 16, tzinfo=dt.UTC)


def provider_user(**overrides: Any) -> Provider:
    """A provider with a carematch account."""
    overrides.setdefault("user", UserFactory.create(role=Role.PROVIDER))
    return ProviderFactory.create(**overrides)


def coordinator(**overrides: Any) -> User:
    return UserFactory.create(role=Role.COORDINATOR, **overrides)


def appointment(provider: Provider, client: Client, *, start: dt.datetime = START,
                status: str = Status.BOOKED) -> Appointment:
    return Appointment.objects.create(
        provider=provider, client=client, start=start, end=start + dt.timedelta(minutes=50), format=Format.TELEHEALTH,
        status=status, booked_at=start - dt.timedelta(days=2),
    )


def in_care(**client_fields: Any) -> tuple[Client, Provider]:
    """A client and their provider (with an account), linked by a booked session."""
    client = ClientFactory.create(**client_fields)
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


def record(client: Client, instrument: str = "phq9", answers: list[int] | None = None, *,
           now: dt.datetime | None = None, difficulty: int | None = None, by: User | None = None) -> Assessment:
    """One questionnaire recorded through the service; the assessment."""
    answers = answers if answers is not None else (phq9(10) if instrument == "phq9" else gad7(8))
    recorded = services.assessments_record(
        client=client, responses=[services.Response(instrument, answers, difficulty)], by=by or client.user, now=now,
    )
    return recorded.assessments[0]


# --- The task queue, worked as `carematch db_worker` works it ------------------------------------


def run_due_tasks() -> list[Any]:
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


def at(moment: dt.datetime) -> time_machine.travel:
    """Hold the clock at `moment` inside a `with` block: what services, tasks, the queue and
    the live server read as now."""
    return time_machine.travel(moment, tick=False)

"""Booking a session checks the client's coverage in the task worker, when they gave some;
without coverage, or with checks off, booking goes on exactly as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from carematch.coverage import services as coverage
from carematch.coverage.models import CheckReason, CheckStatus, EligibilityCheck
from carematch.scheduling.models import Status
from carematch.scheduling.tests.test_emails import book, people

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
COVERAGE = {"payer": "aetna", "plan_id": "", "member_id": "W123456789", "subscriber_first_name": "Sam",
            "subscriber_last_name": "Quill", "subscriber_birth_date": "1985-03-02", "relationship": "self"}


def test_a_booking_sends_the_clients_coverage_to_the_payer(file_clearinghouse: tuple[Path, Path],
                                                           django_capture_on_commit_callbacks: Any) -> None:
    outbox, _ = file_clearinghouse
    provider, client = people()
    coverage.coverage_set(client=client, **COVERAGE)
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        appointment = book(provider, client)
    assert appointment.status == Status.BOOKED
    [check] = EligibilityCheck.objects.filter(client=client)
    assert (check.reason, check.appointment_id, check.status) == (CheckReason.BOOKING, appointment.pk,
                                                                  CheckStatus.RUNNING)
    assert [p.name for p in outbox.iterdir()] == [f"270_{check.pk:09d}.x12"]


def test_without_coverage_a_booking_asks_nothing(file_clearinghouse: tuple[Path, Path],
                                                 django_capture_on_commit_callbacks: Any) -> None:
    provider, client = people()
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        appointment = book(provider, client)
    assert appointment.status == Status.BOOKED
    assert not EligibilityCheck.objects.exists()

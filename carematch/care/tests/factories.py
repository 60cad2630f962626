"""People and records the care tests need: a client, their provider (linked by an
appointment), questionnaire scores, and goals and activities made through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from carematch.accounts.models import Client, Role, User
from carematch.accounts.tests.factories import UserFactory
from carematch.care import services
from carematch.care.models import Goal
from carematch.directory.models import Provider
from carematch.directory.tests.factories import ProviderFactory
from carematch.measures.models import Assessment
from carematch.measures.scoring import severity_for
from carematch.scheduling.models import WAS_BOOKED, Appointment, Format, Status
from carematch.scheduling.tests.factories import ClientFactory

__all__ = ["ClientFactory", "assessment", "goal", "provider_of", "provider_user", "self_rating_goal"]

NEXT_START = dt.datetime(2027, 1, 4, 16, tzinfo=dt.UTC)


def provider_user(**overrides: Any) -> Provider:
    """A provider with a carematch account."""
    return ProviderFactory.create(user=UserFactory.create(role=Role.PROVIDER), **overrides)


def appointment(provider: Provider, client: Client, *, status: str = Status.BOOKED,
                start: dt.datetime | None = None) -> Appointment:
    start = start or NEXT_START + dt.timedelta(hours=Appointment.objects.count())
    extra: dict = {"hold_expires_at": start - dt.timedelta(hours=1)} if status == Status.HELD else {}
    if status in WAS_BOOKED:
        extra["booked_at"] = start - dt.timedelta(days=2)
    return Appointment.objects.create(
        provider=provider, client=client, start=start, end=start + dt.timedelta(hours=1), format=Format.TELEHEALTH,
        status=status, **extra,
    )


def provider_of(client: Client, *, status: str = Status.BOOKED, **overrides: Any) -> Provider:
    """A provider (with an account) who has an appointment with `client`."""
    provider = provider_user(**overrides)
    appointment(provider, client, status=status)
    return provider


def assessment(client: Client, instrument: str, total: int, completed_at: dt.datetime) -> Assessment:
    """A completed questionnaire with this total (answers that add up to it)."""
    items = 9 if instrument == "phq9" else 7
    answers = [min(3, max(0, total - 3 * i)) for i in range(items)]
    assert sum(answers) == total
    return Assessment.objects.create(
        client=client, instrument=instrument, answers=answers, total=total,
        severity=severity_for(instrument, total), completed_at=completed_at,
    )


def goal(client: Client, *, by: User | None = None, text: str = "Talk about hard things without shutting down",
         measure: str = "questionnaire", instrument: str = "phq9", target: int = 10,
         target_date: dt.date | None = None, now: dt.datetime | None = None) -> Goal:
    today = services.client_today(client, now)
    return services.goal_create(
        client=client, by=by or client.user, text=text, measure=measure,
        instrument=instrument if measure == "questionnaire" else "", target=target,
        target_date=target_date or today + dt.timedelta(days=90), now=now,
    )


def self_rating_goal(client: Client, *, target: int = 8, **kwargs: Any) -> Goal:
    return goal(client, measure="self_rating", target=target, **kwargs)

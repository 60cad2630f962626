"""What claims an hour: Appointment.objects.claiming(now=...), the one definition that the
openings, the booking check and the match engine's calendar read, stays in step with the
database rules that keep two people off one hour."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from carematch.lib.sessions import SESSION
from carematch.matching.busy import busy_lookup
from carematch.scheduling.models import ACTIVE, Appointment, Status
from carematch.scheduling.selectors import active_claims

from .factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 1, 7, 12, tzinfo=dt.UTC)
START = dt.datetime(2030, 1, 8, 16, tzinfo=dt.UTC)


def claim(provider, status, *, start=START, hold_expires_at=None, client=None) -> Appointment:
    held = status == Status.HELD
    return Appointment.objects.create(
        provider=provider, client=client or ClientFactory(), start=start, end=start + SESSION, format="telehealth",
        status=status, hold_expires_at=hold_expires_at or (NOW + dt.timedelta(minutes=5) if held else None),
        booked_at=None if status in (Status.HELD, Status.LAPSED, Status.RELEASED) else NOW - dt.timedelta(days=1),
    )


def refused(provider, start) -> bool:
    try:
        with transaction.atomic():
            claim(provider, Status.BOOKED, start=start)
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize("status", Status.values)
def test_a_row_claims_its_hour_exactly_when_the_database_keeps_a_second_claim_off_it(status):
    provider = weekday_provider()
    row = claim(provider, status)
    claims = status in ACTIVE
    assert Appointment.objects.claiming(now=NOW).filter(pk=row.pk).exists() == claims
    assert refused(provider, START) == claims


@pytest.mark.postgres_only
@pytest.mark.parametrize("status", Status.values)
def test_on_postgresql_a_row_claims_its_hour_exactly_when_no_overlapping_claim_may_be_written(status):
    provider = weekday_provider()
    row = claim(provider, status)
    claims = status in ACTIVE
    assert Appointment.objects.claiming(now=NOW).filter(pk=row.pk).exists() == claims
    assert refused(provider, START + dt.timedelta(minutes=30)) == claims


def test_a_hold_claims_its_hour_until_it_expires_and_then_only_the_database_still_counts_it():
    provider = weekday_provider()
    hold = claim(provider, Status.HELD, hold_expires_at=NOW + dt.timedelta(minutes=10))
    assert list(Appointment.objects.claiming(now=NOW + dt.timedelta(minutes=9, seconds=59))) == [hold]
    assert list(Appointment.objects.claiming(now=NOW + dt.timedelta(minutes=10))) == []
    # Until a service marks it lapsed (as it does before writing a new claim), the row is
    # still held for the database's rules.
    assert refused(provider, START)


def test_the_openings_and_the_match_engine_see_the_same_claims():
    provider, other = weekday_provider(), weekday_provider()
    seen = [
        claim(provider, Status.BOOKED, start=START),
        claim(provider, Status.HELD, start=START + SESSION, hold_expires_at=NOW + dt.timedelta(minutes=1)),
    ]
    claim(provider, Status.HELD, start=START + 2 * SESSION, hold_expires_at=NOW)  # expired
    for at, status in enumerate((Status.CANCELLED, Status.LAPSED, Status.RELEASED, Status.COMPLETED,
                                 Status.NO_SHOW), start=3):
        claim(provider, status, start=START + at * SESSION)
    claim(other, Status.BOOKED, start=START)
    span = (START - dt.timedelta(days=1), START + dt.timedelta(days=1))
    expected = sorted((a.start, a.end) for a in seen)
    in_openings = sorted((a.start, a.end) for a in active_claims(provider=provider, start=span[0], end=span[1],
                                                                    now=NOW))
    in_engine = sorted(busy_lookup(now=NOW)([provider.pk], *span).blocked[provider.pk])
    assert in_openings == in_engine == expected

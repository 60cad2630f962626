"""Consultations (15 minutes) and sessions (an hour) never overlap: no two active claims (held
or booked) of one provider, nor of one client, share a moment, on SQLite (triggers) and on
PostgreSQL (exclusion constraints), whether they come through the booking service or are
written straight to the table."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carematch.lib.holidays_us import is_federal_holiday
from carematch.lib.sessions import CONSULTATION, SESSION, length_of
from carematch.lib.timezones import zone
from carematch.scheduling import services
from carematch.scheduling.models import ACTIVE, Appointment, Status
from carematch.scheduling.overlap import SQLITE_TRIGGERS, ensure_sqlite_triggers

from .factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db

DENVER = zone("America/Denver")


def consulting_provider():
    return weekday_provider(offers_consultations=True, consultation_formats=["phone", "telehealth"],
                            min_notice_hours=0)


def a_working_morning() -> dt.datetime:
    """09:00 in Denver on a day at least a week ahead that is no federal holiday."""
    day = timezone.localdate() + dt.timedelta(days=8)
    while is_federal_holiday(day):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(9), tzinfo=DENVER).astimezone(dt.UTC)


def overlapping_pairs(claims):
    for a, b in itertools.combinations(claims, 2):
        same_party = a.provider_id == b.provider_id or (a.client_id is not None and a.client_id == b.client_id)
        if same_party and a.start < b.end and b.start < a.end:
            yield a, b


attempt = st.tuples(
    st.sampled_from(["service", "orm"]),
    st.integers(0, 1),  # provider
    st.integers(0, 2),  # client
    st.sampled_from(["session", "consultation"]),
    st.integers(0, 11),  # quarter hours after 09:00 (the window runs to 12:00)
    st.integers(0, 14),  # minutes more, for writes straight to the table
    st.sampled_from([Status.BOOKED, Status.HELD]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attempts=st.lists(attempt, min_size=2, max_size=12))
def test_no_two_active_claims_of_a_provider_or_a_client_ever_overlap(attempts):
    morning = a_working_morning()
    now = morning - dt.timedelta(days=1)
    savepoint = transaction.savepoint()
    try:
        providers = [consulting_provider(), consulting_provider()]
        clients = [ClientFactory(), ClientFactory(), ClientFactory()]
        for via, p, c, kind, quarters, extra, status in attempts:
            provider, client = providers[p], clients[c]
            start = morning + dt.timedelta(minutes=15 * quarters)
            fmt = "phone" if kind == "consultation" else "telehealth"
            if via == "service":
                with contextlib.suppress(services.SlotTaken, services.InvalidSlot):
                    services.appointment_book(provider=provider, client=client, start=start, format=fmt,
                                              by=client.user, now=now, kind=kind)
                continue
            start += dt.timedelta(minutes=extra)
            try:
                with transaction.atomic():
                    Appointment.objects.create(
                        provider=provider, client=client, start=start, end=start + length_of(kind), kind=kind,
                        format=fmt, status=status, booked_at=now if status == Status.BOOKED else None,
                        hold_expires_at=now + dt.timedelta(days=3) if status == Status.HELD else None,
                    )
            except IntegrityError:
                pass
        active = list(Appointment.objects.filter(status__in=ACTIVE))
        assert list(overlapping_pairs(active)) == []
    finally:
        transaction.savepoint_rollback(savepoint)


def test_a_consultation_inside_a_booked_session_is_refused_by_the_database():
    provider, client, other = consulting_provider(), ClientFactory(), ClientFactory()
    morning = a_working_morning()
    Appointment.objects.create(provider=provider, client=client, start=morning, end=morning + SESSION,
                               format="telehealth", status=Status.BOOKED, booked_at=morning)
    inside = morning + dt.timedelta(minutes=30)
    for who_provider, who_client in ((provider, other), (consulting_provider(), client)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Appointment.objects.create(provider=who_provider, client=who_client, start=inside,
                                       end=inside + CONSULTATION, kind="consultation", format="phone",
                                       status=Status.BOOKED, booked_at=morning)
    # Once the session is cancelled, the quarter hour is free.
    Appointment.objects.filter(provider=provider).update(status=Status.CANCELLED)
    Appointment.objects.create(provider=provider, client=other, start=inside, end=inside + CONSULTATION,
                               kind="consultation", format="phone", status=Status.BOOKED, booked_at=morning)


def test_moving_a_claim_onto_another_is_refused_by_the_database():
    provider, client = consulting_provider(), ClientFactory()
    morning = a_working_morning()
    Appointment.objects.create(provider=provider, client=client, start=morning, end=morning + SESSION,
                               format="telehealth", status=Status.BOOKED, booked_at=morning)
    later = morning + 2 * SESSION
    call = Appointment.objects.create(provider=provider, client=ClientFactory(), start=later,
                                      end=later + CONSULTATION, kind="consultation", format="phone",
                                      status=Status.BOOKED, booked_at=morning)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=call.pk).update(start=morning + dt.timedelta(minutes=45),
                                                      end=morning + SESSION)


def test_a_phone_call_can_only_be_a_consultation_and_a_kind_is_one_of_two():
    provider, client = consulting_provider(), ClientFactory()
    morning = a_working_morning()
    for fields in ({"kind": "session", "format": "phone"}, {"kind": "call", "format": "telehealth"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Appointment.objects.create(provider=provider, client=client, start=morning, end=morning + SESSION,
                                       status=Status.BOOKED, booked_at=morning, **fields)


def test_the_triggers_come_back_after_a_migration_rebuilds_the_table_on_sqlite(django_db_blocker):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL keeps its constraints through table changes")
    with connection.cursor() as cursor:
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        ensure_sqlite_triggers(connection)
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'scheduling_appointment'")
        assert set(SQLITE_TRIGGERS) <= {row[0] for row in cursor.fetchall()}

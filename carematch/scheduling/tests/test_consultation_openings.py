"""Openings of both kinds come from one engine under the same rules: consultation openings
are 15 minutes at 15-minute steps inside the weekly windows, only for a provider who offers
them, and never overlap a session, a consultation or a hold."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carematch.directory.tests.factories import TimeOffFactory
from carematch.lib.sessions import CONSULTATION, SESSION, length_of
from carematch.lib.timezones import zone
from carematch.scheduling import services
from carematch.scheduling.models import ACTIVE, Appointment
from carematch.scheduling.openings import Window, opening_starts
from carematch.scheduling.selectors import provider_openings

from .factories import ClientFactory, weekday_provider
from .test_consultation_overlap import a_working_morning, consulting_provider

UTC = dt.UTC
DENVER = zone("America/Denver")


def test_consultation_openings_step_by_a_quarter_hour_inside_the_window():
    monday = dt.datetime(2027, 1, 4, tzinfo=DENVER)
    found = opening_starts(
        windows=[Window(0, dt.time(9), dt.time(10))], tz_name="America/Denver", start=monday,
        end=monday + dt.timedelta(days=1), now=monday - dt.timedelta(days=1), min_notice=dt.timedelta(0),
        works_holidays=False, length=CONSULTATION,
    )
    assert [o.astimezone(DENVER).strftime("%H:%M") for o in found] == ["09:00", "09:15", "09:30", "09:45"]


@pytest.mark.django_db
def test_a_provider_without_consultations_has_no_consultation_openings():
    provider = weekday_provider()
    morning = a_working_morning()
    args = {"provider": provider, "start": morning, "end": morning + dt.timedelta(hours=3),
            "now": morning - dt.timedelta(days=1)}
    assert provider_openings(**args) and provider_openings(**args, kind="consultation") == []


@pytest.mark.django_db
def test_consultation_openings_keep_the_same_hard_rules_as_sessions():
    provider = consulting_provider()
    morning = a_working_morning()
    TimeOffFactory(provider=provider, start=morning + dt.timedelta(hours=2), end=morning + dt.timedelta(hours=3))
    found = provider_openings(provider=provider, start=morning, end=morning + dt.timedelta(hours=3),
                              now=morning + dt.timedelta(minutes=20) - dt.timedelta(hours=provider.min_notice_hours),
                              kind="consultation")
    local = [o.astimezone(DENVER).strftime("%H:%M") for o in found]
    # Not sooner than the notice (09:20 here), and nothing in the time off from 11:00.
    assert local == ["09:30", "09:45", "10:00", "10:15", "10:30", "10:45"]


def overlaps(start, length, claims):
    return any(c.start < start + length and start < c.end for c in claims)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(booked=st.lists(st.tuples(st.sampled_from(["session", "consultation"]), st.integers(0, 11),
                                 st.booleans()), max_size=8))
def test_openings_of_either_kind_never_overlap_any_booking_or_hold(booked):
    from django.db import transaction

    savepoint = transaction.savepoint()
    try:
        provider = consulting_provider()
        morning = a_working_morning()
        now = morning - dt.timedelta(days=1)
        for kind, quarters, as_hold in booked:
            client = ClientFactory()
            start = morning + dt.timedelta(minutes=15 * quarters)
            place = services.hold_place if as_hold else services.appointment_book
            with contextlib.suppress(services.SlotTaken, services.InvalidSlot):
                place(provider=provider, client=client, start=start, by=client.user, now=now, kind=kind,
                      format="phone" if kind == "consultation" else "telehealth")
        claims = list(Appointment.objects.filter(provider=provider, status__in=ACTIVE))
        for kind in ("session", "consultation"):
            length = length_of(kind)
            found = provider_openings(provider=provider, start=morning, end=morning + dt.timedelta(hours=3),
                                      now=now, kind=kind)
            assert all(not overlaps(start, length, claims) for start in found)
            assert all(start + length <= morning + dt.timedelta(hours=3) for start in found)
        # And every free quarter hour is offered: nothing is lost to the other kind's grid.
        free = [morning + dt.timedelta(minutes=15 * q) for q in range(12)]
        offered = provider_openings(provider=provider, start=morning, end=morning + dt.timedelta(hours=3), now=now,
                                    kind="consultation")
        assert offered == [s for s in free if not overlaps(s, CONSULTATION, claims)]
        assert SESSION == 4 * CONSULTATION
    finally:
        transaction.savepoint_rollback(savepoint)

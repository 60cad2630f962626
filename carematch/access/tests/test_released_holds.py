"""A hold never makes a provider the client's provider: not while it is held, not when it
lapses, not when it is released (by a new hold, by the person, by closing the account).
Only a booking does, and what becomes of the booking does not undo that.

The property: for any sequence of holds, releases, bookings, cancellations, waits and
finally (perhaps) closing the account, a provider sees the client's record exactly when
the client booked with them at some point."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carematch.access import closing, policy
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import PASSWORD, UserFactory
from carematch.lib.errors import DomainError
from carematch.scheduling import services
from carematch.scheduling.models import Appointment, Status
from carematch.scheduling.selectors import provider_openings
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 4, 13, tzinfo=dt.UTC)  # 06:00 in Denver, three hours before the first opening
READERS = (policy.client_visible, policy.care_visible, policy.clinical_record_visible, policy.may_write_notes)


def _providers(count: int) -> list:
    return [weekday_provider(user=UserFactory(role=Role.PROVIDER)) for _ in range(count)]


def _openings(provider) -> list[dt.datetime]:
    return provider_openings(provider=provider, start=NOW, end=NOW + dt.timedelta(days=3), now=NOW,
                             include_claimed=True)


def _sees(provider, client) -> bool:
    seen = {read(provider.user, client) for read in READERS}
    assert len(seen) == 1, "every reader of the record answers alike"
    return seen.pop() and policy.care_clients_of(provider).filter(pk=client.pk).exists()


def test_a_provider_whose_only_link_is_a_hold_released_by_closing_the_account_sees_nothing():
    held_with, booked_with = _providers(2)
    client = ClientFactory()
    services.appointment_book(provider=booked_with, client=client, start=_openings(booked_with)[0],
                              format="telehealth", by=client.user, now=NOW)
    hold = services.hold_place(provider=held_with, client=client, start=_openings(held_with)[1],
                               format="telehealth", by=client.user, now=NOW)
    assert not _sees(held_with, client)

    closed = closing.account_close(user=client.user, password=PASSWORD, confirmation=closing.CONFIRMATION_PHRASE,
                                   now=NOW + dt.timedelta(minutes=2))

    assert not _sees(held_with, client)
    assert _sees(booked_with, client)  # a booking, even cancelled by the closing, still counts
    hold.refresh_from_db()
    assert (hold.status, hold.booked_at, closed.released_holds, closed.cancelled_appointments) == (
        Status.RELEASED, None, 1, 1)


def test_a_hold_released_by_the_person_or_by_their_next_hold_is_not_an_appointment():
    first, second = _providers(2)
    client = ClientFactory()
    hold = services.hold_place(provider=first, client=client, start=_openings(first)[0], format="telehealth",
                               by=client.user, now=NOW)
    services.appointment_cancel(appointment=hold, by=client.user, now=NOW + dt.timedelta(minutes=1))
    assert not _sees(first, client)
    hold.refresh_from_db()
    assert hold.status == Status.RELEASED and hold.cancelled_by == client.user
    replaced = services.hold_place(provider=second, client=client, start=_openings(second)[0], format="telehealth",
                                   by=client.user, now=NOW + dt.timedelta(minutes=2))
    services.hold_place(provider=first, client=client, start=_openings(first)[1], format="telehealth",
                        by=client.user, now=NOW + dt.timedelta(minutes=3))
    replaced.refresh_from_db()
    assert replaced.status == Status.RELEASED
    assert not _sees(first, client) and not _sees(second, client)


def test_the_database_refuses_a_cancelled_row_that_was_never_booked():
    provider = weekday_provider()
    client = ClientFactory()
    hold = services.hold_place(provider=provider, client=client, start=_openings(provider)[0], format="telehealth",
                               by=client.user, now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=hold.pk).update(status=Status.CANCELLED)


# --- The property --------------------------------------------------------------------------------

PROVIDERS = 2
SLOTS = 4
scenarios = st.tuples(st.lists(
    st.one_of(
        st.tuples(st.just("hold"), st.integers(0, PROVIDERS - 1), st.integers(0, SLOTS - 1)),
        st.tuples(st.just("release"), st.integers(0, 3)),
        st.tuples(st.just("book"), st.integers(0, PROVIDERS - 1), st.integers(0, SLOTS - 1)),
        st.tuples(st.just("book_hold"), st.integers(0, 3)),
        st.tuples(st.just("cancel"), st.integers(0, 3)),
        st.tuples(st.just("wait"), st.sampled_from([1, 11, 30])),
    ),
    max_size=8,
), st.booleans())


def _run(steps: list[tuple], close_at_end: bool) -> None:
    providers = _providers(PROVIDERS)
    client = ClientFactory()
    slots = {p: _openings(provider)[:SLOTS] for p, provider in enumerate(providers)}
    booked_with: set[int] = set()
    now = NOW

    def mine(*statuses: str) -> list[Appointment]:
        return list(Appointment.objects.filter(client=client, status__in=statuses).order_by("pk"))

    def check() -> None:
        for p, provider in enumerate(providers):
            assert _sees(provider, client) == (p in booked_with), (p, booked_with, list(
                Appointment.objects.filter(client=client).values_list("provider_id", "status", "booked_at")))

    for step in steps:
        kind = step[0]
        try:
            if kind == "hold":
                services.hold_place(provider=providers[step[1]], client=client, start=slots[step[1]][step[2]],
                                    format="telehealth", by=client.user, now=now)
            elif kind == "book":
                booked = services.appointment_book(provider=providers[step[1]], client=client,
                                                   start=slots[step[1]][step[2]], format="telehealth",
                                                   by=client.user, now=now)
                booked_with.add(step[1])
                assert booked.status == Status.BOOKED
            elif kind == "book_hold" and (held := mine(Status.HELD)):
                hold = held[step[1] % len(held)]
                services.appointment_book(provider=hold.provider, client=client, start=hold.start,
                                          format=hold.format, by=client.user, now=now)
                booked_with.add(next(p for p, provider in enumerate(providers) if provider.pk == hold.provider_id))
            elif kind == "release" and (held := mine(Status.HELD)):
                services.appointment_cancel(appointment=held[step[1] % len(held)], by=client.user, now=now)
            elif kind == "cancel" and (booked := mine(Status.BOOKED)):
                services.appointment_cancel(appointment=booked[step[1] % len(booked)], by=client.user, now=now)
            elif kind == "wait":
                now += dt.timedelta(minutes=step[1])
        except DomainError:
            pass  # taken, not an opening any more, too many holds: nothing changed
        check()
    if close_at_end:
        closing.account_close(user=client.user, password=PASSWORD, confirmation=closing.CONFIRMATION_PHRASE,
                              now=now)
        assert not mine(Status.HELD, Status.BOOKED) or all(a.start <= now for a in mine(Status.BOOKED))
        check()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(scenario=scenarios)
def test_only_a_booking_ever_makes_a_provider_the_clients_provider(scenario):
    steps, close_at_end = scenario
    with transaction.atomic():
        _run(steps, close_at_end)
        transaction.set_rollback(True)

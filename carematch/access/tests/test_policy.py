"""The one rule for "a provider's client": a booked appointment, whatever became of it, makes
the provider the client's provider; a hold (live, lapsed or released) does not. Every reader of a
client's record (the client, the care record, scores, alerts) asks the same question."""

from __future__ import annotations

import pytest

from carematch.access import policy
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.care.tests.factories import appointment, provider_user
from carematch.scheduling.models import Status
from carematch.scheduling.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

READERS = (policy.client_visible, policy.care_visible, policy.clinical_record_visible)


@pytest.mark.parametrize("status", [Status.BOOKED, Status.COMPLETED, Status.NO_SHOW, Status.CANCELLED])
def test_a_provider_with_an_appointment_of_any_outcome_sees_the_client(status):
    client = ClientFactory()
    provider = provider_user()
    appointment(provider, client, status=status)
    assert [read(provider.user, client) for read in READERS] == [True, True, True]


@pytest.mark.parametrize("status", [Status.HELD, Status.LAPSED, Status.RELEASED])
def test_a_hold_is_not_an_appointment_and_shows_the_provider_nothing(status):
    client = ClientFactory()
    provider = provider_user()
    appointment(provider, client, status=status)
    assert [read(provider.user, client) for read in READERS] == [False, False, False]
    assert not policy.care_clients_of(provider).filter(pk=client.pk).exists()


def test_a_client_placed_from_the_waitlist_is_seen_by_the_provider_they_were_assigned(time_machine):
    import datetime as dt

    from carematch.directory.tests.factories import LicenseFactory, WindowFactory
    from carematch.matching.engine.types import MatchRequest
    from carematch.matching.services import waitlist_assign, waitlist_join

    # 07:00 in Denver on an ordinary Monday: the next 48 hours hold working days, whatever
    # today's date (the afternoon before two federal holidays would hold none).
    now = dt.datetime(2027, 1, 4, 14, tzinfo=dt.UTC)
    time_machine.move_to(now, tick=False)
    provider = provider_user(formats=["telehealth"], min_notice_hours=0, insurance=[])
    LicenseFactory(provider=provider, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=provider, weekday=day, start=dt.time(9), end=dt.time(12))
    client = ClientFactory()
    waitlist_join(client=client, now=now, request=MatchRequest(
        state="CO", age=35, concerns=("anxiety",), earliest=now, format="telehealth", client_timezone="America/Denver",
    ))
    assert not policy.client_visible(provider.user, client)
    assert waitlist_assign(now=now, within_hours=48, book=True).booked == 1
    assert [read(provider.user, client) for read in READERS] == [True, True, True]


def test_clients_see_only_themselves_and_staff_see_everyone_in_the_organisation():
    me, other = ClientFactory(), ClientFactory()
    assert policy.client_visible(me.user, me) and not policy.client_visible(me.user, other)
    for role in (Role.COORDINATOR, Role.ADMIN):
        assert policy.client_visible(UserFactory(role=role), other)
    inactive = UserFactory(role=Role.COORDINATOR, is_active=False)
    assert not policy.client_visible(inactive, other)

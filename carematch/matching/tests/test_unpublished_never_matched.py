"""An unpublished provider (imported incomplete, not yet claimed and verified) is never
matched and never booked, whatever the door: the engine's snapshot, the reference matcher,
the waitlist (through them) and every booking (hold, book, through check_bookable), which
reads publication from the database, not from the caller's copy."""

from __future__ import annotations

import datetime as dt

import pytest

from carematch.directory.models import Provider
from carematch.matching.engine.types import MatchRequest
from carematch.matching.models import WaitlistEntry
from carematch.matching.reference import reference_match
from carematch.matching.services import match_find, waitlist_assign, waitlist_join
from carematch.scheduling import services as scheduling
from carematch.scheduling.models import Appointment
from carematch.scheduling.services import InvalidSlot
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db

# Tuesday 5 January 2027, 08:00 in Denver.
NOW = dt.datetime(2027, 1, 5, 15, tzinfo=dt.UTC)


def ask(**fields):
    values = {"state": "CO", "age": 34, "concerns": ("anxiety",), "earliest": NOW, "client_timezone": "America/Denver"}
    values.update(fields)
    return MatchRequest(**values)


def unpublish(provider):
    Provider.objects.filter(pk=provider.pk).update(published=False)


def test_the_engine_and_the_reference_matcher_leave_an_unpublished_provider_out():
    shown, hidden = weekday_provider(), weekday_provider()
    assert {m.provider_id for m in match_find(request=ask(), now=NOW).matches} == {shown.pk, hidden.pk}

    unpublish(hidden)

    assert [m.provider_id for m in match_find(request=ask(), now=NOW).matches] == [shown.pk]
    assert [m.provider_id for m in reference_match(request=ask(), now=NOW).matches] == [shown.pk]


def test_the_waitlist_places_nobody_with_an_unpublished_provider():
    hidden = weekday_provider(formats=["telehealth"], insurance=[], min_notice_hours=0)
    unpublish(hidden)
    waitlist_join(client=ClientFactory(), request=ask(format="telehealth"), now=NOW - dt.timedelta(hours=1))

    run = waitlist_assign(now=NOW, within_hours=48)

    assert (run.openings, run.booked) == (0, 0)
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.WAITING
    assert not Appointment.objects.exists()


def test_no_door_books_an_unpublished_provider_even_with_a_stale_copy():
    provider = weekday_provider()
    client = ClientFactory()
    (match,) = match_find(request=ask(), now=NOW).matches
    opening = match.openings[0]
    hold = scheduling.hold_place(provider=provider, client=client, start=opening.start, format=opening.formats[0],
                                 by=client.user, now=NOW)
    unpublish(provider)  # `provider` still says published

    with pytest.raises(InvalidSlot) as refused:
        scheduling.appointment_book(provider=provider, client=client, start=opening.start,
                                    format=opening.formats[0], by=client.user, hold=hold, now=NOW)
    assert refused.value.fields == {"provider_id": "profile not yet published"}
    with pytest.raises(InvalidSlot):
        scheduling.hold_place(provider=provider, client=None, start=opening.start + dt.timedelta(hours=1),
                              format=opening.formats[0], by=None, session_key="s", address="127.0.0.1", now=NOW)
    assert not Appointment.objects.exclude(pk=hold.pk).exists()

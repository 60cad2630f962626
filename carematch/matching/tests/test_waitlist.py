"""The waitlist: joining, and placing everyone at once better than first come, first served."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.matching.engine.types import MatchRequest
from carematch.matching.models import WaitlistEntry
from carematch.matching.services import waitlist_assign, waitlist_join
from carematch.scheduling.models import Appointment, Status
from carematch.scheduling.tests.factories import ClientFactory

# 07:00 in Denver on an ordinary Monday, whatever today's date: placements look 24 or 48 hours
# ahead, and the afternoon before two federal holidays would offer no opening at all.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(dt.datetime(2027, 1, 4, 14, tzinfo=dt.UTC), tick=True)]


def provider(concerns, hours):
    """A Denver telehealth provider with one weekly window each day, `hours` long, starting 09:00."""
    p = ProviderFactory(concerns=concerns, formats=["telehealth"], min_notice_hours=0, insurance=[])
    LicenseFactory(provider=p, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=p, weekday=day, start=dt.time(9), end=dt.time(9 + hours))
    return p


def wants(concerns, now):
    return MatchRequest(state="CO", age=35, concerns=tuple(concerns), earliest=now, format="telehealth",
                        client_timezone="America/Denver")


def test_joining_twice_keeps_one_waiting_entry_and_updates_what_was_asked():
    now = timezone.now()
    client = ClientFactory()
    first = waitlist_join(client=client, request=wants(["anxiety"], now), now=now)
    second = waitlist_join(client=client, request=wants(["grief"], now), now=now)
    assert first.pk == second.pk and WaitlistEntry.objects.count() == 1
    assert WaitlistEntry.objects.get().request["concerns"] == ["grief"]


def test_the_optimal_placement_books_more_people_than_first_come_first_served():
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    # A generalist with few hours and a grief specialist with as few: the first asker (anxiety
    # and grief) could take either; first come, first served gives them the generalist's
    # hours and leaves nothing for the later anxiety-only askers.
    provider(["anxiety", "grief"], hours=1)
    provider(["grief"], hours=1)
    early = ClientFactory()
    waitlist_join(client=early, request=wants(["anxiety", "grief"], now), now=now - dt.timedelta(hours=2))
    for i in range(2):
        waitlist_join(client=ClientFactory(), request=wants(["anxiety"], now), now=now - dt.timedelta(minutes=i))

    dry = waitlist_assign(now=now, within_hours=24, compare=True, book=False)
    assert dry.greedy is not None
    assert dry.optimal.placed_within_48h >= dry.greedy.placed_within_48h
    assert Appointment.objects.count() == 0

    run = waitlist_assign(now=now, within_hours=24, compare=True, book=True)
    assert run.booked == run.optimal.placed and run.failed == 0
    placed = WaitlistEntry.objects.filter(status=WaitlistEntry.Status.PLACED)
    assert placed.count() == run.optimal.placed
    for entry in placed:
        assert entry.appointment.status == Status.BOOKED and entry.appointment.client == entry.client
        assert set(entry.request["concerns"]) & set(entry.appointment.provider.concerns)


def test_the_command_prints_both_placements_and_a_json_line():
    now = timezone.now()
    provider(["anxiety"], hours=2)
    waitlist_join(client=ClientFactory(), request=wants(["anxiety"], now), now=now)
    out = StringIO()
    call_command("assign_waitlist", "--compare", "--dry-run", stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("optimal: placed 1") for line in lines)
    assert any(line.startswith("first come, first served: placed 1") for line in lines)
    figures = json.loads(lines[-1])
    assert figures["placed"] == 1 and figures["booked"] == 0

"""The busy lookup (carematch/matching/busy.py): what the match engine asks the database on
each request, for its short list of providers. It reads time off, booked sessions, live holds
and recent first sessions exactly, and it is one query however long the list (on SQLite,
one a BUSY_CHUNK providers)."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carematch.directory.tests.factories import ProviderFactory, TimeOffFactory
from carematch.lib.sessions import SESSION
from carematch.matching.busy import BUSY_CHUNK, busy_lookup
from carematch.scheduling.models import Appointment, CareRequest, Status
from carematch.scheduling.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 1, 7, 12, tzinfo=dt.UTC)
START = dt.datetime(2030, 1, 8, 16, tzinfo=dt.UTC)
SPAN = (NOW, NOW + dt.timedelta(days=3))


def claim(provider, status, *, start, hold_expires_at=None, booked_at=None) -> Appointment:
    return Appointment.objects.create(
        provider=provider, client=ClientFactory(), start=start, end=start + SESSION, format="telehealth",
        status=status, hold_expires_at=hold_expires_at, booked_at=booked_at,
    )


def test_it_reads_time_off_bookings_live_holds_and_recent_first_sessions_of_the_providers_asked_about():
    provider, other, unasked = ProviderFactory(), ProviderFactory(), ProviderFactory()
    booked = claim(provider, Status.BOOKED, start=START, booked_at=NOW - dt.timedelta(days=2))
    CareRequest.objects.create(client=booked.client, requested_at=NOW - dt.timedelta(days=3),
                               first_appointment=booked)
    held = claim(provider, Status.HELD, start=START + SESSION, hold_expires_at=NOW + dt.timedelta(minutes=5))
    claim(provider, Status.HELD, start=START + 2 * SESSION, hold_expires_at=NOW)  # lapsed by now
    claim(provider, Status.CANCELLED, start=START + 3 * SESSION, booked_at=NOW - dt.timedelta(days=1))
    claim(provider, Status.BOOKED, start=NOW + dt.timedelta(days=5), booked_at=NOW)  # after the span
    away = TimeOffFactory(provider=other, start=START, end=START + dt.timedelta(hours=4))
    claim(unasked, Status.BOOKED, start=START, booked_at=NOW)

    busy = busy_lookup(now=NOW)([provider.pk, other.pk], *SPAN)

    assert {pid: sorted(spans) for pid, spans in busy.blocked.items()} == {
        provider.pk: [(booked.start, booked.end), (held.start, held.end)],
        other.pk: [(away.start, away.end)],
    }
    assert dict(busy.recent_new_clients) == {provider.pk: 1}


def test_a_first_session_booked_more_than_two_weeks_ago_is_not_recent():
    provider = ProviderFactory()
    old = claim(provider, Status.BOOKED, start=START, booked_at=NOW - dt.timedelta(days=15))
    CareRequest.objects.create(client=old.client, requested_at=NOW - dt.timedelta(days=16), first_appointment=old)
    assert dict(busy_lookup(now=NOW)([provider.pk], *SPAN).recent_new_clients) == {}


def test_a_long_short_list_is_one_query():
    providers = [ProviderFactory() for _ in range(3)]
    claim(providers[2], Status.BOOKED, start=START, booked_at=NOW)
    asked = [p.pk for p in providers] + list(range(10_000_000, 10_000_000 + 997))  # 1,000 ids
    with CaptureQueriesContext(connection) as queries:
        busy = busy_lookup(now=NOW)(asked, *SPAN)
    expected = 1 if connection.vendor == "postgresql" else math.ceil(len(asked) / BUSY_CHUNK)
    assert len(queries.captured_queries) == expected
    assert list(busy.blocked) == [providers[2].pk]


def test_the_query_kept_from_one_lookup_reads_with_the_next_ones_own_time_span_and_providers():
    provider, other = ProviderFactory(), ProviderFactory()
    held = claim(provider, Status.HELD, start=START, hold_expires_at=NOW + dt.timedelta(hours=1))
    claim(other, Status.BOOKED, start=START + 2 * SESSION, booked_at=NOW)
    # The same shape of query each time (one or two ids), with other values in it.
    assert busy_lookup(now=NOW)([provider.pk], *SPAN).blocked == {provider.pk: [(held.start, held.end)]}
    assert busy_lookup(now=NOW + dt.timedelta(hours=2))([provider.pk], *SPAN).blocked == {}  # the hold ran out
    assert busy_lookup(now=NOW)([provider.pk], START + SESSION, START + 4 * SESSION).blocked == {}
    assert busy_lookup(now=NOW)([other.pk], *SPAN).blocked == {other.pk: [(START + 2 * SESSION, START + 3 * SESSION)]}
    both = busy_lookup(now=NOW)([provider.pk, other.pk], *SPAN).blocked
    assert set(both) == {provider.pk, other.pk}


@pytest.mark.postgres_only
def test_on_postgresql_the_query_is_a_prepared_statement_that_answers_as_the_unprepared_one(settings):
    """Prepared (the parameters apart from the SQL, the plan kept), the query reads the same
    rows as Django's own cursor gives, however often it runs; off, nothing is prepared."""
    provider, other = ProviderFactory(), ProviderFactory()
    booked = claim(provider, Status.BOOKED, start=START, booked_at=NOW - dt.timedelta(days=1))
    CareRequest.objects.create(client=booked.client, requested_at=NOW - dt.timedelta(days=2),
                               first_appointment=booked)
    claim(other, Status.HELD, start=START + SESSION, hold_expires_at=NOW + dt.timedelta(minutes=9))
    TimeOffFactory(provider=other, start=START + 2 * SESSION, end=START + 5 * SESSION)

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall() if "scheduling_appointment" in row[0]]

    def answers() -> list[tuple[dict[int, list[tuple[dt.datetime, dt.datetime]]], dict[int, int]]]:
        found = []
        for hours in range(8):  # past psycopg's threshold: the later runs use the kept plan
            busy = busy_lookup(now=NOW + dt.timedelta(minutes=hours))([provider.pk, other.pk, 10**9], *SPAN)
            found.append(({pid: sorted(spans) for pid, spans in busy.blocked.items()},
                          dict(busy.recent_new_clients)))
        return found

    settings.CAREMATCH_DB_PREPARED_STATEMENTS = False
    unprepared = answers()
    assert prepared() == []
    settings.CAREMATCH_DB_PREPARED_STATEMENTS = True
    assert answers() == unprepared
    assert len(prepared()) == 1
    assert unprepared[0] == ({provider.pk: [(booked.start, booked.end)],
                              other.pk: sorted([(START + SESSION, START + 2 * SESSION),
                                                (START + 2 * SESSION, START + 5 * SESSION)])},
                             {provider.pk: 1})

"""What one match on the API costs the database: a client searching again reads the token
(with its login and client record) in one indexed query, their open request for care, the
directory's version and the busy lookup, and writes nothing; the token notes its use at most
once a minute."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carematch.accounts.models import ApiToken
from carematch.accounts.services import api_token_issue
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.scheduling.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

ASK = {"state": "CO", "zip": "80202", "age": 34, "concerns": ["anxiety"], "format": "telehealth"}
WRITES = ("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "BEGIN")


@pytest.fixture(autouse=True)
def providers():
    for _ in range(3):
        p = ProviderFactory(concerns=["anxiety"], formats=["telehealth"], min_notice_hours=0)
        LicenseFactory(provider=p, state="CO", expires=dt.date(2099, 1, 1))
        for day in range(7):
            WindowFactory(provider=p, weekday=day, start=dt.time(0), end=dt.time(23))


def ask(client, raw):
    return client.post("/api/v1/match", ASK, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_client_searching_again_costs_four_reads_and_no_write(client):
    _, raw = api_token_issue(user=ClientFactory().user)
    assert ask(client, raw).status_code == 200  # records their request for care; builds the snapshot
    with CaptureQueriesContext(connection) as queries:
        answer = ask(client, raw)
    assert answer.status_code == 200 and answer.json()["matches"]
    statements = [q["sql"].lstrip().upper() for q in queries.captured_queries]
    assert not [sql for sql in statements if sql.startswith(WRITES)]
    assert len(statements) == 4, statements


def test_the_token_notes_its_use_at_most_once_a_minute(client):
    token, raw = api_token_issue(user=ClientFactory().user)
    ask(client, raw)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    ask(client, raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(seconds=61))
    ask(client, raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first

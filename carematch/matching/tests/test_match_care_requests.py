"""POST /api/v1/match records a request for care only when a person asks for care: a client,
a coordinator acting for a named client, or anyone in danger; a coordinator exploring the
directory leaves no request (and no 48-hour clock) behind."""

from __future__ import annotations

import datetime as dt

import pytest

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.scheduling.models import CareRequest
from carematch.scheduling.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

ASK = {"state": "CO", "zip": "80202", "age": 34, "concerns": ["anxiety"], "format": "telehealth"}


@pytest.fixture(autouse=True)
def provider():
    p = ProviderFactory(concerns=["anxiety"], formats=["telehealth"], min_notice_hours=0)
    LicenseFactory(provider=p, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=p, weekday=day, start=dt.time(0), end=dt.time(23))
    return p


def ask(client, body, user):
    return client.post("/api/v1/match", body, content_type="application/json", **auth_header(user))


def test_a_coordinators_exploratory_search_records_no_request_for_care(client):
    answer = ask(client, ASK, UserFactory(role=Role.COORDINATOR))
    assert answer.status_code == 200, answer.content
    assert answer.json()["matches"]
    assert "care_request_id" not in answer.json()
    assert not CareRequest.objects.exists()


def test_a_coordinator_acting_for_a_named_client_records_that_clients_request(client):
    someone = ClientFactory()
    body = ask(client, ASK | {"client_id": someone.pk}, UserFactory(role=Role.COORDINATOR)).json()
    assert CareRequest.objects.get(pk=body["care_request_id"]).client == someone


def test_a_crisis_is_always_recorded_and_flagged_even_in_a_coordinators_search(client):
    body = ask(client, ASK | {"crisis": True}, UserFactory(role=Role.COORDINATOR)).json()
    flagged = CareRequest.objects.get(pk=body["care_request_id"])
    assert flagged.crisis and flagged.client is None
    assert body["crisis_resources"]


def test_a_clients_own_search_records_their_request(client):
    me = ClientFactory()
    body = ask(client, ASK, me.user).json()
    assert CareRequest.objects.get(pk=body["care_request_id"]).client == me

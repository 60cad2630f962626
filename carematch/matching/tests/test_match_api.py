"""POST /api/v1/match: who may ask, what a bad request is told, and the crisis answer."""

from __future__ import annotations

import datetime as dt

import pytest

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.scheduling.models import CareRequest
from carematch.scheduling.tests.factories import ClientFactory
from carematch.tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

ASK = {"state": "CO", "zip": "80202", "age": 34, "concerns": ["anxiety"], "format": "telehealth"}


@pytest.fixture
def provider():
    p = ProviderFactory(first_name="Lee", concerns=["anxiety"], formats=["telehealth"], min_notice_hours=0)
    LicenseFactory(provider=p, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=p, weekday=day, start=dt.time(0), end=dt.time(23))
    return p


def ask(client, body, headers):
    return client.post("/api/v1/match", body, content_type="application/json", **headers)


def test_a_client_asks_for_themselves_and_gets_ranked_matches_with_reasons_and_openings(client, provider):
    me = ClientFactory()
    answer = ask(client, ASK, auth_header(me.user))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) == {"matches", "shared_reasons", "suggestions", "care_request_id"}
    first = body["matches"][0]
    assert first["provider"] == {"id": provider.pk, "npi": provider.npi, "name": "Lee Example", "credentials": ["LPC"]}
    assert 0 <= first["score"] <= 1 and first["reasons"]
    assert 1 <= len(first["openings"]) <= 3 and first["openings"][0]["formats"] == ["telehealth"]
    assert CareRequest.objects.get(pk=body["care_request_id"]).client == me


def test_asking_again_keeps_the_same_open_request_so_the_clock_does_not_restart(client, provider):
    me = ClientFactory()
    one = ask(client, ASK, auth_header(me.user)).json()["care_request_id"]
    two = ask(client, ASK, auth_header(me.user)).json()["care_request_id"]
    assert one == two


def test_crisis_returns_the_resources_first_flags_the_request_and_still_matches(client, provider):
    body = ask(client, ASK | {"crisis": True}, auth_header(ClientFactory().user)).json()
    assert next(iter(body)) == "crisis_resources"
    assert [r["how"] for r in body["crisis_resources"]] == [
        "Call or text 988", "Text HOME to 741741", "Call 911 if you are in immediate danger"]
    assert CareRequest.objects.get(pk=body["care_request_id"]).crisis
    assert body["matches"]


def test_crisis_resources_come_in_the_callers_language(client, provider):
    headers = auth_header(ClientFactory().user) | {"HTTP_ACCEPT_LANGUAGE": "es"}
    body = ask(client, ASK | {"crisis": True}, headers).json()
    assert [r["how"] for r in body["crisis_resources"]] == [
        "Llame al 988 y marque 2 para hablar en español, o envíe AYUDA por mensaje de texto al 988",
        "Envíe AYUDA por mensaje de texto al 741741 (en español)", "Llame al 911 si corre peligro inmediato"]
    assert [r["contact"] for r in body["crisis_resources"]] == ["tel:988", "sms:741741", "tel:911"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"state": "ZZ"}, "state"), ({"age": -1}, "age"), ({"concerns": []}, "concerns"),
        ({"concerns": ["sadness"]}, "concerns"), ({"format": "carrier_pigeon"}, "format"),
        ({"format": "any", "zip": None}, "zip"), ({"zip": "00000"}, "zip"), ({"languages": ["xx"]}, "languages"),
        ({"insurance": "acme"}, "insurance"), ({"earliest": "2027-01-01T09:00:00"}, "earliest"),
        ({"within_hours": 0}, "within_hours"), ({"limit": 500}, "limit"),
    ],
)
def test_bad_requests_are_422_naming_the_field(client, change, field):
    body = assert_error_shape(ask(client, ASK | change, auth_header(UserFactory(role=Role.COORDINATOR))), 422)
    assert field in body["fields"]


def test_providers_may_not_match_and_clients_may_not_ask_for_someone_else(client):
    assert_error_shape(ask(client, ASK, auth_header(UserFactory(role=Role.PROVIDER))), 403)
    other = ClientFactory()
    response = ask(client, ASK | {"client_id": other.pk}, auth_header(ClientFactory().user))
    assert_error_shape(response, 404)

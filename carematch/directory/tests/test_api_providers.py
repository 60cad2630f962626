"""The directory API: search, one provider, licenses for coordinators only, license status."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.directory.models import LicenseStatus
from carematch.tests.helpers import assert_error_shape

from .factories import LicenseFactory, ProviderFactory

pytestmark = pytest.mark.django_db

ITEM_KEYS = {
    "id", "npi", "first_name", "last_name", "credentials", "taxonomy", "gender", "languages", "concerns",
    "approaches", "populations", "formats", "insurance", "self_pay_rate", "accepting_new", "timezone", "zip",
    "published",
}


@pytest.fixture
def network():
    today = timezone.localdate()
    denver = ProviderFactory(first_name="Ada", concerns=["anxiety"], insurance=["aetna", "cigna"])
    LicenseFactory(provider=denver, state="CO", number="CO-1")
    cheyenne = ProviderFactory(first_name="Bo", concerns=["grief"], insurance=["medicaid"], accepting_new=False)
    LicenseFactory(provider=cheyenne, state="WY", number="WY-1")
    expired = ProviderFactory(first_name="Cy", concerns=["anxiety"])
    LicenseFactory(provider=expired, state="CO", number="CO-OLD", expires=today - dt.timedelta(days=1))
    rejected = ProviderFactory(first_name="Di", concerns=["anxiety"])
    LicenseFactory(provider=rejected, state="CO", number="CO-REJ", status=LicenseStatus.REJECTED)
    return {"denver": denver, "cheyenne": cheyenne, "expired": expired, "rejected": rejected}


def names(response):
    return sorted(item["first_name"] for item in response.json()["items"])


def test_any_signed_in_caller_lists_providers_with_every_documented_field(client, network):
    response = client.get("/api/v1/providers", **auth_header(UserFactory(role=Role.CLIENT)))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    ada = next(i for i in body["items"] if i["first_name"] == "Ada")
    assert set(ada) == ITEM_KEYS
    assert ada["accepting_new"] is True
    assert ada["insurance"] == ["aetna", "cigna"]
    assert ada["languages"] == ["en"]


def test_state_means_a_license_there_that_counts_today(client, network):
    headers = auth_header(UserFactory())
    assert names(client.get("/api/v1/providers?state=co", **headers)) == ["Ada"]
    assert names(client.get("/api/v1/providers?state=WY", **headers)) == ["Bo"]


def test_state_leaves_out_a_license_not_yet_verified_unless_the_network_matches_them(client, network, settings):
    waiting = ProviderFactory(first_name="Eve")
    LicenseFactory(provider=waiting, state="CO", number="CO-WAIT", status=LicenseStatus.UNVERIFIED)
    headers = auth_header(UserFactory())
    assert names(client.get("/api/v1/providers?state=CO", **headers)) == ["Ada"]
    settings.MATCH_UNVERIFIED_LICENSES = True
    assert names(client.get("/api/v1/providers?state=CO", **headers)) == ["Ada", "Eve"]


def test_filters_combine(client, network):
    headers = auth_header(UserFactory())
    assert names(client.get("/api/v1/providers?concern=anxiety&payer=cigna", **headers)) == ["Ada"]
    assert names(client.get("/api/v1/providers?accepting_new=false", **headers)) == ["Bo"]
    npi = network["cheyenne"].npi
    assert names(client.get(f"/api/v1/providers?npi={npi}", **headers)) == ["Bo"]
    assert names(client.get("/api/v1/providers?concern=ANXIETY&accepting_new=true", **headers)) == ["Ada", "Cy", "Di"]


def test_licenses_with_numbers_are_listed_to_coordinators_only(client, network):
    npi = network["denver"].npi
    as_client = client.get(f"/api/v1/providers?npi={npi}", **auth_header(UserFactory(role=Role.CLIENT))).json()
    assert "licenses" not in as_client["items"][0]
    staff = client.get(f"/api/v1/providers?npi={npi}", **auth_header(UserFactory(role=Role.COORDINATOR))).json()
    assert staff["items"][0]["licenses"] == [
        {"id": network["denver"].licenses.get().id, "state": "CO", "license_type": "LPC", "number": "CO-1",
         "expires": network["denver"].licenses.get().expires.isoformat(), "status": "verified"}
    ]


PROFILE_KEYS = {
    "id", "npi", "name", "credentials", "pronouns", "photo_url", "statement", "first_session", "specialties",
    "concerns", "approaches", "communities", "languages", "formats", "licenses", "self_pay_rate", "sliding_scale",
    "insurance", "accepting_new",
}


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER, Role.COORDINATOR])
def test_one_provider_is_their_public_profile_and_nothing_else(client, role):
    today = timezone.localdate()
    provider = ProviderFactory(
        first_name="Dana", last_name="Ruiz", credentials=["LCSW"], pronouns="she/her", bio="I listen first.",
        first_session="We talk about what brings you.", concerns=["anxiety", "grief", "trauma"],
        specialties=["grief"], approaches=["cbt", "emdr"], communities=["bipoc"], languages=["en", "es"],
        formats=["telehealth"], insurance=["aetna"], self_pay_rate=150, sliding_scale_min=60,
        sliding_scale_max=120, email="dana.private@example.test",
    )
    LicenseFactory(provider=provider, state="CO", license_type="LCSW", number="CO-SECRET")
    LicenseFactory(provider=provider, state="NM", license_type="LCSW", status=LicenseStatus.UNVERIFIED)
    LicenseFactory(provider=provider, state="WY", status=LicenseStatus.REJECTED)
    LicenseFactory(provider=provider, state="UT", expires=today - dt.timedelta(days=1))

    response = client.get(f"/api/v1/providers/{provider.pk}", **auth_header(UserFactory(role=role)))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == PROFILE_KEYS
    assert body == {
        "id": provider.pk, "npi": provider.npi, "name": "Dana Ruiz", "credentials": ["LCSW"], "pronouns": "she/her",
        "photo_url": None, "statement": "I listen first.", "first_session": "We talk about what brings you.",
        "specialties": ["grief"], "concerns": ["anxiety", "grief", "trauma"],
        "approaches": [
            {"slug": "cbt", "label": "Cognitive behavioural therapy (CBT)",
             "explanation": "Noticing the thoughts and habits that keep you stuck, and practising new ones."},
            {"slug": "emdr", "label": "EMDR", "explanation": body["approaches"][1]["explanation"]},
        ],
        "communities": ["bipoc"], "languages": ["en", "es"], "formats": ["telehealth"],
        "licenses": [{"state": "CO", "type": "LCSW", "verified": True},
                     {"state": "NM", "type": "LCSW", "verified": False}],
        "self_pay_rate": 150, "sliding_scale": {"min": 60, "max": 120}, "insurance": ["aetna"], "accepting_new": True,
    }
    assert body["approaches"][1]["explanation"]
    assert "CO-SECRET" not in response.content.decode() and "dana.private" not in response.content.decode()


def test_a_profile_without_a_sliding_scale_says_null(client):
    provider = ProviderFactory()
    body = client.get(f"/api/v1/providers/{provider.pk}", **auth_header(UserFactory())).json()
    assert body["sliding_scale"] is None and body["photo_url"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [("state=ZZ", "state"), ("concern=sadness", "concern"), ("payer=acme", "payer"), ("npi=12", "npi"),
     ("accepting_new=maybe", "accepting_new"), ("page=0", "page"), ("page=x", "page")],
)
def test_bad_filters_are_422_naming_the_field(client, query, field):
    body = assert_error_shape(client.get(f"/api/v1/providers?{query}", **auth_header(UserFactory())), 422)
    assert list(body["fields"]) == [field]


def test_pages_hold_fifty_and_a_page_past_the_end_is_empty(client):
    ProviderFactory.create_batch(55)
    headers = auth_header(UserFactory())
    first = client.get("/api/v1/providers", **headers).json()
    second = client.get("/api/v1/providers?page=2", **headers).json()
    beyond = client.get("/api/v1/providers?page=9", **headers).json()
    assert (len(first["items"]), len(second["items"]), beyond["items"]) == (50, 5, [])
    assert first["count"] == 55 and first["pages"] == 2
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})


def test_listing_costs_the_same_few_queries_for_any_page_size(client):
    for p in ProviderFactory.create_batch(30):
        LicenseFactory(provider=p)
    headers = auth_header(UserFactory(role=Role.COORDINATOR))
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/providers", **headers)
    assert len(queries) <= 6


def test_an_unknown_provider_is_404(client):
    assert_error_shape(client.get("/api/v1/providers/987654", **auth_header(UserFactory())), 404, "not_found")


def test_coordinators_set_license_status_and_others_cannot(client, network):
    license = network["denver"].licenses.get()
    coordinator = UserFactory(role=Role.COORDINATOR)
    url = f"/api/v1/licenses/{license.id}/status"
    denied = client.post(url, {"status": "verified"}, content_type="application/json",
                         **auth_header(UserFactory(role=Role.PROVIDER)))
    assert_error_shape(denied, 403, "forbidden")
    bad = client.post(url, {"status": "approved"}, content_type="application/json", **auth_header(coordinator))
    assert assert_error_shape(bad, 422)["fields"] == {"status": "unknown status"}
    ok = client.post(url, {"status": "verified"}, content_type="application/json", **auth_header(coordinator))
    assert ok.status_code == 200 and ok.json()["status"] == "verified"
    license.refresh_from_db()
    assert license.verified_by == coordinator and license.verified_at is not None

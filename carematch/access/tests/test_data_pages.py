"""The "your data" pages and API: for clients only, always their own record, every download logged."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from carematch.access.models import AccessEvent
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.tests.helpers import inline_scripts

from . import data_records as r

pytestmark = pytest.mark.django_db

PAGES = ["/account/data/", "/account/data/export.json", "/account/data/export.fhir.json", "/account/data/close/"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_asked_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.COORDINATOR, Role.ADMIN])
@pytest.mark.parametrize("url", PAGES)
def test_other_roles_get_403(client, url, role):
    client.force_login(UserFactory(role=role))
    assert client.get(url).status_code == 403
    assert not AccessEvent.objects.filter(action="export").exists()


def test_the_data_page_explains_what_we_hold_and_offers_both_downloads(client):
    record = r.full_record()
    client.force_login(record.client.user)
    response = client.get("/account/data/")
    text = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert "<h1>Your data</h1>" in text
    assert 'href="/account/data/export.json" download' in text
    assert 'href="/account/data/export.fhir.json" download' in text
    assert 'href="/account/data/close/"' in text
    assert "Notes your providers wrote about your care" in text
    assert not inline_scripts(text) and "style=" not in text


def test_the_json_download_is_the_signed_in_clients_own_record_and_is_logged(client):
    mine = r.full_record()
    theirs = r.full_record(first_name="Otherperson")
    client.force_login(mine.client.user)
    response = client.get("/account/data/export.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="carematch-record-')
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["client"]["id"] == mine.client.pk
    assert theirs.client.first_name not in response.content.decode()
    event = AccessEvent.objects.get(action="export")
    assert (event.client_id, event.actor_id, event.resource_type, event.channel) == (
        mine.client.pk, mine.client.user.pk, "client_export_json", "page")


def test_the_fhir_download_is_a_valid_bundle_and_is_logged(client):
    record = r.full_record()
    client.force_login(record.client.user)
    response = client.get("/account/data/export.fhir.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert response["Content-Disposition"].endswith('.fhir.json"')
    bundle = Bundle.model_validate_json(response.content)
    assert bundle.entry[0].resource.id == f"client-{record.client.pk}"
    assert AccessEvent.objects.get(action="export").resource_type == "client_export_fhir"


def test_the_account_page_links_clients_to_their_data(client):
    record = r.full_record()
    client.force_login(record.client.user)
    assert 'href="/account/data/"' in client.get("/accounts/").content.decode()


def test_a_client_without_details_is_told_there_is_no_record_yet(client):
    user = UserFactory(role=Role.CLIENT)
    client.force_login(user)
    assert "we hold only your account" in client.get("/account/data/").content.decode()
    assert client.get("/account/data/export.json").status_code == 404


# --- The API --------------------------------------------------------------------------------------


def test_the_api_export_gives_the_token_holders_record_as_json_or_fhir(client):
    record = r.full_record()
    r.full_record(first_name="Otherperson")
    auth = auth_header(record.client.user)
    response = client.get("/api/v1/me/export", **auth)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json()["client"]["id"] == record.client.pk
    assert "Otherperson" not in response.content.decode()
    fhir = client.get("/api/v1/me/export?format=fhir", **auth)
    assert fhir.status_code == 200 and fhir["Content-Type"].startswith("application/fhir+json")
    Bundle.model_validate_json(fhir.content)
    events = AccessEvent.objects.filter(action="export").order_by("id")
    assert [(e.resource_type, e.channel, e.client_id) for e in events] == [
        ("client_export_json", "api", record.client.pk), ("client_export_fhir", "api", record.client.pk)]


def test_the_api_export_refuses_other_roles_unknown_formats_and_missing_tokens(client):
    record = r.full_record()
    assert client.get("/api/v1/me/export").status_code == 401
    provider = client.get("/api/v1/me/export", **auth_header(record.provider.user))
    assert provider.status_code == 403 and provider.json()["error"] == "forbidden"
    wrong = client.get("/api/v1/me/export?format=xml", **auth_header(record.client.user))
    assert wrong.status_code == 422 and "format" in wrong.json()["fields"]
    assert not AccessEvent.objects.filter(action="export").exists()

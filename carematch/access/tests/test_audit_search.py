"""Coordinators and admins search the access log by client, by user and from a date: on the API
(JSON and a FHIR Bundle of AuditEvents), on the staff page and with `export_audit_fhir`. Nobody
else may, and every reading of the log is itself recorded."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle

from carematch.access import audit
from carematch.access.models import AccessEvent
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.scheduling.tests.factories import ClientFactory
from carematch.tests.helpers import assert_error_shape, inline_scripts

pytestmark = pytest.mark.django_db


def as_request(user, address="192.0.2.10"):
    request = RequestFactory().get("/api/v1/clients/1/goals", REMOTE_ADDR=address)
    request.user = user
    return request


@pytest.fixture
def log():
    """Two clients; a provider read one's goals, was refused the other's; the other client
    read their own progress."""
    mine, theirs = ClientFactory(), ClientFactory()
    provider = UserFactory(role=Role.PROVIDER, email="pat.provider@example.test")
    seen = audit.record(as_request(provider), action="view", resource_type="goals", resource_id=mine.pk, client=mine)
    refused = audit.record(as_request(provider), action="view", resource_type="goals", resource_id=theirs.pk,
                           client=theirs, outcome="denied")
    own = audit.record(as_request(theirs.user), action="view", resource_type="care_record", resource_id=theirs.pk,
                       client=theirs)
    return {"mine": mine, "theirs": theirs, "provider": provider, "seen": seen, "refused": refused, "own": own}


def ids(body):
    return [event["id"] for event in body["events"]]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_staff_list_every_event_newest_first(client, log, role):
    staff = UserFactory(role=role)
    response = client.get("/api/v1/audit-events", **auth_header(staff))
    assert response.status_code == 200
    body = response.json()
    assert ids(body) == [log["own"].pk, log["refused"].pk, log["seen"].pk]
    assert body["count"] == 3 and body["page"] == 1 and body["pages"] == 1 and body["next_page"] is None
    assert body["events"][1] | {"occurred_at": None} == {
        "id": log["refused"].pk, "occurred_at": None,
        "actor": {"id": log["provider"].pk, "email": "pat.provider@example.test", "role": "provider"},
        "action": "view", "resource_type": "goals", "resource_id": str(log["theirs"].pk),
        "client_id": log["theirs"].pk, "outcome": "denied", "result": "", "address": "192.0.2.10", "channel": "api",
    }


def test_filters_by_client_by_user_email_or_id_and_since(client, log):
    headers = auth_header(UserFactory(role=Role.COORDINATOR))
    theirs = log["theirs"].pk
    assert ids(client.get(f"/api/v1/audit-events?client_id={theirs}", **headers).json()) == [
        log["own"].pk, log["refused"].pk]
    assert ids(client.get("/api/v1/audit-events?user=PAT.provider@example.test", **headers).json()) == [
        log["refused"].pk, log["seen"].pk]
    assert ids(client.get(f"/api/v1/audit-events?user={log['provider'].pk}&client_id={theirs}",
                          **headers).json()) == [log["refused"].pk]
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date().isoformat()
    assert client.get(f"/api/v1/audit-events?since={tomorrow}", **headers).json()["count"] == 0
    assert client.get("/api/v1/audit-events?since=2020-01-01&user=pat.provider@example.test",
                      **headers).json()["count"] == 2


def test_results_come_in_pages_of_fifty(client):
    made = [audit.record(None, action="view", resource_type="goals", resource_id=n + 1).pk for n in range(55)]
    headers = auth_header(UserFactory(role=Role.ADMIN))
    first = client.get("/api/v1/audit-events", **headers).json()
    assert (first["count"], first["pages"], first["next_page"]) == (55, 2, 2)
    assert ids(first) == made[::-1][:50]
    # The first reading is an event too: it is the newest now, and the oldest six are on page 2.
    second = client.get("/api/v1/audit-events?page=2", **headers).json()
    assert (second["count"], second["next_page"]) == (56, None)
    assert ids(second) == made[::-1][49:]
    assert client.get("/api/v1/audit-events?page=9", **headers).json()["events"] == []


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER])
def test_clients_and_providers_get_403_and_their_attempt_is_recorded(client, log, role):
    user = UserFactory(role=role)
    assert_error_shape(client.get("/api/v1/audit-events", **auth_header(user)), 403, "forbidden")
    assert_error_shape(client.get("/api/v1/audit-events/fhir", **auth_header(user)), 403, "forbidden")
    attempts = AccessEvent.objects.filter(actor_id=user.pk).values_list("action", "resource_type", "outcome")
    assert sorted(attempts) == [("export", "audit_log", "denied"), ("view", "audit_log", "denied")]


def test_without_a_token_the_answer_is_401(client):
    assert_error_shape(client.get("/api/v1/audit-events"), 401)


@pytest.mark.parametrize(("query", "field"), [
    ("since=yesterday", "since"), ("since=2027-13-01", "since"), ("since=2027-01-04T09:00:00", "since"),
    ("client_id=abc", "client_id"), ("client_id=0", "client_id"), ("client_id=99999999999999999999", "client_id"),
    ("user=99999999999999999999", "user"), ("page=0", "page"),
])
def test_bad_filters_are_422_naming_the_field(client, query, field):
    body = assert_error_shape(client.get(f"/api/v1/audit-events?{query}",
                                         **auth_header(UserFactory(role=Role.COORDINATOR))), 422, "invalid_input")
    assert set(body["fields"]) == {field}


def test_reading_the_log_is_itself_recorded(client, log):
    staff = UserFactory(role=Role.COORDINATOR)
    client.get(f"/api/v1/audit-events?client_id={log['mine'].pk}", **auth_header(staff))
    reading = AccessEvent.objects.filter(actor_id=staff.pk).get()
    assert (reading.action, reading.resource_type, reading.client_id, reading.outcome) == (
        "view", "audit_log", log["mine"].pk, "allowed")


def test_the_fhir_bundle_holds_valid_audit_events(client, log):
    staff = UserFactory(role=Role.ADMIN)
    response = client.get(f"/api/v1/audit-events/fhir?client_id={log['theirs'].pk}", **auth_header(staff))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset" and bundle.total == 2
    own, refused = (AuditEvent.model_validate(entry.resource.model_dump()) for entry in bundle.entry)
    assert (refused.action, refused.outcome, own.action, own.outcome) == ("R", "4", "R", "0")
    assert refused.type.code == "rest"
    [agent] = refused.agent
    assert agent.who.identifier.value == str(log["provider"].pk) and agent.network.address == "192.0.2.10"
    what, patient = refused.entity
    assert what.what.identifier.value == str(log["theirs"].pk) and what.name == "goals"
    assert patient.what.reference == f"Patient/client-{log['theirs'].pk}" and patient.role.code == "1"
    export = AccessEvent.objects.filter(actor_id=staff.pk).get()
    assert (export.action, export.resource_type, export.client_id) == ("export", "audit_log", log["theirs"].pk)


def test_the_command_exports_a_valid_bundle_and_records_the_export(log, tmp_path):
    target = tmp_path / "audit.json"
    out = tmp_path / "out.txt"
    with out.open("w") as stream:
        call_command("export_audit_fhir", "--client-id", str(log["mine"].pk), "--since", "2020-01-01", str(target),
                     stdout=stream)
    bundle = Bundle.model_validate(json.loads(target.read_text()))
    assert [entry.resource.id for entry in bundle.entry] == [f"access-{log['seen'].pk}"]
    assert "wrote 1 access event to" in out.read_text()
    export = AccessEvent.objects.latest("id")
    assert (export.actor_role, export.action, export.resource_type, export.client_id) == (
        "system", "export", "audit_log", log["mine"].pk)


@pytest.mark.parametrize(("arguments", "problem"), [
    (["--since", "soon"], "--since"), (["--client-id", "0"], "--client-id"),
])
def test_the_command_refuses_bad_arguments(tmp_path, arguments, problem):
    with pytest.raises(CommandError, match=problem):
        call_command("export_audit_fhir", *arguments, str(tmp_path / "audit.json"))
    assert not (tmp_path / "audit.json").exists()


# --- The staff page ---------------------------------------------------------------------------------


def test_the_staff_page_lists_and_filters_events(client, log):
    staff = UserFactory(role=Role.COORDINATOR)
    client.force_login(staff)
    everything = client.get("/staff/audit/")
    assert everything.status_code == 200
    html = everything.content.decode()
    assert "3 events" in html and "pat.provider@example.test" in html and "Denied" in html
    assert 'aria-label="Search the access log"' in html and not inline_scripts(html) and "style=" not in html
    filtered = client.get(f"/staff/audit/?client={log['mine'].pk}&user=pat.provider@example.test&since=2020-01-01")
    assert "1 event" in filtered.content.decode() and "Denied" not in filtered.content.decode()
    readings = AccessEvent.objects.filter(actor_id=staff.pk).values_list("resource_type", "client_id", "channel")
    assert sorted(readings, key=str) == sorted([("audit_log", None, "page"), ("audit_log", log["mine"].pk, "page")],
                                               key=str)


def test_the_staff_page_names_a_bad_filter(client):
    client.force_login(UserFactory(role=Role.ADMIN))
    response = client.get("/staff/audit/?since=someday&client=abc")
    html = response.content.decode()
    assert response.status_code == 200 and "Correct the filters" in html
    assert "Enter a valid date" in html and "Enter a whole number" in html


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER])
def test_the_staff_page_is_refused_to_others_and_the_attempt_recorded(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    assert client.get("/staff/audit/").status_code == 403
    assert AccessEvent.objects.filter(actor_id=user.pk, resource_type="audit_log", outcome="denied").count() == 1


def test_the_staff_page_sends_visitors_to_log_in(client):
    response = client.get("/staff/audit/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not AccessEvent.objects.exists()

"""Reading or changing a client's record through a page, the API or an export leaves an event
in the access log; a caller who may not see the record gets 404 and leaves a denied event."""

from __future__ import annotations

import json

import pytest

from carematch.access.models import AccessEvent
from carematch.accounts.tests.factories import auth_header
from carematch.care.tests.factories import goal
from carematch.measures.tests.factories import coordinator, in_care, phq9, record
from carematch.scheduling.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def events():
    return list(AccessEvent.objects.order_by("id").values_list(
        "actor_id", "action", "resource_type", "resource_id", "client_id", "outcome", "channel"))


def test_a_provider_viewing_their_clients_goals_by_api_is_recorded_as_allowed(client):
    person, provider = in_care()
    goal(person)
    response = client.get(f"/api/v1/clients/{person.pk}/goals", **auth_header(provider.user))
    assert response.status_code == 200 and len(response.json()) == 1
    assert events() == [(provider.user.pk, "view", "goals", str(person.pk), person.pk, "allowed", "api")]


def test_a_provider_who_may_not_see_the_client_gets_404_and_a_denied_event(client):
    person, _ = in_care()
    _, stranger = in_care()
    response = client.get(f"/api/v1/clients/{person.pk}/goals", **auth_header(stranger.user))
    assert response.status_code == 404
    assert events() == [(stranger.user.pk, "view", "goals", str(person.pk), person.pk, "denied", "api")]


def test_asking_for_a_client_that_does_not_exist_is_denied_without_a_client(client):
    _, provider = in_care()
    response = client.get("/api/v1/clients/987654/assessments", **auth_header(provider.user))
    assert response.status_code == 404
    assert events() == [(provider.user.pk, "view", "assessments", "987654", None, "denied", "api")]


def test_revising_another_clients_goal_is_denied_with_the_goals_client(client):
    person, _ = in_care()
    theirs = goal(person)
    _, stranger = in_care()
    body = {"text": "Sleep better", "measure": "self_rating", "target": 8, "target_date": "2030-01-01"}
    response = client.post(f"/api/v1/goals/{theirs.pk}/revise", json.dumps(body), content_type="application/json",
                           **auth_header(stranger.user))
    assert response.status_code == 404
    assert events() == [(stranger.user.pk, "update", "goal", str(theirs.pk), person.pk, "denied", "api")]


def test_recording_an_assessment_and_reading_the_scores_are_both_recorded(client):
    person, provider = in_care()
    headers = auth_header(person.user)
    created = client.post(f"/api/v1/clients/{person.pk}/assessments",
                          json.dumps({"instrument": "phq9", "answers": phq9(6)}), content_type="application/json",
                          **headers)
    assert created.status_code == 201
    assert client.get(f"/api/v1/clients/{person.pk}/assessments", **auth_header(provider.user)).status_code == 200
    assert events() == [
        (person.user.pk, "create", "assessments", str(person.pk), person.pk, "allowed", "api"),
        (provider.user.pk, "view", "assessments", str(person.pk), person.pk, "allowed", "api"),
    ]


def test_the_alerts_list_records_one_event_per_alert_shown(client):
    person, provider = in_care()
    record(person, "phq9", phq9(9, item9=1))
    alert = person.measure_alerts.get(provider=provider)
    assert client.get("/api/v1/alerts", **auth_header(provider.user)).status_code == 200
    assert events()[-1] == (provider.user.pk, "view", "alert", str(alert.pk), person.pk, "allowed", "api")


def test_the_client_details_by_api_are_recorded(client):
    person, provider = in_care()
    assert client.get(f"/api/v1/clients/{person.pk}", **auth_header(provider.user)).status_code == 200
    assert events() == [(provider.user.pk, "view", "client", str(person.pk), person.pk, "allowed", "api")]


def test_a_client_viewing_their_own_progress_page_is_recorded(client):
    person, _ = in_care()
    client.force_login(person.user)
    assert client.get("/progress/").status_code == 200
    assert events() == [(person.user.pk, "view", "care_record", str(person.pk), person.pk, "allowed", "page")]


def test_a_provider_opening_a_client_they_may_not_see_gets_404_and_a_denied_event(client):
    person, _ = in_care()
    _, stranger = in_care()
    client.force_login(stranger.user)
    assert client.get(f"/caseload/{person.pk}/").status_code == 404
    assert events() == [(stranger.user.pk, "view", "care_record", str(person.pk), person.pk, "denied", "page")]


def test_the_caseload_records_each_client_shown(client):
    person, provider = in_care()
    client.force_login(provider.user)
    assert client.get("/caseload/").status_code == 200
    assert events() == [(provider.user.pk, "view", "caseload", str(person.pk), person.pk, "allowed", "page")]


def test_a_coordinator_viewing_an_appointment_page_is_recorded(client):
    person, _ = in_care()
    session = person.appointments.get()
    staff = coordinator()
    client.force_login(staff)
    assert client.get(f"/sessions/{session.pk}/").status_code == 200
    assert events() == [(staff.pk, "view", "appointment", str(session.pk), person.pk, "allowed", "page")]


def test_someone_elses_appointment_by_api_is_denied(client):
    person, _ = in_care()
    session = person.appointments.get()
    other = ClientFactory()
    assert client.get(f"/api/v1/appointments/{session.pk}", **auth_header(other.user)).status_code == 404
    assert events() == [(other.user.pk, "view", "appointment", str(session.pk), person.pk, "denied", "api")]


def test_the_client_fhir_export_command_records_an_export(tmp_path):
    from django.core.management import call_command

    person, _ = in_care()
    call_command("export_client_fhir", "--client", str(person.pk), "--out", str(tmp_path / "record.json"),
                 stdout=open(tmp_path / "out.txt", "w"))  # noqa: SIM115 - closed with the test's folder
    assert events() == [(None, "export", "client_record", str(person.pk), person.pk, "allowed", "command")]

"""Crisis follow-up on the JSON API: anyone may ask to be contacted (limited per address),
coordinators and admins list the requests and record outcomes, everyone else is told no
(403 on the list, 404 on a request), and every answer is in the one shape."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from carematch.access.models import AccessEvent
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header, token_for
from carematch.scheduling import services
from carematch.scheduling.models import CareRequest, CrisisRequest
from carematch.tests.helpers import assert_error_shape

from .factories import ClientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/crisis-requests"
ASK = {"name": "Ash", "phone": "(303) 555-0142", "state": "co", "message": "I am at my sister's tonight"}


def post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def coordinator():
    return UserFactory(role=Role.COORDINATOR)


def waiting(minutes_ago: int, **fields) -> CrisisRequest:
    fields = {"channel": "page", "name": "Rowan", "phone": "(720) 555-0101", "state": "CO"} | fields
    return services.crisis_request_create(now=timezone.now() - dt.timedelta(minutes=minutes_ago), **fields)


# --- Asking ---------------------------------------------------------------------------------------------


def test_anyone_may_ask_to_be_contacted_and_is_told_where_to_get_help_now(client, settings):
    settings.CRISIS_CALLBACK_HOURS = "weekdays 8 am to 8 pm Mountain time"
    response = post(client, URL, ASK)
    assert response.status_code == 201, response.content
    body = response.json()
    request = CrisisRequest.objects.get()
    assert (body["id"], body["status"]) == (request.pk, "open")
    assert body["callback_hours"] == "weekdays 8 am to 8 pm Mountain time"
    assert [r["contact"] for r in body["crisis_resources"]] == ["tel:988", "sms:741741", "tel:911"]
    assert (request.channel, request.phone, request.state, request.message, request.client) == (
        "api", "+13035550142", "CO", ASK["message"], None)
    event = AccessEvent.objects.get(resource_type="crisis_request")
    assert (event.action, event.actor_role, event.channel, event.resource_id) == (
        "create", "anonymous", "api", str(request.pk))


def test_a_client_asking_with_their_token_is_recorded_as_themselves(client):
    person = ClientFactory()
    response = post(client, URL, ASK, **auth_header(person.user))
    assert response.status_code == 201
    assert CrisisRequest.objects.get().client == person
    assert AccessEvent.objects.get(resource_type="crisis_request").client_id == person.pk


def test_a_session_cookie_does_not_make_an_anonymous_request_someone_elses(client):
    person = ClientFactory()
    client.force_login(person.user)
    assert post(client, URL, ASK).status_code == 201
    assert CrisisRequest.objects.get().client is None


def test_a_token_that_is_sent_must_be_valid(client):
    response = post(client, URL, ASK, HTTP_AUTHORIZATION="Bearer not-a-real-token")
    assert_error_shape(response, 401, "unauthenticated")
    assert not CrisisRequest.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"phone": "12"}, "phone"),
    ({"phone": ""}, "phone"),
    ({"state": "ZZ"}, "state"),
    ({"name": "n" * 101}, "name"),
    ({"message": "m" * 2001}, "message"),
])
def test_bad_input_is_422_naming_the_field(client, change, field):
    body = assert_error_shape(post(client, URL, ASK | change), 422, "invalid_input")
    assert field in body["fields"]
    assert not CrisisRequest.objects.exists()


@pytest.mark.parametrize("missing", ["name", "phone", "state"])
def test_a_missing_field_is_422_naming_it(client, missing):
    body = assert_error_shape(post(client, URL, {k: v for k, v in ASK.items() if k != missing}), 422)
    assert body["fields"] == {missing: "this field is required"}


def test_the_sixth_request_in_an_hour_from_one_address_is_429_with_retry_after(client):
    for _ in range(5):
        assert post(client, URL, ASK).status_code == 201
    response = post(client, URL, ASK)
    body = assert_error_shape(response, 429, "rate_limited")
    assert "988" in body["detail"] and "911" in body["detail"]
    assert 3500 <= int(response["Retry-After"]) <= 3600
    assert CrisisRequest.objects.count() == 5
    other = post(client, URL, ASK, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 201


# --- Coordinators: the list -----------------------------------------------------------------------------


def test_coordinators_list_open_requests_oldest_first_with_minutes_waiting_and_attempts(client, coordinator):
    person = ClientFactory()
    newer = waiting(5, name="Newer", client=person)
    older = waiting(40, name="Older", phone="", email="older@example.test")
    services.crisis_attempt_record(crisis_request=older, outcome="no_answer", note="No answer", by=coordinator)
    closed = waiting(90, name="Closed")
    services.crisis_attempt_record(crisis_request=closed, outcome="reached", note="Reached", by=coordinator)

    response = client.get(URL, **auth_header(coordinator))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["items"]] == [older.pk, newer.pk]
    first, second = body["items"]
    assert set(first) == {"id", "name", "phone", "email", "state", "channel", "status", "requested_at",
                          "minutes_waiting", "attempts"}
    assert (first["name"], first["phone"], first["email"], first["attempts"], first["status"]) == (
        "Older", "", "older@example.test", 1, "open")
    assert 39 <= first["minutes_waiting"] <= 41
    assert (second["phone"], second["state"], second["attempts"], second["channel"]) == (
        "+17205550101", "CO", 0, "page")
    assert "message" not in first  # shown only on the queue page
    # One view event per request shown, with the client when there is one.
    events = AccessEvent.objects.filter(resource_type="crisis_request", action="view")
    assert sorted((e.resource_id, e.client_id) for e in events) == sorted(
        [(str(older.pk), None), (str(newer.pk), person.pk)])

    closed_list = client.get(URL, {"status": "closed"}, **auth_header(coordinator)).json()
    assert [(item["id"], item["status"], item["attempts"]) for item in closed_list["items"]] == [
        (closed.pk, "closed", 1)]


def test_the_list_is_limited_and_counts_them_all(client, coordinator):
    for minutes in (30, 20, 10):
        waiting(minutes)
    body = client.get(URL, {"limit": 2}, **auth_header(coordinator)).json()
    assert (len(body["items"]), body["count"]) == (2, 3)
    bad = assert_error_shape(client.get(URL, {"status": "all"}, **auth_header(coordinator)), 422)
    assert "status" in bad["fields"]


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER])
def test_anyone_else_gets_403_on_the_list(client, role):
    waiting(5)
    response = client.get(URL, **auth_header(UserFactory(role=role)))
    assert_error_shape(response, 403, "forbidden")
    assert AccessEvent.objects.get(resource_type="crisis_requests").outcome == "denied"
    assert_error_shape(client.get(URL), 401, "unauthenticated")


# --- Coordinators: outcomes ------------------------------------------------------------------------------


def outcome_url(request: CrisisRequest | int) -> str:
    return f"{URL}/{getattr(request, 'pk', request)}/outcome"


def test_an_outcome_is_recorded_and_answered_with_the_request(client, coordinator):
    request = waiting(12)
    response = post(client, outcome_url(request), {"outcome": "no_answer", "note": "Rang twice"},
                    **auth_header(coordinator))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["status"], body["attempts"]) == (request.pk, "open", 1)

    admin = UserFactory(role=Role.ADMIN)
    closed = post(client, outcome_url(request), {"outcome": "referred_emergency", "note": "Called 911 with them"},
                  **auth_header(admin)).json()
    assert (closed["status"], closed["attempts"]) == ("closed", 2)
    assert 11 <= closed["minutes_waiting"] <= 13
    events = AccessEvent.objects.filter(resource_type="crisis_request", action="update").order_by("pk")
    assert [(e.actor_id, e.outcome, e.resource_id) for e in events] == [
        (coordinator.pk, "allowed", str(request.pk)), (admin.pk, "allowed", str(request.pk))]

    again = post(client, outcome_url(request), {"outcome": "reached", "note": "x"}, **auth_header(coordinator))
    assert_error_shape(again, 409, "conflict")


@pytest.mark.parametrize(("body", "field"), [
    ({"outcome": "left_voicemail", "note": "Left a voicemail"}, "outcome"),
    ({"outcome": "reached", "note": "   "}, "note"),
    ({"outcome": "reached"}, "note"),
    ({"outcome": "reached", "note": "n" * 2001}, "note"),
])
def test_a_bad_outcome_is_422_naming_the_field(client, coordinator, body, field):
    request = waiting(3)
    answer = assert_error_shape(post(client, outcome_url(request), body, **auth_header(coordinator)), 422)
    assert field in answer["fields"]
    assert not request.attempts.exists()


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER])
def test_anyone_else_gets_404_on_a_request_and_the_attempt_is_logged_as_denied(client, role):
    person = ClientFactory()
    request = waiting(3, client=person)
    caller = person.user if role == Role.CLIENT else UserFactory(role=role)
    response = post(client, outcome_url(request), {"outcome": "reached", "note": "x"}, **auth_header(caller))
    assert_error_shape(response, 404, "not_found")
    assert not request.attempts.exists()
    event = AccessEvent.objects.get(resource_type="crisis_request", action="update")
    assert (event.outcome, event.client_id) == ("denied", person.pk)


def test_an_unknown_request_is_404(client, coordinator):
    response = post(client, outcome_url(999_999), {"outcome": "reached", "note": "x"}, **auth_header(coordinator))
    assert_error_shape(response, 404, "not_found")


# --- Matching with a contact ------------------------------------------------------------------------------

MATCH = {"state": "CO", "age": 30, "concerns": ["anxiety"], "format": "telehealth", "crisis": True}


def test_a_crisis_match_with_a_contact_puts_the_person_in_the_queue(client):
    person = ClientFactory(state="CO")
    response = post(client, "/api/v1/match", MATCH | {"contact": {"name": "Ash", "phone": "303 555 0142"}},
                    HTTP_AUTHORIZATION=f"Bearer {token_for(person.user)}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["crisis_resources"][0]["contact"] == "tel:988"
    request = CrisisRequest.objects.get(pk=body["crisis_request_id"])
    assert (request.phone, request.state, request.client, request.channel) == ("+13035550142", "CO", person, "api")
    assert request.care_request == CareRequest.objects.get(pk=body["care_request_id"])
    assert request.care_request.crisis


def test_a_crisis_match_without_a_contact_makes_no_crisis_request(client):
    person = ClientFactory(state="CO")
    body = post(client, "/api/v1/match", MATCH, **auth_header(person.user)).json()
    assert "crisis_request_id" not in body and not CrisisRequest.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"contact": {"name": "Ash", "phone": "12"}}, "contact.phone"),
    ({"contact": {"name": "Ash"}}, "contact.phone"),
    ({"contact": {"name": "Ash", "phone": "303 555 0142"}, "crisis": False}, "contact"),
])
def test_a_bad_contact_is_422_naming_it_and_nothing_is_written(client, change, field):
    person = ClientFactory(state="CO")
    response = post(client, "/api/v1/match", MATCH | change, **auth_header(person.user))
    body = assert_error_shape(response, 422, "invalid_input")
    assert field in body["fields"], body
    assert not CrisisRequest.objects.exists() and not CareRequest.objects.exists()

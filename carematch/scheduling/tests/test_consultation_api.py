"""Free 15-minute consultations on the JSON API: openings of a kind, and booking one."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from carematch.accounts.tests.factories import auth_header
from carematch.scheduling.models import Appointment, CareRequest, Status
from carematch.scheduling.services import care_request_open
from carematch.tests.helpers import assert_error_shape

from .factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return weekday_provider(offers_consultations=True, consultation_formats=["phone", "telehealth"])


@pytest.fixture
def client_record():
    return ClientFactory()


def openings(client, provider, headers, query=""):
    response = client.get(f"/api/v1/providers/{provider.pk}/openings{query}", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def post(client, body, headers):
    return client.post("/api/v1/appointments", json.dumps(body), content_type="application/json", **headers)


def test_openings_are_sessions_by_default_and_consultations_when_asked(client, provider, client_record):
    headers = auth_header(client_record.user)
    sessions = openings(client, provider, headers)
    calls = openings(client, provider, headers, "?kind=consultation")
    assert (sessions["kind"], calls["kind"]) == ("session", "consultation")
    lengths = {dt.datetime.fromisoformat(o["end"]) - dt.datetime.fromisoformat(o["start"]) for o in calls["openings"]}
    assert lengths == {dt.timedelta(minutes=15)}
    assert all(o["formats"] == ["phone", "telehealth"] for o in calls["openings"])
    # Every free hour a session could take holds four calls, the first at the session's start
    # (whatever the clock says now: the hours are the ones offered), up to where the list of
    # openings ends.
    call_starts = {dt.datetime.fromisoformat(o["start"]) for o in calls["openings"]}
    assert sessions["openings"]
    for session in sessions["openings"]:
        start = dt.datetime.fromisoformat(session["start"])
        if start + dt.timedelta(minutes=45) > max(call_starts):
            continue
        assert {start + dt.timedelta(minutes=m) for m in (0, 15, 30, 45)} <= call_starts, session["start"]
    only_phone = openings(client, provider, headers, "?kind=consultation&format=phone")
    assert all(o["formats"] == ["phone"] for o in only_phone["openings"])


def test_a_provider_who_offers_no_calls_has_no_consultation_openings(client, client_record):
    body = openings(client, weekday_provider(), auth_header(client_record.user), "?kind=consultation")
    assert body["openings"] == []


def test_an_unknown_kind_is_422_naming_kind(client, provider, client_record):
    headers = auth_header(client_record.user)
    response = client.get(f"/api/v1/providers/{provider.pk}/openings?kind=coffee", **headers)
    body = assert_error_shape(response, 422)
    assert "kind" in body["fields"]
    start = openings(client, provider, headers, "?kind=consultation")["openings"][0]["start"]
    booked = post(client, {"provider_id": provider.pk, "client_id": client_record.pk, "start": start,
                           "format": "phone", "kind": "coffee"}, headers)
    assert "kind" in assert_error_shape(booked, 422)["fields"]
    assert not Appointment.objects.exists()


def test_a_client_books_a_consultation_and_its_quarter_hour_leaves_both_kinds_of_openings(
    client, provider, client_record
):
    headers = auth_header(client_record.user)
    first = openings(client, provider, headers, "?kind=consultation")["openings"][1]["start"]  # 09:15
    response = post(client, {"provider_id": provider.pk, "client_id": client_record.pk, "start": first,
                             "format": "phone", "kind": "consultation"}, headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["format"], body["status"]) == ("consultation", "phone", "booked")
    assert dt.datetime.fromisoformat(body["end"]) - dt.datetime.fromisoformat(body["start"]) == dt.timedelta(minutes=15)
    start = dt.datetime.fromisoformat(first)
    calls = {dt.datetime.fromisoformat(o["start"]) for o in openings(client, provider, headers,
                                                                      "?kind=consultation")["openings"]}
    sessions = {dt.datetime.fromisoformat(o["start"]) for o in openings(client, provider, headers)["openings"]}
    assert start not in calls
    # The hour the call falls in is no longer a session opening.
    assert start - dt.timedelta(minutes=15) not in sessions
    # Another client cannot have a session over it.
    other = ClientFactory()
    clash = post(client, {"provider_id": provider.pk, "client_id": other.pk,
                          "start": (start - dt.timedelta(minutes=15)).isoformat(), "format": "telehealth"},
                 auth_header(other.user))
    assert clash.status_code in (409, 422)
    assert Appointment.objects.filter(status=Status.BOOKED).count() == 1


def test_a_consultation_needs_a_provider_who_offers_it_and_a_way_they_offer(client, provider, client_record):
    headers = auth_header(client_record.user)
    start = openings(client, provider, headers)["openings"][0]["start"]
    plain = weekday_provider()
    refused = post(client, {"provider_id": plain.pk, "client_id": client_record.pk, "start": start,
                            "format": "telehealth", "kind": "consultation"}, headers)
    assert assert_error_shape(refused, 422, "invalid_slot")["fields"] == {
        "kind": "no consultations offered by this provider"}
    in_person = post(client, {"provider_id": provider.pk, "client_id": client_record.pk, "start": start,
                              "format": "in_person", "kind": "consultation"}, headers)
    assert "format" in assert_error_shape(in_person, 422, "invalid_slot")["fields"]
    phone_session = post(client, {"provider_id": provider.pk, "client_id": client_record.pk, "start": start,
                                  "format": "phone"}, headers)
    assert "format" in assert_error_shape(phone_session, 422, "invalid_slot")["fields"]
    assert not Appointment.objects.exists()


def test_a_consultation_is_a_first_contact_not_the_first_session_of_the_clock(client, provider, client_record):
    request = care_request_open(client=client_record)
    headers = auth_header(client_record.user)
    start = openings(client, provider, headers, "?kind=consultation")["openings"][0]["start"]
    response = post(client, {"provider_id": provider.pk, "client_id": client_record.pk, "start": start,
                             "format": "telehealth", "kind": "consultation"}, headers)
    assert response.status_code == 201, response.content
    request = CareRequest.objects.get(pk=request.pk)
    assert request.first_appointment is None and request.wait_seconds is None


def test_an_offset_beyond_what_a_database_takes_names_the_same_moment_in_utc(client, provider, client_record):
    """ISO 8601 and Python allow +16:00; PostgreSQL refuses offsets past 15:59. The range is read
    in UTC, so such a query is answered like its UTC twin, never a 500."""
    headers = auth_header(client_record.user)
    far = openings(client, provider, headers, "?from=2030-01-07T16:00:00%2B16:00")
    utc = openings(client, provider, headers, "?from=2030-01-07T00:00:00%2B00:00")
    assert far["openings"] and far["openings"] == utc["openings"]

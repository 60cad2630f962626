"""Two rules of a match request, each said in one place and kept by both front doors:
- a ZIP code is needed by whoever may meet in person (the match engine's check_request);
- the client's time zone is the one they chose, else their ZIP's, else their state's, else
  Eastern time (carematch.lib.timezones.client_zone)."""

from __future__ import annotations

import datetime as dt

import pytest

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.lib.errors import InvalidInput
from carematch.lib.timezones import CLIENT_ZONE_DEFAULT, client_zone
from carematch.matching.engine.request import ZIP_NEEDED, check_request, zip_needed
from carematch.matching.engine.types import MatchAnswer, MatchRequest
from carematch.scheduling.models import CareRequest, CrisisRequest
from carematch.scheduling.tests.factories import ClientFactory
from carematch.tests.helpers import assert_error_shape

NOW = dt.datetime(2027, 1, 5, 15, tzinfo=dt.UTC)


def request(**fields):
    values = {"state": "CO", "age": 30, "concerns": ("anxiety",), "earliest": NOW, "client_timezone": "America/Denver"}
    return MatchRequest(**(values | fields))


# --- The ZIP code --------------------------------------------------------------------------------


@pytest.mark.parametrize(("format", "asking", "needed"), [
    ("in_person", True, True), ("any", True, True), ("telehealth", True, False),
    ("in_person", False, True), ("any", False, False), ("telehealth", False, False),
])
def test_the_engine_says_when_a_zip_is_needed(format, asking, needed):
    assert zip_needed(format, asking=asking) is needed
    if needed:
        with pytest.raises(InvalidInput) as refused:
            check_request(request(format=format), now=NOW, asking=asking)
        assert refused.value.detail == ZIP_NEEDED
        assert refused.value.fields == {"zip": "required when format is in_person or any"}
    else:
        check_request(request(format=format), now=NOW, asking=asking)
    check_request(request(format=format, zip="80202"), now=NOW, asking=asking)


def test_a_missing_zip_among_other_problems_is_named_with_them():
    with pytest.raises(InvalidInput) as refused:
        check_request(request(format="any", state="ZZ"), now=NOW, asking=True)
    assert set(refused.value.fields) == {"state", "zip"}
    assert refused.value.detail == "Some of what was asked for cannot be used to find a match."


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["in_person", "any"])
def test_the_api_refuses_a_request_without_a_zip_before_writing_anything(client, format):
    body = {"state": "CO", "age": 34, "concerns": ["anxiety"], "format": format, "crisis": True,
            "contact": {"name": "Ash", "phone": "(303) 555-0142"}}
    response = client.post("/api/v1/match", body, content_type="application/json",
                           **auth_header(UserFactory(role=Role.COORDINATOR)))
    refused = assert_error_shape(response, 422)
    assert refused["detail"] == "A ZIP code is needed to find providers you can meet in person."
    assert refused["fields"] == {"zip": "required when format is in_person or any"}
    assert not CareRequest.objects.exists() and not CrisisRequest.objects.exists()


@pytest.mark.django_db
def test_the_api_refuses_an_unusable_earliest_before_writing_anything(client):
    body = {"state": "CO", "zip": "80202", "age": 34, "concerns": ["anxiety"], "format": "telehealth",
            "earliest": "2099-01-04T09:00:00+00:00"}
    response = client.post("/api/v1/match", body, content_type="application/json",
                           **auth_header(UserFactory(role=Role.COORDINATOR)))
    assert set(assert_error_shape(response, 422)["fields"]) == {"earliest"}
    assert not CareRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("format", "asked"), [("in_person", True), ("any", True), ("telehealth", False)])
def test_the_intake_asks_for_a_zip_by_the_engines_rule(client, format, asked):
    client.post("/find/meeting/", {"format": format, "max_distance_miles": "25"})
    page = client.post("/find/place/", {"state": "CO", "zip": ""})
    assert ("We need your ZIP code to find therapists you can meet in person." in page.content.decode()) is asked
    assert page.status_code == (200 if asked else 302)


@pytest.mark.django_db
def test_answers_that_lost_their_zip_are_sent_back_to_the_place_step_not_matched_online_only(client):
    """The format changed to "either" after the ZIP was left out: the results ask for it."""
    session = client.session
    session["carematch_intake"] = {
        "in_danger": "no", "concerns": ["anxiety"], "format": "any", "max_distance_miles": "25",
        "state": "CO", "zip": "", "date_of_birth": "1990-01-01", "languages": ["en"], "payment": "self_pay",
    }
    session.save()
    response = client.get("/find/results/", follow=True)
    assert response.redirect_chain[-1][0] == "/find/place/"
    assert f"{ZIP_NEEDED} Please check your answers." in response.content.decode()


# --- The client's time zone ----------------------------------------------------------------------


@pytest.mark.parametrize(("given", "zone"), [
    ({"chosen": "America/Phoenix", "zip": "10001", "state": "CO"}, "America/Phoenix"),
    ({"zip": "10001", "state": "CO"}, "America/New_York"),
    ({"zip": "", "state": "CO"}, "America/Denver"),
    ({"chosen": "", "zip": None, "state": "HI"}, "Pacific/Honolulu"),
    ({"chosen": "Mars/Olympus_Mons", "state": "CA"}, "America/Los_Angeles"),
    ({"zip": "00000", "state": "ZZ"}, CLIENT_ZONE_DEFAULT),
    ({}, CLIENT_ZONE_DEFAULT),
])
def test_a_clients_zone_is_what_they_chose_else_their_zips_else_their_states_else_eastern(given, zone):
    assert client_zone(**given) == zone


@pytest.fixture
def zones_matched(monkeypatch):
    """The client_timezone of every request the front doors match."""
    seen = []

    def match_find(*, request, now=None, asking=False):
        seen.append(request.client_timezone)
        return MatchAnswer(matches=())

    monkeypatch.setattr("carematch.matching.services.match_find", match_find)
    return seen


@pytest.mark.django_db
def test_the_api_and_the_intake_work_out_the_same_zone_from_the_same_answers(client, zones_matched):
    session = client.session
    session["carematch_intake"] = {
        "in_danger": "no", "concerns": ["anxiety"], "format": "telehealth", "max_distance_miles": "25",
        "state": "ID", "zip": "", "date_of_birth": "1990-01-01", "languages": ["en"], "payment": "self_pay",
    }
    session.save()
    assert client.get("/find/results/").status_code == 200
    asked = {"state": "ID", "age": 34, "concerns": ["anxiety"], "format": "telehealth"}
    coordinator = auth_header(UserFactory(role=Role.COORDINATOR))
    assert client.post("/api/v1/match", asked, content_type="application/json", **coordinator).status_code == 200
    # A client with a record is matched in the zone they chose.
    me = ClientFactory(state="ID", zip="", timezone="America/Los_Angeles")
    assert client.post("/api/v1/match", asked, content_type="application/json",
                       **auth_header(me.user)).status_code == 200

    assert zones_matched == ["America/Boise", "America/Boise", "America/Los_Angeles"]

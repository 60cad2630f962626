"""Goals, the plan and check-ins on the JSON API: the same rules as the pages, and every
mistake answered in the one error shape naming the field."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from carematch.accounts.tests.factories import auth_header
from carematch.care import services
from carematch.care.models import Activity, CheckIn, Goal, GoalRating, GoalVersion
from carematch.tests.helpers import assert_error_shape

from .factories import ClientFactory, assessment, provider_of

pytestmark = pytest.mark.django_db


def post(client, url, body, headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def later(client_record, days=60):
    return (services.client_today(client_record) + dt.timedelta(days=days)).isoformat()


def goal_body(client_record, **changes):
    return {"text": "Talk about hard things without shutting down", "measure": "questionnaire",
            "instrument": "phq9", "target": 10, "target_date": later(client_record), **changes}


def test_a_client_agrees_a_goal_and_reads_it_back_with_its_status_and_scores(client):
    me = ClientFactory()
    headers = auth_header(me.user)
    assessment(me, "phq9", 16, timezone.now() - dt.timedelta(days=3))
    created = post(client, f"/api/v1/clients/{me.pk}/goals", goal_body(me), headers)
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == {"id", "client_id", "status", "current", "history", "measurements", "created_at"}
    assert body["client_id"] == me.pk and body["status"] == "in_progress" and body["history"] == []
    assert body["current"] | {"created_at": None} == {
        "version": 1, "text": "Talk about hard things without shutting down", "measure": "questionnaire",
        "instrument": "phq9", "target": 10, "target_date": later(me), "status": "in_progress", "created_at": None,
    }
    assert [m["value"] for m in body["measurements"]] == [16]

    assessment(me, "phq9", 8, timezone.now())
    listed = client.get(f"/api/v1/clients/{me.pk}/goals", **headers)
    assert listed.status_code == 200
    [goal] = listed.json()
    assert goal["id"] == body["id"] and goal["status"] == "achieved"
    assert [m["value"] for m in goal["measurements"]] == [16, 8]


def test_revising_through_the_api_keeps_the_earlier_version_in_the_history(client):
    me = ClientFactory()
    headers = auth_header(me.user)
    goal_id = post(client, f"/api/v1/clients/{me.pk}/goals", goal_body(me), headers).json()["id"]
    revised = post(client, f"/api/v1/goals/{goal_id}/revise",
                   goal_body(me, measure="self_rating", instrument="", target=8, text="Speak up once a session"),
                   headers)
    assert revised.status_code == 200, revised.content
    body = revised.json()
    assert body["id"] == goal_id
    assert (body["current"]["version"], body["current"]["text"], body["current"]["measure"]) == (
        2, "Speak up once a session", "self_rating")
    assert [(v["version"], v["text"], v["status"]) for v in body["history"]] == [
        (1, "Talk about hard things without shutting down", "revised")]
    rated = post(client, f"/api/v1/goals/{goal_id}/ratings", {"rating": 8}, headers)
    assert rated.status_code == 201, rated.content
    assert rated.json()["rating"] == 8 and rated.json()["rated_on"] == services.client_today(me).isoformat()
    assert client.get(f"/api/v1/clients/{me.pk}/goals", **headers).json()[0]["status"] == "achieved"
    unchanged = post(client, f"/api/v1/goals/{goal_id}/revise",
                     goal_body(me, measure="self_rating", instrument="", target=8, text="Speak up once a session"),
                     headers)
    assert_error_shape(unchanged, 422, "invalid_input")
    assert GoalVersion.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target": 28}, "target"),
        ({"instrument": "gad7", "target": 22}, "target"),
        ({"instrument": ""}, "instrument"),
        ({"measure": "feelings"}, "measure"),
        ({"text": ""}, "text"),
        ({"target_date": "2020-01-01"}, "target_date"),
        ({"target_date": "not a date"}, "target_date"),
        ({"target": "ten"}, "target"),
        ({"target": 10**30}, "target"),
        ({"text": None}, "text"),
    ],
)
def test_a_goal_that_cannot_be_measured_gets_422_naming_the_field(client, changes, field):
    me = ClientFactory()
    response = post(client, f"/api/v1/clients/{me.pk}/goals", goal_body(me, **changes), auth_header(me.user))
    body = assert_error_shape(response, 422)
    assert set(body["fields"]) == {field}
    assert not Goal.objects.exists()


def test_a_missing_field_is_named(client):
    me = ClientFactory()
    body = goal_body(me)
    del body["target_date"]
    answer = assert_error_shape(post(client, f"/api/v1/clients/{me.pk}/goals", body, auth_header(me.user)), 422)
    assert answer["fields"] == {"target_date": "this field is required"}


def test_a_client_plans_an_activity_and_checks_in_and_a_mood_of_11_is_refused(client):
    me = ClientFactory()
    headers = auth_header(me.user)
    added = post(client, f"/api/v1/clients/{me.pk}/plan/activities",
                 {"kind": "own", "text": "Play guitar", "times": 3, "period": "week"}, headers)
    assert added.status_code == 201, added.content
    activity = added.json()
    assert (activity["label"], activity["frequency"], activity["active"], activity["check_ins"]) == (
        "Play guitar", "3 times a week", True, [])

    url = f"/api/v1/plan/activities/{activity['id']}/check-ins"
    refused = assert_error_shape(post(client, url, {"mood": 11}, headers), 422, "invalid_input")
    assert refused["fields"] == {"mood": "must be from 0 to 10"}
    assert "mood" in refused["detail"].lower()
    assert not CheckIn.objects.exists()

    recorded = post(client, url, {"mood": 7, "note": "Played for twenty minutes."}, headers)
    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["mood"] == 7 and recorded.json()["done_on"] == services.client_today(me).isoformat()

    listed = client.get(f"/api/v1/clients/{me.pk}/plan/activities", **headers).json()
    assert [(a["label"], [c["note"] for c in a["check_ins"]]) for a in listed] == [
        ("Play guitar", ["Played for twenty minutes."])]

    ended = post(client, f"/api/v1/plan/activities/{activity['id']}/end", {}, headers)
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert_error_shape(post(client, url, {"mood": 5}, headers), 409, "conflict")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "juggling", "times": 1, "period": "day"}, "kind"),
        ({"kind": "own", "times": 1, "period": "day"}, "text"),
        ({"kind": "exercise", "times": 0, "period": "day"}, "times"),
        ({"kind": "exercise", "times": 1, "period": "fortnight"}, "period"),
        ({"kind": "exercise", "period": "day"}, "times"),
    ],
)
def test_an_activity_that_cannot_be_planned_gets_422_naming_the_field(client, body, field):
    me = ClientFactory()
    response = post(client, f"/api/v1/clients/{me.pk}/plan/activities", body, auth_header(me.user))
    assert set(assert_error_shape(response, 422)["fields"]) == {field}
    assert not Activity.objects.exists()


def test_their_provider_plans_with_them_but_cannot_check_in_for_them(client):
    me = ClientFactory()
    provider = provider_of(me)
    headers = auth_header(provider.user)
    goal = post(client, f"/api/v1/clients/{me.pk}/goals", goal_body(me), headers)
    assert goal.status_code == 201
    activity = post(client, f"/api/v1/clients/{me.pk}/plan/activities",
                    {"kind": "meditation", "times": 1, "period": "day"}, headers)
    assert activity.status_code == 201
    refused = post(client, f"/api/v1/plan/activities/{activity.json()['id']}/check-ins", {"mood": 5}, headers)
    assert_error_shape(refused, 403, "forbidden")
    rated = post(client, f"/api/v1/goals/{goal.json()['id']}/ratings", {"rating": 5}, headers)
    assert_error_shape(rated, 422)  # a questionnaire goal takes no ratings
    assert not CheckIn.objects.exists() and not GoalRating.objects.exists()


def test_ids_that_do_not_exist_or_do_not_fit_are_answered_in_the_error_shape(client):
    me = ClientFactory()
    headers = auth_header(me.user)
    assert_error_shape(client.get("/api/v1/clients/999999/goals", **headers), 404, "not_found")
    assert_error_shape(post(client, "/api/v1/goals/999999/revise", goal_body(me), headers), 404, "not_found")
    assert_error_shape(post(client, "/api/v1/plan/activities/999999/check-ins", {"mood": 1}, headers), 404)
    assert_error_shape(client.get(f"/api/v1/clients/{2**63}/goals", **headers), 422)
    assert_error_shape(client.get(f"/api/v1/clients/{me.pk}/goals"), 401, "unauthenticated")

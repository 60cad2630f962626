"""Who sees a client's goals, plan and progress: the client, their provider, coordinators.
Anyone else is answered as if there were no such client (404), on the pages and the API."""

from __future__ import annotations

import json

import pytest

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.care import services
from carematch.scheduling.models import Status
from carematch.tests.helpers import assert_error_shape

from .factories import ClientFactory, goal, provider_of, provider_user

pytestmark = pytest.mark.django_db

GOAL_TEXT = "Talk about hard things without shutting down"


@pytest.fixture
def client_a():
    client = ClientFactory(first_name="Avery")
    goal(client, text=GOAL_TEXT, measure="self_rating", target=8)
    services.activity_add(client=client, by=client.user, kind="exercise", text="a walk after lunch", times=3,
                          period="week")
    return client


def viewer(kind, client_a):
    if kind == "client A":
        return client_a.user
    if kind == "client B":
        return ClientFactory().user
    if kind == "their provider":
        return provider_of(client_a).user
    if kind == "a provider without an appointment with them":
        provider_of(ClientFactory())
        return provider_user().user
    if kind == "a provider who only held a time":
        return provider_of(client_a, status=Status.HELD).user
    return UserFactory(role=Role.COORDINATOR)


SEES = ["client A", "their provider", "coordinator"]
DOES_NOT = ["client B", "a provider without an appointment with them", "a provider who only held a time"]


@pytest.mark.parametrize("kind", SEES + DOES_NOT)
def test_the_api_shows_goals_and_plan_only_to_the_client_their_provider_and_coordinators(client, client_a, kind):
    headers = auth_header(viewer(kind, client_a))
    goals = client.get(f"/api/v1/clients/{client_a.pk}/goals", **headers)
    plan = client.get(f"/api/v1/clients/{client_a.pk}/plan/activities", **headers)
    goal_id = client_a.goals.get().pk
    activity_id = client_a.care_activities.get().pk
    revise = client.post(f"/api/v1/goals/{goal_id}/revise", json.dumps({
        "text": "Changed", "measure": "self_rating", "target": 6, "target_date": "2099-01-01"}),
        content_type="application/json", **headers)
    if kind in SEES:
        assert goals.status_code == 200 and goals.json()[0]["current"]["text"] == GOAL_TEXT
        assert plan.status_code == 200 and plan.json()[0]["label"] == "Exercise: a walk after lunch"
    else:
        assert_error_shape(goals, 404, "not_found")
        assert_error_shape(plan, 404, "not_found")
        assert_error_shape(revise, 404, "not_found")
        check_in = client.post(f"/api/v1/plan/activities/{activity_id}/check-ins", json.dumps({"mood": 5}),
                               content_type="application/json", **headers)
        assert_error_shape(check_in, 404, "not_found")
        assert GOAL_TEXT not in goals.content.decode()


@pytest.mark.parametrize("kind", SEES + DOES_NOT)
def test_the_progress_page_shows_only_to_the_client_their_provider_and_coordinators(client, client_a, kind):
    client.force_login(viewer(kind, client_a))
    response = client.get(f"/caseload/{client_a.pk}/")
    if kind in SEES:
        assert response.status_code == 200
        assert GOAL_TEXT in response.content.decode()
    else:
        assert response.status_code == 404
        assert GOAL_TEXT not in response.content.decode()
        goal_id = client_a.goals.get().pk
        assert client.get(f"/caseload/{client_a.pk}/goals/{goal_id}/revise/").status_code == 404
        assert client.get(f"/caseload/{client_a.pk}/goals/new/").status_code == 404


def test_coordinators_see_everything_but_change_nothing(client, client_a):
    coordinator = UserFactory(role=Role.COORDINATOR)
    client.force_login(coordinator)
    page = client.get(f"/caseload/{client_a.pk}/").content.decode()
    assert "Add a goal" not in page and "Revise" not in page and "Record a check-in" not in page
    assert client.get(f"/caseload/{client_a.pk}/goals/new/").status_code == 403
    refused = client.post(f"/api/v1/clients/{client_a.pk}/goals", json.dumps({
        "text": "Another", "measure": "self_rating", "target": 6, "target_date": "2099-01-01"}),
        content_type="application/json", **auth_header(coordinator))
    assert_error_shape(refused, 403, "forbidden")
    assert client_a.goals.count() == 1


def test_a_goal_of_one_client_cannot_be_reached_through_another_clients_address(client, client_a):
    other = ClientFactory()
    provider = provider_of(other)
    client.force_login(provider.user)
    goal_id = client_a.goals.get().pk
    assert client.get(f"/caseload/{other.pk}/goals/{goal_id}/revise/").status_code == 404
    client.force_login(other.user)
    assert client.get(f"/progress/goals/{goal_id}/revise/").status_code == 404
    activity_id = client_a.care_activities.get().pk
    assert client.post(f"/progress/plan/{activity_id}/check-in/", {"mood": "5"}).status_code == 404
    assert not client_a.care_activities.get().check_ins.exists()

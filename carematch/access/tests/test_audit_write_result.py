"""An allowed change is recorded with what became of it: `succeeded`, or `rejected` when
validation refused it and nothing was written. Reads and denied attempts have no result. The
result is recorded after the service has run (carematch.access.audit.write) and shown on the
staff page, in the API's items and in FHIR AuditEvent (outcome 4, minor failure, when rejected)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django import forms
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from carematch.access import audit
from carematch.access.models import AccessEvent
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.care import services as care
from carematch.care.models import CheckIn, Goal
from carematch.care.tests.factories import goal
from carematch.lib.errors import Forbidden, InvalidInput
from carematch.measures import links
from carematch.measures import services as measures
from carematch.measures.models import Assessment
from carematch.measures.tests.factories import in_care, phq9
from carematch.scheduling.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def changes():
    """The recorded changes (not reads), oldest first."""
    return list(AccessEvent.objects.exclude(action__in=["view", "export"]).order_by("id").values_list(
        "action", "resource_type", "outcome", "result", "channel"))


def as_request(user):
    request = RequestFactory().post("/api/v1/clients/1/goals")
    request.user = user
    return request


# --- The one helper ------------------------------------------------------------------------------


def test_a_change_that_completes_is_recorded_as_succeeded_with_it():
    person = ClientFactory()
    with audit.write(as_request(person.user), action="create", resource_type="goals", resource_id=person.pk,
                     client=person):
        goal(person)
    assert changes() == [("create", "goals", "allowed", "succeeded", "api")]


def test_a_change_the_service_refuses_is_recorded_as_rejected_and_nothing_of_it_is_kept():
    person = ClientFactory()
    with pytest.raises(InvalidInput), audit.write(as_request(person.user), action="create", resource_type="goals",
                                                  client=person):
        goal(person)  # written, then refused: the whole change goes
        raise InvalidInput("The target must be from 1 to 10.", fields={"target": "must be from 1 to 10"})
    assert not Goal.objects.exists()
    assert changes() == [("create", "goals", "allowed", "rejected", "api")]


def test_a_change_the_caller_may_not_make_is_recorded_as_denied_without_a_result():
    person = ClientFactory()
    stranger = UserFactory(role=Role.PROVIDER)
    with pytest.raises(Forbidden) as raised, audit.write(as_request(stranger), action="update", resource_type="goal",
                                                         client=person):
        raise Forbidden("Only the client and their provider can change the client's goals and plan.")
    assert raised.value.recorded
    assert changes() == [("update", "goal", "denied", "", "api")]


def test_a_change_whose_form_is_not_valid_is_recorded_as_rejected():
    class MoodForm(forms.Form):
        mood = forms.IntegerField(min_value=0, max_value=10)

    person = ClientFactory()
    for data in ({"mood": "11"}, None):  # a wrong value; a POST without the form's fields
        with audit.write(as_request(person.user), action="create", resource_type="check_ins", client=person,
                         form=MoodForm(data)):
            pass
    with audit.write(as_request(person.user), action="create", resource_type="check_ins", client=person) as change:
        change.reject()
    assert [result for *_, result, _ in changes()] == ["rejected", "rejected", "rejected"]


def test_a_change_whose_event_cannot_be_written_is_undone(monkeypatch):
    person = ClientFactory()

    def broken(*args, **kwargs):
        raise RuntimeError("the log's table is unreachable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError), audit.write(as_request(person.user), action="create", resource_type="goals",
                                                  client=person):
        goal(person)
    assert not Goal.objects.exists()


def test_an_allowed_change_is_never_recorded_without_its_result_and_nothing_else_has_one():
    person = ClientFactory()
    with pytest.raises(ValueError, match=r"audit\.write"):
        audit.record(None, action="create", resource_type="goals", client=person)
    with pytest.raises(ValueError, match="only for an allowed change"):
        audit.record(None, action="view", resource_type="goals", client=person, result="succeeded")
    with pytest.raises(ValueError, match="only for an allowed change"):
        audit.record(None, action="update", resource_type="goal", outcome="denied", result="rejected")
    with pytest.raises(ValueError, match="result must be one of"):
        audit.record(None, action="update", resource_type="goal", result="maybe")
    with pytest.raises(ValueError, match="client_write"):
        audit.clinical_client_or_404(as_request(person.user), person.pk, resource_type="goals", action="create")
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize(("action", "outcome", "result"), [
    ("view", "allowed", "succeeded"), ("export", "allowed", "rejected"), ("create", "denied", "rejected"),
    ("create", "allowed", "perhaps"),
])
def test_the_database_refuses_a_result_where_there_can_be_none(action, outcome, result):
    event = AccessEvent(actor_role="system", action=action, resource_type="goals", outcome=outcome, result=result,
                        channel="command")
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()


# --- Through the pages and the API, and what the log shows -------------------------------------------


GOAL = {"text": "Sleep through the night", "measure": "self_rating", "target": 7,
        "target_date": (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=60)).isoformat()}


def post_json(client, path, body, user):
    return client.post(path, json.dumps(body), content_type="application/json", **auth_header(user))


def the_change(client_id):
    return AccessEvent.objects.filter(client_id=client_id).exclude(action__in=["view", "export"]).latest("id")


def shown_everywhere(client, event, result):
    """The event's result as coordinators see it: on the staff page, in the API and in FHIR."""
    staff = UserFactory(role=Role.COORDINATOR)
    listed = client.get(f"/api/v1/audit-events?client_id={event.client_id}", **auth_header(staff)).json()
    [item] = [item for item in listed["events"] if item["id"] == event.pk]
    assert (item["outcome"], item["result"]) == ("allowed", result)

    bundle = client.get(f"/api/v1/audit-events/fhir?client_id={event.client_id}", **auth_header(staff)).json()
    [resource] = [e["resource"] for e in bundle["entry"] if e["resource"]["id"] == f"access-{event.pk}"]
    if result == "rejected":
        assert resource["outcome"] == "4" and resource["outcomeDesc"].startswith("Rejected")
    else:
        assert resource["outcome"] == "0" and "outcomeDesc" not in resource

    client.force_login(staff)
    html = client.get(f"/staff/audit/?client={event.client_id}").content.decode()
    [row] = [row for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
             if f'datetime="{event.occurred_at.isoformat()}"' in row]
    row = re.sub(r'<span class="cell-label">[^<]*</span>', "", row)  # the column names shown on phones
    assert f"<td>{event.resource_type} {event.resource_id}</td>" in row
    assert ("<strong>Rejected</strong>" if result == "rejected" else "<td>Succeeded</td>") in row
    client.logout()


def test_goals_by_api_are_recorded_rejected_then_succeeded(client):
    person, _ = in_care()
    refused = post_json(client, f"/api/v1/clients/{person.pk}/goals", GOAL | {"target": 0}, person.user)
    assert refused.status_code == 422 and not Goal.objects.exists()
    rejected = the_change(person.pk)
    assert post_json(client, f"/api/v1/clients/{person.pk}/goals", GOAL, person.user).status_code == 201
    succeeded = the_change(person.pk)
    assert changes() == [("create", "goals", "allowed", "rejected", "api"),
                         ("create", "goals", "allowed", "succeeded", "api")]
    shown_everywhere(client, rejected, "rejected")
    shown_everywhere(client, succeeded, "succeeded")


def test_goals_on_the_page_are_recorded_rejected_then_succeeded(client):
    person, _ = in_care()
    client.force_login(person.user)
    day = care.client_today(person).isoformat()
    refused = client.post("/progress/goals/new/", {"text": "Feel calmer", "measure": "questionnaire",
                                                   "instrument": "phq9", "score_below": "30", "target_date": day})
    assert refused.status_code == 200 and not Goal.objects.exists()
    rejected = the_change(person.pk)
    done = client.post("/progress/goals/new/", {"text": "Feel calmer", "measure": "self_rating",
                                                "rating_target": "7", "target_date": day})
    assert done.status_code == 302
    succeeded = the_change(person.pk)
    assert changes() == [("create", "goals", "allowed", "rejected", "page"),
                         ("create", "goals", "allowed", "succeeded", "page")]
    shown_everywhere(client, rejected, "rejected")
    shown_everywhere(client, succeeded, "succeeded")


def test_check_ins_by_api_and_on_the_page_are_recorded_rejected_then_succeeded(client):
    person, _ = in_care()
    activity = care.activity_add(client=person, by=person.user, kind="exercise", times=3, period="week")
    path = f"/api/v1/plan/activities/{activity.pk}/check-ins"
    assert post_json(client, path, {"mood": 11}, person.user).status_code == 422
    by_api = the_change(person.pk)
    assert post_json(client, path, {"mood": 6}, person.user).status_code == 201
    client.force_login(person.user)
    page = f"/progress/plan/{activity.pk}/check-in/"
    day = care.client_today(person).isoformat()
    assert client.post(page, {"done_on": day, "mood": "11", "note": ""}).status_code == 200
    on_page = the_change(person.pk)
    assert client.post(page, {"done_on": day, "mood": "4", "note": ""}).status_code == 302
    assert CheckIn.objects.count() == 2
    assert changes() == [
        ("create", "check_ins", "allowed", "rejected", "api"), ("create", "check_ins", "allowed", "succeeded", "api"),
        ("create", "check_ins", "allowed", "rejected", "page"), ("create", "check_ins", "allowed", "succeeded", "page"),
    ]
    shown_everywhere(client, by_api, "rejected")
    shown_everywhere(client, on_page, "rejected")
    shown_everywhere(client, the_change(person.pk), "succeeded")


def test_questionnaire_answers_by_api_and_on_the_page_are_recorded_rejected_then_succeeded(client):
    person, provider = in_care()
    path = f"/api/v1/clients/{person.pk}/assessments"
    assert post_json(client, path, {"instrument": "phq9", "answers": [1, 1]}, person.user).status_code == 422
    by_api = the_change(person.pk)
    assert post_json(client, path, {"instrument": "phq9", "answers": phq9(6)}, person.user).status_code == 201
    request = measures.questionnaire_send_now(client=person, instruments=["phq9"], by=provider.user,
                                              provider=provider)
    link = links.questionnaire_path(request.salt)
    partial = {f"phq9_{i}": 1 for i in range(1, 6)}  # five of the nine answers
    assert client.post(link, partial).status_code == 200
    on_page = the_change(person.pk)
    assert client.post(link, {f"phq9_{i}": value for i, value in enumerate(phq9(5), start=1)}).status_code == 302
    assert Assessment.objects.count() == 2
    assert changes() == [
        ("create", "assessments", "allowed", "rejected", "api"),
        ("create", "assessments", "allowed", "succeeded", "api"),
        ("create", "questionnaire_request", "allowed", "rejected", "page"),
        ("create", "questionnaire_request", "allowed", "succeeded", "page"),
    ]
    shown_everywhere(client, by_api, "rejected")
    shown_everywhere(client, on_page, "rejected")
    shown_everywhere(client, the_change(person.pk), "succeeded")


def test_a_denied_change_has_no_result_and_fhir_still_says_minor_failure(client):
    person, _ = in_care()
    _, stranger = in_care()
    assert post_json(client, f"/api/v1/clients/{person.pk}/goals", GOAL, stranger.user).status_code == 404
    event = the_change(person.pk)
    assert (event.outcome, event.result) == ("denied", "")
    staff = UserFactory(role=Role.COORDINATOR)
    bundle = client.get(f"/api/v1/audit-events/fhir?client_id={person.pk}", **auth_header(staff)).json()
    [resource] = [e["resource"] for e in bundle["entry"] if e["resource"]["id"] == f"access-{event.pk}"]
    assert resource["outcome"] == "4" and resource["outcomeDesc"].startswith("Refused")

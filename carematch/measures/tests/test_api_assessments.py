"""POST and GET /api/v1/clients/{id}/assessments, and sending a questionnaire by the API:
who may do what, the scores, the safety alert, and a clear 422 that stores nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carematch.accounts.tests.factories import auth_header
from carematch.measures.models import Alert, Assessment, QuestionnaireRequest
from carematch.scheduling.models import Status
from carematch.tests.helpers import assert_error_shape

from .factories import ClientFactory, appointment, coordinator, gad7, in_care, phq9, provider_user, record

pytestmark = pytest.mark.django_db


def post(api, url, body, user):
    return api.post(url, json.dumps(body), content_type="application/json", **auth_header(user))


def url(person):
    return f"/api/v1/clients/{person.pk}/assessments"


def test_a_client_records_a_phq9_and_gets_its_score_and_severity(client):
    person, _ = in_care()
    response = post(client, url(person), {"instrument": "phq9", "answers": phq9(12), "difficulty": 1}, person.user)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "instrument", "total", "severity", "alerts", "completed_at"}
    assert (body["instrument"], body["total"], body["severity"], body["alerts"]) == ("phq9", 12, "moderate", [])
    stored = Assessment.objects.get(pk=body["id"])
    assert (stored.answers, stored.difficulty, stored.client_id) == (phq9(12), 1, person.pk)


def test_item9_above_zero_answers_with_the_alert_and_crisis_resources_and_opens_an_alert(client):
    person, provider = in_care()
    response = post(client, url(person), {"instrument": "phq9", "answers": phq9(6, item9=1), "difficulty": None},
                    person.user)
    assert response.status_code == 201
    (alert,) = response.json()["alerts"]
    assert alert["code"] == "suicidal_ideation"
    assert "988" in alert["message"]
    assert {r["contact"] for r in alert["crisis_resources"]} == {"tel:988", "sms:741741", "tel:911"}
    stored = Alert.objects.get(pk=alert["alert_id"])
    assert (stored.kind, stored.client_id, stored.provider_id, stored.is_open) == (
        "suicidal_ideation", person.pk, provider.pk, True,
    )


@pytest.mark.parametrize(("body", "field"), [
    ({"instrument": "phq9", "answers": [1] * 8}, "answers"),
    ({"instrument": "gad7", "answers": [1] * 9}, "answers"),
    ({"instrument": "phq9", "answers": [1, 1, 1, 1, 4, 1, 1, 1, 1]}, "answers.4"),
    ({"instrument": "phq9", "answers": [1, 1, 1, 1, -1, 1, 1, 1, 1]}, "answers.4"),
    ({"instrument": "phq9", "answers": [1, 1, "2", 1, 1, 1, 1, 1, 1]}, "answers.2"),
    ({"instrument": "phq9", "answers": [1, 1, 1.5, 1, 1, 1, 1, 1, 1]}, "answers.2"),
    ({"instrument": "phq9", "answers": [1] * 9, "difficulty": 7}, "difficulty"),
    ({"instrument": "bdi2", "answers": [1] * 9}, "instrument"),
    ({"answers": [1] * 9}, "instrument"),
    ({"instrument": "gad7"}, "answers"),
])
def test_bad_answers_are_a_422_naming_the_problem_and_nothing_is_stored(client, body, field):
    person, _ = in_care()
    response = post(client, url(person), body, person.user)
    problem = assert_error_shape(response, 422, "invalid_input")
    assert field in problem["fields"], problem
    assert field in problem["detail"] or field.split(".")[0] in problem["detail"]
    assert not Assessment.objects.exists() and not Alert.objects.exists()


def test_a_wrong_count_says_how_many_answers_the_instrument_needs(client):
    person, _ = in_care()
    problem = assert_error_shape(post(client, url(person), {"instrument": "gad7", "answers": [0] * 6}, person.user),
                                 422)
    assert problem["fields"] == {"answers": "GAD-7 has 7 items: give 7 answers, not 6"}


def test_scores_come_back_in_time_order_with_change_flags_against_the_baseline(client):
    person, _ = in_care()
    first = dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC)
    record(person, "phq9", phq9(18), now=first)
    record(person, "gad7", gad7(12), now=first + dt.timedelta(minutes=1))
    record(person, "phq9", phq9(11), now=first + dt.timedelta(days=14))
    record(person, "phq9", phq9(4), now=first + dt.timedelta(days=28))
    response = client.get(url(person), **auth_header(person.user))
    assert response.status_code == 200
    items = response.json()["assessments"]
    assert [(i["instrument"], i["total"]) for i in items] == [("phq9", 18), ("gad7", 12), ("phq9", 11), ("phq9", 4)]
    assert [i["baseline"] for i in items] == [True, True, False, False]
    assert items[2]["change"] == -7 and items[2]["flags"] == ["reliable_improvement"]
    assert items[3]["flags"] == ["reliable_improvement", "response", "remission"]

    only = client.get(url(person) + "?instrument=gad7", **auth_header(person.user)).json()["assessments"]
    assert [(i["total"], i["flags"]) for i in only] == [(12, [])]
    problem = assert_error_shape(client.get(url(person) + "?instrument=bdi2", **auth_header(person.user)), 422)
    assert "instrument" in problem["fields"]


def test_the_clients_provider_reads_the_scores_but_cannot_record_answers(client):
    person, provider = in_care()
    record(person)
    assert client.get(url(person), **auth_header(provider.user)).status_code == 200
    assert_error_shape(post(client, url(person), {"instrument": "gad7", "answers": gad7(3)}, provider.user), 403)
    assert Assessment.objects.count() == 1


def test_a_coordinator_records_and_reads_any_clients_scores(client):
    person, _ = in_care()
    staff = coordinator()
    response = post(client, url(person), {"instrument": "gad7", "answers": gad7(16)}, staff)
    assert response.status_code == 201 and response.json()["severity"] == "severe"
    assert Assessment.objects.get().entered_by == staff
    assert len(client.get(url(person), **auth_header(staff)).json()["assessments"]) == 1


@pytest.mark.parametrize("who", ["another client", "another provider", "a provider whose session was only held"])
def test_anyone_else_gets_404_as_if_the_client_did_not_exist(client, who):
    person, _ = in_care()
    record(person)
    if who == "another client":
        stranger = ClientFactory().user
    elif who == "another provider":
        stranger = provider_user().user
    else:
        provider = provider_user()
        appointment(provider, person, start=dt.datetime(2027, 2, 1, 16, tzinfo=dt.UTC), status=Status.LAPSED)
        stranger = provider.user
    for response in (client.get(url(person), **auth_header(stranger)),
                     post(client, url(person), {"instrument": "gad7", "answers": gad7(3)}, stranger)):
        assert_error_shape(response, 404, "not_found")
    assert Assessment.objects.count() == 1


def test_without_a_token_the_answer_is_401(client):
    person, _ = in_care()
    assert_error_shape(client.get(url(person)), 401)


def test_a_provider_sends_their_client_a_questionnaire_now_and_others_cannot(client):
    person, provider = in_care()
    response = post(client, f"/api/v1/clients/{person.pk}/questionnaire-requests", {"instruments": ["phq9"]},
                    provider.user)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["instruments"], body["reason"], body["client_id"]) == (["phq9"], "on_demand", person.pk)
    assert QuestionnaireRequest.objects.get(pk=body["id"]).provider == provider

    problem = assert_error_shape(post(client, f"/api/v1/clients/{person.pk}/questionnaire-requests",
                                      {"instruments": ["phq9", "beck"]}, provider.user), 422)
    assert "instruments" in problem["fields"]
    assert_error_shape(post(client, f"/api/v1/clients/{person.pk}/questionnaire-requests", {}, person.user), 403)
    assert_error_shape(post(client, f"/api/v1/clients/{person.pk}/questionnaire-requests", {},
                            provider_user().user), 404)
    assert QuestionnaireRequest.objects.count() == 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 30) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=10) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=15,
)
bodies = st.fixed_dictionaries({}, optional={
    "instrument": st.sampled_from(["phq9", "gad7", "PHQ9", ""]) | json_values,
    "answers": st.lists(st.integers(0, 3), min_size=7, max_size=9)
    | st.lists(st.integers(-1, 4), min_size=6, max_size=10) | json_values,
    "difficulty": st.integers(-1, 4) | json_values,
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_any_body_is_stored_whole_with_a_201_or_refused_with_a_422_never_a_500(client, body):
    person = ClientFactory()
    before = Assessment.objects.count()
    response = post(client, url(person), body, person.user)
    if response.status_code == 201:
        assert Assessment.objects.count() == before + 1
        assert Assessment.objects.get(pk=response.json()["id"]).answers == body["answers"]
    else:
        assert_error_shape(response, 422)
        assert Assessment.objects.count() == before

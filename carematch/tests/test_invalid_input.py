"""InvalidInput.for_fields: the one way services name every bad field in a sentence, with
the `fields` map the API sends beside it. No database."""

from __future__ import annotations

import datetime as dt

import pytest

from carematch.accounts import services as accounts
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.care import services as care
from carematch.lib.errors import InvalidInput
from carematch.measures import services as measures
from carematch.scheduling import services as scheduling
from carematch.scheduling.services import InvalidSlot
from carematch.scheduling.tests.factories import ClientFactory

NOW = dt.datetime(2027, 1, 4, 17, tzinfo=dt.UTC)


def bearer(user) -> dict[str, str]:
    _, raw = accounts.api_token_issue(user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_the_problems_themselves_make_the_sentence_in_the_order_given():
    problems = {"confirmation": 'type "close my account" to confirm', "password": "that is not your password"}
    error = InvalidInput.for_fields(problems)
    assert error.detail == 'Type "close my account" to confirm; that is not your password.'
    assert error.fields == problems and error.fields is not problems
    assert (error.code, error.status, str(error)) == ("invalid_input", 422, error.detail)


def test_a_label_stands_before_its_fields_problem():
    labels = {"text": "The text", "target_date": "The target date"}
    assert InvalidInput.for_fields({"text": "is required"}, labels=labels).detail == "The text is required."
    assert InvalidInput.for_fields({"text": "is required", "times": "must be a whole number"},
                                   labels=labels).detail == "The text is required; must be a whole number."


def test_a_summary_lists_the_field_names_sorted_or_each_field_with_its_problem():
    fields = {"times": "must be a whole number", "kind": "must be one of daily, weekly"}
    names = InvalidInput.for_fields(fields, summary="Some fields are missing or invalid", listing="names")
    assert names.detail == "Some fields are missing or invalid: kind, times."
    answers = InvalidInput.for_fields({"phq9.q1": "is required", "phq9.q2": "must be from 0 to 3"},
                                      summary="Some answers are missing or invalid", listing="names_and_problems")
    assert answers.detail == "Some answers are missing or invalid: phq9.q1: is required; phq9.q2: must be from 0 to 3."
    assert answers.fields == {"phq9.q1": "is required", "phq9.q2": "must be from 0 to 3"}


def test_a_subclass_and_its_code_carry_through():
    error = InvalidSlot.for_fields({"start": "not an opening"})
    assert isinstance(error, InvalidSlot) and error.code == "invalid_slot" and error.detail == "Not an opening."
    assert InvalidInput.for_fields({"start": "taken"}, code="throttled").code == "throttled"


def test_there_is_no_such_error_without_a_field():
    with pytest.raises(ValueError, match="at least one field"):
        InvalidInput.for_fields({})


# --- The services that name several bad fields at once: the same sentences as ever ----------------


@pytest.mark.django_db
def test_a_care_goal_names_one_field_by_its_label_and_several_by_their_names():
    client = ClientFactory()
    goal = {"client": client, "by": client.user, "now": NOW, "measure": "questionnaire", "instrument": "phq9",
            "target": 10, "target_date": dt.date(2027, 3, 1)}
    with pytest.raises(InvalidInput) as one:
        care.goal_create(**goal | {"text": "   "})
    assert (one.value.detail, one.value.fields) == ("The text is required.", {"text": "is required"})
    with pytest.raises(InvalidInput) as two:
        care.goal_create(**goal | {"text": "   ", "target_date": "soon"})
    assert two.value.detail == "Some fields are missing or invalid: target_date, text."
    assert two.value.fields == {"text": "is required", "target_date": "must be a date"}


@pytest.mark.django_db
def test_closing_an_account_states_each_problem(client):
    user = ClientFactory().user
    answer = client.post("/api/v1/me/close", {"password": "nope", "confirmation": "no"},
                         content_type="application/json", **bearer(user))
    assert answer.status_code == 422
    assert answer.json() == {
        "error": "invalid_input",
        "detail": 'Type "close my account" to confirm; that is not your password.',
        "fields": {"confirmation": 'type "close my account" to confirm', "password": "that is not your password"},
    }


@pytest.mark.django_db
def test_a_crisis_request_and_a_contact_attempt_state_each_problem():
    with pytest.raises(InvalidInput) as refused:
        scheduling.crisis_request_create(channel="page", phone="", state="")
    assert refused.value.detail == ("Give a phone number (or an email address) so a coordinator can reach you; "
                                    "choose the state you are in.")
    assert refused.value.fields == {
        "phone": "give a phone number (or an email address) so a coordinator can reach you",
        "state": "choose the state you are in",
    }
    waiting = scheduling.crisis_request_create(channel="page", phone="+13035550142", state="CO")
    with pytest.raises(InvalidInput) as refused:
        scheduling.crisis_attempt_record(crisis_request=waiting, outcome="maybe", note="",
                                         by=UserFactory(role=Role.COORDINATOR))
    assert refused.value.detail == "Must be one of reached, no_answer, referred_emergency; write what was done."


@pytest.mark.django_db
def test_questionnaire_answers_name_each_field_with_its_problem():
    with pytest.raises(InvalidInput) as refused:
        measures.assessments_record(client=ClientFactory(), by=None, now=NOW,
                                    responses=[measures.Response("gad7", [0, 0, True, 0, 0, 0, 1.0], None)])
    assert refused.value.detail == ("Some answers are missing or invalid: answers.2: item 3 must be a whole number "
                                    "from 0 to 3; answers.6: item 7 must be a whole number from 0 to 3.")
    assert list(refused.value.fields) == ["answers.2", "answers.6"]

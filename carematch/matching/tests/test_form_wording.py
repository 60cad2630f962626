"""Small honest answers in the forms a client fills: a ZIP code in another state than the one
chosen is questioned with a plain sentence, not taken silently; a negative amount is refused
in the site's plain words; the goal form says what a questionnaire target means."""

from __future__ import annotations

import pytest

from carematch.care.forms import GoalForm
from carematch.lib import geo
from carematch.matching.forms import ClientDetailsForm
from carematch.matching.intake import PaymentForm, PlaceForm, PlanForm

pytestmark = pytest.mark.django_db


def test_the_question_names_the_zip_codes_state_and_the_one_chosen():
    assert geo.zip_in_other_state("80202", "NY") == "80202 is in Colorado; you chose New York."
    assert geo.zip_in_other_state("80202", "CO") is None
    assert geo.zip_in_other_state("", "NY") is None
    assert geo.zip_in_other_state("00000", "NY") is None  # unknown: the ZIP check itself says so


def test_the_intake_asks_about_a_zip_code_in_another_state_and_takes_one_that_agrees():
    form = PlaceForm({"state": "NY", "zip": "80202"}, format="telehealth")
    assert not form.is_valid()
    assert form.errors["zip"] == [
        "80202 is in Colorado; you chose New York. Check the ZIP code, or choose the state you will be in."]
    assert PlaceForm({"state": "CO", "zip": "80202"}, format="telehealth").is_valid()
    assert PlaceForm({"state": "NY", "zip": ""}, format="telehealth").is_valid()


def test_the_sign_up_details_ask_about_a_zip_code_in_another_state():
    data = {"first_name": "Ari", "last_name": "Example", "date_of_birth": "1990-04-02", "state": "NY",
            "zip": "80202", "timezone": "America/New_York"}
    form = ClientDetailsForm(data)
    assert not form.is_valid()
    assert form.errors["zip"][0].startswith("80202 is in Colorado; you chose New York.")
    assert ClientDetailsForm({**data, "zip": "10001"}).is_valid()


def test_a_negative_fee_limit_is_refused_in_plain_words():
    form = PaymentForm({"payment": "self", "self_pay_max": "-5"})
    assert not form.is_valid()
    assert form.errors["self_pay_max"] == ["Enter an amount of 0 dollars or more, or leave it empty."]
    plan = PlanForm({"plan_id": "", "deductible_left_usd": "-1", "oop_left_usd": ""})
    assert not plan.is_valid()
    assert plan.errors["deductible_left_usd"] == [
        "Enter an amount of 0 dollars or more, or leave it empty if you are not sure."]


def test_the_goal_form_says_what_a_questionnaire_target_means_in_a_clients_words():
    field = GoalForm().fields["score_below"]
    assert field.label == "Aim for a score under"
    assert "a lower score means you are feeling better" in field.help_text

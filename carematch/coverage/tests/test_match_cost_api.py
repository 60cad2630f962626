"""POST /api/v1/match says what a session with each match will cost: the plan's estimate, the
self-pay fee, or null with the reason, and refuses a plan that cannot be the person's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carematch.accounts.tests.factories import auth_header
from carematch.coverage.models import Fee, Plan
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.scheduling.models import CareRequest
from carematch.scheduling.tests.factories import ClientFactory
from carematch.tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

ASK = {"state": "CO", "zip": "80202", "age": 34, "concerns": ["anxiety"], "format": "telehealth"}


def therapist(first: str, *, rate: int = 140, insurance=("aetna",)):
    p = ProviderFactory(first_name=first, concerns=["anxiety"], formats=["telehealth"], min_notice_hours=0,
                        self_pay_rate=rate, insurance=list(insurance))
    LicenseFactory(provider=p, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=p, weekday=day, start=dt.time(0), end=dt.time(23))
    return p


@pytest.fixture
def plan():
    now = timezone.now()
    Plan.objects.create(payer_id="aetna", plan_id="AET-20", name="Open Choice 20%", copay_usd=None,
                        coinsurance_pct=Decimal(20), deductible_usd=Decimal(1500), deductible_applies=True,
                        oop_max_usd=Decimal(4000), updated_at=now)
    Plan.objects.create(payer_id="cigna", plan_id="CIG-1", name="Cigna One", copay_usd=Decimal(25),
                        coinsurance_pct=None, deductible_usd=Decimal(0), deductible_applies=False,
                        oop_max_usd=Decimal(3000), updated_at=now)
    Fee.objects.create(payer_id="aetna", plan_id="*", cpt="90791", allowed_usd=Decimal(180), state="CO", updated_at=now)
    Fee.objects.create(payer_id="aetna", plan_id="AET-20", cpt="90837", allowed_usd=Decimal(150), state="*",
                       updated_at=now)
    Fee.objects.create(payer_id="aetna", plan_id="*", cpt="90837", allowed_usd=Decimal(999), state="*", updated_at=now)


def ask(client, body, who=None):
    return client.post("/api/v1/match", body, content_type="application/json",
                       **auth_header((who or ClientFactory()).user))


def test_each_match_with_a_plan_gets_the_plans_estimate_and_what_it_assumed(client, plan):
    therapist("Lee")
    therapist("Ana")
    answer = ask(client, ASK | {"insurance": "aetna", "plan_id": "AET-20", "deductible_left_usd": "12"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert len(body["matches"]) == 2
    for found in body["matches"]:
        cost = found["cost"]
        # first: min(180, 12) + 0.2 * 168 = 45.6; then the deductible is met: 0.2 * 150 = 30
        assert (cost["first_session_usd"], cost["per_session_usd"], cost["basis"]) == (46, 30, "plan")
        assert "We used the fee Aetna allows in Colorado for a first session (CPT 90791): $180." \
            in cost["assumptions"]
        assert "We used the fee Aetna Open Choice 20% allows in any state for an ongoing session (CPT 90837): $150." \
            in cost["assumptions"]
    stored = CareRequest.objects.get(pk=body["care_request_id"])
    assert (stored.payer, stored.plan_id, stored.deductible_left_usd, stored.oop_left_usd) == (
        "aetna", "AET-20", Decimal("12.00"), None)


def test_without_the_deductible_left_the_estimate_assumes_none_of_it_is_met(client, plan):
    therapist("Lee")
    cost = ask(client, ASK | {"insurance": "aetna", "plan_id": "AET-20"}).json()["matches"][0]["cost"]
    assert (cost["first_session_usd"], cost["per_session_usd"]) == (180, 150)
    assert "We assumed none of your $1,500 deductible has been met yet, so we do not show less than you may pay." \
        in cost["assumptions"]


def test_self_pay_is_the_providers_fee_and_insurance_without_a_plan_is_null_not_a_guess(client, plan):
    therapist("Lee", rate=135, insurance=())
    cost = ask(client, ASK | {"self_pay_max": 200}).json()["matches"][0]["cost"]
    assert (cost["first_session_usd"], cost["per_session_usd"], cost["basis"]) == (135, 135, "self_pay")
    therapist("Ana")
    cost = ask(client, ASK | {"insurance": "aetna"}).json()["matches"][0]["cost"]
    assert cost == {"first_session_usd": None, "per_session_usd": None, "basis": "unknown",
                    "assumptions": ["You have not told us your plan, so we cannot say what it pays."]}
    Plan.objects.filter(payer="aetna").delete()
    cost = ask(client, ASK | {"insurance": "aetna"}).json()["matches"][0]["cost"]
    assert cost["basis"] == "unknown" and cost["assumptions"] == [
        "We do not have Aetna's plans yet, so we cannot say what your plan pays."]


def coverage_reads(client, limit):
    with CaptureQueriesContext(connection) as queries:
        body = ask(client, ASK | {"insurance": "aetna", "plan_id": "AET-20", "limit": limit}).json()
    assert len(body["matches"]) == limit
    return len([q for q in queries.captured_queries if "coverage_plan" in q["sql"] or "coverage_fee" in q["sql"]])


def test_the_plan_and_its_fees_are_read_once_however_many_matches(client, plan):
    for n in range(4):
        therapist(f"P{n}")
    assert coverage_reads(client, 1) == coverage_reads(client, 4) <= 4


@pytest.mark.parametrize(("change", "field"), [
    ({"insurance": "cigna", "plan_id": "AET-20"}, "plan_id"),  # a plan of another payer
    ({"plan_id": "AET-20"}, "plan_id"),  # a plan without insurance
    ({"insurance": "aetna", "plan_id": "NOPE"}, "plan_id"),
    ({"insurance": "aetna", "plan_id": "AET-20", "deductible_left_usd": -1}, "deductible_left_usd"),
    ({"insurance": "aetna", "plan_id": "AET-20", "oop_left_usd": "-0.01"}, "oop_left_usd"),
    ({"insurance": "aetna", "plan_id": "AET-20", "oop_left_usd": "12.345"}, "oop_left_usd"),
    ({"insurance": "aetna", "deductible_left_usd": 100}, "deductible_left_usd"),
])
def test_a_plan_that_cannot_be_the_persons_is_422_naming_the_field_and_nothing_is_written(client, plan, change,
                                                                                           field):
    therapist("Lee")
    body = assert_error_shape(ask(client, ASK | change), 422)
    assert any(field in name for name in body["fields"]), body
    assert not CareRequest.objects.exists()


@pytest.mark.parametrize("values", [
    {"plan_id": "AET-20"},  # a plan without a payer
    {"payer": "aetna", "deductible_left_usd": Decimal(5)},  # an amount without a plan
    {"payer": "aetna", "plan_id": "AET-20", "oop_left_usd": Decimal(-1)},
])
def test_the_database_refuses_a_request_for_care_whose_plan_cannot_be(values):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CareRequest.objects.create(requested_at=timezone.now(), **values)

"""When a client's coverage was checked with their insurer lately (an answered X12 271), the
estimate on every match uses what the insurer said: "basis": "eligibility"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from carematch.coverage.models import CheckReason, CheckStatus, EligibilityCheck, Relationship
from carematch.coverage.tests.test_match_cost_api import ASK, ask, plan, therapist  # noqa: F401 (fixture)
from carematch.scheduling.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def answered(client, *, payer="aetna", plan_id="", finished=None, **in_network):
    now = timezone.now()
    return EligibilityCheck.objects.create(
        client=client, reason=CheckReason.API, payer=payer, plan_id=plan_id, relationship=Relationship.SELF,
        status=CheckStatus.ANSWERED, active=True, in_network=in_network, sentence="Your coverage is active.",
        requested_at=finished or now, finished_at=finished or now,
    )


def test_the_insurers_answer_stands_in_for_the_plan_and_is_said(client, plan):  # noqa: F811
    therapist("Lee")
    me = ClientFactory()
    # The insurer says: a $20 copay, the $500 deductible already met.
    answered(me, copay_usd="20", deductible_usd="500", deductible_left_usd="0", oop_left_usd="2000")
    cost = ask(client, ASK | {"insurance": "aetna"}, who=me).json()["matches"][0]["cost"]
    assert (cost["first_session_usd"], cost["per_session_usd"], cost["basis"]) == (20, 20, "eligibility")
    assert "Your benefits are as your insurer reported them when we checked your coverage." in cost["assumptions"]
    # Someone else asking the same gets no benefit of this client's answer.
    other = ask(client, ASK | {"insurance": "aetna"}).json()["matches"][0]["cost"]
    assert other["basis"] == "unknown"


def test_a_deductible_left_reported_by_the_insurer_is_paid_first(client, plan):  # noqa: F811
    therapist("Lee")
    me = ClientFactory()
    # Coinsurance 20 %, $100 of the deductible left: first session (90791, $180 in CO) = 100 + 0.2 * 80 = 116;
    # the deductible is then met: 0.2 * 999 (the payer's fee for every plan) = 199.8 -> 200.
    answered(me, coinsurance_pct="20", deductible_usd="1000", deductible_left_usd="100")
    cost = ask(client, ASK | {"insurance": "aetna"}, who=me).json()["matches"][0]["cost"]
    assert (cost["first_session_usd"], cost["per_session_usd"], cost["basis"]) == (116, 200, "eligibility")


def test_an_old_answer_or_one_from_another_payer_is_not_used(client, plan):  # noqa: F811
    therapist("Lee")
    me = ClientFactory()
    answered(me, copay_usd="20", deductible_usd="0", finished=timezone.now() - dt.timedelta(days=45))
    answered(me, payer="cigna", copay_usd="5", deductible_usd="0")
    cost = ask(client, ASK | {"insurance": "aetna", "plan_id": "AET-20"}, who=me).json()["matches"][0]["cost"]
    assert cost["basis"] == "plan"


def test_a_rejected_or_inactive_answer_leaves_the_plans_estimate(client, plan):  # noqa: F811
    therapist("Lee")
    me = ClientFactory()
    check = answered(me, copay_usd="20", deductible_usd="0")
    check.active = False
    check.save()
    cost = ask(client, ASK | {"insurance": "aetna", "plan_id": "AET-20"}, who=me).json()["matches"][0]["cost"]
    assert cost["basis"] == "plan"

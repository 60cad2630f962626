"""seed_demo loads a few synthetic plans and fees, so the demo client sees estimates; again, nothing changes."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from carematch.coverage.estimate import estimate_with_plan
from carematch.coverage.models import Fee, Plan
from carematch.coverage.selectors import plan_terms

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_demo_plans_and_fees_once_and_they_give_an_estimate():
    out = io.StringIO()
    call_command("seed_demo", "--providers", "0", "--force", stdout=out)
    assert "Demo plans: 7 created, 0 updated, 0 unchanged; demo fees: 17 created" in out.getvalue()
    assert Plan.objects.filter(payer="aetna").count() == 2 and Fee.objects.filter(cpt="90837").exists()
    out = io.StringIO()
    call_command("seed_demo", "--providers", "0", "--force", stdout=out)
    assert "Demo plans: 0 created, 0 updated, 7 unchanged" in out.getvalue()
    terms = plan_terms(payer="aetna", plan_id="DEMO-AET-PPO", state="CO")
    assert terms is not None
    found = estimate_with_plan(terms, state="CO", state_name="Colorado", session_minutes=60,
                               deductible_left_usd=Decimal(0))
    assert (found.first_session_usd, found.per_session_usd, found.basis) == (30, 30, "plan")

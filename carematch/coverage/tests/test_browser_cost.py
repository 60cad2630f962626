"""A client with a plan sees what a session will cost, on the results and on the booking page,
in a real browser: the figures match the issue's formula, computed here on its own."""

from __future__ import annotations

import datetime as dt
import os
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from carematch.coverage.models import Fee, Plan
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.matching.tests.browser_steps import walk_the_intake
from carematch.tests.axe import assert_no_serious_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST_ALLOWED, ONGOING_ALLOWED = Decimal(180), Decimal(150)  # CPT 90791 and 90837 (an hour's session)
COINSURANCE, DEDUCTIBLE_LEFT = Decimal("0.20"), Decimal(12)


def coinsurance_share(allowed: Decimal, deductible_left: Decimal) -> Decimal:
    """min(A, D) + c * max(0, A - D)."""
    return min(allowed, deductible_left) + COINSURANCE * max(Decimal(0), allowed - deductible_left)


def whole(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_a_client_with_a_plan_sees_about_what_a_session_costs_on_the_results_and_the_booking_page(
        chromium, live_server, tmp_path):
    saved = Path(os.environ.get("CAREMATCH_TEST_ARTEFACTS") or tmp_path) / "screenshots"
    saved.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    Plan.objects.create(payer_id="aetna", plan_id="AET-20", name="Open Choice 20%", copay_usd=None,
                        coinsurance_pct=Decimal(20), deductible_usd=Decimal(1500), deductible_applies=True,
                        oop_max_usd=Decimal(4000), updated_at=now)
    Fee.objects.create(payer_id="aetna", plan_id="*", cpt="90791", allowed_usd=FIRST_ALLOWED, state="CO",
                       updated_at=now)
    Fee.objects.create(payer_id="aetna", plan_id="AET-20", cpt="90837", allowed_usd=ONGOING_ALLOWED, state="*",
                       updated_at=now)
    robin = ProviderFactory(first_name="Robin", last_name="Vale", concerns=["anxiety"], insurance=["aetna"],
                            formats=["telehealth"], min_notice_hours=0, timezone="America/Denver")
    LicenseFactory(provider=robin, state="CO", expires=timezone.localdate() + dt.timedelta(days=365))
    for day in range(7):
        WindowFactory(provider=robin, weekday=day, start=dt.time(0), end=dt.time(23))
    first = whole(coinsurance_share(FIRST_ALLOWED, DEDUCTIBLE_LEFT))  # 12 + 0.2 * 168 = 45.6 -> 46
    ongoing = whole(coinsurance_share(ONGOING_ALLOWED, Decimal(0)))  # the first session met the deductible: 30
    sentence = f"About ${ongoing} a session with your plan; your first session about ${first}."

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        walk_the_intake(page, plan="Open Choice 20%", deductible_left=str(DEDUCTIBLE_LEFT))
        card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Robin Vale"))
        expect(card.locator(".cost-line")).to_have_text(sentence)
        card.get_by_text("How we estimated this").click()
        expect(card.get_by_text("We used the fee Aetna allows in Colorado for a first session (CPT 90791): $180."))\
            .to_be_visible()
        assert_no_serious_axe_violations(page, "results with a cost estimate")
        card.screenshot(path=str(saved / "cost-results-card.png"))

        card.locator("a.opening-link").first.click()
        expect(page.get_by_role("heading", name="What it will cost you")).to_be_visible()
        expect(page.locator("main .cost-line")).to_have_text(sentence)
        assert_no_serious_axe_violations(page, "booking with a cost estimate")
        page.screenshot(path=str(saved / "cost-booking.png"), full_page=True)
    finally:
        context.close()

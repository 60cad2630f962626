"""The intake asks for a plan only of someone with insurance whose payer has plans, and the
results, the profile and the booking page say what a session will cost them."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from carematch.coverage.models import Fee, Plan
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.scheduling.models import CareRequest

pytestmark = pytest.mark.django_db

BEFORE_PAYMENT = [
    ("safety", {"in_danger": "no"}),
    ("help", {"concerns": ["anxiety"]}),
    ("meeting", {"format": "telehealth", "max_distance_miles": "25"}),
    ("place", {"state": "CO", "zip": "80202"}),
    ("about", {"date_of_birth": "1990-05-01"}),
    ("preferences", {"languages": ["en"]}),
]


def walk(client, steps):
    response = None
    for slug, data in steps:
        response = client.post(f"/find/{slug}/", data)
        assert response.status_code == 302, (slug, response.context and response.context["form"].errors)
    return response


def text(response) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def plans():
    now = timezone.now()
    Plan.objects.create(payer_id="aetna", plan_id="AET-CO", name="Aetna Copay 30", copay_usd=Decimal(30),
                        coinsurance_pct=None, deductible_usd=Decimal(500), deductible_applies=True,
                        oop_max_usd=Decimal(4000), updated_at=now)
    Plan.objects.create(payer_id="cigna", plan_id="CIG-1", name="Cigna One", copay_usd=Decimal(25),
                        coinsurance_pct=None, deductible_usd=Decimal(0), deductible_applies=False,
                        oop_max_usd=Decimal(3000), updated_at=now)
    Fee.objects.create(payer_id="aetna", plan_id="*", cpt="90791", allowed_usd=Decimal(180), state="*", updated_at=now)
    Fee.objects.create(payer_id="aetna", plan_id="*", cpt="90837", allowed_usd=Decimal(150), state="CO", updated_at=now)


@pytest.fixture
def lee():
    p = ProviderFactory(first_name="Lee", concerns=["anxiety"], formats=["telehealth"], min_notice_hours=0,
                        self_pay_rate=140, insurance=["aetna"])
    LicenseFactory(provider=p, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=p, weekday=day, start=dt.time(0), end=dt.time(23))
    return p


def test_only_the_chosen_payers_plans_are_offered_and_nothing_is_asked_twice(client, plans):
    walk(client, [*BEFORE_PAYMENT, ("payment", {"payment": "aetna"})])
    page = text(client.get("/find/plan/"))
    assert "Which Aetna plan do you have? (optional)" in page
    assert "Aetna Copay 30" in page and "Cigna One" not in page
    assert "How will you pay?" not in page and "Step 8 of 9" in page


def test_someone_paying_themselves_is_not_asked_for_a_plan(client, plans):
    response = walk(client, [*BEFORE_PAYMENT, ("payment", {"payment": "self_pay"})])
    assert response["Location"] == "/find/times/"
    assert client.get("/find/plan/")["Location"] == "/find/times/"
    assert "Step 8 of 8" in text(client.get("/find/times/"))


def test_the_plan_and_amounts_are_kept_on_the_request_and_a_new_payer_forgets_them(client, plans):
    walk(client, [*BEFORE_PAYMENT, ("payment", {"payment": "aetna"}),
                  ("plan", {"plan_id": "AET-CO", "deductible_left_usd": "120.50", "oop_left_usd": ""})])
    stored = CareRequest.objects.get()
    assert (stored.payer, stored.plan_id, stored.deductible_left_usd, stored.oop_left_usd) == (
        "aetna", "AET-CO", Decimal("120.50"), None)
    walk(client, [("payment", {"payment": "self_pay"})])
    stored.refresh_from_db()
    assert (stored.payer, stored.plan_id, stored.deductible_left_usd) == ("", "", None)


def test_amounts_without_a_plan_or_below_zero_are_form_errors_on_their_field(client, plans):
    walk(client, [*BEFORE_PAYMENT, ("payment", {"payment": "aetna"})])
    page = text(client.post("/find/plan/", {"plan_id": "", "deductible_left_usd": "100"}))
    assert "Choose your plan first: what is left depends on the plan." in page
    page = text(client.post("/find/plan/", {"plan_id": "AET-CO", "oop_left_usd": "-3"}))
    assert "Enter an amount of 0 dollars or more, or leave it empty if you are not sure." in page
    page = text(client.post("/find/plan/", {"plan_id": "CIG-1"}))
    assert "Select a valid choice." in page


def test_results_profile_and_booking_say_the_cost_with_the_plan(client, plans, lee):
    # Copay 30 after the deductible: $120 left, so the first session pays min(180, 120) + 30 = 150,
    # and the later ones are $30 (the deductible met by the first).
    walk(client, [*BEFORE_PAYMENT, ("payment", {"payment": "aetna"}),
                  ("plan", {"plan_id": "AET-CO", "deductible_left_usd": "120"}), ("times", {})])
    results = text(client.get("/find/results/"))
    assert "About $30 a session with your plan; your first session about $150." in results
    assert "How we estimated this" in results
    assert "We used the fee Aetna allows in Colorado for an ongoing session (CPT 90837): $150." in results
    profile = text(client.get(f"/providers/{lee.pk}/"))
    assert "About $30 a session with your plan; your first session about $150." in profile
    start = re.search(r'/book/\d+/\?start=([^"&]+)', client.get("/find/results/").content.decode()).group(1)
    booking = text(client.get(f"/book/{lee.pk}/?start={start}"))
    assert "What it will cost you" in booking
    assert "About $30 a session with your plan; your first session about $150." in booking


def test_the_cost_and_how_it_was_estimated_read_in_spanish_on_a_spanish_page(client, plans, lee):
    walk(client, [*BEFORE_PAYMENT, ("payment", {"payment": "aetna"}),
                  ("plan", {"plan_id": "AET-CO", "deductible_left_usd": "120"}), ("times", {})])
    results = text(client.get("/find/results/", HTTP_ACCEPT_LANGUAGE="es"))
    assert "Unos $30 por sesión con su plan; su primera sesión, unos $150." in results
    assert ("Usamos la tarifa que Aetna permite en Colorado para una sesión de seguimiento (CPT 90837): $150."
            in results)
    assert "a session" not in results and "We used" not in results
    walk(client, [("payment", {"payment": "self_pay"})])
    assert "$140 por sesión, pagado por usted." in text(client.get("/find/results/", HTTP_ACCEPT_LANGUAGE="es"))
    assert "$140 a session, paid yourself." in text(client.get("/find/results/", HTTP_ACCEPT_LANGUAGE="en"))


def test_without_a_plan_the_pages_say_they_cannot_estimate_and_self_pay_says_the_fee(client, plans, lee):
    walk(client, [*BEFORE_PAYMENT, ("payment", {"payment": "aetna"}), ("plan", {"plan_id": ""}), ("times", {})])
    assert "We can't estimate the cost with your plan yet." in text(client.get("/find/results/"))
    walk(client, [("payment", {"payment": "self_pay"})])
    assert "$140 a session, paid yourself." in text(client.get("/find/results/"))


def test_a_visitor_who_has_not_done_the_intake_sees_no_estimate_on_a_profile(client, lee):
    assert "What it will cost" not in text(client.get(f"/providers/{lee.pk}/"))
    assert "a session with your plan" not in text(client.get(f"/providers/{lee.pk}/"))

"""The results in a real browser: an anxious client walks the intake, sees what sets each
therapist apart and what they all share, and compares two side by side, on a desktop and on
a 390 px phone. Screenshots of the results and of compare are saved as test artefacts: under
$CAREMATCH_TEST_ARTEFACTS when it is set, else in the test's pytest temporary directory."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory

from .browser_steps import CBT, walk_the_intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def artefacts(tmp_path: Path) -> Path:
    where = Path(os.environ.get("CAREMATCH_TEST_ARTEFACTS") or tmp_path) / "screenshots"
    where.mkdir(parents=True, exist_ok=True)
    return where


def network():
    for first, last, fields in (
        ("Robin", "Vale", {"approaches": ["cbt"], "specialties": ["anxiety"], "pronouns": "she/her",
                           "bio": "I help people who worry find their footing again. We go at your pace."}),
        ("Kai", "Moreno", {"languages": ["en", "es"], "bio": "Calm, practical sessions.",
                           "sliding_scale_min": 60, "sliding_scale_max": 110}),
        ("Ash", "Lee", {"communities": ["lgbtq_affirming"]}),
    ):
        provider = ProviderFactory(first_name=first, last_name=last, concerns=["anxiety"], formats=["telehealth"],
                                   insurance=["aetna"], min_notice_hours=0, **{"approaches": [], **fields})
        LicenseFactory(provider=provider, state="CO", expires=dt.date(2099, 1, 1))
        for day in range(7):
            WindowFactory(provider=provider, weekday=day, start=dt.time(0), end=dt.time(23, 59))




@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone-390"])
def test_an_anxious_client_sees_what_differs_and_compares_two(chromium, live_server, tmp_path, viewport):
    network()
    phone = viewport["width"] < 500
    context = chromium.new_context(viewport=viewport, base_url=live_server.url, is_mobile=phone, has_touch=phone,
                                   device_scale_factor=2 if phone else 1)
    page = context.new_page()
    page.set_default_timeout(10_000)
    saved = artefacts(tmp_path)
    try:
        walk_the_intake(page, approach=CBT, note="Mornings are hard for me.", zip=None, evenings=True)
        expect(page.get_by_role("heading", level=1)).to_have_text("Therapists who can see you soon")
        expect(page.locator("#shared-line")).to_have_text(
            "All of these therapists are licensed in Colorado, are in network with Aetna, treat anxiety, have "
            "evening openings in the next 48 hours, and can see you online within 48 hours.")
        robin = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Robin Vale"))
        kai = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Kai Moreno"))
        expect(robin.locator(".reasons")).to_contain_text("Specialises in anxiety")
        expect(robin.locator(".reasons")).to_contain_text("Offers CBT, which you asked for")
        expect(robin.locator(".reasons")).not_to_contain_text("In network with Aetna")
        expect(kai).to_contain_text("In network with Aetna")
        expect(robin.locator(".opening-mark").first).to_have_text("Evening, as you asked")
        expect(robin).to_contain_text("she/her")
        expect(robin).to_contain_text("“I help people who worry find their footing again.”")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        page.screenshot(path=str(saved / f"results-{viewport['width']}.png"), full_page=True)

        robin.get_by_label("Compare Robin Vale").check()
        kai.get_by_label("Compare Kai Moreno").check()
        page.get_by_role("button", name="Compare the ones I ticked").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Compare therapists")
        table = page.get_by_role("table", name="Robin Vale and Kai Moreno, side by side")
        expect(table).to_be_visible()
        expect(table.get_by_role("rowheader", name="Fees")).to_be_visible()
        expect(table.get_by_role("columnheader", name="Robin Vale")).to_be_visible()
        expect(table).to_contain_text("Sliding scale $60\u2013$110")
        expect(table).to_contain_text("Noticing the thoughts and habits that keep you stuck")
        region = page.get_by_role("region", name="Robin Vale and Kai Moreno, side by side")
        expect(region).to_be_visible()
        # The page itself never scrolls sideways; at 390 px the table scrolls inside its labelled region.
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        page.screenshot(path=str(saved / f"compare-{viewport['width']}.png"), full_page=True)
        table.get_by_role("link", name="book this time with Kai Moreno").first.click()
        page.wait_for_url("**/book/**")
        assert "/book/" in page.url
    finally:
        context.close()
    assert (saved / f"results-{viewport['width']}.png").stat().st_size > 0
    assert (saved / f"compare-{viewport['width']}.png").stat().st_size > 0

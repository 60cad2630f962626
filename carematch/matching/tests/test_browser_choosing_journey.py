"""An anxious client, from the first question to a booked session and a cancelled one, in a
real browser on a desktop and on a 390 px phone: what sets each therapist apart and what they
all share, compare, a profile, the booking page with the format they asked for already
chosen, the hold, sign-up, the session page, and cancel with its confirmation, every time on
the client's own clock (Mountain time) although both therapists keep Pacific time. axe-core
checks each page on the way. Screenshots of the results, compare and the profile are saved as
test artefacts: under $CAREMATCH_TEST_ARTEFACTS when it is set, else in the test's pytest
temporary directory."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.lib.timezones import when_label
from carematch.scheduling.models import Appointment, Status
from carematch.tests.axe import assert_no_serious_axe_violations

from .browser_steps import CBT, walk_the_intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIENT_ZONE = "America/Denver"  # ZIP 80202
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone-390": {"width": 390, "height": 844}}


def artefacts(tmp_path: Path) -> Path:
    where = Path(os.environ.get("CAREMATCH_TEST_ARTEFACTS") or tmp_path) / "screenshots"
    where.mkdir(parents=True, exist_ok=True)
    return where


def two_therapists_in_pacific_time():
    made = []
    for first, last, fields in (
        ("Robin", "Vale", {"approaches": ["cbt"], "specialties": ["anxiety"], "pronouns": "she/her",
                           "bio": "I help people who worry find their footing again. We go at your pace."}),
        ("Kai", "Moreno", {"approaches": ["act"], "languages": ["en", "es"], "pronouns": "he/him",
                           "bio": "Calm, practical sessions for busy lives.",
                           "sliding_scale_min": 60, "sliding_scale_max": 110, "self_pay_rate": 140}),
    ):
        provider = ProviderFactory(first_name=first, last_name=last, concerns=["anxiety"], insurance=["aetna"],
                                   formats=["telehealth", "in_person"], min_notice_hours=0,
                                   timezone="America/Los_Angeles", **fields)
        LicenseFactory(provider=provider, state="CO", expires=timezone.localdate() + dt.timedelta(days=365))
        for day in range(7):
            WindowFactory(provider=provider, weekday=day, start=dt.time(0), end=dt.time(23))
        made.append(provider)
    return made


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, page.url




@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_an_anxious_client_chooses_books_and_cancels_on_one_clock(chromium, live_server, tmp_path, viewport):
    robin, _kai = two_therapists_in_pacific_time()
    phone = viewport != "desktop"
    context = chromium.new_context(viewport=VIEWPORTS[viewport], base_url=live_server.url, is_mobile=phone,
                                   has_touch=phone, device_scale_factor=2 if phone else 1)
    page = context.new_page()
    page.set_default_timeout(10_000)
    saved = artefacts(tmp_path)
    try:
        page.goto("/find/")
        assert_no_serious_axe_violations(page, "intake: safety")
        walk_the_intake(page, approach=CBT, evenings=True)

        # Results: what they share said once; on each card what sets it apart.
        expect(page.get_by_role("heading", level=1)).to_have_text("Therapists who can see you soon")
        shared = page.locator("#shared-line")
        expect(shared).to_contain_text("All of these therapists are licensed in Colorado")
        expect(shared).to_contain_text("in network with Aetna")
        robin_card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Robin Vale"))
        kai_card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Kai Moreno"))
        expect(robin_card.locator(".reasons")).to_contain_text("Offers CBT, which you asked for")
        expect(robin_card.locator(".reasons")).to_contain_text("Specialises in anxiety")
        expect(kai_card.locator(".reasons")).not_to_contain_text("Offers CBT")
        expect(robin_card.locator(".reasons")).not_to_contain_text("In network with Aetna")
        assert robin_card.locator(".reasons").inner_text() != kai_card.locator(".reasons").inner_text()
        expect(robin_card.locator(".opening-mark").first).to_have_text("Evening, as you asked")
        expect(page.get_by_text("Times are in your time zone (America/Denver)")).to_be_visible()
        no_sideways_scroll(page)
        assert_no_serious_axe_violations(page, "results")
        page.screenshot(path=str(saved / f"journey-results-{viewport}.png"), full_page=True)

        # Compare the two side by side.
        robin_card.get_by_label("Compare Robin Vale").check()
        kai_card.get_by_label("Compare Kai Moreno").check()
        page.get_by_role("button", name="Compare the ones I ticked").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Compare therapists")
        table = page.get_by_role("table", name="Robin Vale and Kai Moreno, side by side")
        expect(table.get_by_role("rowheader", name="Fees")).to_be_visible()
        expect(table).to_contain_text("Sliding scale $60\u2013$110")
        no_sideways_scroll(page)
        assert_no_serious_axe_violations(page, "compare")
        page.screenshot(path=str(saved / f"journey-compare-{viewport}.png"), full_page=True)

        # Robin's profile, on the client's clock.
        page.goto(f"/providers/{robin.pk}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Robin Vale")
        expect(page.get_by_text("Times are in your time zone (America/Denver)")).to_be_visible()
        expect(page.get_by_text("I help people who worry find their footing again.")).to_be_visible()
        expect(page.get_by_text("Noticing the thoughts and habits that keep you stuck")).to_be_visible()
        no_sideways_scroll(page)
        assert_no_serious_axe_violations(page, "profile")
        page.screenshot(path=str(saved / f"journey-profile-{viewport}.png"), full_page=True)
        link = page.locator("main a.opening-link").first
        start = dt.datetime.fromisoformat(link.locator("time").get_attribute("datetime"))
        label = when_label(start, CLIENT_ZONE)  # e.g. "Thu 3 Dec, 5:00 PM MST"
        assert re.search(r"M[DS]T$", label)
        link.click()

        # Booking: the same moment, the format asked for already chosen, said as a fact.
        expect(page.get_by_text(label).first).to_be_visible()
        expect(page.get_by_text("How you will meet: Online (video)")).to_be_visible()
        expect(page.get_by_role("radio")).to_have_count(0)
        assert_no_serious_axe_violations(page, "booking")
        page.get_by_role("button", name="Hold this time and continue").click()

        # The hold and sign-up: asks only what the intake did not.
        expect(page.get_by_text(label).first).to_be_visible()
        expect(page.get_by_label("Your date of birth")).to_have_count(0)
        expect(page.get_by_label("Which state will you be in during sessions?")).to_have_count(0)
        assert_no_serious_axe_violations(page, "hold and sign-up")
        email = f"sky-{viewport}@example.test"
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Choose a password").fill("a-long-quiet-walk")
        page.get_by_label("Password again").fill("a-long-quiet-walk")
        page.get_by_label("First name").fill("Sky")
        page.get_by_label("Last name").fill("Doe")
        page.get_by_role("button", name="Book this session").click()
        confirm = re.search(r"https?://[^/\s]+(/accounts/signup/confirm/\S+/)", mail.outbox[-1].body).group(1)
        page.goto(confirm)
        page.get_by_role("button", name="Confirm and continue").click()
        page.get_by_role("button", name="Book this session").click()

        # The session page, the same moment again.
        expect(page.get_by_role("heading", level=1)).to_have_text("You are booked")
        expect(page.locator(".facts dd").first).to_contain_text(label)
        assert_no_serious_axe_violations(page, "session")
        booked = Appointment.objects.get(client__user__email=email)
        assert booked.status == Status.BOOKED and booked.format == "telehealth"
        expect(page.get_by_role("link", name="Choose another time")).to_be_visible()

        # Cancel asks first, says the policy, and cancels only when confirmed.
        page.get_by_role("link", name="Cancel this session").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this session?")
        expect(page.get_by_text(label).first).to_be_visible()
        expect(page.get_by_text("Cancelling less than 24 hours before a session counts as a late")).to_be_visible()
        assert_no_serious_axe_violations(page, "cancel confirmation")
        booked.refresh_from_db()
        assert booked.status == Status.BOOKED
        page.get_by_role("button", name="Yes, cancel this session").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Session cancelled")
        expect(page.get_by_role("heading", name="Robin\u2019s next openings")).to_be_visible()
        expect(page.get_by_role("link", name="See your other matches")).to_be_visible()
        booked.refresh_from_db()
        assert booked.status == Status.CANCELLED
    finally:
        context.close()
    for name in ("results", "compare", "profile"):
        assert (saved / f"journey-{name}-{viewport}.png").stat().st_size > 0

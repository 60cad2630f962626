"""The intake in a real browser: the crisis answer comes first, and the whole journey books."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from carematch.scheduling.models import CareRequest, CrisisRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_saying_you_are_in_danger_shows_how_to_reach_help_before_anything_else(phone_page):
    page = phone_page
    page.goto("/")
    page.get_by_role("link", name="Find a therapist").first.click()
    expect(page.get_by_text("Step 1 of 8")).to_be_visible()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You deserve help right now")
    call = page.get_by_role("link", name="Call 988")
    expect(call).to_have_attribute("href", "tel:988")
    expect(page.get_by_role("link", name="Text HOME to 741741")).to_be_visible()
    expect(page.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    box = call.bounding_box()
    assert box is not None and box["y"] < page.viewport_size["height"], "help is on the first screen"
    assert CareRequest.objects.get().crisis

    page.get_by_label("Your first name (optional)").fill("Ash")
    page.get_by_label("A phone number we can call or text").fill("303 555 0142")
    page.get_by_label("Which state are you in?").select_option("CO")
    page.get_by_role("button", name="Ask a coordinator to reach out").click()
    expect(page.get_by_role("status")).to_contain_text("A coordinator will call you back")
    assert CrisisRequest.objects.get().phone == "+13035550142"

    page.get_by_role("link", name="Continue to find a therapist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What you would like help with")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_the_whole_journey_from_the_home_page_to_a_booked_session(browser_page):
    import datetime as dt

    from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
    from carematch.scheduling.models import Appointment, Status

    page = browser_page
    provider = ProviderFactory(first_name="Robin", last_name="Vale", concerns=["anxiety", "sleep"],
                               approaches=["cbt"], formats=["telehealth"], insurance=["aetna"], min_notice_hours=0,
                               timezone="America/Denver")
    LicenseFactory(provider=provider, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=provider, weekday=day, start=dt.time(0), end=dt.time(23))

    page.goto("/")
    page.get_by_role("link", name="Find a therapist").first.click()
    page.get_by_label("No").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Anxiety").check()
    page.get_by_label("Sleep").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Online (video)").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Which state will you be in during sessions?").select_option("CO")
    page.get_by_label("Your ZIP code (optional)").fill("80202")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Your date of birth").fill("1990-05-17")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("English")).to_be_checked()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("How will you pay?").select_option("aetna")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="See who fits").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Therapists who can see you soon")
    match = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Robin Vale"))
    expect(match).to_contain_text("anxiety")
    match.locator("a.opening-link").first.click()
    page.get_by_role("button", name="Hold this time and continue").click()

    # Nothing asked twice: the state, ZIP, date of birth and zone come from the intake, said as facts.
    known = page.get_by_role("region", name="From your answers")
    expect(known).to_contain_text("Colorado")
    expect(known).to_contain_text("17 May 1990")
    expect(page.get_by_label("Date of birth")).to_have_count(0)
    page.get_by_label("Email address").fill("sky@example.test")
    page.get_by_label("Choose a password").fill("a-long-quiet-walk")
    page.get_by_label("Password again").fill("a-long-quiet-walk")
    page.get_by_label("First name").fill("Sky")
    page.get_by_label("Last name").fill("Doe")
    page.get_by_role("button", name="Book this session").click()

    # The address is confirmed by email; the link, opened in this browser, comes back to the hold.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    link = re.search(r"http://127\.0\.0\.1:8000(/accounts/signup/confirm/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(link)
    page.get_by_role("button", name="Confirm and continue").click()
    page.get_by_role("button", name="Book this session").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You are booked")
    appointment = Appointment.objects.get()
    assert appointment.status == Status.BOOKED and appointment.provider == provider
    assert appointment.client.user.email == "sky@example.test"
    request = appointment.client.care_requests.get()
    assert request.first_appointment == appointment and request.wait_seconds is not None

"""A client books an opening from a provider's profile, in a real browser."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from icalendar import Calendar
from playwright.sync_api import expect

from carematch.accounts.tests.factories import PASSWORD
from carematch.lib.timezones import clock_label, zone
from carematch.scheduling.models import Appointment, Status
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider
from carematch.tests.helpers import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, email):
    # Staff and providers enter a code from an authenticator app too (carematch.tests.helpers).
    browser_log_in(page, email=email, password=PASSWORD)


def test_a_client_books_from_a_profile_sees_their_own_time_and_downloads_the_calendar_file(browser_page, tmp_path):
    page = browser_page
    provider = weekday_provider(first_name="Dana", last_name="Rivers")  # Denver
    new_yorker = ClientFactory(state="NY", timezone="America/New_York")
    log_in(page, new_yorker.user.email)

    page.goto(f"/providers/{provider.pk}/")
    first = page.locator("a.opening-link").first
    start = dt.datetime.fromisoformat(first.locator("time").get_attribute("datetime"))
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a first session with Dana Rivers")
    page.get_by_label("Online (video)").check()
    page.get_by_role("button", name="Hold this time and continue").click()
    page.get_by_role("button", name="Book this session").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You are booked")
    in_new_york = clock_label(start.astimezone(zone("America/New_York")))
    in_denver = clock_label(start.astimezone(zone("America/Denver")))
    expect(page.get_by_text(in_new_york).first).to_be_visible()
    expect(page.get_by_text(f"{in_denver} for Dana")).to_be_visible()
    appointment = Appointment.objects.get()
    assert appointment.status == Status.BOOKED and appointment.client == new_yorker

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to your calendar (.ics)").click()
    saved = tmp_path / "session.ics"
    download_info.value.save_as(saved)
    event = next(iter(Calendar.from_ical(saved.read_bytes()).walk("VEVENT")))
    assert event["DTSTART"].dt == start
    assert event["DTSTART"].dt.tzinfo.key == "America/New_York"


def test_a_new_visitor_books_with_the_keyboard_at_phone_width(phone_page):
    page = phone_page
    provider = weekday_provider(first_name="Ari", formats=["telehealth"])
    page.goto(f"/providers/{provider.pk}/")
    page.locator("a.opening-link").first.focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Hold this time and continue").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("We are holding this time for you until")).to_be_visible()

    page.get_by_label("Email address").focus()
    for text in ("jo@example.test", "a-calm-long-password", "a-calm-long-password", "Jo", "Lee"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    page.keyboard.type("03041990")  # a date field takes month, day, year as typed digits
    page.get_by_label("Where will you be during sessions?").select_option("CO")
    page.get_by_label("Your time zone").select_option("America/Denver")
    page.get_by_role("button", name="Book this session").focus()
    page.keyboard.press("Enter")

    # The address is confirmed by email; the link, opened in this browser, comes back to the hold.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    link = re.search(r"http://127\.0\.0\.1:8000(/accounts/signup/confirm/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(link)
    page.get_by_role("button", name="Confirm and continue").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
    page.get_by_role("button", name="Book this session").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("You are booked")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

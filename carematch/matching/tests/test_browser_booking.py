"""A client books an opening from a provider's profile, in a real browser."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from icalendar import Calendar
from playwright.sync_api import expect

from carematch.accounts.tests.factories import PASSWORD
from carematch.lib.timezones import clock_label, when_label, zone
from carematch.scheduling.models import Appointment, Status
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider
from carematch.tests.helpers import browser_log_in

from .browser_steps import walk_the_intake

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
    assert str(event["SUMMARY"]).endswith(when_label(start, "America/New_York"))




def test_the_same_zone_on_every_page_from_results_to_a_cancelled_session(browser_page):
    from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory

    page = browser_page
    # The therapist keeps Pacific time; the client, in Denver by their ZIP code, sees Mountain time everywhere.
    provider = ProviderFactory(first_name="Robin", last_name="Vale", concerns=["anxiety"], insurance=["aetna"],
                               formats=["telehealth", "in_person"], min_notice_hours=0,
                               timezone="America/Los_Angeles")
    LicenseFactory(provider=provider, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=provider, weekday=day, start=dt.time(0), end=dt.time(23))
    walk_the_intake(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Therapists who can see you soon")
    link = page.locator("a.opening-link").nth(1)
    start = dt.datetime.fromisoformat(link.locator("time").get_attribute("datetime"))
    label = when_label(start, "America/Denver")  # e.g. "Thu 3 Dec, 5:00 PM MST"
    expect(link).to_contain_text(label)  # results

    page.goto(f"/providers/{provider.pk}/")
    expect(page.locator(f'time[datetime="{start.isoformat()}"]')).to_have_text(
        clock_label(start.astimezone(zone("America/Denver"))))  # profile: the day above, the clock here
    page.locator(f'a.opening-link:has(time[datetime="{start.isoformat()}"])').click()

    expect(page.get_by_text(label)).to_be_visible()  # booking
    # The format asked for in the intake is the one offered, said as a fact.
    expect(page.get_by_text("How you will meet: Online (video)")).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(0)
    page.get_by_role("button", name="Hold this time and continue").click()

    expect(page.get_by_text(label)).to_be_visible()  # hold
    expect(page.get_by_text("We are holding this time for you until")).to_contain_text(
        re.compile(r"M[DS]T\.$"))
    page.get_by_label("Email address").fill("sky@example.test")
    page.get_by_label("Choose a password").fill("a-long-quiet-walk")
    page.get_by_label("Password again").fill("a-long-quiet-walk")
    page.get_by_label("First name").fill("Sky")
    page.get_by_label("Last name").fill("Doe")
    page.get_by_role("button", name="Book this session").click()
    link_in_email = re.search(r"http://127\.0\.0\.1:8000(/accounts/signup/confirm/\S+/)",
                              mail.outbox[-1].body).group(1)
    page.goto(link_in_email)
    page.get_by_role("button", name="Confirm and continue").click()
    page.get_by_role("button", name="Book this session").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You are booked")
    expect(page.locator(".facts dd").first).to_contain_text(label)  # session
    page.get_by_role("link", name="Cancel this session").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this session?")
    expect(page.get_by_text(label)).to_be_visible()
    expect(page.get_by_text("Cancelling less than 24 hours before a session counts as a late")).to_be_visible()
    assert Appointment.objects.get().status == Status.BOOKED  # asking cancelled nothing
    page.get_by_role("button", name="Yes, cancel this session").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Session cancelled")
    expect(page.get_by_role("heading", name="Robin\u2019s next openings")).to_be_visible()
    expect(page.get_by_role("link", name="See your other matches")).to_be_visible()
    assert Appointment.objects.get().status == Status.CANCELLED


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


def test_an_online_session_counts_down_to_its_room_then_hands_over_the_link(browser_page, time_machine, settings):
    """The session page's Join leads to the join page: before the window, a countdown and what
    to prepare; inside it (with a moved clock), the room with the client's own token."""
    from urllib.parse import parse_qs, urlsplit

    import jwt
    from django.utils import timezone

    settings.JITSI_DOMAIN, settings.JITSI_APP_ID = "meet.northside-practice.org", "carematch"
    settings.JITSI_APP_SECRET = "a-browser-test-secret-of-32-chars"
    page = browser_page
    provider = weekday_provider(first_name="Dana", last_name="Rivers")
    client = ClientFactory(timezone="America/New_York")
    start = (timezone.now() + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    session = Appointment.objects.create(provider=provider, client=client, start=start,
                                         end=start + dt.timedelta(hours=1), format="telehealth",
                                         status=Status.BOOKED, booked_at=timezone.now())
    opens = start - dt.timedelta(minutes=10)

    time_machine.move_to(opens - dt.timedelta(hours=2, minutes=5, seconds=30), tick=True)
    log_in(page, client.user.email)
    page.goto(f"/sessions/{session.pk}/")
    page.get_by_role("link", name="Join", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your session room is not open yet")
    expect(page.get_by_text(f"Your session room opens at {when_label(opens, 'America/New_York')}, "
                            "in 2 hours 5 minutes.")).to_be_visible()
    expect(page.get_by_text("Use headphones if you have them.")).to_be_visible()
    expect(page.get_by_role("link", name="Join the session")).to_have_count(0)

    time_machine.move_to(opens + dt.timedelta(seconds=5), tick=True)
    page.goto(f"/sessions/{session.pk}/join/")
    if "/accounts/login/" in page.url:  # two idle hours end a session on the server's clock
        log_in(page, client.user.email)
        page.goto(f"/sessions/{session.pk}/join/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your session room is open")
    link = page.get_by_role("link", name="Join the session")
    url = link.get_attribute("href")
    assert url.startswith(f"https://meet.northside-practice.org/{session.video_room}?jwt=")
    claims = jwt.decode(parse_qs(urlsplit(url).query)["jwt"][0], settings.JITSI_APP_SECRET, algorithms=["HS256"],
                        audience="jitsi", options={"verify_nbf": False})
    assert claims["context"]["user"]["moderator"] is False

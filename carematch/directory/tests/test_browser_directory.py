"""Journeys through the directory's pages in a real browser: a coordinator importing a roster,
a provider opening new hours, and the pages on a phone and with the keyboard alone."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import PASSWORD, UserFactory
from carematch.directory.models import AvailabilityWindow, Provider
from carematch.lib.npi import make_npi
from carematch.tests.helpers import browser_log_in

from .factories import LicenseFactory, ProviderFactory, WindowFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DENVER = zoneinfo.ZoneInfo("America/Denver")
CRISIS_LINE = "If you are in crisis, call or text 988 (Suicide & Crisis Lifeline) or call 911."
HEADER = (
    "npi,first_name,last_name,credentials,taxonomy,licenses,gender,languages,concerns,approaches,populations,"
    "formats,zip,timezone,insurance,self_pay_rate,accepting_new,availability"
)


def log_in(page, email: str) -> None:
    # Staff and providers enter a code from an authenticator app too (carematch.tests.helpers).
    browser_log_in(page, email=email, password=PASSWORD)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def roster_csv(*rows: str) -> dict:
    return {"name": "roster.csv", "mimeType": "text/csv", "buffer": "\n".join([HEADER, *rows, ""]).encode()}


def roster_row(npi: str, first: str, *, concerns: str = "anxiety;grief", rate: str = "110") -> str:
    expires = f"{timezone.localdate().year + 2}-03-31"
    return (
        f"{npi},{first},Lindqvist,LCSW,1041C0700X,CO:LCSW:{npi[-5:]}:{expires},male,en,{concerns},act,adults,"
        f"telehealth,,America/Denver,cigna,{rate},yes,tue 13:00-17:00"
    )


def opening_label(day: dt.date, hour: int) -> tuple[str, str]:
    """How an opening at `hour` o'clock Denver time on `day` reads: its day and its time with the zone."""
    local = dt.datetime.combine(day, dt.time(hour), tzinfo=DENVER)
    return f"{day:%a} {day.day} {day:%b}", f"{local.hour % 12 or 12}:00 {'AM' if hour < 12 else 'PM'} {local.tzname()}"


def assert_fits_a_phone(page) -> None:
    crisis = page.get_by_role("complementary", name="Help in a crisis")
    expect(crisis).to_contain_text(CRISIS_LINE)
    box = crisis.bounding_box()
    assert box is not None and box["y"] < 10, "the crisis line is the first thing on the screen"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px on a phone"


def test_a_coordinator_imports_a_roster_sees_its_errors_by_line_then_imports_a_good_one(browser_page):
    UserFactory(role=Role.COORDINATOR, email="casey@example.test")
    npis = [make_npi(f"17770{n:04d}") for n in range(2)]
    page = browser_page
    log_in(page, "casey@example.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Directory").click()
    page.get_by_role("link", name="Import a roster").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a roster")

    page.get_by_label("Roster file").set_input_files(
        roster_csv(roster_row(npis[0], "Ari"), roster_row("1234567890", "Noor", concerns="anxiety;astrology"))
    )
    page.get_by_role("button", name="Import the roster").click()

    result = page.get_by_role("region", name="Result")
    expect(result.get_by_role("status")).to_contain_text(
        "Nothing was written, because the file has problems: created 0, updated 0, unchanged 0, rejected 1."
    )
    expect(result.get_by_role("list", name="2 problems found").get_by_role("listitem")).to_have_text([
        "line 3: npi: '1234567890' is not a valid NPI: check digit is wrong",
        "line 3: concerns: unknown concern 'astrology'",
    ])
    assert not Provider.objects.exists()

    good = roster_csv(roster_row(npis[0], "Ari"), roster_row(npis[1], "Noor"))
    page.get_by_label("Roster file").set_input_files(good)
    page.get_by_role("button", name="Import the roster").click()
    expect(page.get_by_role("region", name="Result").get_by_role("status")).to_have_text(
        "The directory is updated: created 2, updated 0, unchanged 0, rejected 0."
    )
    expect(page.get_by_role("region", name="Result").get_by_role("list")).to_have_count(0)

    page.get_by_role("link", name="Search the directory").click()
    page.get_by_label("Name").fill("Noor")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Noor Lindqvist, LCSW").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Noor Lindqvist, LCSW")
    expect(page.get_by_text("Not yet verified")).to_be_visible()


def test_a_provider_adds_weekly_hours_and_their_public_profile_shows_the_new_openings(browser_page):
    user = UserFactory(role=Role.PROVIDER, email="robin@example.test")
    provider = ProviderFactory(user=user, first_name="Robin", last_name="Vale", timezone="America/Denver",
                               works_holidays=True)
    first_day = timezone.now().astimezone(DENVER).date() + dt.timedelta(days=3)
    weekday = f"{first_day:%A}"
    page = browser_page
    log_in(page, "robin@example.test")

    page.get_by_role("link", name="Your profile").click()
    page.get_by_role("link", name="Your public profile").click()
    expect(page.get_by_text("Robin has no openings in the next two weeks.")).to_be_visible()
    page.go_back()

    page.get_by_role("link", name="Availability and time off").click()
    expect(page.get_by_text("You have no weekly hours yet")).to_be_visible()
    page.get_by_label("Day", exact=True).select_option(label=weekday)
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("End time").fill("12:00")
    page.get_by_role("button", name="Add these hours").click()
    expect(page.get_by_text(f"Added {weekday} 10:00 to 12:00.")).to_be_visible()
    expect(page.get_by_role("button", name=f"Remove {weekday} 10:00 to 12:00")).to_be_visible()

    page.get_by_label("Start time").fill("11:00")
    page.get_by_label("End time").fill("13:00")
    page.get_by_label("Day", exact=True).select_option(label=weekday)
    page.get_by_role("button", name="Add these hours").click()
    expect(page.get_by_label("Start time")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_window-start_error")).to_have_text(
        re.compile(f"Overlaps your hours on {weekday} 10:00 to 12:00")
    )
    assert AvailabilityWindow.objects.filter(provider=provider).count() == 1

    page.get_by_role("link", name="Your public profile").click()
    openings = page.get_by_role("region", name="Next openings")
    for day in (first_day, first_day + dt.timedelta(days=7)):
        label, ten = opening_label(day, 10)
        _, eleven = opening_label(day, 11)
        expect(openings.get_by_role("region", name=label).get_by_role("listitem").locator("time")).to_have_text(
            [ten, eleven]
        )
    expect(openings.get_by_role("listitem")).to_have_count(4)


def test_the_public_profile_and_the_directory_search_fit_a_phone(phone_page):
    provider = ProviderFactory(
        first_name="Maximiliana", last_name="Featherstonehaugh-Worthington", credentials=["LPCC", "PhD", "LMFT"],
        concerns=["anxiety", "depression", "trauma", "relationships", "life_transitions", "chronic_illness"],
        approaches=["cbt", "dbt", "act", "emdr"], insurance=["aetna", "bcbs", "uhc", "tricare"], works_holidays=True,
        bio="I help people find steadier ground. " * 20,
    )
    LicenseFactory(provider=provider, state="CO")
    for weekday in range(7):
        WindowFactory(provider=provider, weekday=weekday, start=dt.time(8), end=dt.time(18))
    UserFactory(role=Role.COORDINATOR, email="casey@example.test")
    page = phone_page

    page.goto(f"/providers/{provider.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Maximiliana Featherstonehaugh-Worthington")
    expect(page.get_by_role("region", name="Next openings").get_by_role("listitem")).to_have_count(10)
    assert_fits_a_phone(page)

    log_in(page, "casey@example.test")
    page.goto("/staff/directory/")
    page.get_by_label("Licensed in").select_option(label="Colorado")
    page.get_by_label("Helps with").select_option(label="Trauma and PTSD")
    page.get_by_label("Taking new clients").select_option(label="Yes")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 provider")).to_be_visible()
    expect(page.get_by_role("link", name="Maximiliana Featherstonehaugh-Worthington, LPCC, PhD, LMFT")).to_be_visible()
    assert_fits_a_phone(page)

    page.get_by_role("link", name=re.compile("^Maximiliana")).click()
    assert_fits_a_phone(page)


def test_the_availability_form_can_be_completed_with_the_keyboard_alone(browser_page):
    user = UserFactory(role=Role.PROVIDER, email="kit@example.test")
    provider = ProviderFactory(user=user)
    page = browser_page
    log_in(page, "kit@example.test")
    page.goto("/provider/availability/")

    page.get_by_label("Day", exact=True).focus()
    page.keyboard.type("Wed")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Start time")).to_be_focused()
    page.keyboard.type("13:00")
    page.keyboard.press("Tab")
    expect(page.get_by_label("End time")).to_be_focused()
    page.keyboard.type("16:30")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Add these hours")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Added Wednesday 13:00 to 16:30.")).to_be_visible()
    window = AvailabilityWindow.objects.get(provider=provider)
    assert (window.weekday, window.start, window.end) == (2, dt.time(13), dt.time(16, 30))

    remove = page.get_by_role("button", name="Remove Wednesday 13:00 to 16:30")
    remove.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("The window is removed.")).to_be_visible()
    assert not AvailabilityWindow.objects.filter(provider=provider).exists()

"""A provider's public profile: what anyone may see, and what nobody sees there."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import timezone

from carematch.directory.models import LicenseStatus

from .factories import LicenseFactory, ProviderFactory, TimeOffFactory, WindowFactory

pytestmark = pytest.mark.django_db

CRISIS_LINE = "If you are in crisis, call or text <a href=\"tel:988\">988</a>"
DENVER = zoneinfo.ZoneInfo("America/Denver")


def shown_times(html: str) -> list[str]:
    return re.findall(r"<time datetime=\"[^\"]+\">([^<]+)</time>", html)


def shown_days(html: str) -> list[str]:
    return re.findall(r"<h3 id=\"day-\d+\">([^<]+)</h3>", html)


def day_label(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def test_anyone_sees_who_a_provider_is_and_what_they_offer_without_logging_in(client):
    provider = ProviderFactory(
        first_name="Robin", last_name="Ash", credentials=["LPC", "PhD"], concerns=["anxiety", "trauma"],
        approaches=["emdr", "cbt"], populations=["adults", "couples"], languages=["en", "es"], formats=["telehealth"],
        insurance=["aetna", "cigna"], self_pay_rate=140, bio="I work gently and at your pace.",
    )
    LicenseFactory(provider=provider, state="CO")
    response = client.get(f"/providers/{provider.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Robin Ash</h1>" in html
    for text in (
        "LPC, PhD · Professional Counselor", "Anxiety", "Trauma and PTSD", "EMDR",
        "Cognitive behavioural therapy (CBT)", "Adults (18-64), Couples", "English, Spanish", "Online (video)",
        "Aetna, Cigna", "$140 a session",
        "Taking new clients", "Colorado", "I work gently and at your pace.",
    ):
        assert text in html, text
    assert re.search(r'<div class="avatar[^"]*" aria-hidden="true">RA</div>', html)
    assert html.index(CRISIS_LINE) < html.index("<main")


def test_the_public_profile_never_shows_private_details(client):
    provider = ProviderFactory(
        email="robin.private@example.test", phone="+13035550123", address="17 Quiet Lane, Denver",
    )
    LicenseFactory(provider=provider, number="LPC-0099887")
    WindowFactory(provider=provider, weekday=0)
    TimeOffFactory(
        provider=provider, note="Hospital stay",
        start=timezone.now() + dt.timedelta(days=1), end=timezone.now() + dt.timedelta(days=2),
    )
    html = client.get(f"/providers/{provider.pk}/").content.decode()
    for private in ("LPC-0099887", "robin.private@example.test", "+13035550123", "5550123", "17 Quiet Lane",
                    "Hospital stay", provider.npi):
        assert private not in html, private


def test_next_openings_are_grouped_by_day_in_the_providers_zone_with_its_abbreviation(client):
    provider = ProviderFactory(timezone="America/Denver", works_holidays=True)
    first_day = timezone.now().astimezone(DENVER).date() + dt.timedelta(days=3)
    WindowFactory(provider=provider, weekday=first_day.weekday(), start=dt.time(10), end=dt.time(12))

    html = client.get(f"/providers/{provider.pk}/").content.decode()

    days = [first_day, first_day + dt.timedelta(days=7)]
    assert shown_days(html) == [day_label(day) for day in days]
    expected = []
    for day in days:
        for hour in (10, 11):
            local = dt.datetime.combine(day, dt.time(hour), tzinfo=DENVER)
            expected.append(f"{hour}:00 AM {local.tzname()}")
    assert shown_times(html) == expected
    assert "Times are in" in html and "America/Denver" in html


def test_at_most_ten_openings_are_shown_soonest_first(client):
    provider = ProviderFactory(works_holidays=True)
    for weekday in range(7):
        WindowFactory(provider=provider, weekday=weekday, start=dt.time(8), end=dt.time(18))
    html = client.get(f"/providers/{provider.pk}/").content.decode()
    stamps = re.findall(r"<time datetime=\"([^\"]+)\">", html)
    assert len(stamps) == 10
    assert stamps == sorted(stamps)


def test_time_off_removes_openings_from_the_public_profile(client):
    provider = ProviderFactory(timezone="America/Denver", works_holidays=True)
    first_day = timezone.now().astimezone(DENVER).date() + dt.timedelta(days=3)
    WindowFactory(provider=provider, weekday=first_day.weekday(), start=dt.time(10), end=dt.time(12))
    TimeOffFactory(
        provider=provider,
        start=dt.datetime.combine(first_day, dt.time(0), tzinfo=DENVER),
        end=dt.datetime.combine(first_day, dt.time(23), tzinfo=DENVER),
    )
    html = client.get(f"/providers/{provider.pk}/").content.decode()
    assert shown_days(html) == [day_label(first_day + dt.timedelta(days=7))]


def test_the_openings_say_how_long_a_session_is(client):
    provider = ProviderFactory(timezone="America/Denver", works_holidays=True)
    for weekday in range(7):
        WindowFactory(provider=provider, weekday=weekday, start=dt.time(10), end=dt.time(12))
    html = client.get(f"/providers/{provider.pk}/").content.decode()
    assert shown_times(html) and "Each session is 60 minutes." in html


def test_a_provider_with_no_hours_says_there_are_no_openings(client):
    provider = ProviderFactory(first_name="Sam")
    html = client.get(f"/providers/{provider.pk}/").content.decode()
    assert "Sam has no openings in the next two weeks." in html
    assert shown_times(html) == []


def test_a_provider_not_taking_new_clients_says_so_and_offers_no_openings(client):
    provider = ProviderFactory(first_name="Lee", accepting_new=False, works_holidays=True)
    for weekday in range(7):
        WindowFactory(provider=provider, weekday=weekday)
    html = client.get(f"/providers/{provider.pk}/").content.decode()
    assert "Not taking new clients right now" in html
    assert "Lee is not taking new clients right now" in html
    assert shown_times(html) == []


def test_licenses_in_force_are_shown_with_whether_they_are_verified_and_no_others(client):
    provider = ProviderFactory()
    LicenseFactory(provider=provider, state="CO", license_type="LPC")
    LicenseFactory(provider=provider, state="WY", status=LicenseStatus.REJECTED)
    LicenseFactory(provider=provider, state="UT", expires=timezone.localdate() - dt.timedelta(days=1))
    LicenseFactory(provider=provider, state="NM", license_type="LPC", status=LicenseStatus.UNVERIFIED)
    html = client.get(f"/providers/{provider.pk}/").content.decode()
    assert "Colorado LPC · verified" in html
    assert "New Mexico LPC · not yet verified" in html
    assert "Wyoming" not in html and "Utah" not in html


@pytest.mark.parametrize("path", ["/providers/999999/", "/providers/99999999999999999999999/", "/providers/0/"])
def test_a_provider_that_does_not_exist_is_a_calm_not_found_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find that page" in html
    assert CRISIS_LINE in html


def test_a_provider_who_offers_a_free_call_shows_its_times_at_quarter_hours_linking_to_a_consultation(client):
    provider = ProviderFactory(first_name="Sam", timezone="America/Denver", works_holidays=True, min_notice_hours=0,
                               offers_consultations=True, consultation_formats=["phone", "telehealth"])
    for weekday in range(7):
        WindowFactory(provider=provider, weekday=weekday, start=dt.time(10), end=dt.time(12))
    html = client.get(f"/providers/{provider.pk}/").content.decode()
    section = html[html.index('id="call-heading"'):]
    assert "Talk with Sam for 15 minutes first, free (" in section
    calls = re.findall(r'href="/book/\d+/\?start=([^"&]+)&amp;kind=consultation"', section)
    assert len(calls) == 6
    minutes = {dt.datetime.fromisoformat(value.replace("%3A", ":").replace("%2B", "+")).minute for value in calls}
    assert minutes <= {0, 15, 30, 45} and len(minutes) > 1


def test_a_provider_who_offers_no_free_call_shows_no_call_section(client):
    provider = ProviderFactory(timezone="America/Denver", works_holidays=True)
    for weekday in range(7):
        WindowFactory(provider=provider, weekday=weekday, start=dt.time(10), end=dt.time(12))
    assert 'id="call-heading"' not in client.get(f"/providers/{provider.pk}/").content.decode()

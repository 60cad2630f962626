"""A provider's weekly hours and time off: adding, refusing what cannot be, removing only their own."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import AvailabilityWindow, TimeOff
from carematch.lib.timezones import moment_label

from .factories import ProviderFactory, TimeOffFactory, WindowFactory

pytestmark = pytest.mark.django_db

URL = "/provider/availability/"
DENVER = zoneinfo.ZoneInfo("America/Denver")


@pytest.fixture
def provider():
    return ProviderFactory(user=UserFactory(role=Role.PROVIDER), timezone="America/Denver")


@pytest.fixture
def other_provider():
    return ProviderFactory(user=UserFactory(role=Role.PROVIDER))


def window_form(weekday="0", start="09:00", end="12:00"):
    return {"window-weekday": weekday, "window-start": start, "window-end": end}


def time_off_form(start, end, note=""):
    return {"time_off-start": start, "time_off-end": end, "time_off-note": note}


def second_sunday_of_march(year: int) -> dt.date:
    first = dt.date(year, 3, 1)
    return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7)


def test_the_page_lists_weekly_hours_and_time_off_in_the_providers_own_zone(client, provider):
    WindowFactory(provider=provider, weekday=2, start=dt.time(13), end=dt.time(17, 30))
    next_year = timezone.localdate().year + 1
    TimeOffFactory(
        provider=provider, note="Conference",
        start=dt.datetime(next_year, 1, 4, 16, tzinfo=dt.UTC), end=dt.datetime(next_year, 1, 4, 20, tzinfo=dt.UTC),
    )
    client.force_login(provider.user)
    html = client.get(URL).content.decode()
    assert "America/Denver" in html
    assert "Clients can book 60-minute sessions" in html
    assert "Wednesday 13:00 to 17:30" in html
    start = dt.datetime(next_year, 1, 4, 9, tzinfo=DENVER)
    # The site's one format: the year only when 4 January is not within the coming months.
    assert f"{moment_label(start)} to {moment_label(start + dt.timedelta(hours=4))}" in html
    assert moment_label(start).endswith(", 9:00 AM MST")
    assert "Conference" in html  # the note is private, but this is the provider's own page
    assert '<label for="id_window-start">Start time</label>' in html
    assert '<label for="id_time_off-start">Starts</label>' in html


def test_adding_weekly_hours_saves_them_and_says_so(client, provider):
    client.force_login(provider.user)
    response = client.post("/provider/availability/windows/", window_form("4", "9:30", "12:30"), follow=True)
    assert response.redirect_chain == [(URL, 302)]
    html = response.content.decode()
    assert "Added Friday 09:30 to 12:30." in html
    window = AvailabilityWindow.objects.get(provider=provider)
    assert (window.weekday, window.start, window.end) == (4, dt.time(9, 30), dt.time(12, 30))


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (window_form(start="11:00", end="13:00"), "start", "Overlaps your hours on Monday 09:00 to 12:00"),
        (window_form(start="08:00", end="10:00"), "start", "Overlaps your hours on Monday 09:00 to 12:00"),
        (window_form(start="09:00", end="10:00"), "start", "Overlaps your hours on Monday 09:00 to 12:00"),
        (window_form(start="09:00", end="12:00"), "start", "You already have these hours"),
        (window_form(weekday="1", start="12:00", end="09:00"), "end", "Must be later than the start time (12:00)"),
        (window_form(weekday="1", start="12:00", end="12:00"), "end", "Must be later than the start time (12:00)"),
        (window_form(weekday="1", start="09:00", end="09:59"), "end",
         "A window must be at least 60 minutes long to hold a session (this one is 59 minutes)"),
        (window_form(weekday="1", start="09:00", end="09:30"), "end",
         "A window must be at least 60 minutes long to hold a session (this one is 30 minutes)"),
        (window_form(weekday="1", start="9am", end="12:00"), "start", "'9am' is not a time HH:MM"),
        (window_form(weekday="1", start="09:00", end="24:00"), "end", "'24:00' is not a time HH:MM"),
        (window_form(weekday="1", start="", end="12:00"), "start", "This field is required."),
        (window_form(weekday="7"), "weekday", "Select a valid choice."),
        (window_form(weekday="monday"), "weekday", "Select a valid choice."),
    ],
)
def test_overlapping_inverted_or_unreadable_hours_are_refused_on_their_field(client, provider, form, field, message):
    WindowFactory(provider=provider, weekday=0, start=dt.time(9), end=dt.time(12))
    client.force_login(provider.user)
    response = client.post("/provider/availability/windows/", form)
    assert response.status_code == 200
    errors = response.context["window_form"].errors
    assert any(message in error for error in errors[field]), errors
    assert f'id="id_window-{field}_error"' in response.content.decode()
    assert AvailabilityWindow.objects.filter(provider=provider).count() == 1


def test_a_window_of_exactly_one_session_is_fine_and_offers_it(client, provider):
    client.force_login(provider.user)
    client.post("/provider/availability/windows/", window_form("2", "17:00", "18:00"))
    window = AvailabilityWindow.objects.get(provider=provider)
    assert (window.weekday, window.start, window.end) == (2, dt.time(17), dt.time(18))


def test_hours_on_another_day_or_touching_an_existing_window_are_fine(client, provider):
    WindowFactory(provider=provider, weekday=0, start=dt.time(9), end=dt.time(12))
    client.force_login(provider.user)
    client.post("/provider/availability/windows/", window_form("0", "12:00", "14:00"))
    client.post("/provider/availability/windows/", window_form("1", "09:00", "12:00"))
    assert list(provider.windows.order_by("weekday", "start").values_list("weekday", "start")) == [
        (0, dt.time(9)), (0, dt.time(12)), (1, dt.time(9)),
    ]


def test_a_provider_removes_their_own_window(client, provider):
    window = WindowFactory(provider=provider)
    client.force_login(provider.user)
    response = client.post(f"/provider/availability/windows/{window.pk}/remove/", follow=True)
    assert "The window is removed." in response.content.decode()
    assert not AvailabilityWindow.objects.filter(pk=window.pk).exists()


def test_a_provider_cannot_remove_another_providers_window_or_time_off(client, provider, other_provider):
    window = WindowFactory(provider=other_provider)
    time_off = TimeOffFactory(provider=other_provider)
    client.force_login(provider.user)
    assert client.post(f"/provider/availability/windows/{window.pk}/remove/").status_code == 404
    assert client.post(f"/provider/availability/time-off/{time_off.pk}/remove/").status_code == 404
    assert AvailabilityWindow.objects.filter(pk=window.pk).exists()
    assert TimeOff.objects.filter(pk=time_off.pk).exists()


def test_removing_is_a_post_and_needs_a_provider(client, provider):
    window = WindowFactory(provider=provider)
    assert client.post(f"/provider/availability/windows/{window.pk}/remove/")["Location"].startswith(
        "/accounts/login/"
    )
    client.force_login(UserFactory(role=Role.COORDINATOR))
    assert client.post(f"/provider/availability/windows/{window.pk}/remove/").status_code == 403
    client.force_login(provider.user)
    assert client.get(f"/provider/availability/windows/{window.pk}/remove/").status_code == 405
    assert AvailabilityWindow.objects.filter(pk=window.pk).exists()


def test_time_off_is_read_in_the_providers_zone_and_stored_in_utc(client, provider):
    next_year = timezone.localdate().year + 1
    client.force_login(provider.user)
    response = client.post(
        "/provider/availability/time-off/",
        time_off_form(f"{next_year}-01-04T09:00", f"{next_year}-07-05T09:00", "  Sabbatical   leave "),
        follow=True,
    )
    assert response.redirect_chain == [(URL, 302)]
    assert "Your time off is saved." in response.content.decode()
    time_off = TimeOff.objects.get(provider=provider)
    # Denver is UTC-7 in January (MST) and UTC-6 in July (MDT).
    assert time_off.start == dt.datetime(next_year, 1, 4, 16, tzinfo=dt.UTC)
    assert time_off.end == dt.datetime(next_year, 7, 5, 15, tzinfo=dt.UTC)
    assert time_off.note == "Sabbatical leave"


@pytest.mark.parametrize(
    ("start", "end", "note", "field", "message"),
    [
        ("{y}-01-04T12:00", "{y}-01-04T09:00", "", "end", "Must be later than the start"),
        ("{y}-01-04T09:00", "{y}-01-04T09:00", "", "end", "Must be later than the start"),
        ("2001-01-04T09:00", "2001-01-05T09:00", "", "start", "Must be within two years of today"),
        ("{y}-01-04T09:00", "{far}-01-05T09:00", "", "end", "Must be within two years of today"),
        ("next Tuesday", "{y}-01-05T09:00", "", "start", "Enter a valid date/time."),
        ("", "{y}-01-05T09:00", "", "start", "This field is required."),
        ("{y}-01-04T09:00", "{y}-01-05T09:00", "n" * 201, "note", "Is longer than 200 characters"),
        ("{gap}T02:30", "{gap}T05:00", "", "start", "may be ambiguous or it may not exist"),
        ("9999-12-31T23:59", "9999-12-31T23:59", "", "start", "Must be within two years of today"),
    ],
)
def test_time_off_mistakes_are_named_on_their_field_and_nothing_is_saved(
    client, provider, start, end, note, field, message
):
    year = timezone.localdate().year + 1
    values = {"y": year, "far": year + 5, "gap": second_sunday_of_march(year).isoformat()}
    client.force_login(provider.user)
    response = client.post(
        "/provider/availability/time-off/", time_off_form(start.format(**values), end.format(**values), note)
    )
    assert response.status_code == 200
    errors = response.context["time_off_form"].errors
    assert any(message in error for error in errors[field]), errors
    assert f'id="id_time_off-{field}_error"' in response.content.decode()
    assert not TimeOff.objects.exists()


def test_time_off_that_has_already_ended_is_refused(client, provider):
    yesterday = (timezone.now() - dt.timedelta(days=1)).astimezone(DENVER)
    client.force_login(provider.user)
    response = client.post(
        "/provider/availability/time-off/",
        time_off_form(
            (yesterday - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"), yesterday.strftime("%Y-%m-%dT%H:%M")
        ),
    )
    message = "That time off is already over; only time off still to come can block openings"
    assert response.context["time_off_form"].errors["end"] == [message]
    assert message in response.content.decode()
    assert not TimeOff.objects.exists()


def test_a_provider_removes_their_own_time_off(client, provider):
    time_off = TimeOffFactory(
        provider=provider, start=timezone.now() + dt.timedelta(days=2), end=timezone.now() + dt.timedelta(days=3)
    )
    client.force_login(provider.user)
    response = client.post(f"/provider/availability/time-off/{time_off.pk}/remove/", follow=True)
    assert "The time off is removed." in response.content.decode()
    assert not TimeOff.objects.exists()


def test_a_new_window_shows_up_as_openings_on_the_public_profile(client, provider):
    provider.works_holidays = True
    provider.save()
    day = timezone.now().astimezone(DENVER).date() + dt.timedelta(days=4)
    client.force_login(provider.user)
    client.post("/provider/availability/windows/", window_form(str(day.weekday()), "14:00", "15:00"))
    client.logout()
    html = client.get(f"/providers/{provider.pk}/").content.decode()
    local = dt.datetime.combine(day, dt.time(14), tzinfo=DENVER)
    assert f"{day:%a} {day.day} {day:%b}" in html
    assert f'<time datetime="{local.astimezone(dt.UTC).isoformat()}">2:00 PM {local.tzname()}</time>' in html

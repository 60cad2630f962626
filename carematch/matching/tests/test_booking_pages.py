"""The booking journey as pages: hold an opening, sign up or log in, book, see it, cancel."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from carematch.accounts.models import Client, Role, User
from carematch.accounts.tests.factories import PASSWORD, UserFactory
from carematch.scheduling.models import Appointment, Status
from carematch.scheduling.selectors import provider_openings
from carematch.scheduling.services import appointment_book
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return weekday_provider()


def next_opening(provider, n=0):
    now = timezone.now()
    return provider_openings(provider=provider, start=now, end=now + dt.timedelta(days=14))[n]


def book_url(provider, start):
    return f"/book/{provider.pk}/?start={start.isoformat().replace('+', '%2B')}"


SIGN_UP = {
    "email": "Quinn@Example.test", "password1": "walking-by-the-river", "password2": "walking-by-the-river",
    "first_name": "Quinn", "last_name": "Doe", "date_of_birth": "1991-04-02", "state": "CO", "zip": "80202",
    "timezone": "America/New_York",
}


def confirmation_link() -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/accounts/signup/confirm/\S+/)", mail.outbox[-1].body).group(1)


def test_signing_up_while_booking_with_a_registered_address_answers_the_same(client, provider):
    UserFactory(email="quinn@example.test")
    start = next_opening(provider)
    held = client.post(book_url(provider, start), {"start": start.isoformat(), "format": "telehealth"})
    taken = client.post(held["Location"], SIGN_UP)
    assert taken.status_code == 200 and "Check your email" in taken.content.decode()
    assert "already" not in taken.content.decode()
    assert "tried to sign up" in mail.outbox[-1].subject and mail.outbox[-1].to == ["quinn@example.test"]
    assert Appointment.objects.get().status == Status.HELD and not Client.objects.exists()


def test_the_profile_links_each_opening_to_its_booking_page(client, provider):
    html = client.get(f"/providers/{provider.pk}/").content.decode()
    links = [unquote(link) for link in re.findall(r'href="/book/\d+/\?start=([^"]+)"', html)]
    assert links[0] == next_opening(provider).isoformat()
    assert f'href="/book/{provider.pk}/?start=' in html


def test_a_visitor_holds_an_opening_signs_up_with_their_details_and_is_booked(client, provider):
    start = next_opening(provider)
    page = client.get(book_url(provider, start))
    assert "Hold this time and continue" in page.content.decode()
    held = client.post(book_url(provider, start), {"start": start.isoformat(), "format": "telehealth"})
    hold = Appointment.objects.get()
    assert held["Location"] == f"/book/hold/{hold.pk}/"
    assert hold.status == Status.HELD and hold.client is None

    finish = client.get(held["Location"]).content.decode()
    assert "We are holding this time for you until" in finish
    sent = client.post(held["Location"], SIGN_UP)
    assert sent.status_code == 200 and "Check your email" in sent.content.decode()
    assert "Open the link to carry on booking" in sent.content.decode()
    assert not User.objects.filter(email="quinn@example.test").exists()
    # Following the emailed link in the same browser creates the account and returns to the hold.
    confirmed = client.post(confirmation_link())
    assert confirmed["Location"] == held["Location"]
    finish = client.get(held["Location"])
    assert finish.context["form"] is None and "Book this session" in finish.content.decode()
    booked = client.post(held["Location"])
    hold.refresh_from_db()
    assert booked["Location"] == f"/sessions/{hold.pk}/"
    assert hold.status == Status.BOOKED
    quinn = Client.objects.get(user__email="quinn@example.test")
    assert hold.client == quinn and quinn.user.role == Role.CLIENT and quinn.timezone == "America/New_York"

    confirmation = client.get(booked["Location"]).content.decode()
    local = start.astimezone(dt.timezone(dt.timedelta(0))).astimezone(__import__("zoneinfo").ZoneInfo(
        "America/New_York"))
    assert "You are booked" in confirmation
    assert f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'} {local:%Z}" in confirmation


def test_the_emailed_link_opened_on_another_device_still_books_the_held_time(client, provider):
    from django.test import Client as Browser

    start = next_opening(provider)
    held = client.post(book_url(provider, start), {"start": start.isoformat(), "format": "telehealth"})
    client.post(held["Location"], SIGN_UP)
    phone = Browser()  # a second browser: none of the first one's session
    assert phone.get(held["Location"]).status_code == 404  # the hold is not theirs before confirming
    confirmed = phone.post(confirmation_link())
    assert confirmed["Location"] == held["Location"]
    assert "Book this session" in phone.get(held["Location"]).content.decode()
    booked = phone.post(held["Location"])
    hold = Appointment.objects.get()
    assert booked["Location"] == f"/sessions/{hold.pk}/" and hold.status == Status.BOOKED
    assert hold.client.user.email == "quinn@example.test"


def test_sign_up_mistakes_keep_the_hold_and_name_every_field(client, provider):
    start = next_opening(provider)
    held = client.post(book_url(provider, start), {"start": start.isoformat(), "format": "telehealth"})
    bad = SIGN_UP | {"password1": "short", "password2": "short", "date_of_birth": "2999-01-01", "zip": "00000"}
    errors = client.post(held["Location"], bad).context["form"].errors
    assert set(errors) == {"password1", "date_of_birth", "zip"}
    assert "state" in client.post(held["Location"], SIGN_UP | {"state": "ZZ"}).context["form"].errors
    assert not User.objects.filter(email="quinn@example.test").exists()
    assert Appointment.objects.get().status == Status.HELD


def test_a_logged_in_client_books_in_two_steps_and_nothing_is_asked_twice(client, provider):
    sam = ClientFactory()
    client.force_login(sam.user)
    start = next_opening(provider)
    assert ", for 60 minutes.</p>" in client.get(book_url(provider, start)).content.decode()
    held = client.post(book_url(provider, start), {"start": start.isoformat(), "format": "in_person"})
    finish = client.get(held["Location"])
    assert finish.context["form"] is None
    booked = client.post(held["Location"])
    appointment = Appointment.objects.get()
    assert booked["Location"] == f"/sessions/{appointment.pk}/"
    assert "<dt>Length</dt><dd>60 minutes</dd>" in client.get(booked["Location"]).content.decode()
    assert (appointment.client, appointment.format, appointment.status) == (sam, "in_person", Status.BOOKED)


def test_logging_in_while_holding_keeps_the_hold(client, provider):
    sam = ClientFactory()
    start = next_opening(provider)
    held = client.post(book_url(provider, start), {"start": start.isoformat(), "format": "telehealth"})
    client.post("/accounts/login/", {"username": sam.user.email, "password": PASSWORD})
    booked = client.post(held["Location"])
    assert booked.status_code == 302
    assert Appointment.objects.get().client == sam


def test_someone_elses_hold_page_is_404(client, provider):
    start = next_opening(provider)
    held = client.post(book_url(provider, start), {"start": start.isoformat(), "format": "telehealth"})
    client.logout()
    client.cookies.clear()
    assert client.get(held["Location"]).status_code == 404


def test_a_time_taken_while_signing_up_says_so_kindly(client, provider):
    start = next_opening(provider)
    held = client.post(book_url(provider, start), {"start": start.isoformat(), "format": "telehealth"})
    Appointment.objects.update(hold_expires_at=timezone.now() - dt.timedelta(minutes=1))
    client.post(held["Location"], SIGN_UP)
    assert client.post(confirmation_link())["Location"] == held["Location"]
    lapsed = client.get(held["Location"]).content.decode()
    assert "Our 10-minute hold has ended, but the time is still free" in lapsed
    rival = ClientFactory()
    appointment_book(provider=provider, client=rival, start=start, format="telehealth", by=rival.user)
    answer = client.post(held["Location"])
    page = answer.content.decode()
    assert answer.status_code == 410
    assert "the hold ended and the time has been taken since. Nothing was booked for you." in page
    assert f'<time datetime="{next_opening(provider).isoformat()}">' in page  # the provider's next openings
    assert 'href="/find/safety/"' in page  # and the way back


def test_a_time_that_is_not_an_opening_is_a_calm_page(client, provider):
    answer = client.get(f"/book/{provider.pk}/?start=2020-01-01T09:00:00%2B00:00")
    assert answer.status_code == 410
    assert "That time is no longer available" in answer.content.decode()
    assert f'href="/book/{provider.pk}/?start=' in answer.content.decode()
    garbage = client.get(f"/book/{provider.pk}/?start=garbage")
    assert garbage.status_code == 400 and "The link does not name a time we can book." in garbage.content.decode()


def test_the_calendar_file_is_in_the_clients_zone_and_only_for_those_who_may_see_it(client, provider):
    sam = ClientFactory(timezone="America/New_York")
    client.force_login(sam.user)
    start = next_opening(provider)
    held = client.post(book_url(provider, start), {"start": start.isoformat(), "format": "telehealth"})
    session_url = client.post(held["Location"])["Location"]
    ics = client.get(session_url + "calendar.ics")
    event = next(c for c in Calendar.from_ical(ics.content).walk("VEVENT"))
    assert event["DTSTART"].dt.tzinfo.key == "America/New_York"
    assert event["DTSTART"].dt == start
    client.force_login(UserFactory(role=Role.CLIENT))
    assert client.get(session_url).status_code == 404
    assert client.get(session_url + "calendar.ics").status_code == 404


def test_a_client_cancels_from_the_session_page_and_the_hour_is_free_again(client, provider):
    sam = ClientFactory()
    client.force_login(sam.user)
    start = next_opening(provider)
    held = client.post(book_url(provider, start), {"start": start.isoformat(), "format": "telehealth"})
    session_url = client.post(held["Location"])["Location"]
    appointment_id = int(re.search(r"/sessions/(\d+)/", session_url).group(1))
    assert f'href="/sessions/{appointment_id}/cancel/"' in client.get(session_url).content.decode()
    asked = client.get(f"/sessions/{appointment_id}/cancel/").content.decode()
    assert "Cancel this session?" in asked and Appointment.objects.get().status == Status.BOOKED
    page = client.post(f"/sessions/{appointment_id}/cancel/", {"late": "1"}, follow=True).content.decode()
    assert "Your session is cancelled" in page
    assert Appointment.objects.get().status == Status.CANCELLED
    assert start in provider_openings(provider=provider, start=start, end=start + dt.timedelta(hours=1))


def test_signing_up_while_booking_is_throttled_per_address_like_the_sign_up_page(client, provider, monkeypatch):
    monkeypatch.setattr("carematch.accounts.throttle.sign_up_refused", lambda **kwargs: True)
    start = next_opening(provider)
    held = client.post(book_url(provider, start), {"start": start.isoformat(), "format": "telehealth"})
    page = client.post(held["Location"], SIGN_UP).content.decode()
    assert "Too many attempts. Please wait 15 minutes and try again." in page
    assert not User.objects.filter(email="quinn@example.test").exists()

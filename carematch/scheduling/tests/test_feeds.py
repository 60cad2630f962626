"""Private calendar feeds: a secret address per client and provider, shown once, listing
only that person's sessions, and gone (404) once replaced or turned off."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.test import Client as Browser
from django.utils import timezone
from icalendar import Calendar

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.lib.sessions import SESSION
from carematch.scheduling.calendar import appointment_uid
from carematch.scheduling.models import Appointment, CalendarFeed, Status

from .factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db

FEED_URL = re.compile(r'value="(http://testserver/calendar/feed/(cf_[A-Za-z0-9_-]{43})\.ics)"')


def session(provider, client, start, status=Status.BOOKED, fmt="telehealth") -> Appointment:
    return Appointment.objects.create(provider=provider, client=client, start=start, end=start + SESSION, format=fmt,
                                      status=status, booked_at=start - dt.timedelta(days=3))


def hour(days: int) -> dt.datetime:
    """A whole hour `days` from now."""
    return (timezone.now() + dt.timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


def make_address(browser: Browser) -> tuple[str, str]:
    page = browser.post("/calendar/new/", follow=True)
    assert page.status_code == 200
    found = FEED_URL.search(page.content.decode())
    assert found, page.content.decode()
    return found.group(1), found.group(2)


def read_feed(url: str):
    response = Browser().get(url)  # a calendar app: no login, no cookies
    return response, Calendar.from_ical(response.content) if response.status_code == 200 else None


@pytest.fixture
def provider():
    return weekday_provider(first_name="Robin", last_name="Birch", user=UserFactory(role=Role.PROVIDER))


@pytest.fixture
def sam():
    return ClientFactory(first_name="Sam", last_name="Quill", state="NY", zip="10001", timezone="America/New_York")


def test_a_client_makes_an_address_sees_it_once_and_it_lists_their_sessions(client, provider, sam):
    other = ClientFactory(first_name="Ari", last_name="Other")
    upcoming = session(provider, sam, hour(5))
    cancelled = session(provider, sam, hour(6), status=Status.CANCELLED)
    recent = session(provider, sam, hour(-10), status=Status.COMPLETED)
    long_ago = session(provider, sam, hour(-45), status=Status.COMPLETED)
    session(provider, sam, hour(7), status=Status.LAPSED)
    someone_elses = session(provider, other, hour(5) + dt.timedelta(hours=1))

    client.force_login(sam.user)
    page = client.get("/calendar/")
    assert "You have no calendar address" in page.content.decode()
    url, raw = make_address(client)

    feed = CalendarFeed.objects.get(user=sam.user)
    assert feed.digest == hashlib.sha256(raw.encode()).hexdigest() and feed.prefix == raw[:11]
    assert not CalendarFeed.objects.filter(digest=raw).exists()  # the address itself is not kept
    again = client.get("/calendar/").content.decode()
    assert raw not in again and "Your address is on" in again and raw[:11] in again

    response, cal = read_feed(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Set-Cookie" not in response
    assert response["Cache-Control"] == "private, no-store"
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert {uid: str(e["STATUS"]) for uid, e in events.items()} == {
        appointment_uid(upcoming): "CONFIRMED", appointment_uid(cancelled): "CANCELLED",
        appointment_uid(recent): "CONFIRMED",
    }  # not the one of 45 days ago, not the lapsed hold, not another client's
    assert appointment_uid(long_ago) not in events and appointment_uid(someone_elses) not in events
    assert events[appointment_uid(upcoming)]["DTSTART"].dt == upcoming.start
    assert all(e["DTSTART"].params["TZID"] == "America/New_York" for e in events.values())
    assert all("Robin Birch" in str(e["SUMMARY"]) for e in events.values())
    assert CalendarFeed.objects.get(pk=feed.pk).last_used_at is not None
    # Each fetch is in the access log, as the client's own view of their sessions.
    from carematch.access.models import AccessEvent

    fetched = AccessEvent.objects.get(resource_type="calendar_feed")
    assert (fetched.client_id, fetched.actor_id, fetched.action, fetched.resource_id) == (
        sam.pk, sam.user.pk, "view", str(feed.pk))


def test_a_providers_feed_lists_their_own_sessions_and_names_no_client(client, provider, sam):
    mine = session(provider, sam, hour(3))
    colleague = weekday_provider(first_name="Kit", last_name="Other", user=UserFactory(role=Role.PROVIDER))
    session(colleague, ClientFactory(), hour(3))

    client.force_login(provider.user)
    url, _ = make_address(client)
    response, cal = read_feed(url)
    assert response.status_code == 200
    events = cal.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [appointment_uid(mine)]
    assert events[0]["DTSTART"].params["TZID"] == "America/Denver"
    assert "Sam" not in response.content.decode() and "Quill" not in response.content.decode()


def test_making_a_new_address_turns_the_old_one_off(client, provider, sam):
    session(provider, sam, hour(2))
    client.force_login(sam.user)
    old_url, _ = make_address(client)
    assert read_feed(old_url)[0].status_code == 200

    new_url, _ = make_address(client)
    assert new_url != old_url
    assert read_feed(old_url)[0].status_code == 404
    assert read_feed(new_url)[0].status_code == 200
    assert CalendarFeed.objects.filter(user=sam.user, revoked_at__isnull=True).count() == 1


def test_turning_the_address_off_makes_it_404(client, sam):
    client.force_login(sam.user)
    url, _ = make_address(client)
    page = client.post("/calendar/turn-off/", follow=True).content.decode()
    assert "Your calendar address is turned off." in page
    assert "You have no calendar address" in page
    assert read_feed(url)[0].status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/feed/cf_" + "A" * 43 + ".ics",  # the right shape, but no such address
        "/calendar/feed/cf_short.ics",
        "/calendar/feed/not-a-token.ics",
        "/calendar/feed/cf_" + "A" * 43 + "/",
    ],
)
def test_an_unknown_address_is_404(client, path):
    assert client.get(path).status_code == 404


def test_a_deactivated_persons_address_is_404(client, sam):
    client.force_login(sam.user)
    url, _ = make_address(client)
    sam.user.is_active = False
    sam.user.save(update_fields=["is_active"])
    assert read_feed(url)[0].status_code == 404


def test_the_calendar_page_needs_a_login_and_is_for_clients_and_providers(client):
    response = client.get("/calendar/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/calendar/new/").status_code == 302
    assert not CalendarFeed.objects.exists()

    client.force_login(UserFactory(role=Role.COORDINATOR))
    assert "It is for clients and providers" in client.get("/calendar/").content.decode()
    page = client.post("/calendar/new/", follow=True).content.decode()
    assert "Calendar feeds are for clients and providers" in page
    assert not CalendarFeed.objects.exists()

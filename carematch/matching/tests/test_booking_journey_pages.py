"""The booking journey asks nothing twice and never strands anyone: the format asked for in
the intake comes chosen (a single one is said as a fact), the sign-up asks only what the
intake did not, and a hold that is lost or taken leads to a page that says so and offers
the provider's next openings and the way back."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.core import mail
from django.utils import timezone

from carematch.accounts.models import Client
from carematch.directory.tests.factories import WindowFactory
from carematch.lib.timezones import when_label
from carematch.scheduling.models import Appointment, Status
from carematch.scheduling.selectors import provider_openings
from carematch.scheduling.services import appointment_book
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db

ANSWERS = {
    "in_danger": "no", "concerns": ["anxiety"], "approaches": [], "format": "telehealth", "max_distance_miles": "25",
    "state": "CO", "zip": "80202", "date_of_birth": "1990-03-04", "languages": ["en"], "payment": "self_pay",
    "self_pay_max": 200, "times_of_day": [],
}


def intake_said(client, **changes):
    session = client.session
    session["carematch_intake"] = {**ANSWERS, **changes}
    session.save()


def next_opening(provider, n=0):
    now = timezone.now()
    return provider_openings(provider=provider, start=now, end=now + dt.timedelta(days=14))[n]


def book_url(provider, start):
    return f"/book/{provider.pk}/?start={quote(start.isoformat())}"


def hold(client, provider, start, fmt="telehealth"):
    return client.post(book_url(provider, start), {"start": start.isoformat(), "format": fmt})["Location"]


def text(response) -> str:
    return response.content.decode()


# --- The format ------------------------------------------------------------------------------------


def test_the_format_asked_for_in_the_intake_is_the_one_offered_and_said_as_a_fact(client):
    provider = weekday_provider(formats=["telehealth", "in_person"])
    intake_said(client, format="telehealth")
    page = text(client.get(book_url(provider, next_opening(provider))))
    assert "How you will meet: <strong>Online (video)</strong>" in page
    assert 'type="radio"' not in page
    assert '<input type="hidden" name="format" value="telehealth"' in page


def test_either_format_is_offered_with_nothing_preselected_when_either_is_fine(client):
    provider = weekday_provider(formats=["telehealth", "in_person"])
    intake_said(client, format="any")
    page = text(client.get(book_url(provider, next_opening(provider))))
    assert page.count('type="radio" name="format"') == 2
    assert "checked" not in page


def test_a_format_the_provider_does_not_offer_is_never_offered(client):
    provider = weekday_provider(formats=["in_person"])
    intake_said(client, format="telehealth")  # they match on other answers; this provider meets in person only
    page = text(client.get(book_url(provider, next_opening(provider))))
    assert "How you will meet: <strong>In person</strong>" in page
    assert "Online (video)" not in page


def test_without_intake_answers_every_offered_format_is_a_choice(client):
    provider = weekday_provider(formats=["telehealth", "in_person"])
    page = text(client.get(book_url(provider, next_opening(provider))))
    assert page.count('type="radio" name="format"') == 2


def test_the_preselected_format_is_the_one_asked_for_among_several(client):
    from carematch.matching.forms import HoldForm

    form = HoldForm(formats=["telehealth", "in_person"], preferred="in_person")
    assert form.fields["format"].initial == "in_person"
    assert HoldForm(formats=["telehealth", "in_person"], preferred="any").fields["format"].initial is None


# --- Signing up after a hold -----------------------------------------------------------------------


def test_sign_up_after_a_hold_asks_only_what_the_intake_did_not(client):
    provider = weekday_provider()
    intake_said(client)
    finish = hold(client, provider, next_opening(provider))
    page = text(client.get(finish))
    for asked in ('name="email"', 'name="password1"', 'name="first_name"', 'name="last_name"'):
        assert asked in page
    for known in ('name="state"', 'name="zip"', 'name="date_of_birth"', 'name="timezone"'):
        assert known not in page
    assert "<dd>Colorado</dd>" in page and "<dd>80202</dd>" in page and "<dd>4 March 1990</dd>" in page
    assert "Mountain time (Denver), M" in page  # the zone and its short name

    sent = client.post(finish, {"email": "quinn@example.test", "password1": "walking-by-the-river",
                                "password2": "walking-by-the-river", "first_name": "Quinn", "last_name": "Doe"})
    assert "Check your email" in text(sent)
    link = re.search(r"http://127\.0\.0\.1:8000(/accounts/signup/confirm/\S+/)", mail.outbox[-1].body).group(1)
    assert client.post(link)["Location"] == finish
    assert client.post(finish).status_code == 302
    quinn = Client.objects.get()
    assert (quinn.state, quinn.zip, quinn.date_of_birth, quinn.timezone) == (
        "CO", "80202", dt.date(1990, 3, 4), "America/Denver")
    assert Appointment.objects.get().status == Status.BOOKED and Appointment.objects.get().client == quinn


def test_without_intake_answers_sign_up_asks_everything(client):
    provider = weekday_provider()
    page = text(client.get(hold(client, provider, next_opening(provider))))
    for asked in ('name="state"', 'name="zip"', 'name="date_of_birth"', 'name="timezone"'):
        assert asked in page
    assert "From your answers" not in page


def test_a_date_of_birth_the_intake_does_not_have_is_still_asked(client):
    provider = weekday_provider()
    intake_said(client, date_of_birth="")
    page = text(client.get(hold(client, provider, next_opening(provider))))
    assert 'name="date_of_birth"' in page and 'name="state"' not in page


# --- Lost and lapsed holds ---------------------------------------------------------------------------


def test_a_hold_from_another_browser_is_a_page_with_the_providers_openings_not_a_bare_404(client):
    provider = weekday_provider(first_name="Dana")
    intake_said(client)
    finish = hold(client, provider, next_opening(provider))
    client.cookies.clear()  # another browser
    intake_said(client)
    answer = client.get(finish)
    page = text(answer)
    assert answer.status_code == 404
    assert "<h1>This time is not held for you here</h1>" in page
    assert "Dana\u2019s next openings" in page and 'href="/find/results/"' in page  # and the way back to the results
    assert "Page not found at" not in page and "technical_404" not in page


def test_an_unknown_hold_is_a_page_with_the_way_back(client):
    answer = client.get("/book/hold/999999/")
    assert answer.status_code == 404
    assert "We could not find that hold" in text(answer) and 'href="/find/safety/"' in text(answer)


def test_a_released_hold_whose_time_was_taken_says_so_and_offers_other_times(client):
    provider = weekday_provider(first_name="Dana")
    first, second = next_opening(provider), next_opening(provider, 1)
    finish_first = hold(client, provider, first)
    hold(client, provider, second)  # holding another time lets the first go
    rival = ClientFactory()
    appointment_book(provider=provider, client=rival, start=first, format="telehealth", by=rival.user)
    answer = client.get(finish_first)
    assert answer.status_code == 410
    assert "You held another time after this one, so we let" in text(answer)
    assert "Nothing was booked for you." in text(answer)


def test_a_lapsed_hold_whose_time_was_taken_says_so_on_the_viewers_clock(client):
    provider = weekday_provider(first_name="Dana")
    intake_said(client, state="NY", zip="10001")
    start = next_opening(provider)
    finish = hold(client, provider, start)
    Appointment.objects.update(hold_expires_at=timezone.now() - dt.timedelta(minutes=1))
    rival = ClientFactory()
    appointment_book(provider=provider, client=rival, start=start, format="telehealth", by=rival.user)
    answer = client.get(finish)
    assert answer.status_code == 410
    assert f"We held {when_label(start, 'America/New_York')} for you for 10 minutes" in text(answer)


def test_a_session_someone_else_cannot_see_is_a_page_not_django_s_404(client):
    provider = weekday_provider()
    sam = ClientFactory()
    session = appointment_book(provider=provider, client=sam, start=next_opening(provider), format="telehealth",
                               by=sam.user)
    client.force_login(ClientFactory().user)
    answer = client.get(f"/sessions/{session.pk}/")
    assert answer.status_code == 404 and "<h1>We could not find that session</h1>" in text(answer)


def test_an_unknown_provider_on_the_booking_page_is_a_page(client):
    answer = client.get("/book/999999/?start=2030-01-07T16:00:00%2B00:00")
    assert answer.status_code == 404 and "We could not find that therapist" in text(answer)


# --- The session page tells the truth about the reminders ------------------------------------------


@pytest.mark.parametrize(("ahead", "promise", "not_said"), [
    ((dt.timedelta(hours=25), dt.timedelta(days=9)), "We will remind you the day before and an hour before.",
     "no reminder"),
    ((dt.timedelta(hours=2), dt.timedelta(hours=23)), "We will remind you an hour before.", "the day before"),
])
def test_the_session_page_promises_only_the_reminder_the_booking_planned(client, ahead, promise, not_said):
    # Open all day, holidays too, so that each range holds an opening whatever the clock says
    # (9:00 to 12:00 alone leaves a 21-hour gap in the afternoon).
    provider = weekday_provider(min_notice_hours=0, works_holidays=True)
    for day in range(7):
        WindowFactory(provider=provider, weekday=day, start=dt.time(0), end=dt.time(9))
        WindowFactory(provider=provider, weekday=day, start=dt.time(12), end=dt.time(23, 59))
    now = timezone.now()
    start = provider_openings(provider=provider, start=now + ahead[0], end=now + ahead[1])[0]
    sam = ClientFactory()
    session = appointment_book(provider=provider, client=sam, start=start, format="telehealth", by=sam.user)
    client.force_login(sam.user)
    page = text(client.get(f"/sessions/{session.pk}/"))
    assert promise in page and not_said not in page

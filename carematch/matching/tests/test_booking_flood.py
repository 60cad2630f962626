"""Nobody can empty a provider's calendar from the booking page. Fresh browser sessions
(no account needed) used to hold every opening, one each, again every 10 minutes, and a
real client then found nothing to book. Now holds before sign-up are limited per address
and per provider; past a limit the page says why and what to do (429, Retry-After), and a
real client can still book."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as Browser
from django.utils import timezone

from carematch.scheduling.models import Appointment, Status
from carematch.scheduling.selectors import provider_openings
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider
from carematch.tests.helpers import inline_scripts

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"


def book_url(provider, start):
    return f"/book/{provider.pk}/?start={start.isoformat().replace('+', '%2B')}"


def hold(browser, provider, start):
    return browser.post(book_url(provider, start), {"start": start.isoformat(), "format": "telehealth"})


def six_openings(provider):
    now = timezone.now()
    return provider_openings(provider=provider, start=now, end=now + dt.timedelta(days=14))[:6]


def a_real_client_books(provider, start, address="198.51.100.200"):
    person = ClientFactory()
    browser = Browser(REMOTE_ADDR=address)
    browser.force_login(person.user)
    held = hold(browser, provider, start)
    assert held.status_code == 302, held.content.decode()[:2000]
    booked = browser.post(held["Location"])
    assert booked.status_code == 302
    appointment = Appointment.objects.get(client=person)
    assert (appointment.status, appointment.start) == (Status.BOOKED, start)
    return appointment


def assert_told_to_wait(answer, why):
    text = answer.content.decode()
    assert answer.status_code == 429
    assert 1 <= int(answer["Retry-After"]) <= 600
    assert why in text and "Please try again in" in text
    assert "Log in to book" in text and "create an account" in text
    assert not inline_scripts(text) and "style=" not in text


def test_fresh_sessions_from_one_address_hold_one_opening_and_a_real_client_still_books():
    provider = weekday_provider()
    openings = six_openings(provider)
    answers = [hold(Browser(REMOTE_ADDR=ATTACKER), provider, start) for start in openings]
    assert [a.status_code for a in answers] == [302, 429, 429, 429, 429, 429]
    assert_told_to_wait(answers[1], "An opening with this provider is already being held from your internet connection")
    assert Appointment.objects.filter(status=Status.HELD).count() == 1
    # The page's log-in and sign-up links come back to the same opening.
    assert f"next=%2Fbook%2F{provider.pk}%2F%3Fstart%3D" in answers[1].content.decode()

    a_real_client_books(provider, openings[1])
    # And someone else, not yet signed up, can still hold an opening from their own address.
    assert hold(Browser(REMOTE_ADDR="198.51.100.7"), provider, openings[2]).status_code == 302


def test_fresh_sessions_from_one_address_hold_three_openings_in_all():
    providers = [weekday_provider() for _ in range(5)]
    answers = [hold(Browser(REMOTE_ADDR=ATTACKER), provider, six_openings(provider)[0]) for provider in providers]
    assert [a.status_code for a in answers] == [302, 302, 302, 429, 429]
    assert_told_to_wait(answers[3], "3 openings are already being held from your internet connection")
    a_real_client_books(providers[0], six_openings(providers[0])[1])


def test_one_session_each_from_many_addresses_holds_at_most_three_of_a_providers_openings():
    provider, other = weekday_provider(), weekday_provider()
    openings = six_openings(provider)
    answers = [hold(Browser(REMOTE_ADDR=f"192.0.2.{i + 1}"), provider, start) for i, start in enumerate(openings)]
    assert [a.status_code for a in answers] == [302, 302, 302, 429, 429, 429]
    assert_told_to_wait(answers[5], "holding openings with this provider before signing up")
    assert Appointment.objects.filter(provider=provider, status=Status.HELD).count() == 3

    appointment = a_real_client_books(provider, openings[3])
    assert appointment.provider == provider
    assert hold(Browser(REMOTE_ADDR="192.0.2.99"), other, six_openings(other)[0]).status_code == 302


def test_a_signed_in_client_is_not_held_back_by_other_people_on_their_network():
    provider = weekday_provider()
    openings = six_openings(provider)
    assert hold(Browser(REMOTE_ADDR=ATTACKER), provider, openings[0]).status_code == 302
    assert hold(Browser(REMOTE_ADDR=ATTACKER), provider, openings[1]).status_code == 429
    a_real_client_books(provider, openings[1], address=ATTACKER)


def test_holding_again_from_the_same_browser_replaces_the_hold_and_is_never_refused():
    provider = weekday_provider()
    openings = six_openings(provider)
    browser = Browser(REMOTE_ADDR=ATTACKER)
    for start in openings[:5]:
        assert hold(browser, provider, start).status_code == 302
    assert list(Appointment.objects.order_by("pk").values_list("status", flat=True)) == [Status.RELEASED] * 4 + [
        Status.HELD]
    finish = browser.get(f"/book/hold/{Appointment.objects.order_by('pk').first().pk}/")
    assert finish.status_code == 200 and "hold has ended" in finish.content.decode()

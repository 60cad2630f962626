"""Both front doors that sign people up (the sign-up page, and signing up while booking or
joining the waitlist) go through one service, accounts.services.sign_up_start: the same
per-address limit, counted together, and every attempt noted the same way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from carematch.accounts import services, throttle
from carematch.accounts.models import LoginAttempt, SignUpRequest
from carematch.lib.errors import InvalidInput, TooManyRequests
from carematch.scheduling.selectors import provider_openings
from carematch.scheduling.tests.factories import weekday_provider

pytestmark = pytest.mark.django_db

ADDRESS = "192.0.2.44"
PASSWORD = "gentle-river-stones"


def start(email, *, password=PASSWORD, address=ADDRESS, now=None):
    services.sign_up_start(email=email, password=password, address=address, now=now)


def test_every_accepted_sign_up_is_noted_and_the_one_past_the_limit_is_refused_with_when_to_try_again():
    now = timezone.now()
    for n in range(throttle.ADDRESS_SIGN_UP_LIMIT):
        start(f"new{n}@example.test", now=now + dt.timedelta(seconds=n))
    assert LoginAttempt.objects.filter(kind=LoginAttempt.Kind.SIGN_UP, succeeded=True).count() == 10
    sent = len(mail.outbox)

    with pytest.raises(TooManyRequests) as refused:
        start("fresh@example.test", now=now + dt.timedelta(seconds=30))

    assert refused.value.detail == throttle.TOO_MANY_SIGN_UPS
    assert refused.value.status == 429
    # The lock-out runs 15 minutes from the tenth sign-up (made at now + 9 s).
    assert refused.value.retry_after == 15 * 60 - 21
    assert len(mail.outbox) == sent
    assert not SignUpRequest.objects.filter(email="fresh@example.test").exists()
    # The refusal itself is not counted: it would only lengthen the lock-out it answers.
    assert LoginAttempt.objects.filter(kind=LoginAttempt.Kind.SIGN_UP).count() == 10
    start("fresh@example.test", address="192.0.2.45", now=now + dt.timedelta(seconds=31))


def test_a_sign_up_refused_for_what_was_typed_is_noted_as_failed_and_counts_towards_the_limit():
    with pytest.raises(InvalidInput) as refused:
        start("not-an-address", password="short")
    assert set(refused.value.fields) == {"email", "password"}
    attempt = LoginAttempt.objects.get()
    assert (attempt.kind, attempt.address, attempt.succeeded) == (LoginAttempt.Kind.SIGN_UP, ADDRESS, False)
    assert attempt.email_digest == throttle.email_digest("not-an-address")


def test_sign_ups_on_the_page_and_while_booking_count_against_one_limit_per_address(client):
    provider = weekday_provider()
    now = timezone.now()
    opening = provider_openings(provider=provider, start=now, end=now + dt.timedelta(days=14))[0]
    book_url = f"/book/{provider.pk}/?start={opening.isoformat().replace('+', '%2B')}"
    for n in range(5):
        page = client.post("/accounts/signup/", {"email": f"page{n}@example.test", "password1": PASSWORD,
                                                 "password2": PASSWORD})
        assert "Check your email" in page.content.decode()
    held = client.post(book_url, {"start": opening.isoformat(), "format": "telehealth"})
    details = {"first_name": "Quinn", "last_name": "Doe", "date_of_birth": "1991-04-02", "state": "CO",
               "zip": "80202", "timezone": "America/Denver", "password1": PASSWORD, "password2": PASSWORD}
    for n in range(5):
        page = client.post(held["Location"], details | {"email": f"booking{n}@example.test"})
        assert "Check your email" in page.content.decode()

    on_the_page = client.post("/accounts/signup/", {"email": "late@example.test", "password1": PASSWORD,
                                                    "password2": PASSWORD})
    while_booking = client.post(held["Location"], details | {"email": "later@example.test"})

    for refused in (on_the_page, while_booking):
        assert throttle.TOO_MANY_SIGN_UPS in refused.content.decode()
    assert not SignUpRequest.objects.filter(email__in=["late@example.test", "later@example.test"]).exists()

"""Repeated log-in and sign-up attempts are refused for a while, with one calm message that
does not tell whether an account exists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from carematch.accounts import throttle
from carematch.accounts.models import LoginAttempt, SignUpRequest

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many attempts. Please wait 15 minutes or reset your password."
WRONG = "That email and password do not match an account."
NOT_IT = "not-it-at-all"


def log_in(client, email, password=NOT_IT, data_next="", **extra):
    data = {"username": email, "password": password} | ({"next": data_next} if data_next else {})
    return client.post("/accounts/login/", data, **extra)


def sign_up(client, email, **extra):
    data = {"email": email, "password1": "gentle-river-stones", "password2": "gentle-river-stones"}
    return client.post("/accounts/signup/", data, **extra)


@pytest.mark.parametrize("exists", [True, False], ids=["known account", "unknown account"])
def test_five_failures_for_one_account_refuse_it_with_the_same_message_whether_or_not_it_exists(client, exists):
    if exists:
        UserFactory(email="lee@example.test")
    for _ in range(5):
        assert WRONG in log_in(client, "lee@example.test").content.decode()
    refused = log_in(client, "LEE@example.test", PASSWORD)  # even the right password, in any case
    assert refused.status_code == 200
    assert TOO_MANY in refused.content.decode() and WRONG not in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Other accounts from the same address are not affected.
    UserFactory(email="sam@example.test")
    assert log_in(client, "sam@example.test", PASSWORD).status_code == 302


def test_a_refused_account_may_log_in_again_after_15_minutes(client):
    UserFactory(email="lee@example.test")
    long_ago = timezone.now() - dt.timedelta(minutes=16)
    LoginAttempt.objects.bulk_create(
        LoginAttempt(kind="log_in", email_digest=throttle.email_digest("lee@example.test"), address="10.0.0.9",
                     attempted_at=long_ago + dt.timedelta(seconds=i))
        for i in range(5)
    )
    assert log_in(client, "lee@example.test", PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_refuse_every_account_from_it(client):
    UserFactory(email="lee@example.test")
    for n in range(20):
        assert WRONG in log_in(client, f"guess{n}@example.test").content.decode()
    assert TOO_MANY in log_in(client, "lee@example.test", PASSWORD).content.decode()
    assert TOO_MANY in log_in(client, "nobody@example.test").content.decode()
    # Someone at another address is not refused.
    assert log_in(client, "lee@example.test", PASSWORD, REMOTE_ADDR="192.0.2.7").status_code == 302


def test_a_successful_log_in_clears_that_accounts_failures(client):
    UserFactory(email="lee@example.test")
    for _ in range(4):
        log_in(client, "lee@example.test")
    assert log_in(client, "lee@example.test", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        assert WRONG in log_in(client, "lee@example.test").content.decode()
    assert log_in(client, "lee@example.test", PASSWORD).status_code == 302


def test_attempts_store_a_digest_of_the_email_never_the_email(client):
    log_in(client, "Private.Person@example.test")
    attempt = LoginAttempt.objects.get()
    assert (attempt.succeeded, attempt.address) == (False, "127.0.0.1")
    assert "private" not in attempt.email_digest.lower() and len(attempt.email_digest) == 64
    assert attempt.email_digest == throttle.email_digest("private.person@example.test")


def test_the_admin_log_in_is_the_throttled_site_log_in(client):
    UserFactory(email="boss@example.test", role="admin")
    assert client.get("/admin/login/?next=/admin/")["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    for _ in range(5):
        log_in(client, "boss@example.test", data_next="/admin/")
    response = log_in(client, "boss@example.test", PASSWORD)
    assert TOO_MANY in response.content.decode()


def test_ten_sign_ups_from_one_address_refuse_the_next_for_a_while(client):
    UserFactory(email="taken@example.test")
    for n in range(9):
        assert "Check your email" in sign_up(client, f"new{n}@example.test").content.decode()
    assert "Check your email" in sign_up(client, "taken@example.test").content.decode()
    sent = len(mail.outbox)
    refused = sign_up(client, "fresh@example.test")
    assert "Too many attempts. Please wait 15 minutes and try again." in refused.content.decode()
    assert "Too many attempts" in sign_up(client, "taken@example.test").content.decode()
    assert len(mail.outbox) == sent == 10
    assert not SignUpRequest.objects.filter(email="fresh@example.test").exists()
    assert "Check your email" in sign_up(client, "fresh@example.test", REMOTE_ADDR="192.0.2.8").content.decode()


def test_attempts_older_than_a_day_are_dropped(client):
    LoginAttempt.objects.create(
        kind="log_in", email_digest="x" * 64, address="10.0.0.1", attempted_at=timezone.now() - dt.timedelta(days=2)
    )
    log_in(client, "someone@example.test")
    assert list(LoginAttempt.objects.values_list("address", flat=True)) == ["127.0.0.1"]


T0 = dt.datetime(2026, 3, 8, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("minutes", "until"),
    [
        ([0, 1, 2, 3], None),
        ([0, 1, 2, 3, 4], 4 + 15),
        ([0, 5, 10, 15, 16], None),  # never five within 15 minutes
        ([0, 3, 6, 9, 12, 40, 41, 42, 43, 44], 44 + 15),
        ([0, 1, 2, 3, 4, 5], 5 + 15),
    ],
)
def test_the_lock_out_lasts_15_minutes_from_the_attempt_that_reached_the_limit(minutes, until):
    times = [T0 + dt.timedelta(minutes=m) for m in minutes]
    expected = None if until is None else T0 + dt.timedelta(minutes=until)
    assert throttle.locked_until(times, limit=5) == expected

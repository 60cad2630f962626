"""Sign-up, log-in and password reset answer exactly the same whether or not an account
uses the address; only an email to the address itself can tell."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from carematch.accounts import services
from carematch.accounts.models import Client, LoginAttempt, Role, SignUpRequest, User

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "gentle-river-stones"


def page_text(response, *emails: str) -> str:
    """The page without what differs on every request (CSRF tokens) and the address typed."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    for email in emails:
        html = html.replace(email, "<email>")
    return html


def sign_up(client, email, **extra):
    data = {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD} | extra
    return client.post("/accounts/signup/", data)


def confirmation_link(message) -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/accounts/signup/confirm/\S+/)", message.body).group(1)


def test_log_in_answers_the_same_for_an_unknown_address_as_for_a_wrong_password(client):
    UserFactory(email="lee@example.test")
    known = client.post("/accounts/login/", {"username": "lee@example.test", "password": "not-it-at-all"})
    unknown = client.post("/accounts/login/", {"username": "nobody@example.test", "password": "not-it-at-all"})
    assert known.status_code == unknown.status_code == 200
    assert page_text(known, "lee@example.test") == page_text(unknown, "nobody@example.test")
    assert "That email and password do not match an account." in known.content.decode()


def test_password_reset_answers_the_same_and_emails_only_a_real_account(client):
    UserFactory(email="lee@example.test")
    known = client.post("/accounts/password-reset/", {"email": "lee@example.test"})
    unknown = client.post("/accounts/password-reset/", {"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password-reset/sent/"
    assert [message.to for message in mail.outbox] == [["lee@example.test"]]
    known_page, unknown_page = client.get(known["Location"]), client.get(unknown["Location"])
    assert page_text(known_page) == page_text(unknown_page)


def test_sign_up_answers_the_same_for_a_registered_address_and_emails_the_owner_instead(client):
    owner = UserFactory(email="here@example.test")
    taken = sign_up(client, "HERE@example.test")
    fresh = sign_up(client, "new@example.test")
    assert taken.status_code == fresh.status_code == 200
    assert page_text(taken, "here@example.test") == page_text(fresh, "new@example.test")
    assert "Check your email" in taken.content.decode() and "already" not in taken.content.decode()

    to_owner, to_new = mail.outbox
    assert to_owner.to == ["here@example.test"] and "tried to sign up" in to_owner.subject
    assert "/accounts/login/" in to_owner.body and "/accounts/password-reset/" in to_owner.body
    assert "/accounts/signup/confirm/" not in to_owner.body
    assert to_new.to == ["new@example.test"] and "/accounts/signup/confirm/" in to_new.body
    # The owner's account is untouched and no sign-up waits for their address.
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert list(SignUpRequest.objects.values_list("email", flat=True)) == ["new@example.test"]
    assert User.objects.count() == 1
    # Both count towards the sign-up throttle alike.
    assert LoginAttempt.objects.filter(kind="sign_up", succeeded=True).count() == 2


def test_a_confirmation_link_works_once_and_only_its_digest_is_stored(client):
    sign_up(client, "dana@example.test", preferred_name="Dana")
    link = confirmation_link(mail.outbox[0])
    raw = link.rstrip("/").rsplit("/", 1)[1]
    stored = SignUpRequest.objects.get()
    assert stored.token_digest == services.token_digest(raw) and raw not in stored.token_digest
    assert stored.password_hash.startswith("argon2") and NEW_PASSWORD not in stored.password_hash

    assert client.post(link).status_code == 302
    user = User.objects.get(email="dana@example.test")
    assert user.preferred_name == "Dana" and user.role == Role.CLIENT
    assert SignUpRequest.objects.get().password_hash == ""  # not kept once used
    client.post("/accounts/logout/")
    again = client.post(link)
    assert again.status_code == 200 and "This link no longer works" in again.content.decode()
    assert "This link no longer works" in client.get(link).content.decode()
    assert User.objects.count() == 1 and "_auth_user_id" not in client.session


def test_a_confirmation_link_expires_after_24_hours(client):
    sign_up(client, "dana@example.test")
    link = confirmation_link(mail.outbox[0])
    SignUpRequest.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.post(link)
    assert "This link no longer works" in response.content.decode()
    assert not User.objects.exists()
    assert "This link no longer works" in client.get("/accounts/signup/confirm/not-a-real-token/").content.decode()


def test_two_links_for_one_address_create_one_account(client):
    sign_up(client, "dana@example.test")
    sign_up(client, "dana@example.test")
    first, second = (confirmation_link(message) for message in mail.outbox)
    assert client.post(second).status_code == 302
    client.post("/accounts/logout/")
    late = client.post(first)
    assert "An account already uses this email address." in late.content.decode()
    assert User.objects.count() == 1 and "_auth_user_id" not in client.session


def test_confirming_continues_where_the_person_was_going(client):
    sign_up(client, "dana@example.test", next="/find/")
    response = client.post(confirmation_link(mail.outbox[0]))
    assert response["Location"] == "/find/"
    client.post("/accounts/logout/")
    sign_up(client, "kit@example.test", next="https://elsewhere.example/")
    response = client.post(confirmation_link(mail.outbox[1]))
    assert response["Location"] == "/accounts/"


def test_details_given_while_booking_wait_encrypted_and_become_the_client_record(client):
    details = {"first_name": "Quinn", "last_name": "Doe", "date_of_birth": dt.date(1991, 4, 2), "state": "co",
               "zip": "80202", "timezone_name": "America/Denver"}
    services.sign_up_request(email="quinn@example.test", password=NEW_PASSWORD, preferred_name="Quinn",
                             client_details=details, next_url="/book/hold/1/")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT details FROM accounts_signuprequest")
        stored = cursor.fetchone()[0]
    assert stored.startswith("enc1:") and "Quinn" not in stored and "1991" not in stored
    raw_token = confirmation_link(mail.outbox[0]).rstrip("/").rsplit("/")[-1]
    user, next_url, _ = services.sign_up_confirm(raw_token=raw_token)
    quinn = Client.objects.get(user=user)
    assert (quinn.first_name, quinn.state, quinn.date_of_birth, quinn.timezone) == (
        "Quinn", "CO", dt.date(1991, 4, 2), "America/Denver")
    assert next_url == "/book/hold/1/"


def test_staff_creating_a_client_through_the_api_are_told_of_a_conflict(client):
    """Staff are trusted: POST /api/v1/clients keeps its explicit answer for a taken address."""
    from .factories import auth_header

    UserFactory(email="taken@example.test", role=Role.PROVIDER)
    coordinator = UserFactory(role=Role.COORDINATOR)
    response = client.post(
        "/api/v1/clients", {"email": "taken@example.test", "first_name": "A", "last_name": "B",
                            "date_of_birth": "1990-01-01", "state": "CO", "timezone": "America/Denver"},
        content_type="application/json", **auth_header(coordinator),
    )
    assert response.status_code == 409

"""Sign up, log in, log out and password reset as web pages; staff pages for staff only."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from carematch.accounts.models import Role, User

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CRISIS_LINE = "If you are in crisis, call or text <a href=\"tel:988\">988</a> (Suicide &amp; Crisis Lifeline)"


def confirmation_link(message) -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/accounts/signup/confirm/\S+/)", message.body).group(1)


def test_signing_up_emails_a_link_that_creates_the_client_and_logs_them_in(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "Dana@Example.test", "preferred_name": "", "password1": "gentle-river-stones",
         "password2": "gentle-river-stones"},
    )
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    assert not User.objects.exists() and "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["dana@example.test"]
    link = confirmation_link(mail.outbox[0])

    confirm_page = client.get(link)  # opening the link alone creates nothing
    assert "Confirm your email address" in confirm_page.content.decode() and not User.objects.exists()
    response = client.post(link, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/"
    user = User.objects.get()
    assert (user.email, user.role) == ("dana@example.test", Role.CLIENT)
    assert user.check_password("gentle-river-stones")
    assert response.context["user"] == user
    assert "Hello, dana" in response.content.decode()
    assert "Your email address is confirmed." in response.content.decode()


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"password2": "something-else-entirely"}, "password2", "The two passwords do not match."),
        ({"password1": "password123", "password2": "password123"}, "password1", "too common"),
        ({"password1": "short", "password2": "short"}, "password1", "too short"),
        ({"email": ""}, "email", "This field is required."),
    ],
)
def test_sign_up_mistakes_are_shown_on_their_field_and_nothing_is_saved(client, form, field, message):
    data = {"email": "ok@example.test", "password1": "gentle-river-stones", "password2": "gentle-river-stones"} | form
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not User.objects.exists()




def test_log_in_with_any_case_of_email_and_log_out_with_post_only(client):
    UserFactory(email="lee@example.test")
    response = client.post("/accounts/login/", {"username": "LEE@example.test", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    assert client.get("/accounts/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405  # a link or prefetch cannot log anyone out
    response = client.post("/accounts/logout/", follow=True)
    assert "You have logged out." in response.content.decode()
    assert client.get("/accounts/")["Location"].startswith("/accounts/login/")


def test_a_wrong_password_gets_one_calm_message_that_does_not_say_which_part_was_wrong(client):
    UserFactory(email="lee@example.test")
    for username in ("lee@example.test", "nobody@example.test"):
        response = client.post("/accounts/login/", {"username": username, "password": "not-it-at-all"})
        assert response.status_code == 200
        assert "That email and password do not match an account." in response.content.decode()


def test_password_reset_by_email_sets_a_new_password(client):
    UserFactory(email="forgetful@example.test")
    response = client.post("/accounts/password-reset/", {"email": "Forgetful@example.test"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["forgetful@example.test"]
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase", "new_password2": "brand-new-passphrase"},
        follow=True,
    )
    assert "Your password has been changed" in done.content.decode()
    assert client.login(username="forgetful@example.test", password="brand-new-passphrase")
    assert "no longer works" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client):
    response = client.post("/accounts/password-reset/", {"email": "ghost@example.test"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.CLIENT, False), (Role.PROVIDER, False), (Role.COORDINATOR, True), (Role.ADMIN, True),
])
def test_staff_pages_and_the_admin_are_for_coordinators_and_admins_only(client, role, allowed):
    client.force_login(UserFactory(role=role))
    staff = client.get("/staff/")
    admin = client.get("/admin/")
    if allowed:
        assert staff.status_code == 200 and "Active accounts" in staff.content.decode()
        assert admin.status_code == 200
    else:
        assert staff.status_code == 403
        assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")


def test_anonymous_visitors_are_sent_to_log_in_for_staff_pages(client):
    assert client.get("/staff/")["Location"].startswith("/accounts/login/")
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_an_admin_creates_a_coordinator_in_the_django_admin(client):
    client.force_login(UserFactory(role=Role.ADMIN))
    response = client.post(
        "/admin/accounts/user/add/",
        {"email": "Coord@Example.test", "role": "coordinator", "usable_password": "false"},
    )
    assert response.status_code == 302, response.content[:2000]
    created = User.objects.get(email="coord@example.test")
    assert created.role == Role.COORDINATOR and not created.is_superuser and created.is_staff


@pytest.mark.parametrize("path", ["/", "/find/", "/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"])
def test_every_page_shows_the_crisis_line_before_anything_else(client, path):
    html = client.get(path).content.decode()
    assert CRISIS_LINE in html
    assert html.index(CRISIS_LINE) < html.index("<main")


def test_the_home_page_says_what_carematch_does_and_starts_the_journey(client):
    html = client.get("/").content.decode()
    assert "Find a therapist who fits you, and see them within 48 hours." in html
    assert 'href="/find/"' in html
    find = client.get("/find/").content.decode()
    assert "Step 1 of 8" in find and "First, your safety" in find


def test_an_unknown_page_is_a_calm_404_with_the_crisis_line(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()
    assert CRISIS_LINE in response.content.decode()

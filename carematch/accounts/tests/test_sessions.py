"""Sessions: a new key at log-in, idle limits for staff and providers, secure cookies in
production, and logging out everywhere."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from carematch.accounts.models import Role, User
from carematch.tests.test_settings import STRONG_KEY, carematch

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_logging_in_gives_the_session_a_new_key(client):
    UserFactory(email="lee@example.test")
    session = client.session
    session["before"] = "kept"
    session.save()
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post("/accounts/login/", {"username": "lee@example.test", "password": PASSWORD}).status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after and after != before


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN, Role.PROVIDER])
def test_staff_and_provider_sessions_end_after_30_idle_minutes(client, role):
    UserFactory(email="staff@example.test", role=role)
    client.post("/accounts/login/", {"username": "staff@example.test", "password": PASSWORD})
    assert client.session.get_expiry_age() == 1800
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 1800
    client.get("/")
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 1800  # each request starts the count again


def test_client_sessions_keep_the_default_length(client):
    UserFactory(email="dana@example.test")
    client.post("/accounts/login/", {"username": "dana@example.test", "password": PASSWORD})
    client.get("/accounts/")
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 14 * 24 * 3600


def test_log_out_everywhere_ends_every_session_of_that_person_only(client):
    from django.test import Client

    UserFactory(email="dana@example.test")
    other_device, someone_else = Client(), Client()
    for browser in (client, other_device):
        assert browser.login(username="dana@example.test", password=PASSWORD)
    someone_else.force_login(UserFactory(email="sam@example.test"))
    page = client.get("/accounts/").content.decode()
    assert "End all my sessions" in page and "also revokes all your API tokens" in page

    assert client.get("/accounts/logout/everywhere/").status_code == 405
    response = client.post("/accounts/logout/everywhere/", follow=True)
    assert "You have been logged out on every device, including this one." in response.content.decode()
    for browser in (client, other_device):
        assert browser.get("/accounts/")["Location"].startswith("/accounts/login/")
    assert someone_else.get("/accounts/").status_code == 200
    # Logging in again works as before.
    assert other_device.login(username="dana@example.test", password=PASSWORD)
    assert other_device.get("/accounts/").status_code == 200
    assert User.objects.get(email="dana@example.test").session_generation == 1


def test_sessions_from_before_log_out_everywhere_existed_stay_valid():
    # At generation 0 the session hash is Django's own, so existing sessions survive.
    from django.contrib.auth.base_user import AbstractBaseUser

    user = UserFactory.build()
    assert user.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(user)
    user.session_generation = 1
    assert user.get_session_auth_hash() != AbstractBaseUser.get_session_auth_hash(user)


SHOW_COOKIES = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'session_secure': s.SESSION_COOKIE_SECURE, 'session_httponly': s.SESSION_COOKIE_HTTPONLY, "
    "'csrf_secure': s.CSRF_COOKIE_SECURE, 'csrf_httponly': s.CSRF_COOKIE_HTTPONLY, "
    "'idle': 'carematch.accounts.middleware.IdleSessionLimitMiddleware' in s.MIDDLEWARE}))"
)


def test_production_cookies_are_secure_and_http_only(tmp_path):
    result = carematch(
        "shell", "--no-imports", "-c", SHOW_COOKIES, tmp_path=tmp_path,
        CAREMATCH_DEBUG="0", CAREMATCH_SECRET_KEY=STRONG_KEY, CAREMATCH_ALLOWED_HOSTS="example.org",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "session_secure": True, "session_httponly": True, "csrf_secure": True, "csrf_httponly": True, "idle": True,
    }

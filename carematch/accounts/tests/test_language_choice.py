"""The language switch: the cookie for everyone, the account's language for a person logged in."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation

from carematch.accounts import services
from carematch.accounts.models import User
from carematch.lib.errors import InvalidInput
from carematch.lib.language import language_of, speaking

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_choosing_spanish_sets_the_cookie_and_returns_to_the_page(client):
    response = client.post("/language/", {"language": "es", "next": "/find/"})
    assert response.status_code == 302
    assert response["Location"] == "/find/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = client.get("/")
    assert 'lang="es"' in page.content.decode()


def test_a_logged_in_person_keeps_the_choice_on_their_account(client):
    user = UserFactory()
    client.force_login(user)
    client.post("/language/", {"language": "es", "next": "/"})
    user.refresh_from_db()
    assert user.language == "es"


def test_a_language_not_offered_changes_nothing(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/language/", {"language": "fr", "next": "/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    user.refresh_from_db()
    assert user.language == "en"


def test_a_link_elsewhere_is_not_followed(client):
    response = client.post("/language/", {"language": "es", "next": "https://elsewhere.example/"})
    assert response["Location"] == "/"


def test_the_switch_is_post_only(client):
    assert client.get("/language/?language=es").status_code == 405


def test_the_service_refuses_a_language_not_offered_naming_the_field():
    user = UserFactory()
    with pytest.raises(InvalidInput) as refused:
        services.user_language_set(user=user, language="xx")
    assert "language" in refused.value.fields


def test_the_database_refuses_a_language_not_offered():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(language="xx")


def test_speaking_renders_in_the_readers_language_and_restores_the_page():
    user = UserFactory(language="es")
    with translation.override("en"):
        with speaking(user) as code:
            assert code == "es"
            assert translation.get_language() == "es"
        assert translation.get_language() == "en"
    assert language_of(None) == settings.LANGUAGE_CODE
    assert language_of("de") == settings.LANGUAGE_CODE


# --- The account's language: sign-up, log-in, the account page, emails ---------------------------

import re  # noqa: E402

from django.core import mail  # noqa: E402

from .factories import PASSWORD  # noqa: E402


def _confirmation_path(body: str) -> str:
    found = re.search(r"(/accounts/signup/confirm/\S+/)", body)
    assert found, body
    return found.group(1)


def test_an_account_made_on_a_spanish_page_speaks_spanish_from_its_first_email(client):
    client.post("/accounts/signup/", {"email": "ana@example.test", "password1": PASSWORD, "password2": PASSWORD},
                HTTP_ACCEPT_LANGUAGE="es")
    [email] = mail.outbox
    assert email.subject == "Confirme su correo electrónico para carematch"
    assert "988" in email.body and "Para confirmarlo" in email.body
    answer = client.post(_confirmation_path(email.body), HTTP_ACCEPT_LANGUAGE="es")
    user = User.objects.get(email="ana@example.test")
    assert user.language == "es"
    assert answer.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"


def test_an_account_made_on_an_english_page_speaks_english(client):
    client.post("/accounts/signup/", {"email": "sam@example.test", "password1": PASSWORD, "password2": PASSWORD},
                HTTP_ACCEPT_LANGUAGE="en")
    client.post(_confirmation_path(mail.outbox[0].body))
    assert User.objects.get(email="sam@example.test").language == "en"
    assert mail.outbox[0].subject == "Confirm your email address for carematch"


def test_logging_in_turns_the_pages_to_the_accounts_language(client):
    user = UserFactory(language="es")
    answer = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD},
                         HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 302
    assert answer.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = client.get("/accounts/")
    assert '<html lang="es">' in page.content.decode() and "Su cuenta" in page.content.decode()


def test_the_account_page_chooses_the_language_of_pages_and_emails(client):
    user = UserFactory(language="en")
    client.force_login(user)
    page = client.get("/accounts/").content.decode()
    assert 'name="language"' in page and "Español" in page
    answer = client.post("/accounts/", {"language": "es"})
    assert answer.status_code == 302 and answer.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    user.refresh_from_db()
    assert user.language == "es"
    refused = client.post("/accounts/", {"language": "fr"}, HTTP_ACCEPT_LANGUAGE="es")
    assert refused.status_code == 200 and "fr" in refused.content.decode()
    user.refresh_from_db()
    assert user.language == "es"


def test_emails_to_an_account_are_in_its_language_whatever_page_sends_them(client, django_capture_on_commit_callbacks):
    user = UserFactory(language="es")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.user_access_end(user=user, reason="log_out_everywhere")
    [email] = mail.outbox
    assert email.subject == "Se cerró su sesión de carematch en todas partes"
    assert "usted cerró la sesión en todas partes" in email.body
    client.post("/accounts/password-reset/", {"email": user.email}, HTTP_ACCEPT_LANGUAGE="en")
    reset = mail.outbox[-1]
    assert reset.subject == "Su enlace para restablecer la contraseña de carematch"

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

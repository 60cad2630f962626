"""A provider's own video link: one rule (validation.clean_video_link, through the one service
provider_profile_update) for the profile page, the coordinator's page and the API; only a
real https:// address with a host and no user name or password is kept, and the database
refuses anything but HTTPS even past the service."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client as Browser

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, token_for
from carematch.directory.models import Provider
from carematch.directory.services import provider_profile_update
from carematch.lib.errors import InvalidInput
from carematch.tests.helpers import assert_error_shape

from .factories import ProviderFactory
from .test_pages_provider_profile import profile_form

pytestmark = pytest.mark.django_db

REFUSED = [
    ("http://meet.example.org/room", "must start with https://"),
    ("javascript:alert(1)", "must start with https://"),
    ("JavaScript://meet.example.org/%0aalert(1)", "must start with https://"),
    ("data:text/html,hi", "must start with https://"),
    ("//meet.example.org/room", "must start with https://"),
    ("https://robin:secret@meet.example.org/room", "must not contain a user name or password"),
    ("https://robin@meet.example.org/room", "must not contain a user name or password"),
    ("https://", "is not a web address"),
    ("https:///room", "is not a web address"),
    ("https://localhost/room", "full host name"),
    ("https://meet.example.org/a room", "no spaces"),
    ("https://meet.example.org:99999/room", "is not a web address"),
    ("https://meet.example.org/" + "r" * 480, "is longer than 500 characters"),
]


@pytest.fixture
def provider():
    return ProviderFactory(user=UserFactory(role=Role.PROVIDER), concerns=["anxiety"], languages=["en"])


@pytest.mark.parametrize(("link", "problem"), REFUSED)
def test_the_service_refuses_anything_but_a_plain_https_link_and_keeps_nothing(provider, link, problem):
    with pytest.raises(InvalidInput) as raised:
        provider_profile_update(provider=provider, video_link=link)
    assert problem in raised.value.fields["video_link"]
    provider.refresh_from_db()
    assert provider.video_link == ""


def test_a_good_link_is_kept_trimmed_with_its_scheme_in_lower_case_and_an_empty_one_removes_it(provider):
    saved = provider_profile_update(provider=provider, video_link="  HTTPS://meet.example.org/robin-birch?pwd=1 ")
    assert saved.video_link == "https://meet.example.org/robin-birch?pwd=1"
    assert provider_profile_update(provider=provider, video_link="").video_link == ""


def test_the_database_refuses_a_link_that_is_not_https(provider):
    with pytest.raises(IntegrityError), transaction.atomic():
        Provider.objects.filter(pk=provider.pk).update(video_link="http://meet.example.org/room")


@pytest.mark.parametrize(("link", "problem"), REFUSED[:6] + REFUSED[5:7])
def test_the_profile_page_names_the_field_and_saves_nothing(provider, link, problem):
    browser = Browser()
    browser.force_login(provider.user)
    response = browser.post("/provider/profile/", profile_form(video_link=link, bio="Changed words."))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(problem.lower() in error.lower() for error in errors["video_link"]), errors
    assert 'id="id_video_link_error"' in response.content.decode()
    provider.refresh_from_db()
    assert provider.video_link == "" and provider.bio != "Changed words."


def test_the_provider_and_a_coordinator_save_it_on_their_pages(provider):
    browser = Browser()
    browser.force_login(provider.user)
    assert 'name="video_link"' in browser.get("/provider/profile/").content.decode()
    response = browser.post("/provider/profile/", profile_form(video_link="https://meet.example.org/mine"))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.video_link == "https://meet.example.org/mine"

    coordinator = Browser()
    coordinator.force_login(UserFactory(role=Role.COORDINATOR))
    response = coordinator.post(f"/staff/directory/{provider.pk}/profile/",
                                profile_form(video_link="https://meet.example.org/theirs"))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.video_link == "https://meet.example.org/theirs"
    assert provider.profile_changes.filter(changes__has_key="video_link").count() == 2


@pytest.mark.parametrize(("link", "problem"), REFUSED[:7])
def test_the_api_answers_422_naming_video_link(provider, link, problem):
    response = Browser().put(f"/api/v1/providers/{provider.pk}/video-link", {"video_link": link},
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token_for(provider.user)}")
    body = assert_error_shape(response, 422)
    assert problem in body["fields"]["video_link"]
    provider.refresh_from_db()
    assert provider.video_link == ""


def test_the_api_sets_it_for_the_provider_themself_or_a_coordinator_only(provider):
    def put(user, link="https://meet.example.org/room"):
        return Browser().put(f"/api/v1/providers/{provider.pk}/video-link", {"video_link": link},
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")

    assert put(provider.user).json() == {"video_link": "https://meet.example.org/room"}
    assert put(UserFactory(role=Role.COORDINATOR), "").json() == {"video_link": ""}
    other = ProviderFactory(user=UserFactory(role=Role.PROVIDER))
    assert_error_shape(put(other.user), 403)
    assert_error_shape(put(UserFactory(role=Role.CLIENT)), 403)

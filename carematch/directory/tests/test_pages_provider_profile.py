"""A provider keeps their own profile: who may open the page, what saving does, and how mistakes read."""

from __future__ import annotations

import re

import pytest

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import LicenseStatus, Provider

from .factories import LicenseFactory, ProviderFactory

pytestmark = pytest.mark.django_db

URL = "/provider/profile/"


@pytest.fixture
def provider():
    return ProviderFactory(
        first_name="Robin", user=UserFactory(role=Role.PROVIDER, email="robin@example.test"),
        concerns=["anxiety"], languages=["en"], bio="Calm and practical.",
    )


def profile_form(**changes):
    """Everything the profile form sends, as a browser would (unchecked boxes are not sent)."""
    data = {
        "bio": "Calm and practical.",
        "concerns": ["anxiety", "grief"],
        "approaches": ["cbt"],
        "populations": ["adults"],
        "languages": ["en", "es"],
        "other_languages": "",
        "formats": ["telehealth", "in_person"],
        "insurance": ["aetna"],
        "self_pay_rate": "120",
        "accepting_new": "on",
        "min_notice_hours": "24",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/provider/profile/"


@pytest.mark.parametrize("role", [Role.CLIENT, Role.COORDINATOR, Role.ADMIN])
def test_other_roles_are_refused_the_provider_pages(client, role):
    client.force_login(UserFactory(role=role))
    for path in (URL, "/provider/availability/"):
        assert client.get(path).status_code == 403


def test_a_provider_without_a_directory_record_is_told_to_contact_their_coordinator(client):
    client.force_login(UserFactory(role=Role.PROVIDER))
    for path in (URL, "/provider/availability/"):
        response = client.get(path)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Your profile is not set up yet" in html
        assert "contact your coordinator" in html
        assert "Your profile</a>" not in html  # no menu link to a profile that is not there


def test_a_provider_sees_their_profile_filled_in_and_a_menu_link_to_it(client, provider):
    client.force_login(provider.user)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="/provider/profile/">Your profile</a>' in html
    assert "Calm and practical." in html
    assert re.search(r'<input type="checkbox" name="concerns" value="anxiety"[^>]*checked', html)
    assert not re.search(r'<input type="checkbox" name="concerns" value="grief"[^>]*checked', html)
    assert '<legend>What you help with</legend>' in html
    assert '<label for="id_self_pay_rate">Self-pay rate</label>' in html


def test_saving_the_profile_changes_what_clients_see(client, provider):
    client.force_login(provider.user)
    response = client.post(
        URL,
        profile_form(bio="New words.", other_languages="Somali, am", self_pay_rate="$95", accepting_new=None,
                     works_holidays="on"),
        follow=True,
    )
    assert response.redirect_chain == [(URL, 302)]
    assert "Your profile is saved." in response.content.decode()
    provider.refresh_from_db()
    assert provider.bio == "New words."
    assert provider.concerns == ["anxiety", "grief"]
    assert provider.languages == ["en", "es", "so", "am"]
    assert (provider.self_pay_rate, provider.accepting_new, provider.min_notice_hours, provider.works_holidays) == (
        95, False, 24, True,
    )
    public = client.get(f"/providers/{provider.pk}/").content.decode()
    assert "New words." in public and "Somali" in public and "Grief and loss" in public


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"concerns": None}, "concerns", "At least one concern is required"),
        ({"populations": None}, "populations", "At least one population is required"),
        ({"formats": None}, "formats", "At least one format is required"),
        ({"languages": None}, "languages", "At least one language is required"),
        ({"other_languages": "Klingon"}, "languages", "'Klingon' is not an ISO 639-1 language code"),
        ({"self_pay_rate": "a lot"}, "self_pay_rate", "'a lot' is not a whole number of US dollars"),
        ({"self_pay_rate": ""}, "self_pay_rate", "This field is required."),
        ({"self_pay_rate": "20000"}, "self_pay_rate", "more than the most allowed (10000 US dollars)"),
        ({"min_notice_hours": "-3"}, "min_notice_hours", "'-3' is not a whole number of hours"),
        ({"min_notice_hours": "400"}, "min_notice_hours", "more than the most allowed (336 hours)"),
        ({"bio": "x" * 1501}, "bio", "Is longer than 1,500 characters"),
        ({"concerns": ["anxiety", "astrology"]}, "concerns", "Select a valid choice."),
    ],
)
def test_profile_mistakes_are_named_on_their_field_and_nothing_is_saved(client, provider, changes, field, message):
    client.force_login(provider.user)
    response = client.post(URL, profile_form(**({"bio": "Changed words."} | changes)))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    html = response.content.decode()
    assert "There is a problem" in html and f'<a href="#id_{field}' in html  # the summary links to the field
    assert f'id="id_{field}_error"' in html
    provider.refresh_from_db()
    assert provider.bio == "Calm and practical."
    assert provider.concerns == ["anxiety"]


def test_in_person_sessions_need_an_office_zip_on_file(client, provider):
    Provider.objects.filter(pk=provider.pk).update(zip="", latitude=None, longitude=None)
    client.force_login(provider.user)
    response = client.post(URL, profile_form(formats=["in_person"]))
    assert response.context["form"].errors["formats"] == [
        "In-person sessions need an office ZIP code on file; ask your coordinator to add it"
    ]
    provider.refresh_from_db()
    assert provider.formats == ["telehealth", "in_person"]


def test_saving_one_profile_leaves_every_other_provider_alone(client, provider):
    other = ProviderFactory(bio="Someone else.", concerns=["ocd"])
    client.force_login(provider.user)
    client.post(URL, profile_form(bio="Mine."))
    other.refresh_from_db()
    assert (other.bio, other.concerns) == ("Someone else.", ["ocd"])


def test_the_profile_tells_the_provider_their_license_is_waiting_for_verification(client, provider):
    LicenseFactory(provider=provider, state="CO", number="CO-77", status=LicenseStatus.UNVERIFIED)
    client.force_login(provider.user)
    html = client.get(URL).content.decode()
    assert "Your license in Colorado is waiting for verification by your coordinator." in html
    assert "Until a license is verified, nobody is matched with you and nobody can book you." in html
    assert "Colorado LPC CO-77" in html
    assert "people in Colorado are not matched with you, and cannot book you there, until it is verified" in html


def test_a_verified_license_elsewhere_means_the_provider_is_matched_there_meanwhile(client, provider):
    LicenseFactory(provider=provider, state="CO", status=LicenseStatus.UNVERIFIED)
    LicenseFactory(provider=provider, state="WY")
    client.force_login(provider.user)
    html = client.get(URL).content.decode()
    assert "Your license in Colorado is waiting for verification" in html
    assert "nobody is matched with you" not in html
    assert "Verified: people in Wyoming can be matched with you." in html


def test_with_every_license_verified_nothing_is_waiting(client, provider, settings):
    LicenseFactory(provider=provider, state="CO")
    client.force_login(provider.user)
    html = client.get(URL).content.decode()
    assert "waiting for verification" not in html
    assert "Verified: people in Colorado can be matched with you." in html
    settings.MATCH_UNVERIFIED_LICENSES = True
    LicenseFactory(provider=provider, state="WY", status=LicenseStatus.UNVERIFIED)
    html = client.get(URL).content.decode()
    assert "This network matches you in Wyoming meanwhile." in html

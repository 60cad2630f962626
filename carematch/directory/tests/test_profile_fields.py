"""What a profile may hold (one service checks it for the provider's page, the coordinator's
page and imports alike, naming every bad field at once), and the history of every change."""

from __future__ import annotations

import pytest

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import ChangeSource, ProfileChange, Provider
from carematch.directory.roster import roster_import
from carematch.directory.services import provider_profile_update
from carematch.lib import vocab
from carematch.lib.errors import InvalidInput

from .factories import ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return ProviderFactory(
        first_name="Dana", last_name="Ruiz", user=UserFactory(role=Role.PROVIDER, email="dana@example.test"),
        concerns=["anxiety", "grief", "trauma", "sleep"], self_pay_rate=150,
    )


def test_every_approach_has_a_plain_language_explanation():
    assert set(vocab.APPROACH_EXPLANATIONS) == set(vocab.APPROACHES)
    for slug, sentence in vocab.APPROACH_EXPLANATIONS.items():
        assert sentence.strip() and sentence.endswith(".") and len(sentence) <= 160, slug


def test_the_new_fields_are_saved_when_valid(provider):
    provider_profile_update(
        provider=provider, pronouns=" they/them ", bio="I listen first.", first_session="We talk.",
        years_in_practice="12", education="MA Counseling", specialties=["grief", "anxiety"],
        communities=["bipoc", "lgbtq_affirming"], sliding_scale_min="60", sliding_scale_max="150",
    )
    provider.refresh_from_db()
    assert (provider.pronouns, provider.years_in_practice, provider.specialties, provider.communities) == (
        "they/them", 12, ["grief", "anxiety"], ["bipoc", "lgbtq_affirming"])
    assert (provider.sliding_scale_min, provider.sliding_scale_max) == (60, 150)


def test_every_bad_field_is_named_at_once_and_nothing_is_written(provider):
    with pytest.raises(InvalidInput) as refused:
        provider_profile_update(
            provider=provider, bio="x" * 1501, first_session="y" * 601, pronouns="z" * 41, education="e" * 301,
            years_in_practice="81", specialties=["anxiety", "grief", "trauma", "sleep"], communities=["astrology"],
            sliding_scale_min="40",
        )
    fields = refused.value.fields or {}
    assert set(fields) == {"bio", "first_session", "pronouns", "education", "years_in_practice", "specialties",
                           "communities", "sliding_scale_max"}
    assert "1,500" in fields["bio"] and "600" in fields["first_session"] and "40" in fields["pronouns"]
    assert "300" in fields["education"] and "80" in fields["years_in_practice"]
    assert "at most 3" in fields["specialties"] and "unknown community" in fields["communities"]
    assert "both ends" in fields["sliding_scale_max"]
    assert Provider.objects.get(pk=provider.pk).bio == provider.bio
    assert not ProfileChange.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"specialties": ["ocd"]}, "specialties", "is not one of the concerns you help with"),
        ({"specialties": ["nonsense"]}, "specialties", "unknown concern"),
        ({"sliding_scale_min": "90", "sliding_scale_max": "80"}, "sliding_scale_min", "more than the top"),
        ({"sliding_scale_min": "50", "sliding_scale_max": "200"}, "sliding_scale_max", "more than the self-pay rate"),
        ({"sliding_scale_max": "100"}, "sliding_scale_min", "both ends"),
        ({"years_in_practice": "-1"}, "years_in_practice", "is not a whole number"),
    ],
)
def test_rules_between_fields_are_named(provider, changes, field, message):
    with pytest.raises(InvalidInput) as refused:
        provider_profile_update(provider=provider, **changes)
    assert message in (refused.value.fields or {}).get(field, ""), refused.value.fields


def test_lowering_the_self_pay_rate_below_the_sliding_scale_names_the_rate(provider):
    provider_profile_update(provider=provider, sliding_scale_min="50", sliding_scale_max="140")
    with pytest.raises(InvalidInput) as refused:
        provider_profile_update(provider=provider, self_pay_rate="100")
    assert "sliding scale" in (refused.value.fields or {})["self_pay_rate"]


def test_a_specialty_whose_concern_is_dropped_is_dropped_too(provider):
    provider_profile_update(provider=provider, specialties=["grief", "sleep"])
    provider_profile_update(provider=provider, concerns=["anxiety", "grief"])
    assert Provider.objects.get(pk=provider.pk).specialties == ["grief"]


def test_every_change_is_recorded_with_who_when_and_old_and_new_values(provider):
    provider_profile_update(provider=provider, bio="Old words.")
    coordinator = UserFactory(role=Role.COORDINATOR, email="coord@example.test")
    provider_profile_update(provider=provider, by=coordinator, bio="New words.", pronouns="she/her",
                            accepting_new=provider.accepting_new)
    first, second = ProfileChange.objects.filter(provider=provider).order_by("id")
    assert (first.source, first.by, first.by_email) == (ChangeSource.PROVIDER, provider.user, "dana@example.test")
    assert (second.source, second.by) == (ChangeSource.COORDINATOR, coordinator)
    assert second.changes == {"bio": {"old": "Old words.", "new": "New words."},
                              "pronouns": {"old": "", "new": "she/her"}}  # unchanged fields are not listed
    provider_profile_update(provider=provider, bio="New words.")
    assert ProfileChange.objects.filter(provider=provider).count() == 2  # nothing changed, nothing recorded


def test_a_coordinator_edits_a_profile_on_the_staff_page_and_sees_the_history(client, provider):
    client.force_login(UserFactory(role=Role.COORDINATOR, email="coord@example.test"))
    form = {
        "bio": "Warm and direct.", "first_session": "We get to know each other.", "pronouns": "she/her",
        "years_in_practice": "9", "education": "MSW, University of Denver", "concerns": ["anxiety", "grief"],
        "specialties": ["grief"], "approaches": ["cbt"], "communities": ["veterans"], "populations": ["adults"],
        "languages": ["en"], "formats": ["telehealth"], "insurance": [], "self_pay_rate": "150",
        "sliding_scale_min": "70", "sliding_scale_max": "120", "accepting_new": "on", "min_notice_hours": "2",
    }
    response = client.post(f"/staff/directory/{provider.pk}/profile/", form)
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.bio, provider.specialties, provider.communities, provider.sliding_scale_max) == (
        "Warm and direct.", ["grief"], ["veterans"], 120)
    html = client.get(f"/staff/directory/{provider.pk}/").content.decode()
    assert "Profile history" in html and "coord@example.test (a coordinator)" in html
    assert "Personal statement: (none) → Warm and direct." in html

    public = client.get(f"/providers/{provider.pk}/").content.decode()
    for text in ("Specialises in", "Grief and loss", "Warm and direct.", "What a first session with me is like",
                 "We get to know each other.", "Pronouns: she/her", "9 years", "MSW, University of Denver",
                 "Veterans and military families", "$70 to $120 a session",
                 vocab.APPROACH_EXPLANATIONS["cbt"]):
        assert text in public, text
    assert public.index("Specialises in") < public.index("Warm and direct.")


def test_a_specialty_outside_the_concerns_is_a_form_error_on_the_staff_page(client, provider):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    form = {"concerns": ["anxiety"], "specialties": ["grief"], "populations": ["adults"], "languages": ["en"],
            "formats": ["telehealth"], "self_pay_rate": "150", "min_notice_hours": "2"}
    response = client.post(f"/staff/directory/{provider.pk}/profile/", form)
    assert response.status_code == 200
    assert "specialties" in response.context["form"].errors


def test_a_roster_with_a_statement_over_1500_characters_names_bio_on_its_line():
    header = ("npi,first_name,last_name,credentials,taxonomy,gender,languages,concerns,approaches,populations,"
              "formats,insurance,self_pay_rate,accepting_new,timezone,licenses,availability,zip,bio")
    row = ("1234567893,Ann,Lee,LPC,101YP2500X,female,en,anxiety,cbt,adults,telehealth,,120,yes,America/Denver,"
           f"CO:LPC:123:2030-01-01,mon 09:00-12:00,,{'x' * 1501}")
    report = roster_import(source=f"{header}\n{row}\n", dry_run=True)
    assert [(p.line, p.field) for p in report.problems] == [(2, "bio")]
    assert "1,500" in report.problems[0].message


def test_an_import_that_changes_a_profile_is_in_its_history():
    header = ("npi,first_name,last_name,credentials,taxonomy,gender,languages,concerns,approaches,populations,"
              "formats,insurance,self_pay_rate,accepting_new,timezone,licenses,availability,zip,bio")
    row = ("1234567893,Ann,Lee,LPC,101YP2500X,female,en,anxiety,cbt,adults,telehealth,,120,yes,America/Denver,"
           "CO:LPC:123:2030-01-01,mon 09:00-12:00,,{bio}")
    roster_import(source=f"{header}\n{row.format(bio='First words.')}\n", dry_run=False)
    assert not ProfileChange.objects.exists()  # a new provider has no history yet
    roster_import(source=f"{header}\n{row.format(bio='Second words.')}\n", dry_run=False)
    change = ProfileChange.objects.get()
    assert (change.source, change.by, change.changes) == (
        ChangeSource.ROSTER, None, {"bio": {"old": "First words.", "new": "Second words."}})


def test_a_provider_offers_a_free_consultation_call_by_the_ways_they_choose(provider):
    with pytest.raises(InvalidInput) as refused:
        provider_profile_update(provider=provider, offers_consultations=True)
    assert refused.value.fields == {
        "consultation_formats": "choose how the free consultation call happens: by phone, online or both"}
    with pytest.raises(InvalidInput) as unknown:
        provider_profile_update(provider=provider, offers_consultations=True, consultation_formats=["fax"])
    assert "consultation_formats" in unknown.value.fields
    provider_profile_update(provider=provider, offers_consultations=True, consultation_formats=["phone", "telehealth"])
    provider.refresh_from_db()
    assert (provider.offers_consultations, provider.consultation_formats) == (True, ["phone", "telehealth"])
    change = ProfileChange.objects.latest("changed_at")
    assert change.changes["offers_consultations"] == {"old": False, "new": True}


def test_a_coordinator_turns_on_free_calls_on_the_staff_page(client, provider):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    page = client.get(f"/staff/directory/{provider.pk}/").content.decode()
    assert "I offer a free 15-minute consultation call" in page


def test_the_database_refuses_consultations_offered_without_a_way_to_have_them(provider):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Provider.objects.filter(pk=provider.pk).update(offers_consultations=True, consultation_formats=[])

"""The demo network: synthetic, deterministic, valid by the same rules as any import."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import sys

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from carematch.accounts.demo import seed_demo_accounts
from carematch.accounts.models import Role, User
from carematch.directory.demo import demo_records, seed_demo_network
from carematch.directory.models import License, LicenseStatus, Provider, VerificationSource
from carematch.directory.validation import build_provider_record
from carematch.lib import vocab

TODAY = dt.date(2026, 11, 26)


def as_values(record):
    values = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    values["availability"] = values.pop("windows")
    for name in ("self_pay_rate", "min_notice_hours"):
        values[name] = str(values[name])
    values["accepting_new"] = "yes" if record.accepting_new else "no"
    return values


def test_the_same_seed_gives_the_same_network_and_another_seed_another():
    assert demo_records(count=300, seed=7, today=TODAY) == demo_records(count=300, seed=7, today=TODAY)
    assert demo_records(count=300, seed=7, today=TODAY) != demo_records(count=300, seed=8, today=TODAY)


@pytest.mark.django_db
def test_every_demo_provider_passes_the_import_rules():
    for record in demo_records(count=400, today=TODAY):
        rebuilt, problems = build_provider_record(as_values(record))
        assert problems == [], (record.npi, problems)
        assert rebuilt == record


def test_the_network_covers_every_state_weighted_by_population_with_realistic_spreads():
    records = demo_records(count=2000, today=TODAY)
    homes = collections.Counter(r.licenses[0].state for r in records)
    assert set(homes) == set(vocab.STATES)
    assert homes["CA"] > homes["CO"] > homes["WY"]
    share = lambda test: sum(map(test, records)) / len(records)  # noqa: E731
    assert 0.1 < share(lambda r: "es" in r.languages) < 0.4
    assert 0.8 < share(lambda r: "telehealth" in r.formats) < 0.98
    assert 0.2 < share(lambda r: "in_person" in r.formats) < 0.6
    assert 0.01 < share(lambda r: any(lic.expires <= TODAY + dt.timedelta(days=60) for lic in r.licenses)) < 0.1
    assert len({r.npi for r in records}) == 2000
    assert len({r.credentials for r in records}) >= 6


@pytest.mark.django_db
def test_seeding_twice_creates_once_and_links_the_demo_provider_account():
    provider_user = next(u for u, _ in seed_demo_accounts() if u.role == Role.PROVIDER)
    first = seed_demo_network(count=40, seed=3, today=TODAY, provider_account=provider_user)
    second = seed_demo_network(count=40, seed=3, today=TODAY, provider_account=provider_user)
    assert first == "Demo network: 40 providers created, 0 updated; 40 drawn avatars."
    assert second == "Demo network already present (40 providers); left as it is."
    assert Provider.objects.count() == 40
    assert Provider.objects.get(user=provider_user).npi == demo_records(count=1, seed=3, today=TODAY)[0].npi


@pytest.mark.django_db
def test_without_faker_seeding_providers_says_to_install_the_demo_extra_and_writes_nothing(monkeypatch):
    monkeypatch.setitem(sys.modules, "faker", None)  # an install without carematch's demo extra
    with pytest.raises(CommandError, match=r"needs Faker, from carematch's demo extra"):
        call_command("seed_demo", "--providers", "5", "--force")
    assert not User.objects.exists() and not Provider.objects.exists()
    call_command("seed_demo", "--providers", "0", "--force")  # the demo logins alone need no Faker
    assert User.objects.count() == 4 and not Provider.objects.exists()


def test_demo_licenses_come_verified_but_for_a_few_left_waiting_to_show_the_workflow():
    records = demo_records(count=2000, today=TODAY)
    # Every provider's home-state license is verified, so every demo provider can be matched.
    assert all(record.licenses[0].verified for record in records)
    waiting = [record for record in records if any(not lic.verified for lic in record.licenses)]
    assert 10 <= len(waiting) <= 100
    # The first provider (the demo provider's account) has one license waiting, in another state.
    first = records[0]
    assert [lic.verified for lic in first.licenses] == [True, False]
    assert first.licenses[1].state != first.licenses[0].state


@pytest.mark.django_db
def test_the_seeded_network_is_verified_by_the_demo_seed_and_the_demo_provider_sees_a_license_waiting(client):
    provider_user = next(u for u, _ in seed_demo_accounts() if u.role == Role.PROVIDER)
    # The page judges licenses on the clock's today, so the network is seeded on it too.
    seed_demo_network(count=60, seed=2026, today=timezone.localdate(), provider_account=provider_user)
    verified = License.objects.filter(status=LicenseStatus.VERIFIED)
    assert verified.exists() and not verified.exclude(verification_source=VerificationSource.DEMO).exists()
    assert not verified.filter(verified_at__isnull=True).exists()
    mine = Provider.objects.get(user=provider_user)
    assert sorted(mine.licenses.values_list("status", flat=True)) == [LicenseStatus.UNVERIFIED, LicenseStatus.VERIFIED]
    client.force_login(provider_user)
    assert "waiting for verification by your coordinator" in client.get("/provider/profile/").content.decode()


@pytest.mark.django_db
def test_a_network_seeded_before_demo_licenses_came_verified_has_them_verified_once():
    from carematch.directory.services import license_set_status, providers_upsert

    coordinator = next(u for u, _ in seed_demo_accounts() if u.role == Role.COORDINATOR)
    records = demo_records(count=30, seed=4, today=TODAY)
    unverified = [dataclasses.replace(r, licenses=tuple(dataclasses.replace(lic, verified=False)
                                                        for lic in r.licenses)) for r in records]
    providers_upsert(records=unverified)  # as the seed wrote them before
    refused = License.objects.order_by("pk").first()
    license_set_status(license=refused, status=LicenseStatus.REJECTED, by=coordinator)

    message = seed_demo_network(count=30, seed=4, today=TODAY)

    should = sum(lic.verified for r in records for lic in r.licenses) - (1 if refused.number in {
        lic.number for r in records for lic in r.licenses if lic.verified} else 0)
    assert message == (f"Demo network already present (30 providers); left as it is. {should} demo licenses not "
                       "yet verified are now verified by the demo seed.")
    refused.refresh_from_db()
    assert refused.status == LicenseStatus.REJECTED
    assert License.objects.filter(verification_source=VerificationSource.DEMO).count() == should
    again = seed_demo_network(count=30, seed=4, today=TODAY)
    assert again == "Demo network already present (30 providers); left as it is."


@pytest.mark.django_db
def test_demo_providers_have_profiles_worth_reading_and_drawn_avatars_within_the_rules():
    import io

    from PIL import Image

    from carematch.directory import photos
    from carematch.directory.services import provider_profile_update

    seed_demo_network(count=30, seed=5, today=TODAY)
    providers = list(Provider.objects.order_by("npi"))
    assert all(len(p.bio) <= 1500 and p.bio.startswith(tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) for p in providers)
    assert all(p.first_session and p.education and p.years_in_practice for p in providers)
    assert all(1 <= len(p.specialties) <= 3 and set(p.specialties) <= set(p.concerns) for p in providers)
    assert any(p.sliding_scale_min is not None for p in providers)
    assert any(p.communities for p in providers) and any(p.pronouns for p in providers)
    for provider in providers:  # every profile passes the profile's own rules as it stands
        provider_profile_update(provider=provider, **{
            name: getattr(provider, name) for name in (
                "bio", "pronouns", "first_session", "years_in_practice", "education", "specialties",
                "communities", "sliding_scale_min", "sliding_scale_max")})
        with photos.open_stored(provider.photo) as handle:
            avatar = Image.open(io.BytesIO(handle.read()))
        assert (avatar.format, avatar.size) == ("JPEG", (400, 400))
    assert not dict(avatar.getexif())


def test_demo_avatars_are_drawn_the_same_from_the_same_seed():
    from carematch.directory.demo import demo_avatar

    assert demo_avatar("Dana", "Ruiz", 3, 7) == demo_avatar("Dana", "Ruiz", 3, 7)
    assert demo_avatar("Dana", "Ruiz", 3, 7) != demo_avatar("Sam", "Ruiz", 3, 7)


@pytest.mark.django_db
def test_some_demo_providers_offer_a_free_consultation_call():
    seed_demo_network(count=60, seed=7, today=TODAY)
    offering = Provider.objects.filter(offers_consultations=True)
    assert 0 < offering.count() < Provider.objects.count()
    assert all(p.consultation_formats and set(p.consultation_formats) <= {"phone", "telehealth"} for p in offering)

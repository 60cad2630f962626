"""Verification stated by a source (a FHIR directory) and the link of a provider's login
account: both written by the directory's services."""

from __future__ import annotations

import datetime as dt

import pytest

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import License, LicenseStatus, Provider, VerificationSource
from carematch.directory.services import licenses_set_statuses, provider_account_link
from carematch.lib.errors import InvalidInput

from .factories import LicenseFactory, ProviderFactory

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 11, 2, 15, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


def key(lic: License) -> tuple[str, str, str, str]:
    return (lic.provider.npi, lic.state, lic.license_type, lic.number)


def test_stated_statuses_are_stored_as_vouched_for_by_the_source_and_the_rest_left_alone():
    coordinator = UserFactory(role=Role.COORDINATOR)
    waiting = LicenseFactory(status=LicenseStatus.UNVERIFIED)
    verified = LicenseFactory(status=LicenseStatus.VERIFIED, verified_by=coordinator)
    undone = LicenseFactory(status=LicenseStatus.REJECTED)
    untouched = LicenseFactory(status=LicenseStatus.UNVERIFIED)
    changed = licenses_set_statuses(statuses={
        key(waiting): (LicenseStatus.VERIFIED, WHEN),
        key(verified): (LicenseStatus.REJECTED, None),
        key(undone): (LicenseStatus.UNVERIFIED, None),
        ("1234567893", "CO", "LPC", "nobody"): (LicenseStatus.VERIFIED, None),
    }, source=VerificationSource.FHIR, now=NOW)
    assert changed == 3
    rows = {lic.pk: lic for lic in License.objects.all()}
    assert (rows[waiting.pk].status, rows[waiting.pk].verified_at, rows[waiting.pk].verification_source) == (
        LicenseStatus.VERIFIED, WHEN, VerificationSource.FHIR)
    assert (rows[verified.pk].status, rows[verified.pk].verified_at, rows[verified.pk].verified_by) == (
        LicenseStatus.REJECTED, NOW, None)
    assert (rows[undone.pk].status, rows[undone.pk].verified_at, rows[undone.pk].verification_source) == (
        LicenseStatus.UNVERIFIED, None, "")
    assert rows[untouched.pk].status == LicenseStatus.UNVERIFIED


def test_a_status_already_stored_is_not_written_again():
    lic = LicenseFactory(status=LicenseStatus.VERIFIED)
    before = License.objects.get(pk=lic.pk).verified_at
    assert licenses_set_statuses(statuses={key(lic): (LicenseStatus.VERIFIED, WHEN)},
                                 source=VerificationSource.FHIR, now=NOW) == 0
    assert License.objects.get(pk=lic.pk).verified_at == before


def test_an_unknown_status_is_refused_and_nothing_is_written():
    waiting, other = LicenseFactory(status=LicenseStatus.UNVERIFIED), LicenseFactory(status=LicenseStatus.UNVERIFIED)
    with pytest.raises(InvalidInput) as refused:
        licenses_set_statuses(statuses={key(waiting): (LicenseStatus.VERIFIED, None), key(other): ("approved", None)},
                              source=VerificationSource.FHIR)
    assert "status" in refused.value.fields
    assert set(License.objects.values_list("status", flat=True)) == {LicenseStatus.UNVERIFIED}


def test_a_login_account_is_linked_to_a_provider_once():
    account = UserFactory(role=Role.PROVIDER)
    first, second = ProviderFactory(), ProviderFactory()
    assert provider_account_link(npi=first.npi, user=account)
    assert not provider_account_link(npi=second.npi, user=account)  # the account already has a provider
    assert not provider_account_link(npi=first.npi, user=UserFactory(role=Role.PROVIDER))  # so has the provider
    assert list(Provider.objects.filter(user=account)) == [first]

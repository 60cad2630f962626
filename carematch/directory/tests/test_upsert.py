"""Upserting providers by NPI: the record is the truth, unchanged providers are not written,
license verification survives only while number and expiry stay the same, and whole rosters
go through in a handful of queries."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import AvailabilityWindow, License, LicenseStatus, Provider
from carematch.directory.records import LicenseRecord, ProviderRecord, WindowRecord
from carematch.directory.services import UpsertResult, license_set_status, providers_upsert
from carematch.lib.npi import make_npi

pytestmark = pytest.mark.django_db

CO_LICENSE = LicenseRecord("CO", "LPC", "CO-100", dt.date(2031, 6, 30))
WY_LICENSE = LicenseRecord("WY", "LPC", "WY-7", dt.date(2021, 12, 31))
MONDAY = WindowRecord(0, dt.time(9), dt.time(12))
WEDNESDAY = WindowRecord(2, dt.time(13), dt.time(17))


def record(n: int = 1, **changes: object) -> ProviderRecord:
    base = ProviderRecord(
        npi=make_npi(f"1{n:08d}"),
        first_name="Robin",
        last_name=f"Sample{n}",
        credentials=("LPC",),
        taxonomy="101YP2500X",
        gender="female",
        languages=("en", "es"),
        concerns=("anxiety", "grief"),
        approaches=("cbt",),
        populations=("adults",),
        formats=("telehealth", "in_person"),
        insurance=("aetna",),
        self_pay_rate=120,
        accepting_new=True,
        timezone="America/Denver",
        licenses=(CO_LICENSE, WY_LICENSE),
        windows=(MONDAY, WEDNESDAY),
        min_notice_hours=4,
        zip="80202",
        latitude=39.7491,
        longitude=-104.9946,
        address="1550 Larimer St",
        email=f"robin{n}@example.test",
        phone="+13035550123",
        bio="Calm, practical sessions.",
    )
    return dataclasses.replace(base, **changes)


def licenses_of(provider: Provider) -> dict[str, tuple[dt.date, str]]:
    return {lic.number: (lic.expires, lic.status) for lic in provider.licenses.all()}


def windows_of(provider: Provider) -> list[str]:
    return [str(window) for window in provider.windows.order_by("weekday", "start")]


def test_a_new_record_creates_the_provider_with_every_field_its_licenses_and_windows():
    result = providers_upsert(records=[record()])

    assert result == UpsertResult(created=1, updated=0, unchanged=0)
    provider = Provider.objects.get()
    assert provider.npi == record().npi
    assert provider.languages == ["en", "es"] and provider.concerns == ["anxiety", "grief"]
    assert provider.formats == ["telehealth", "in_person"] and provider.min_notice_hours == 4
    assert (provider.latitude, provider.longitude, provider.zip) == (39.7491, -104.9946, "80202")
    assert (provider.phone, provider.email) == ("+13035550123", "robin1@example.test")
    assert provider.created_at is not None and provider.created_at.tzinfo is not None
    assert licenses_of(provider) == {
        "CO-100": (dt.date(2031, 6, 30), LicenseStatus.UNVERIFIED),
        "WY-7": (dt.date(2021, 12, 31), LicenseStatus.UNVERIFIED),
    }
    assert windows_of(provider) == ["mon 09:00-12:00", "wed 13:00-17:00"]


def test_upserting_the_same_records_again_changes_nothing_and_writes_nothing():
    providers_upsert(records=[record(1), record(2)])
    before = {p.npi: p.updated_at for p in Provider.objects.all()}

    with CaptureQueriesContext(connection) as queries:
        result = providers_upsert(records=[record(1), record(2)])

    assert result == UpsertResult(created=0, updated=0, unchanged=2)
    assert {p.npi: p.updated_at for p in Provider.objects.all()} == before
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []


def test_a_changed_field_updates_only_that_provider_and_its_updated_at():
    providers_upsert(records=[record(1), record(2)])
    untouched_at = Provider.objects.get(npi=record(2).npi).updated_at

    result = providers_upsert(records=[record(1, self_pay_rate=95, concerns=("trauma",)), record(2)])

    assert result == UpsertResult(created=0, updated=1, unchanged=1)
    changed = Provider.objects.get(npi=record(1).npi)
    assert (changed.self_pay_rate, changed.concerns) == (95, ["trauma"])
    assert changed.updated_at > changed.created_at
    assert Provider.objects.get(npi=record(2).npi).updated_at == untouched_at


def test_a_license_with_the_same_number_and_expiry_keeps_its_verification():
    providers_upsert(records=[record()])
    coordinator = UserFactory(role=Role.COORDINATOR)
    license_set_status(license=License.objects.get(number="CO-100"), status=LicenseStatus.VERIFIED, by=coordinator)

    result = providers_upsert(records=[record(bio="A new bio.")])

    assert result == UpsertResult(created=0, updated=1, unchanged=0)
    kept = License.objects.get(number="CO-100")
    assert (kept.status, kept.verified_by, kept.verified_at is not None) == (LicenseStatus.VERIFIED, coordinator, True)


def test_a_license_with_a_new_expiry_goes_back_to_unverified():
    providers_upsert(records=[record()])
    coordinator = UserFactory(role=Role.COORDINATOR)
    license_set_status(license=License.objects.get(number="CO-100"), status=LicenseStatus.VERIFIED, by=coordinator)
    renewed = dataclasses.replace(CO_LICENSE, expires=dt.date(2033, 6, 30))

    result = providers_upsert(records=[record(licenses=(renewed, WY_LICENSE))])

    assert result == UpsertResult(created=0, updated=1, unchanged=0)
    lic = License.objects.get(number="CO-100")
    assert (lic.expires, lic.status, lic.verified_by, lic.verified_at) == (
        dt.date(2033, 6, 30), LicenseStatus.UNVERIFIED, None, None
    )


def test_licenses_and_windows_missing_from_the_record_are_removed_and_new_ones_added():
    providers_upsert(records=[record()])
    new_license = LicenseRecord("NM", "LPCC", "NM-3", dt.date(2030, 1, 31))
    friday = WindowRecord(4, dt.time(8), dt.time(10))

    result = providers_upsert(records=[record(licenses=(CO_LICENSE, new_license), windows=(friday,))])

    assert result == UpsertResult(created=0, updated=1, unchanged=0)
    provider = Provider.objects.get()
    assert set(licenses_of(provider)) == {"CO-100", "NM-3"}
    assert windows_of(provider) == ["fri 08:00-10:00"]
    assert AvailabilityWindow.objects.count() == 1 and License.objects.count() == 2


def test_a_window_that_only_changes_its_end_is_replaced_despite_the_unique_start():
    providers_upsert(records=[record()])

    result = providers_upsert(records=[record(windows=(WindowRecord(0, dt.time(9), dt.time(13)), WEDNESDAY))])

    assert result.updated == 1
    assert windows_of(Provider.objects.get()) == ["mon 09:00-13:00", "wed 13:00-17:00"]


def test_fields_the_record_does_not_carry_are_left_alone():
    providers_upsert(records=[record()])
    user = UserFactory(role=Role.PROVIDER)
    Provider.objects.update(works_holidays=True, user=user)

    providers_upsert(records=[record(first_name="Robyn")])

    provider = Provider.objects.get()
    assert (provider.first_name, provider.works_holidays, provider.user) == ("Robyn", True, user)


def test_a_dry_run_counts_what_would_change_and_writes_nothing():
    providers_upsert(records=[record(1), record(2)])
    before = list(Provider.objects.values_list("npi", "self_pay_rate", "updated_at").order_by("npi"))

    result = providers_upsert(records=[record(1, self_pay_rate=200), record(2), record(3)], dry_run=True)

    assert result == UpsertResult(created=1, updated=1, unchanged=1)
    assert list(Provider.objects.values_list("npi", "self_pay_rate", "updated_at").order_by("npi")) == before


def test_when_one_npi_has_several_records_the_last_one_is_the_truth():
    result = providers_upsert(records=[record(first_name="First"), record(first_name="Last")])

    assert result == UpsertResult(created=1, updated=0, unchanged=0)
    assert Provider.objects.get().first_name == "Last"


def test_a_whole_roster_is_written_in_a_few_batched_queries_and_read_back_in_a_few_more():
    records = [record(n, windows=(MONDAY,)) for n in range(1, 2001)]

    with CaptureQueriesContext(connection) as first:
        assert providers_upsert(records=records) == UpsertResult(created=2000, updated=0, unchanged=0)
    with CaptureQueriesContext(connection) as again:
        assert providers_upsert(records=records) == UpsertResult(created=0, updated=0, unchanged=2000)

    assert Provider.objects.count() == 2000 and License.objects.count() == 4000
    assert AvailabilityWindow.objects.count() == 2000
    # Reading 2,000 providers takes 3 queries per 900 NPIs, not one per provider.
    assert len(again) <= 12
    assert len(first) <= 30


def test_a_failure_midway_leaves_nothing_written():
    providers_upsert(records=[record(1)])
    duplicate_key = (CO_LICENSE, CO_LICENSE)  # the database refuses a license twice for one provider

    with pytest.raises(IntegrityError):
        providers_upsert(records=[record(1, first_name="Changed"), record(2, licenses=duplicate_key)])

    assert list(Provider.objects.values_list("first_name", flat=True)) == ["Robin"]
    assert License.objects.count() == 2

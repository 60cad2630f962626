"""Every write to the directory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from carematch.accounts.models import User
from carematch.lib.errors import InvalidInput

from .models import AvailabilityWindow, License, LicenseStatus, Provider
from .records import LicenseRecord, ProviderRecord, WindowRecord

PROVIDER_FIELDS = (
    "first_name", "last_name", "credentials", "taxonomy", "gender", "languages", "concerns", "approaches",
    "populations", "formats", "insurance", "self_pay_rate", "accepting_new", "timezone", "min_notice_hours",
    "zip", "latitude", "longitude", "address", "email", "phone", "bio",
)
_LIST_FIELDS = {"credentials", "languages", "concerns", "approaches", "populations", "formats", "insurance"}


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int
    unchanged: int


def _provider_values(record: ProviderRecord) -> dict[str, object]:
    return {
        name: list(getattr(record, name)) if name in _LIST_FIELDS else getattr(record, name)
        for name in PROVIDER_FIELDS
    }


def providers_upsert(*, records: Sequence[ProviderRecord]) -> UpsertResult:
    """Create or update providers by NPI, with their licenses and weekly windows.

    The record is the truth for each provider: licenses and windows not in it are removed.
    A license whose number and expiry are unchanged keeps its verification; a renewed or
    changed one goes back to unverified. All or nothing: one transaction.
    """
    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {
            p.npi: p
            for p in Provider.objects.filter(npi__in=[r.npi for r in records]).prefetch_related("licenses", "windows")
        }
        for record in records:
            values = _provider_values(record)
            provider = existing.get(record.npi)
            if provider is None:
                provider = Provider.objects.create(npi=record.npi, **values)
                existing[record.npi] = provider
                _replace_licenses(provider, record.licenses, current=[])
                _replace_windows(provider, record.windows, current=[])
                created += 1
                continue
            changed = [name for name, value in values.items() if getattr(provider, name) != value]
            if changed:
                for name in changed:
                    setattr(provider, name, values[name])
                provider.save(update_fields=[*changed, "updated_at"])
            touched = _replace_licenses(provider, record.licenses, current=list(provider.licenses.all()))
            touched |= _replace_windows(provider, record.windows, current=list(provider.windows.all()))
            if changed or touched:
                updated += 1
            else:
                unchanged += 1
    return UpsertResult(created=created, updated=updated, unchanged=unchanged)


def _replace_licenses(provider: Provider, wanted: Sequence[LicenseRecord], *, current: list[License]) -> bool:
    by_key = {(lic.state, lic.license_type, lic.number): lic for lic in current}
    keep: set[int] = set()
    touched = False
    for rec in wanted:
        lic = by_key.get((rec.state, rec.license_type, rec.number))
        if lic is None:
            License.objects.create(
                provider=provider, state=rec.state, license_type=rec.license_type, number=rec.number,
                expires=rec.expires,
            )
            touched = True
        else:
            keep.add(lic.pk)
            if lic.expires != rec.expires:
                lic.expires = rec.expires
                lic.status, lic.verified_by, lic.verified_at = LicenseStatus.UNVERIFIED, None, None
                lic.save(update_fields=["expires", "status", "verified_by", "verified_at"])
                touched = True
    stale = [lic.pk for lic in current if lic.pk not in keep]
    if stale:
        License.objects.filter(pk__in=stale).delete()
        touched = True
    return touched


def _replace_windows(provider: Provider, wanted: Sequence[WindowRecord], *, current: list[AvailabilityWindow]) -> bool:
    have = {(w.weekday, w.start, w.end) for w in current}
    want = {(w.weekday, w.start, w.end) for w in wanted}
    if have == want:
        return False
    AvailabilityWindow.objects.filter(provider=provider).delete()
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(provider=provider, weekday=d, start=s, end=e) for d, s, e in sorted(want)
    )
    return True


def license_set_status(*, license: License, status: str, by: User) -> License:
    """A coordinator marks a license verified or rejected (or back to unverified)."""
    if status not in LicenseStatus.values:
        raise InvalidInput(
            f"Status must be one of: {', '.join(LicenseStatus.values)}.", fields={"status": "unknown status"}
        )
    license.status = status
    license.verified_by = by if status != LicenseStatus.UNVERIFIED else None
    license.verified_at = timezone.now() if status != LicenseStatus.UNVERIFIED else None
    license.save(update_fields=["status", "verified_by", "verified_at"])
    return license

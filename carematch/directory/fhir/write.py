"""The FHIR import's writes: a bundle read and mapped (map.py) goes into the directory through
its services, all or nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import AvailabilityWindow, ChangeSource, License, Provider, VerificationSource
from ..records import ProviderRecord
from ..services import PROVIDER_FIELDS, licenses_set_statuses, provider_profile_update, providers_upsert
from .map import MappedProvider, bundle_to_records
from .read import Problem

_IN_CHUNK = 900  # keeps `IN (...)` lists under SQLite's bound-parameter limit


@dataclass(frozen=True)
class FhirImportReport:
    """What an import did, and every problem found (nothing is written when there are any)."""

    created: int
    updated: int
    unchanged: int
    rejected: int
    problems: list[Problem]
    written: bool

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, rejected {self.rejected}"


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[start:start + _IN_CHUNK] for start in range(0, len(items), _IN_CHUNK)]


def _stored_state(npis: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """Everything an import can change about each stored provider, to count what changed."""
    state: dict[str, list[Any]] = {}
    for chunk in _chunks(npis):
        for npi, *values in Provider.objects.filter(npi__in=chunk).order_by().values_list(
            "npi", *PROVIDER_FIELDS, "works_holidays"
        ):
            state[npi] = [values, [], []]
        for npi, *lic in License.objects.filter(provider__npi__in=chunk).order_by().values_list(
            "provider__npi", "state", "license_type", "number", "expires", "status", "verified_at"
        ):
            state[npi][1].append(tuple(lic))
        for npi, *window in AvailabilityWindow.objects.filter(provider__npi__in=chunk).order_by().values_list(
            "provider__npi", "weekday", "start", "end"
        ):
            state[npi][2].append(tuple(window))
    return {npi: (values, sorted(licenses), sorted(windows)) for npi, (values, licenses, windows) in state.items()}


def _apply_works_holidays(providers: Sequence[tuple[MappedProvider, ProviderRecord]]) -> None:
    wanted = {record.npi: mapped.works_holidays for mapped, record in providers if mapped.works_holidays is not None}
    for chunk in _chunks(sorted(wanted)):
        for provider in Provider.objects.filter(npi__in=chunk).order_by("npi"):
            if provider.works_holidays != wanted[provider.npi]:
                provider_profile_update(provider=provider, works_holidays=wanted[provider.npi],
                                        source=ChangeSource.FHIR)


def bundle_import(*, data: Mapping[str, Any], now: dt.datetime | None = None) -> FhirImportReport:
    """Validate a bundle (from read_bundle) and upsert its providers by NPI.

    All or nothing: one problem anywhere and nothing is written. Each provider's record goes
    through providers_upsert; then, in the same transaction, the license verification
    (licenses_set_statuses; who verified is not carried between directories) and
    works-holidays the bundle states are applied.
    """
    reading = bundle_to_records(data)
    if reading.problems or not reading.providers:
        return FhirImportReport(0, 0, 0, reading.rejected, reading.problems, written=False)
    records = [record for _, record in reading.providers]
    npis = list(dict.fromkeys(record.npi for record in records))
    with transaction.atomic():
        before = _stored_state(npis)
        providers_upsert(records=records, verification_source=VerificationSource.FHIR)
        licenses_set_statuses(
            statuses={(record.npi, *key): status for mapped, record in reading.providers
                      for key, status in mapped.license_status.items()},
            source=VerificationSource.FHIR, now=now or timezone.now(),
        )
        _apply_works_holidays(reading.providers)
        after = _stored_state(npis)
    updated = sum(1 for npi, state in before.items() if after.get(npi) != state)
    return FhirImportReport(
        created=len(npis) - len(before), updated=updated, unchanged=len(before) - updated, rejected=0, problems=[],
        written=True,
    )


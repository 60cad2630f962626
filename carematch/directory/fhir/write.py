"""The FHIR import's writes: a bundle read and mapped (map.py) goes into the directory through
its services, all or nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import AvailabilityWindow, ChangeSource, License, Provider, VerificationSource
from ..records import ProviderRecord
from ..selectors import provider_missing_fields
from ..services import (
    PROVIDER_FIELDS,
    DirectoryDetails,
    directory_details_set,
    licenses_set_statuses,
    provider_profile_update,
    providers_upsert,
)
from .map import MappedProvider, bundle_to_records
from .read import Problem

_IN_CHUNK = 900  # keeps `IN (...)` lists under SQLite's bound-parameter limit


# How the report names what an incomplete provider lacks.
MISSING_LABELS = {
    "taxonomy": "a behavioural-health specialty (NUCC)", "languages": "languages", "concerns": "concerns treated",
    "populations": "populations", "approaches": "approaches", "formats": "how they see clients (in person, telehealth)",
    "availability": "availability",
    "timezone": "time zone", "self_pay_rate": "fees", "licenses": "a licence with its number and expiry date",
}


@dataclass(frozen=True)
class Incomplete:
    """A provider stored incomplete: where in the bundle, their NPI and name, and what they lack."""

    where: str
    npi: str
    name: str
    missing: tuple[str, ...]

    def __str__(self) -> str:
        lacks = ", ".join(MISSING_LABELS.get(name, name) for name in self.missing)
        return f"{self.where} NPI {self.npi} ({self.name}): incomplete, never matched until completed; missing {lacks}"


@dataclass(frozen=True)
class FhirImportReport:
    """What an import did, and every problem found (nothing is written when there are any,
    unless the import was partial: then the good providers are written and the rest refused)."""

    created: int
    updated: int
    unchanged: int
    rejected: int
    problems: list[Problem]
    written: bool
    incomplete: list[Incomplete] = field(default_factory=list)

    def summary(self) -> str:
        incomplete = f", incomplete {len(self.incomplete)}" if self.incomplete else ""
        return (f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
                f"rejected {self.rejected}{incomplete}")


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


def bundle_import(
    *, data: Mapping[str, Any], now: dt.datetime | None = None, partial: bool = False,
) -> FhirImportReport:
    """Validate a bundle (from read_bundle) and upsert its providers by NPI.

    All or nothing: one problem anywhere and nothing is written, unless `partial`: then every
    provider without a problem is written and the others are refused (and reported). Each
    provider's record goes through providers_upsert; then, in the same transaction, the
    license verification (licenses_set_statuses; who verified is not carried between
    directories), works-holidays, offices, endpoints, networks and licences still to be
    completed that the bundle states are applied. A provider the bundle leaves incomplete
    (validation.COMPLETABLE) is stored unpublished, and the report says what each lacks.
    """
    reading = bundle_to_records(data)
    if (reading.problems and not partial) or not reading.providers:
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
        directory_details_set(
            details={record.npi: _details(mapped) for mapped, record in reading.providers},
        )
        after = _stored_state(npis)
        stored = dict(Provider.objects.filter(npi__in=npis).values_list("npi", "published")) if npis else {}
    updated = sum(1 for npi, state in before.items() if after.get(npi) != state)
    incomplete = []
    for mapped, record in reading.providers:
        lacks = provider_missing_fields(npi=record.npi)
        if lacks and not stored.get(record.npi, False):
            incomplete.append(Incomplete(mapped.where, record.npi, f"{record.first_name} {record.last_name}", lacks))
    return FhirImportReport(
        created=len(npis) - len(before), updated=updated, unchanged=len(before) - updated,
        rejected=reading.rejected, problems=reading.problems, written=True, incomplete=incomplete,
    )


def _details(mapped: MappedProvider) -> DirectoryDetails:
    return DirectoryDetails(
        locations=[{key: value for key, value in dataclasses.asdict(place).items() if key != "text"}
                   for place in mapped.locations],
        endpoints=[dataclasses.asdict(endpoint) for endpoint in mapped.endpoints],
        networks=[{key: value for key, value in dataclasses.asdict(network).items() if key != "stated"}
                  for network in mapped.networks],
        pending=list(mapped.pending),
    )

"""The provider directory as FHIR R4, in the Da Vinci PDex Plan-Net shape: out and in.

Out, per provider (references are `urn:uuid:` fullUrls, the same for the same directory):

- Practitioner (plannet-Practitioner): the NPI as an identifier with system
  http://hl7.org/fhir/sid/us-npi; name (family, given, credentials as suffix); gender
  (female, male, other = nonbinary, unknown = not stated); email and phone as telecom;
  languages as communication (urn:ietf:bcp:47); each license as a qualification with its
  number (identifier), type (code.text), expiry (period.end) and the Plan-Net
  practitioner-qualification extension: whereValid is the USPS state code and status is
  `active` for a license in force today (not expired, not rejected; verified or not),
  `inactive` for an expired or rejected one (kept as history; Plan-Net fixes this status to
  `active`, so an inactive license tells every reader it may not be used). Its verification
  travels in carematch's license-verification extension.
- HealthcareService (plannet-HealthcareService): category "behav", the NUCC specialty,
  Plan-Net delivery-method (virtual = telehealth, physical = in person), concerns,
  approaches and populations as characteristic codings of carematch's CodeSystems, and
  carematch's self-pay-rate, minimum-notice and works-holidays extensions.
- PractitionerRole (plannet-PractitionerRole), one per payer network (Plan-Net allows one
  network-reference a role), or one without a network for a self-pay-only provider: NUCC
  specialty, Plan-Net newpatients, network-reference, weekly availableTime in the
  provider's own time zone, and that zone in the standard timezone extension.
- Location (plannet-Location) when the provider has an office address or ZIP code.
- Schedule, and a free Slot for every open hour of the export's horizon.
- One network Organization (plannet-Network) per payer, identified by the payer's slug.

In: a Bundle of any type, carematch's own or another system's in the Plan-Net shape (see
tests/data/fhir_plannet_foreign_bundle.json). The file must first be valid FHIR R4 by the
fhir.resources R4B models; then each Practitioner is one provider, read with the active
PractitionerRoles that refer to it and the HealthcareServices, Locations and network
Organizations those refer to (references by fullUrl or Type/id).

- A qualification is a state license when its practitioner-qualification extension names a
  state (whereValid, USPS code) and it has an identifier (the number); degrees and board
  certifications are skipped. Credentials are the name's suffix, or else the license types
  and v2-0360 degrees. A license's verification is set from carematch's license-verification
  extension; without it, a Plan-Net status of inactive, revoked or issued-in-error imports
  it as rejected (it never counts). Plan-Net itself says nothing of verification (its
  `active` only means the credential may be used), so a license is imported verified only
  when the bundle holds a FHIR VerificationResult (as the National Directory, NDH, uses
  them) whose target is the Practitioner, whose targetLocation names the qualification
  (`Practitioner.qualification` for all of them, or `Practitioner.qualification[2]`) and
  whose status is `validated`: it is stored verified by the FHIR directory, at the time of
  the import, and never undoes a coordinator's rejection. A status of `val-fail` or
  `reval-fail` imports the license as rejected. Otherwise the directory's own verification
  is kept, and a new license waits for a coordinator.
- Concerns, approaches and populations are codings of carematch's CodeSystems found in
  HealthcareService.characteristic, .specialty, .category or .type, or in
  PractitionerRole.specialty. Payers are network Organizations: carematch's payer
  identifier, or a payer name (the network's partOf, its own name or alias).
- Self-pay rate, minimum notice and works-holidays are carematch's extensions on the
  HealthcareService (or the role); the time zone is the standard extension on the role,
  service or location. Where roles disagree on a single value the provider is rejected.
- Coordinates come from the ZIP code, as for every import; Location.position is not read.

Every value then passes the directory's shared field rules (validation.py), and every
problem is reported as `<where>: <field>: <what is wrong>`, `<where>` naming the resource
(`entry 3 (Practitioner/abc)`, entries counted from 0 as in FHIRPath).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from carematch.lib import geo, vocab
from carematch.lib.languages import LANGUAGES
from carematch.scheduling.openings import SESSION
from carematch.scheduling.selectors import provider_openings

from .models import AvailabilityWindow, License, LicenseStatus, Provider, VerificationSource
from .records import LicenseRecord, ProviderRecord, WindowRecord
from .services import PROVIDER_FIELDS, provider_profile_update, providers_upsert
from .validation import FieldError, build_provider_record, clean_license, clean_slugs, clean_window

# --- Where things live ----------------------------------------------------------------------

CANONICAL = "https://carematch.dev/fhir"
CONCERN_SYSTEM = f"{CANONICAL}/CodeSystem/concern"
APPROACH_SYSTEM = f"{CANONICAL}/CodeSystem/approach"
POPULATION_SYSTEM = f"{CANONICAL}/CodeSystem/population"
PAYER_SYSTEM = f"{CANONICAL}/sid/payer"
SELF_PAY_RATE = f"{CANONICAL}/StructureDefinition/self-pay-rate"  # valueMoney, USD
MINIMUM_NOTICE = f"{CANONICAL}/StructureDefinition/minimum-notice"  # valueDuration, UCUM h
WORKS_HOLIDAYS = f"{CANONICAL}/StructureDefinition/works-holidays"  # valueBoolean
BIO = f"{CANONICAL}/StructureDefinition/bio"  # valueMarkdown
LICENSE_VERIFICATION = f"{CANONICAL}/StructureDefinition/license-verification"  # status, verifiedAt

PLANNET = "http://hl7.org/fhir/us/davinci-pdex-plan-net"
QUALIFICATION = f"{PLANNET}/StructureDefinition/practitioner-qualification"
NEW_PATIENTS = f"{PLANNET}/StructureDefinition/newpatients"
NETWORK_REFERENCE = f"{PLANNET}/StructureDefinition/network-reference"
DELIVERY_METHOD = f"{PLANNET}/StructureDefinition/delivery-method"
ACCEPTING_PATIENTS_SYSTEM = f"{PLANNET}/CodeSystem/AcceptingPatientsCS"
DELIVERY_METHOD_SYSTEM = f"{PLANNET}/CodeSystem/DeliveryMethodCS"
VIRTUAL_MODALITY_SYSTEM = f"{PLANNET}/CodeSystem/VirtualModalitiesCS"
SERVICE_CATEGORY_SYSTEM = f"{PLANNET}/CodeSystem/HealthcareServiceCategoryCS"
ORGANIZATION_TYPE_SYSTEM = f"{PLANNET}/CodeSystem/OrgTypeCS"

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
NPI_OID = "urn:oid:2.16.840.1.113883.4.6"
NUCC_SYSTEM = "http://nucc.org/provider-taxonomy"
USPS_SYSTEM = "https://www.usps.com/"
BCP47_SYSTEM = "urn:ietf:bcp:47"
DEGREE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0360"
UCUM_SYSTEM = "http://unitsofmeasure.org"
TIMEZONE = "http://hl7.org/fhir/StructureDefinition/timezone"  # valueCode, an IANA name

GENDER_TO_FHIR = {"female": "female", "male": "male", "nonbinary": "other", "not_stated": "unknown"}
GENDER_FROM_FHIR = {fhir: slug for slug, fhir in GENDER_TO_FHIR.items()}
FORMAT_TO_DELIVERY = {"telehealth": "virtual", "in_person": "physical"}
FORMAT_FROM_DELIVERY = {code: slug for slug, code in FORMAT_TO_DELIVERY.items()}
ACCEPTING = {"newpt": True, "nopt": False, "existptonly": False, "existptfam": False}
# Plan-Net qualification statuses saying a credential may not be used: such a license is
# imported as rejected (it never counts) unless carematch's own verification says otherwise.
UNUSABLE_QUALIFICATION = frozenset({"inactive", "revoked", "issiner"})
# FHIR VerificationResult.status (http://hl7.org/fhir/verificationresult-status): `validated`
# verifies the qualifications it targets; a failed validation rejects them; `attested` (the
# practitioner's own word), `in-process` and `req-revalid` say nothing carematch can rely on.
VALIDATED = "validated"
VALIDATION_FAILED = frozenset({"val-fail", "reval-fail"})
_QUALIFICATION_LOCATION = re.compile(r"Practitioner\.qualifications?(?:\[(\d+)\])?")
VOCABULARY_SYSTEMS = {CONCERN_SYSTEM: "concerns", APPROACH_SYSTEM: "approaches", POPULATION_SYSTEM: "populations"}

# Fields read from a provider's PractitionerRoles and what they refer to.
ROLE_FIELDS = frozenset({
    "taxonomy", "concerns", "approaches", "populations", "formats", "insurance", "self_pay_rate", "accepting_new",
    "timezone", "min_notice_hours", "zip", "address", "availability",
})

# Problems of one provider are listed in this order (the roster's column order).
_FIELD_ORDER = {name: position for position, name in enumerate((
    "npi", "active", "PractitionerRole", "practitioner", "first_name", "last_name", "credentials", "taxonomy",
    "licenses", "gender", "languages", "concerns", "approaches", "populations", "formats", "zip", "address",
    "timezone", "insurance", "self_pay_rate", "accepting_new", "availability", "email", "phone", "bio",
    "min_notice_hours",
))}
_IDS = uuid.uuid5(uuid.NAMESPACE_URL, CANONICAL)
_IN_CHUNK = 900  # keeps `IN (...)` lists under SQLite's bound-parameter limit


def _profile(name: str) -> dict[str, Any]:
    return {"profile": [f"{PLANNET}/StructureDefinition/plannet-{name}"]}


def _urn(resource_type: str, resource_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_IDS, f'{resource_type}/{resource_id}')}"


def _reference(resource_type: str, resource_id: str, display: str = "") -> dict[str, Any]:
    reference: dict[str, Any] = {"reference": _urn(resource_type, resource_id)}
    if display:
        reference["display"] = display
    return reference


def _instant(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("times in a FHIR export must be time-zone aware")
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _concept(system: str, code: str, display: str = "") -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _without_empty(value: Any) -> Any:
    """FHIR has no empty strings, lists or objects: they are left out."""
    if isinstance(value, dict):
        kept = {key: _without_empty(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in ("", None, [], {})}
    if isinstance(value, list):
        return [kept for kept in (_without_empty(item) for item in value) if kept not in ("", None, [], {})]
    return value


# --- Out --------------------------------------------------------------------------------------


def available_time(windows: Iterable[WindowRecord | AvailabilityWindow]) -> list[dict[str, Any]]:
    """Weekly windows as PractitionerRole.availableTime: one item per distinct start and end."""
    days_by_hours: dict[tuple[dt.time, dt.time], list[int]] = {}
    for window in sorted(windows, key=lambda w: (w.weekday, w.start)):
        days_by_hours.setdefault((window.start, window.end), []).append(window.weekday)
    return [
        {
            "daysOfWeek": [vocab.WEEKDAYS[day] for day in days],
            "availableStartTime": f"{start:%H:%M:%S}",
            "availableEndTime": f"{end:%H:%M:%S}",
        }
        for (start, end), days in sorted(days_by_hours.items(), key=lambda item: (item[1][0], item[0]))
    ]


def license_qualification(license: License, *, today: dt.date) -> dict[str, Any]:
    """One license as a Practitioner.qualification in the Plan-Net shape."""
    verification: list[dict[str, Any]] = [{"url": "status", "valueCode": license.status}]
    if license.verified_at is not None:
        verification.append({"url": "verifiedAt", "valueDateTime": _instant(license.verified_at)})
    return {
        "extension": [
            {
                "url": QUALIFICATION,
                "extension": [
                    {"url": "status", "valueCode": "active" if license.in_force_on(today) else "inactive"},
                    {"url": "whereValid", "valueCodeableConcept": _concept(
                        USPS_SYSTEM, license.state, vocab.STATES.get(license.state, ""))},
                ],
            },
            {"url": LICENSE_VERIFICATION, "extension": verification},
        ],
        "identifier": [{"value": license.number}],
        "code": {"text": license.license_type},
        "period": {"end": license.expires.isoformat()},
        "issuer": {"display": f"{vocab.STATES.get(license.state, license.state)} licensing board"},
    }


def _payer_id(slug: str) -> str:
    return "network-" + "".join(c if c.isascii() and c.isalnum() else "-" for c in slug)


def _network(slug: str) -> dict[str, Any]:
    name = vocab.PAYERS.get(slug, slug)
    return {
        "resourceType": "Organization",
        "id": _payer_id(slug),
        "meta": _profile("Network"),
        "identifier": [{"system": PAYER_SYSTEM, "value": slug}],
        "active": True,
        "type": [_concept(ORGANIZATION_TYPE_SYSTEM, "ntwk", "Network")],
        "name": f"{name} network",
        "partOf": {"display": name},
    }


def _practitioner(provider: Provider, *, today: dt.date, meta: dict[str, Any]) -> dict[str, Any]:
    telecom = [{"system": kind, "value": value, "use": "work"}
               for kind, value in (("email", provider.email), ("phone", provider.phone)) if value]
    return {
        "resourceType": "Practitioner",
        "id": provider.npi,
        "meta": _profile("Practitioner") | meta,
        "extension": [{"url": BIO, "valueMarkdown": provider.bio}] if provider.bio else [],
        "identifier": [{"system": NPI_SYSTEM, "value": provider.npi}],
        "active": True,
        "name": [{
            "use": "official", "text": provider.display_name, "family": provider.last_name,
            "given": [provider.first_name], "suffix": list(provider.credentials),
        }],
        "telecom": telecom,
        "gender": GENDER_TO_FHIR.get(provider.gender, "unknown"),
        "qualification": [license_qualification(lic, today=today) for lic in provider.licenses.all()],
        "communication": [_concept(BCP47_SYSTEM, code, LANGUAGES.get(code, "")) for code in provider.languages],
    }


def _location(provider: Provider, *, meta: dict[str, Any]) -> dict[str, Any]:
    located = geo.zip_location(provider.zip) if provider.zip else None
    return {
        "resourceType": "Location",
        "id": provider.npi,
        "meta": _profile("Location") | meta,
        "extension": [{"url": TIMEZONE, "valueCode": provider.timezone}],
        "status": "active",
        "name": f"Office of {provider.first_name} {provider.last_name}",
        "address": {
            "use": "work", "type": "physical", "text": provider.address,
            "line": [provider.address] if provider.address else [], "state": located[2] if located else "",
            "postalCode": provider.zip, "country": "US" if provider.zip else "",
        },
        "position": (
            {"latitude": provider.latitude, "longitude": provider.longitude}
            if provider.latitude is not None and provider.longitude is not None else {}
        ),
    }


def _delivery_method(slug: str) -> dict[str, Any]:
    code = FORMAT_TO_DELIVERY.get(slug, slug)
    parts = [{"url": "type", "valueCodeableConcept": _concept(DELIVERY_METHOD_SYSTEM, code, code.capitalize())}]
    if code == "virtual":
        parts.append({"url": "virtualModalities", "valueCodeableConcept": _concept(
            VIRTUAL_MODALITY_SYSTEM, "video", "video chat")})
    return {"url": DELIVERY_METHOD, "extension": parts}


def _service(provider: Provider, *, locations: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "HealthcareService",
        "id": provider.npi,
        "meta": _profile("HealthcareService") | meta,
        "extension": [
            *(_delivery_method(slug) for slug in provider.formats),
            {"url": SELF_PAY_RATE, "valueMoney": {"value": provider.self_pay_rate, "currency": "USD"}},
            {"url": MINIMUM_NOTICE, "valueDuration": {
                "value": provider.min_notice_hours, "unit": "h", "system": UCUM_SYSTEM, "code": "h"}},
            {"url": WORKS_HOLIDAYS, "valueBoolean": provider.works_holidays},
        ],
        "active": True,
        "category": [_concept(SERVICE_CATEGORY_SYSTEM, "behav", "Behavioral Health")],
        "specialty": [_specialty(provider)],
        "location": locations,
        "name": f"Therapy with {provider.display_name}",
        "characteristic": [
            _concept(system, slug, labels.get(slug, ""))
            for system, kind, labels in (
                (CONCERN_SYSTEM, "concerns", vocab.CONCERNS),
                (APPROACH_SYSTEM, "approaches", vocab.APPROACHES),
                (POPULATION_SYSTEM, "populations", vocab.POPULATIONS),
            )
            for slug in getattr(provider, kind)
        ],
    }


def _specialty(provider: Provider) -> dict[str, Any]:
    return _concept(NUCC_SYSTEM, provider.taxonomy, vocab.TAXONOMY.get(provider.taxonomy, ""))


def _roles(provider: Provider, *, locations: list[dict[str, Any]], meta: dict[str, Any]) -> list[dict[str, Any]]:
    """One PractitionerRole per payer network (Plan-Net allows one network a role), or one without."""
    accepting = _concept(ACCEPTING_PATIENTS_SYSTEM, *(
        ("newpt", "Accepting") if provider.accepting_new else ("nopt", "Not Accepting")))
    availability = available_time(provider.windows.all())
    roles = []
    for payer in provider.insurance or [None]:
        network = _reference("Organization", _payer_id(payer), vocab.PAYERS.get(payer, payer)) if payer else None
        new_patients: list[dict[str, Any]] = [{"url": "acceptingPatients", "valueCodeableConcept": accepting}]
        if network:
            new_patients.append({"url": "fromNetwork", "valueReference": network})
        roles.append({
            "resourceType": "PractitionerRole",
            "id": provider.npi if payer is None else f"{provider.npi}-{_payer_id(payer).removeprefix('network-')}",
            "meta": _profile("PractitionerRole") | meta,
            "extension": [
                {"url": NEW_PATIENTS, "extension": new_patients},
                *([{"url": NETWORK_REFERENCE, "valueReference": network}] if network else []),
                {"url": TIMEZONE, "valueCode": provider.timezone},
            ],
            "active": True,
            "practitioner": _reference("Practitioner", provider.npi, provider.display_name),
            "specialty": [_specialty(provider)],
            "location": locations,
            "healthcareService": [_reference("HealthcareService", provider.npi)],
            "availableTime": availability,
        })
    return roles


def _schedule(provider: Provider, *, horizon: tuple[dt.datetime, dt.datetime] | None) -> dict[str, Any]:
    return {
        "resourceType": "Schedule",
        "id": provider.npi,
        "active": True,
        "serviceCategory": [_concept(SERVICE_CATEGORY_SYSTEM, "behav", "Behavioral Health")],
        "specialty": [_specialty(provider)],
        "actor": [
            _reference("Practitioner", provider.npi, provider.display_name),
            _reference("HealthcareService", provider.npi),
        ],
        "planningHorizon": {"start": _instant(horizon[0]), "end": _instant(horizon[1])} if horizon else {},
        "comment": f"Free slots are {int(SESSION.total_seconds() // 60)}-minute openings; times are UTC.",
    }


def _slots(provider: Provider, openings: Sequence[dt.datetime]) -> list[dict[str, Any]]:
    schedule = _reference("Schedule", provider.npi)
    slots = []
    for start in openings:
        begin = start.astimezone(dt.UTC)
        slots.append({
            "resourceType": "Slot",
            "id": f"{provider.npi}-{begin:%Y%m%dT%H%MZ}",
            "schedule": schedule,
            "status": "free",
            "start": _instant(begin),
            "end": _instant(begin + SESSION),
        })
    return slots


def _provider_resources(
    provider: Provider, *, openings: Sequence[dt.datetime], today: dt.date,
    horizon: tuple[dt.datetime, dt.datetime] | None,
) -> list[dict[str, Any]]:
    meta = {"lastUpdated": _instant(provider.updated_at)} if provider.updated_at else {}
    has_office = bool(provider.zip or provider.address)
    locations = [_reference("Location", provider.npi)] if has_office else []
    resources = [
        _practitioner(provider, today=today, meta=meta),
        *_roles(provider, locations=locations, meta=meta),
        _service(provider, locations=locations, meta=meta),
        *([_location(provider, meta=meta)] if has_office else []),
        _schedule(provider, horizon=horizon),
    ]
    return [_without_empty(resource) for resource in resources] + _slots(provider, openings)


def bundle_data(
    providers: Iterable[Provider],
    *,
    openings_by_provider: Mapping[str, Sequence[dt.datetime]],
    generated_at: dt.datetime,
    horizon: tuple[dt.datetime, dt.datetime] | None = None,
) -> dict[str, Any]:
    """The providers (licenses and windows prefetched) as a collection Bundle, in plain JSON data.

    `openings_by_provider` maps an NPI to the start times of its open hours; each becomes a
    free Slot. `generated_at` stamps the bundle and decides which licenses are active.
    """
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be time-zone aware")
    today = timezone.localdate(generated_at)
    resources: list[dict[str, Any]] = []
    payers: set[str] = set()
    for provider in providers:
        payers.update(provider.insurance)
        resources.extend(_provider_resources(
            provider, openings=openings_by_provider.get(provider.npi, ()), today=today, horizon=horizon,
        ))
    ordered_payers = [slug for slug in vocab.PAYERS if slug in payers] + sorted(payers - set(vocab.PAYERS))
    resources[:0] = [_network(slug) for slug in ordered_payers]
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "timestamp": _instant(generated_at)}
    if resources:  # FHIR has no empty lists
        bundle["entry"] = [
            {"fullUrl": _urn(resource["resourceType"], resource["id"]), "resource": resource}
            for resource in resources
        ]
    return bundle


def providers_to_bundle(
    providers: Iterable[Provider],
    *,
    openings_by_provider: Mapping[str, Sequence[dt.datetime]],
    generated_at: dt.datetime,
    horizon: tuple[dt.datetime, dt.datetime] | None = None,
) -> Bundle:
    """bundle_data as a Bundle validated by the fhir.resources R4B models."""
    return Bundle.model_validate(bundle_data(
        providers, openings_by_provider=openings_by_provider, generated_at=generated_at, horizon=horizon,
    ))


def directory_bundle_data(*, days: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every provider in the directory with the free slots of the next `days` days."""
    now = now or timezone.now()
    end = now + dt.timedelta(days=days)
    providers = list(Provider.objects.order_by("npi").prefetch_related("licenses", "windows"))
    openings = {
        provider.npi: provider_openings(provider=provider, start=now, end=end, now=now) for provider in providers
    }
    return bundle_data(providers, openings_by_provider=openings, generated_at=now, horizon=(now, end))


def directory_export_json(*, days: int, now: dt.datetime | None = None) -> tuple[str, dict[str, int]]:
    """The directory bundle as JSON text, checked against the R4B models first, and how many
    resources of each type it holds. (Writing the checked plain data is twice as fast as
    serializing the models, and the same JSON.)"""
    data = directory_bundle_data(days=days, now=now)
    problems = fhir_problems(data, name="export")
    if problems:
        raise ValueError(f"the export is not valid FHIR R4: {problems[0]}")
    counts: dict[str, int] = {}
    for entry in data.get("entry", []):
        kind = entry["resource"]["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")), counts


# --- In: reading the file ---------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an imported bundle: where (a resource), which field, and what."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in _items(value) if isinstance(item, dict)]


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def entry_label(data: Mapping[str, Any], index: int) -> str:
    """`entry 3 (Practitioner/abc)`: an entry of the bundle, counted from 0 as in FHIRPath."""
    entries = _items(data.get("entry"))
    resource = _object(_object(entries[index]).get("resource")) if 0 <= index < len(entries) else {}
    kind, ident = _text(resource.get("resourceType")), resource.get("id")
    if not kind:
        return f"entry {index}"
    return f"entry {index} ({kind}/{ident})" if isinstance(ident, str) and ident else f"entry {index} ({kind})"


def _element_path(parts: Sequence[Any]) -> str:
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def _pydantic_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not an element of this resource in FHIR R4"
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ").strip().rstrip(".")
    found = error.get("input")
    if isinstance(found, str | int | float | bool):
        shown = repr(found)
        message += f" (found {shown[:60] + '...' if len(shown) > 60 else shown})"
    return message


def _resource_type_problem(kind: Any) -> str | None:
    if not isinstance(kind, str) or not kind:
        return "is missing: every resource names its resourceType"
    try:
        model = get_fhir_model_class(kind)
    except ValueError:
        model = None
    if model is None or not model.has_resource_base():
        return f"'{kind[:60]}' is not a FHIR R4 resource type"
    return None


def fhir_problems(data: Mapping[str, Any], *, name: str) -> list[Problem]:
    """What keeps a Bundle (as JSON data) from being valid FHIR R4, by the fhir.resources R4B
    models: each problem at its entry and the element path pydantic names."""
    found: list[tuple[int, Problem]] = []
    shell = dict(data)
    resources: list[tuple[int, dict[str, Any]]] = []
    if isinstance(data.get("entry"), list):
        shell["entry"] = []
        for index, entry in enumerate(data["entry"]):
            if isinstance(entry, dict) and "resource" in entry:
                resource = entry["resource"]
                shell["entry"].append({key: value for key, value in entry.items() if key != "resource"})
                wrong = (_resource_type_problem(resource.get("resourceType")) if isinstance(resource, dict)
                         else "a resource is a JSON object naming its resourceType")
                if wrong:
                    found.append((index, Problem(f"entry {index}", "resourceType", wrong)))
                else:
                    resources.append((index, resource))
            else:
                shell["entry"].append(entry)
    try:
        Bundle.model_validate(shell)
    except ValidationError as exc:
        for error in exc.errors():
            loc = list(error.get("loc", ()))
            if len(loc) >= 2 and loc[0] == "entry" and isinstance(loc[1], int):
                found.append((loc[1], Problem(entry_label(data, loc[1]), _element_path(["entry", *loc[2:]]),
                                              _pydantic_message(error))))
            else:
                found.append((-1, Problem(name, _element_path(loc) or "Bundle", _pydantic_message(error))))
    # Each resource by its own model: the same rules as through Bundle.entry.resource, and faster.
    for index, resource in resources:
        try:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        except ValidationError as exc:
            found.extend(
                (index, Problem(entry_label(data, index), _element_path(error.get("loc", ())) or "resource",
                                _pydantic_message(error)))
                for error in exc.errors()
            )
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            found.append((index, Problem(entry_label(data, index), "resource",
                                         f"cannot be read as FHIR R4 ({type(exc).__name__})")))
    return [problem for _, problem in sorted(found, key=lambda item: item[0])]


def read_bundle(raw: bytes | str, *, name: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse and validate a FHIR R4 Bundle (fhir.resources R4B models).

    Returns the bundle as plain JSON data, or None with every problem found: not JSON, not
    a Bundle, or not valid FHIR (each at the element pydantic names). `name` (the file)
    stands for where the problem is when no resource can be named.
    """
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, [Problem(name, f"line {exc.lineno} column {exc.colno}", f"not JSON: {exc.msg}")]
    except UnicodeDecodeError:
        return None, [Problem(name, "encoding", "not JSON: the file is not UTF-8 text")]
    except RecursionError:
        return None, [Problem(name, "structure", "not JSON carematch can read: it is nested too deeply")]
    if not isinstance(data, dict):
        return None, [Problem(name, "resourceType", f"the file holds a JSON {type(data).__name__}, not a FHIR Bundle")]
    kind = data.get("resourceType")
    if kind != "Bundle":
        shown = f"'{kind}'" if isinstance(kind, str) else "missing"
        return None, [Problem(name, "resourceType", f"is {shown}; carematch imports a FHIR Bundle")]
    problems = fhir_problems(data, name=name)
    return (None, problems) if problems else (data, [])


# --- In: from resources to provider values ------------------------------------------------------


@dataclass
class MappedProvider:
    """One Practitioner and what refers to it, read into the values build_provider_record takes."""

    where: str
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # field -> the resource it was read from
    problems: list[Problem] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)  # absent fields already reported here
    license_status: dict[tuple[str, str, str], tuple[str, dt.datetime | None]] = field(default_factory=dict)
    works_holidays: bool | None = None

    def problem(self, where: str, name: str, message: str, *, missing: bool = False) -> None:
        self.problems.append(Problem(where, name, message))
        if missing:
            self.missing.add(name)


class _Index:
    """The bundle's resources, found by fullUrl or by type and id."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.resources: list[tuple[int, dict[str, Any]]] = []
        self.keys: dict[str, int] = {}
        self.problems: list[Problem] = []
        for index, entry in enumerate(_items(data.get("entry"))):
            resource = _object(_object(entry).get("resource"))
            kind = _text(resource.get("resourceType"))
            if not kind:
                continue
            self.resources.append((index, resource))
            full_url = _text(_object(entry).get("fullUrl"))
            if full_url:
                self.keys.setdefault(full_url, index)
            ident = _text(resource.get("id"))
            if ident:
                key = f"{kind}/{ident}"
                first = self.keys.setdefault(key, index)
                if first != index:
                    self.problems.append(Problem(self.label(index), "id", f"{key} is also {entry_label(data, first)}"))

    def label(self, index: int) -> str:
        return entry_label(self.data, index)

    def of_type(self, kind: str) -> list[tuple[int, dict[str, Any]]]:
        return [(index, resource) for index, resource in self.resources if resource.get("resourceType") == kind]

    def resolve(self, reference: Any, kind: str) -> tuple[int, dict[str, Any]] | None:
        target = _text(_object(reference).get("reference"))
        if not target:
            return None
        index = self.keys.get(target)
        if index is None and "/" in target:
            parts = target.split("/_history/")[0].rstrip("/").split("/")
            index = self.keys.get("/".join(parts[-2:]))
        if index is None:
            return None
        resource = _object(_object(_items(self.data.get("entry"))[index]).get("resource"))
        return (index, resource) if resource.get("resourceType") == kind else None


def _extensions(resource: Mapping[str, Any], url: str) -> list[dict[str, Any]]:
    return [ext for ext in _objects(resource.get("extension")) if ext.get("url") == url]


def _codings(concept: Any) -> list[dict[str, Any]]:
    return _objects(_object(concept).get("coding"))


def _codes(concept: Any, systems: Iterable[str | None]) -> list[str]:
    wanted = set(systems)
    return [
        _text(coding.get("code")) for coding in _codings(concept)
        if coding.get("system") in wanted and _text(coding.get("code"))
    ]


def _whole(value: Any) -> str:
    """A number from JSON as the text the shared rules read (120.0 is 120)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _usps_state(concept: Any) -> str | None:
    for coding in _codings(concept):
        system = _text(coding.get("system")).rstrip("/").removeprefix("http://").removeprefix("https://")
        if (not coding.get("system") or system == "www.usps.com") and _text(coding.get("code")):
            return _text(coding.get("code"))
    return None


def _expiry(period: Any) -> str:
    end = _text(_object(period).get("end"))
    # A dateTime end counts by its date, as written.
    return end[:10] if len(end) > 10 and end[10] == "T" else end


def _aware_datetime(value: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(_text(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@dataclass(frozen=True)
class _Validation:
    """What the bundle's VerificationResults say of one qualification of a Practitioner."""

    validated: bool = False
    failed: bool = False
    failed_at: dt.datetime | None = None


def _validations(
    mapped: MappedProvider, verifications: Sequence[tuple[str, Mapping[str, Any]]], qualifications: int,
) -> dict[int, _Validation]:
    """By qualification position, what the VerificationResults targeting this Practitioner say.
    A failed validation outweighs a successful one."""
    found: dict[int, _Validation] = {}
    for where, verification in verifications:
        status = _text(verification.get("status"))
        if status != VALIDATED and status not in VALIDATION_FAILED:
            continue
        positions: set[int] = set()
        for location in _items(verification.get("targetLocation")):
            matched = _QUALIFICATION_LOCATION.fullmatch(_text(location).strip())
            if matched is None:
                continue  # it validated something else (an address, the NPI)
            if matched.group(1) is None:
                positions.update(range(qualifications))
            elif int(matched.group(1)) < qualifications:
                positions.add(int(matched.group(1)))
            else:
                mapped.problem(where, "targetLocation", f"{_text(location).strip()} names no qualification of "
                                                        f"{mapped.where} (it has {qualifications})")
        when = _aware_datetime(verification.get("statusDate"))
        for position in positions:
            before = found.get(position, _Validation())
            if status == VALIDATED:
                found[position] = dataclasses.replace(before, validated=True)
            else:
                found[position] = dataclasses.replace(before, failed=True, failed_at=before.failed_at or when)
    return found


def _read_licenses(
    mapped: MappedProvider, practitioner: Mapping[str, Any],
    verifications: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> list[str]:
    """Licenses into mapped.values; returns the types of licenses and degrees (for credentials).
    `verifications` are the bundle's VerificationResults targeting this Practitioner (where, resource)."""
    licenses: list[LicenseRecord] = []
    types: list[str] = []
    failed = False
    qualifications = _objects(practitioner.get("qualification"))
    validations = _validations(mapped, verifications, len(qualifications))
    for position, qualification in enumerate(qualifications):
        code = _object(qualification.get("code"))
        kind = _text(code.get("text")).strip() or next(
            (_text(c.get("code")) for c in _codings(code) if _text(c.get("code"))), "")
        degrees = _codes(code, [DEGREE_SYSTEM])
        details = _extensions(qualification, QUALIFICATION)
        number = next((_text(i.get("value")) for i in _objects(qualification.get("identifier"))
                       if _text(i.get("value"))), "")
        where_valid = [part for detail in details for part in _extensions(detail, "whereValid")]
        if not where_valid or not number:
            types.extend(degrees)  # a degree or certification, not a state license
            continue
        types.append(kind)
        about = f"qualification {position}"
        expires = _expiry(qualification.get("period"))
        if not expires:
            failed = True
            mapped.problem(mapped.where, "licenses",
                           f"{about} ({number}) has no period.end: carematch needs the date each license expires")
            continue
        status = _license_status(mapped, qualification, details, about)
        validation = validations.get(position, _Validation())
        if status is None and validation.failed:
            status = LicenseStatus.REJECTED.value, validation.failed_at
        vouched = status is None and validation.validated
        for place in where_valid:
            state = _usps_state(place.get("valueCodeableConcept"))
            if state is None:
                failed = True
                mapped.problem(mapped.where, "licenses",
                               f"{about}: whereValid must name a state with a USPS code ({USPS_SYSTEM})")
                continue
            try:
                record = clean_license(state, kind, number, expires)
            except FieldError as exc:
                failed = True
                mapped.problem(mapped.where, "licenses", f"{about}: {exc}")
                continue
            if vouched:
                record = dataclasses.replace(record, verified=True)
            licenses.append(record)
            if status is not None:
                mapped.license_status[(record.state, record.license_type, record.number)] = status
    mapped.values["licenses"] = licenses
    if failed and not licenses:
        mapped.missing.add("licenses")  # "at least one license is required" would only repeat the above
    return types


def _license_status(
    mapped: MappedProvider, qualification: Mapping[str, Any], details: list[dict[str, Any]], about: str,
) -> tuple[str, dt.datetime | None] | None:
    """carematch's verification of the license, or `rejected` when Plan-Net says it may not be used."""
    for verification in _extensions(qualification, LICENSE_VERIFICATION):
        status = next((_text(p.get("valueCode")) for p in _extensions(verification, "status")), "")
        if status not in LicenseStatus.values:
            mapped.problem(mapped.where, "licenses", f"{about}: verification status '{status}' is not one of "
                                                     f"{', '.join(LicenseStatus.values)}")
            return None
        verified_at = None
        for part in _extensions(verification, "verifiedAt"):
            verified_at = _aware_datetime(part.get("valueDateTime"))
            if verified_at is None:
                mapped.problem(mapped.where, "licenses",
                               f"{about}: verifiedAt must be a date and time with its time zone")
        return status, verified_at
    plan_net = {_text(p.get("valueCode")) for detail in details for p in _extensions(detail, "status")}
    if plan_net & UNUSABLE_QUALIFICATION:
        return LicenseStatus.REJECTED.value, None
    return None


def _read_practitioner(
    mapped: MappedProvider, practitioner: Mapping[str, Any],
    verifications: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> None:
    values, where = mapped.values, mapped.where
    npis: list[str] = []
    for identifier in _objects(practitioner.get("identifier")):
        value = _text(identifier.get("value"))
        if identifier.get("system") in (NPI_SYSTEM, NPI_OID) and value and value not in npis:
            npis.append(value)
    if not npis:
        mapped.problem(where, "npi", f"no identifier with system {NPI_SYSTEM}", missing=True)
    elif len(npis) > 1:
        mapped.problem(where, "npi", f"has {len(npis)} NPIs ({', '.join(npis)}); a provider has one", missing=True)
    else:
        values["npi"] = npis[0]

    names = _objects(practitioner.get("name"))
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    values["first_name"] = " ".join(_text(given) for given in _items(name.get("given")))
    values["last_name"] = _text(name.get("family"))
    suffixes = [_text(suffix) for suffix in _items(name.get("suffix")) if _text(suffix)]

    gender = practitioner.get("gender")
    if gender is None:
        values["gender"] = ""
    elif gender in GENDER_FROM_FHIR:
        values["gender"] = GENDER_FROM_FHIR[gender]
    else:
        mapped.problem(where, "gender", f"'{gender}' is not a FHIR gender ({', '.join(GENDER_FROM_FHIR)})")

    for kind in ("email", "phone"):
        values[kind] = next((_text(t.get("value")) for t in _objects(practitioner.get("telecom"))
                             if t.get("system") == kind and _text(t.get("value"))), "")
    values["languages"] = [
        code.split("-")[0]
        for concept in _objects(practitioner.get("communication"))
        for code in _codes(concept, [BCP47_SYSTEM, None])
    ]
    bios = [_text(ext.get("valueMarkdown") or ext.get("valueString")) for ext in _extensions(practitioner, BIO)]
    values["bio"] = bios[0] if bios else ""
    license_types = _read_licenses(mapped, practitioner, verifications)
    values["credentials"] = suffixes or license_types


@dataclass
class _Found:
    """Values of one field found in a provider's resources: (value, where)."""

    items: list[tuple[Any, str]] = field(default_factory=list)

    def add(self, value: Any, where: str) -> None:
        self.items.append((value, where))


def _one(mapped: MappedProvider, name: str, found: _Found) -> tuple[Any, str] | None:
    """The single value the resources agree on, or None (a disagreement is reported)."""
    distinct: dict[Any, str] = {}
    for value, where in found.items:
        distinct.setdefault(value, where)
    if len(distinct) > 1:
        (first, here), (second, there) = list(distinct.items())[:2]
        mapped.problem(mapped.where, name, f"{here} says {first!r} but {there} says {second!r}; "
                                           "carematch keeps one per provider", missing=True)
        return None
    return next(iter(distinct.items()), None)


class _RoleReader:
    """Reads a provider's PractitionerRoles, and the HealthcareServices and Locations they refer
    to, into `mapped`. Single values must agree across them; lists are merged."""

    LISTS = ("concerns", "approaches", "populations", "formats", "insurance")

    def __init__(self, mapped: MappedProvider, index: _Index) -> None:
        self.mapped, self.index = mapped, index
        self.lists: dict[str, list[str]] = {kind: [] for kind in self.LISTS}
        self.refused: set[str] = set()  # lists with a code reported as unknown
        self.single: dict[str, _Found] = {name: _Found() for name in (
            "taxonomy", "accepting_new", "timezone", "self_pay_rate", "min_notice_hours", "works_holidays", "office")}
        self.windows: list[WindowRecord] = []
        self.services: dict[int, dict[str, Any]] = {}
        self.locations: dict[int, dict[str, Any]] = {}

    def read(self, roles: list[tuple[int, dict[str, Any]]]) -> None:
        for role_index, role in roles:
            self.role(role, self.index.label(role_index))
        for service_index, service in self.services.items():
            where = self.index.label(service_index)
            self.codings(_items(service.get("specialty")), where, nucc=True)
            self.codings([*_items(service.get("characteristic")), *_items(service.get("category")),
                          *_items(service.get("type"))], where, nucc=False)
            self.common(service, where)
        for location_index, location in self.locations.items():
            where = self.index.label(location_index)
            self.common(location, where)
            address = _object(location.get("address"))
            lines = [_text(line).strip() for line in _items(address.get("line")) if _text(line).strip()]
            parts = [*lines, _text(address.get("city")).strip(), _text(address.get("state")).strip()] if lines else []
            text = _text(address.get("text")) or ", ".join(part for part in parts if part)
            self.single["office"].add((_text(address.get("postalCode")), text), where)
        self.finish()

    def role(self, role: Mapping[str, Any], where: str) -> None:
        self.codings(_items(role.get("specialty")), where, nucc=True)
        self.common(role, where)
        for ext in _extensions(role, NETWORK_REFERENCE):
            reference = ext.get("valueReference")
            payer = _payer(self.index, reference)
            if payer:
                self.note("insurance", payer, where)
            else:
                self.mapped.problem(where, "insurance", f"network {_text(_object(reference).get('reference'))!r} "
                                                        "names no payer: it is not an Organization in this bundle, "
                                                        "or has no name", missing=True)
        for reference in _objects(role.get("healthcareService")):
            found = self.index.resolve(reference, "HealthcareService")
            if found is None:
                self.mapped.problem(where, "healthcareService", f"{_text(reference.get('reference'))!r} is not a "
                                                                "HealthcareService in this bundle")
            else:
                self.services[found[0]] = found[1]
        windows, errors = available_time_windows(role.get("availableTime"))
        self.windows.extend(windows)
        for error in errors:
            self.mapped.problem(where, "availability", error)

    def note(self, kind: str, code: str, where: str) -> None:
        try:
            slug = clean_slugs(kind, [code], required=False)[0]
        except (FieldError, IndexError) as exc:
            # Named here, where the code was found; the shared rules would only see the list.
            self.mapped.problem(where, kind, str(exc) if isinstance(exc, FieldError) else "is blank")
            self.refused.add(kind)
            return
        self.mapped.sources.setdefault(kind, where)
        if slug not in self.lists[kind]:
            self.lists[kind].append(slug)

    def codings(self, concepts: Iterable[Any], where: str, *, nucc: bool) -> None:
        for concept in concepts:
            for coding in _codings(concept):
                system, code = coding.get("system"), _text(coding.get("code"))
                if code and nucc and system == NUCC_SYSTEM:
                    self.single["taxonomy"].add(code, where)
                elif code and system in VOCABULARY_SYSTEMS:
                    self.note(VOCABULARY_SYSTEMS[system], code, where)

    def common(self, resource: Mapping[str, Any], where: str) -> None:
        """What a role, a service and a location may each say."""
        mapped, single = self.mapped, self.single
        for ext in _extensions(resource, NEW_PATIENTS):
            for part in _extensions(ext, "acceptingPatients"):
                for code in _codes(part.get("valueCodeableConcept"), [ACCEPTING_PATIENTS_SYSTEM, None]):
                    if code in ACCEPTING:
                        single["accepting_new"].add(ACCEPTING[code], where)
                    else:
                        mapped.problem(where, "accepting_new", f"'{code}' is not an acceptingPatients code "
                                                               f"({', '.join(ACCEPTING)})", missing=True)
        for ext in _extensions(resource, TIMEZONE):
            single["timezone"].add(_text(ext.get("valueCode")), where)
        for ext in _extensions(resource, DELIVERY_METHOD):
            for part in _extensions(ext, "type"):
                for code in _codes(part.get("valueCodeableConcept"), [DELIVERY_METHOD_SYSTEM, None]):
                    if code in FORMAT_FROM_DELIVERY:
                        self.note("formats", FORMAT_FROM_DELIVERY[code], where)
                    else:
                        mapped.problem(where, "formats", f"'{code}' is not a delivery method "
                                                         f"({', '.join(FORMAT_FROM_DELIVERY)})")
        for ext in _extensions(resource, SELF_PAY_RATE):
            money = _object(ext.get("valueMoney"))
            if money.get("currency", "USD") != "USD":
                mapped.problem(where, "self_pay_rate", f"is in {money.get('currency')}; carematch keeps US dollars "
                                                       "(USD)", missing=True)
            single["self_pay_rate"].add(_whole(money.get("value")), where)
        for ext in _extensions(resource, MINIMUM_NOTICE):
            duration = _object(ext.get("valueDuration"))
            if (duration.get("code") or duration.get("unit")) != "h":
                mapped.problem(where, "min_notice_hours", "must be a duration in hours (UCUM code 'h')",
                               missing=True)
            single["min_notice_hours"].add(_whole(duration.get("value")), where)
        for ext in _extensions(resource, WORKS_HOLIDAYS):
            if isinstance(ext.get("valueBoolean"), bool):
                single["works_holidays"].add(ext["valueBoolean"], where)
        for reference in _objects(resource.get("location")):
            found = self.index.resolve(reference, "Location")
            if found is None:
                mapped.problem(where, "address", f"location {_text(reference.get('reference'))!r} is not a "
                                                 "Location in this bundle", missing=True)
            else:
                self.locations[found[0]] = found[1]

    def finish(self) -> None:
        mapped, values = self.mapped, self.mapped.values
        values.update(self.lists)
        mapped.missing |= {kind for kind in self.refused if not self.lists[kind]}
        values["availability"] = self.windows
        for name, missing_message in (
            ("taxonomy", f"no specialty with system {NUCC_SYSTEM} on the PractitionerRole"),
            ("accepting_new", "no Plan-Net newpatients extension (acceptingPatients) on the PractitionerRole, "
                              "HealthcareService or Location"),
            ("timezone", f"no time zone: add the extension {TIMEZONE} (an IANA name, e.g. America/Denver) to the "
                         "PractitionerRole"),
            ("self_pay_rate", f"is required: the extension {SELF_PAY_RATE} (valueMoney in USD) on the "
                              "HealthcareService"),
            ("min_notice_hours", ""),
        ):
            chosen = _one(mapped, name, self.single[name])
            if chosen is not None:
                values[name], mapped.sources[name] = chosen
            elif not self.single[name].items and missing_message and name not in mapped.missing:
                mapped.problem(mapped.where, name, missing_message, missing=True)
        holidays = _one(mapped, "works_holidays", self.single["works_holidays"])
        mapped.works_holidays = holidays[0] if holidays else None
        office = _one(mapped, "address", self.single["office"])
        if "address" in mapped.missing:
            mapped.missing.add("zip")  # the ZIP of no office: "required for in_person" would only repeat it
        if office is not None:
            (values["zip"], values["address"]), where = office
            mapped.sources["zip"] = mapped.sources["address"] = where


def _payer(index: _Index, reference: Any) -> str:
    """The payer slug of a network: its carematch identifier, else the name of its payer (the
    Organization it is partOf) or its own name, matched to carematch's payers; else the name
    itself, which the shared rules then report as an unknown payer."""
    found = index.resolve(reference, "Organization")
    network = found[1] if found else {}
    for identifier in _objects(network.get("identifier")):
        if identifier.get("system") == PAYER_SYSTEM and _text(identifier.get("value")):
            return _text(identifier.get("value"))
    part_of = _object(network.get("partOf"))
    payer = index.resolve(part_of, "Organization")
    names = [
        _text(part_of.get("display")), _text(payer[1].get("name")) if payer else "", _text(network.get("name")),
        *(_text(alias) for alias in _items(network.get("alias"))), _text(_object(reference).get("display")),
    ]
    by_name = {label.lower(): slug for slug, label in vocab.PAYERS.items()} | {slug: slug for slug in vocab.PAYERS}
    for name in names:
        key = name.strip().lower()
        for candidate in (key, key.removesuffix(" network").strip()):
            if candidate in by_name:
                return by_name[candidate]
    return next((name.strip() for name in names if name.strip()), "")


def available_time_windows(items: Any) -> tuple[list[WindowRecord], list[str]]:
    """PractitionerRole.availableTime as weekly windows, and what is wrong with the rest."""
    windows: list[WindowRecord] = []
    errors: list[str] = []
    for position, item in enumerate(_objects(items)):
        about = f"availableTime[{position}]"
        if item.get("allDay") is True:
            errors.append(f"{about}: allDay is not supported; give availableStartTime and availableEndTime")
            continue
        start, end = _text(item.get("availableStartTime")), _text(item.get("availableEndTime"))
        days = [_text(day) for day in _items(item.get("daysOfWeek"))]
        if not start or not end or not days:
            errors.append(f"{about}: needs daysOfWeek, availableStartTime and availableEndTime")
            continue
        if any(len(time) > 5 and time[5:] != ":00" for time in (start, end)):
            errors.append(f"{about}: {start}-{end} must start and end on a whole minute")
            continue
        for day in days:
            if day not in vocab.WEEKDAYS:
                errors.append(f"{about}: '{day}' is not a day ({', '.join(vocab.WEEKDAYS)})")
                continue
            try:
                windows.append(clean_window(day, start[:5], end[:5]))
            except FieldError as exc:
                errors.append(f"{about}: {exc}")
    return windows, errors


def bundle_to_values(data: Mapping[str, Any]) -> tuple[list[MappedProvider], list[Problem]]:
    """Every Practitioner of a bundle as provider values, and the problems that belong to no
    one provider. Pure: no database; the values still have to pass build_provider_record."""
    index = _Index(data)
    problems = list(index.problems)
    practitioners = index.of_type("Practitioner")
    roles_of: dict[int, list[tuple[int, dict[str, Any]]]] = {i: [] for i, _ in practitioners}
    for role_index, role in index.of_type("PractitionerRole"):
        reference = role.get("practitioner")
        if reference is None or role.get("active") is False:
            continue  # a role an organization holds with nobody in it, or one that has ended
        found = index.resolve(reference, "Practitioner")
        if found is None:
            problems.append(Problem(index.label(role_index), "practitioner",
                                    f"{_text(_object(reference).get('reference'))!r} is not a Practitioner in "
                                    "this bundle"))
        else:
            roles_of[found[0]].append((role_index, role))
    verifications_of: dict[int, list[tuple[str, dict[str, Any]]]] = {i: [] for i, _ in practitioners}
    for verification_index, verification in index.of_type("VerificationResult"):
        # Targets that are not a Practitioner of this bundle (an Organization, a Location) are not carematch's.
        for reference in _objects(verification.get("target")):
            found = index.resolve(reference, "Practitioner")
            if found is not None:
                verifications_of[found[0]].append((index.label(verification_index), verification))
    mapped_providers = []
    for practitioner_index, practitioner in practitioners:
        mapped = MappedProvider(where=index.label(practitioner_index))
        _read_practitioner(mapped, practitioner, verifications_of[practitioner_index])
        roles = roles_of[practitioner_index]
        if practitioner.get("active") is False:
            mapped.problem(mapped.where, "active", "is false: carematch imports practitioners who see clients; "
                                                   "leave this one out of the bundle")
        if roles:
            _RoleReader(mapped, index).read(roles)
        else:
            mapped.problem(mapped.where, "PractitionerRole", "no PractitionerRole refers to this Practitioner; "
                                                             "carematch reads specialty, networks, new patients and "
                                                             "availability from one")
            mapped.missing |= ROLE_FIELDS
        mapped_providers.append(mapped)
    return mapped_providers, problems


@dataclass(frozen=True)
class BundleReading:
    """A bundle read and validated, with nothing written."""

    providers: list[tuple[MappedProvider, ProviderRecord]]  # the good ones, in bundle order
    problems: list[Problem]
    rejected: int  # Practitioners with at least one problem


def bundle_to_records(data: Mapping[str, Any]) -> BundleReading:
    """Every provider of a bundle through the directory's shared field rules. Pure."""
    mapped_providers, problems = bundle_to_values(data)
    good: list[tuple[MappedProvider, ProviderRecord]] = []
    rejected = 0
    first_of: dict[str, str] = {}
    for mapped in mapped_providers:
        record, invalid = build_provider_record(mapped.values)
        found = list(mapped.problems)
        found.extend(
            Problem(mapped.sources.get(p.field, mapped.where), p.field, p.message)
            for p in invalid if p.field not in mapped.missing
        )
        npi = _text(mapped.values.get("npi")).strip()
        if npi:
            first = first_of.setdefault(npi, mapped.where)
            if first != mapped.where:
                found.append(Problem(mapped.where, "npi", f"{npi} is also the NPI of {first}"))
        if found or record is None:
            rejected += 1
            problems.extend(sorted(found, key=lambda problem: _FIELD_ORDER.get(problem.field, len(_FIELD_ORDER))))
        else:
            good.append((mapped, record))
    return BundleReading(good, problems, rejected)


# --- In: writing --------------------------------------------------------------------------------


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


def _apply_license_statuses(providers: Sequence[tuple[MappedProvider, ProviderRecord]], *, now: dt.datetime) -> None:
    """Sets the verification the bundle states for each license (a license it says nothing about
    keeps what the upsert left). Who verified is not carried between directories."""
    wanted = {
        (record.npi, *key): status
        for mapped, record in providers
        for key, status in mapped.license_status.items()
    }
    if not wanted:
        return
    changes = []
    npis = sorted({npi for npi, *_ in wanted})
    for chunk in _chunks(npis):
        rows = License.objects.filter(provider__npi__in=chunk).order_by().values_list(
            "pk", "provider__npi", "state", "license_type", "number", "status"
        )
        for pk, npi, state, kind, number, status in rows:
            want = wanted.get((npi, state, kind, number))
            if want is None or want[0] == status:
                continue
            decided = want[0] != LicenseStatus.UNVERIFIED
            changes.append(License(pk=pk, status=want[0], verified_by=None, verified_at=(want[1] or now) if decided
                                   else None, verification_source=VerificationSource.FHIR if decided else ""))
    License.objects.bulk_update(changes, ["status", "verified_by", "verified_at", "verification_source"],
                                batch_size=500)


def _apply_works_holidays(providers: Sequence[tuple[MappedProvider, ProviderRecord]]) -> None:
    wanted = {record.npi: mapped.works_holidays for mapped, record in providers if mapped.works_holidays is not None}
    for chunk in _chunks(sorted(wanted)):
        for provider in Provider.objects.filter(npi__in=chunk).order_by("npi"):
            if provider.works_holidays != wanted[provider.npi]:
                provider_profile_update(provider=provider, works_holidays=wanted[provider.npi])


def bundle_import(*, data: Mapping[str, Any], now: dt.datetime | None = None) -> FhirImportReport:
    """Validate a bundle (from read_bundle) and upsert its providers by NPI.

    All or nothing: one problem anywhere and nothing is written. Each provider's record goes
    through providers_upsert; then, in the same transaction, the license verification and
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
        _apply_license_statuses(reading.providers, now=now or timezone.now())
        _apply_works_holidays(reading.providers)
        after = _stored_state(npis)
    updated = sum(1 for npi, state in before.items() if after.get(npi) != state)
    return FhirImportReport(
        created=len(npis) - len(before), updated=updated, unchanged=len(before) - updated, rejected=0, problems=[],
        written=True,
    )

"""The provider directory out, as a FHIR R4 collection Bundle in the Da Vinci PDex Plan-Net
shape.

Out, per provider (references are `urn:uuid:` fullUrls, the same for the same directory):

- Practitioner (plannet-Practitioner): the NPI as an identifier with system
  http://hl7.org/fhir/sid/us-npi; name (family, given, credentials as suffix); gender
  (female, male, other = nonbinary, unknown = not stated); email and phone as telecom (the
  export file only); languages as communication (urn:ietf:bcp:47); each license in force (not
  expired, not rejected; verified or not) as a qualification with its number (identifier), type
  (code: carematch's license-type CodeSystem, and text), expiry (period.end) and the Plan-Net
  practitioner-qualification extension: whereValid is the USPS state code and status is
  `active`, the value Plan-Net fixes. Its verification travels in carematch's
  license-verification extension. Licenses not in force travel only in the export file, in
  carematch's license-history extension, so that an export imports back whole.
- HealthcareService (plannet-HealthcareService): category "behav", the NUCC specialty (with
  NUCC's display name), Plan-Net delivery-method (virtual = telehealth, physical = in person),
  concerns, approaches and populations as characteristic codings of carematch's CodeSystems, and
  carematch's self-pay-rate, minimum-notice and works-holidays extensions.
- PractitionerRole (plannet-PractitionerRole), one per payer network (Plan-Net allows one
  network-reference a role), or one without a network for a self-pay-only provider: NUCC
  specialty, Plan-Net newpatients, network-reference, weekly availableTime in the
  provider's own time zone, that zone in the standard timezone extension, the organization
  running carematch, and the booking Endpoint (US Core pd-1: telecom or endpoint).
- Location (plannet-Location) when the provider has an office address or ZIP code: the street
  as line and text, the city and state of the ZIP code, the ZIP code.
- Endpoint (plannet-Endpoint): the provider's public profile page, where a person books them
  (never their private video room).
- Schedule, and a free Slot for every open hour of the export's horizon (the export file only).
- The organization running carematch (plannet-Organization, a provider group, named by
  CAREMATCH_DIRECTORY_NAME); per payer: its Organization (type payer), its network
  Organization (plannet-Network, partOf the payer), an InsurancePlan and the
  OrganizationAffiliation of the organization running carematch with the network; all
  identified by the payer's slug.

Openings are scheduling's, not the directory's: the caller passes in the function that
gives a provider's openings (scheduling's `export_fhir` command passes provider_openings);
each is one session long (carematch/lib/sessions.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from carematch.lib import geo, nucc, vocab
from carematch.lib.languages import LANGUAGES
from carematch.lib.sessions import SESSION

from .. import selectors
from ..models import AvailabilityWindow, License, Provider
from ..openings import OpeningsOf
from ..payers import KNOWN as KNOWN_PAYERS
from ..records import WindowRecord
from .read import fhir_problems
from .terms import (
    ACCEPTING_PATIENTS_SYSTEM,
    APPROACH_SYSTEM,
    BCP47_SYSTEM,
    BIO,
    CANONICAL,
    CONCERN_SYSTEM,
    DELIVERY_METHOD,
    DELIVERY_METHOD_SYSTEM,
    DIRECTORY_ORGANIZATION_ID,
    ENDPOINT_CONNECTION_TYPE_SYSTEM,
    ENDPOINT_PAYLOAD_TYPE_SYSTEM,
    FORMAT_TO_DELIVERY,
    GENDER_TO_FHIR,
    INSURANCE_PRODUCT_TYPE_SYSTEM,
    LICENSE_HISTORY,
    LICENSE_TYPE_SYSTEM,
    LICENSE_VERIFICATION,
    MINIMUM_NOTICE,
    NETWORK_REFERENCE,
    NEW_PATIENTS,
    NPI_SYSTEM,
    NUCC_SYSTEM,
    ORGANIZATION_ROLE_SYSTEM,
    ORGANIZATION_TYPE_SYSTEM,
    PAYER_SYSTEM,
    PLANNET,
    POPULATION_SYSTEM,
    QUALIFICATION,
    SELF_PAY_RATE,
    SERVICE_CATEGORY_SYSTEM,
    TIMEZONE,
    UCUM_SYSTEM,
    USPS_SYSTEM,
    VIRTUAL_MODALITY_SYSTEM,
    WORKS_HOLIDAYS,
)

_IDS = uuid.uuid5(uuid.NAMESPACE_URL, CANONICAL)


def _profile(name: str) -> dict[str, Any]:
    return {"profile": [f"{PLANNET}/StructureDefinition/plannet-{name}"]}


def _urn(resource_type: str, resource_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_IDS, f'{resource_type}/{resource_id}')}"


_RELATIVE_REFERENCE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$")


def _reference(resource_type: str, resource_id: str, display: str = "") -> dict[str, Any]:
    """A reference as a FHIR server gives it (`Type/id`); the collection bundle turns it into
    the urn:uuid fullUrl of the resource it names (_with_urns)."""
    reference: dict[str, Any] = {"reference": f"{resource_type}/{resource_id}"}
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


def _with_urns(value: Any) -> Any:
    """Every `Type/id` reference turned into the urn:uuid fullUrl that names it in a collection bundle."""
    if isinstance(value, dict):
        out = {key: _with_urns(item) for key, item in value.items()}
        reference = out.get("reference")
        if isinstance(reference, str) and (matched := _RELATIVE_REFERENCE.match(reference)):
            out["reference"] = _urn(matched.group(1), matched.group(2))
        return out
    if isinstance(value, list):
        return [_with_urns(item) for item in value]
    return value


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


def _verification(license: License) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"url": "status", "valueCode": license.status}]
    if license.verified_at is not None:
        parts.append({"url": "verifiedAt", "valueDateTime": _instant(license.verified_at)})
    return parts


def license_qualification(license: License) -> dict[str, Any]:
    """One license in force as a Practitioner.qualification in the Plan-Net shape: Plan-Net fixes
    the qualification's status to `active`, so only a license in force is one (license_history
    carries the others)."""
    return {
        "extension": [
            {
                "url": QUALIFICATION,
                "extension": [
                    {"url": "status", "valueCode": "active"},
                    {"url": "whereValid", "valueCodeableConcept": _concept(
                        USPS_SYSTEM, license.state, vocab.STATES.get(license.state, ""))},
                ],
            },
            {"url": LICENSE_VERIFICATION, "extension": _verification(license)},
        ],
        "identifier": [{"value": license.number}],
        "code": {**_concept(LICENSE_TYPE_SYSTEM, license.license_type), "text": license.license_type},
        "period": {"end": license.expires.isoformat()},
        "issuer": {"display": f"{vocab.STATES.get(license.state, license.state)} licensing board"},
    }


def license_history(license: License) -> dict[str, Any]:
    """A license not in force (expired or rejected) in carematch's license-history extension."""
    return {"url": LICENSE_HISTORY, "extension": [
        {"url": "state", "valueCode": license.state},
        {"url": "type", "valueString": license.license_type},
        {"url": "number", "valueString": license.number},
        {"url": "expires", "valueDate": license.expires.isoformat()},
        *_verification(license),
    ]}


def _slug_id(slug: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in slug)


def _payer_id(slug: str) -> str:
    """The id of a payer's network Organization."""
    return "network-" + _slug_id(slug)


def payer_organization_id(slug: str) -> str:
    return "payer-" + _slug_id(slug)


def insurance_plan_id(slug: str) -> str:
    return "plan-" + _slug_id(slug)


def affiliation_id(slug: str) -> str:
    return f"{DIRECTORY_ORGANIZATION_ID}-{_slug_id(slug)}"


def endpoint_id(provider: Provider) -> str:
    return f"{provider.npi}-booking"


def _payer_organization(slug: str, name: str) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": payer_organization_id(slug),
        "meta": _profile("Organization"),
        "identifier": [{"system": PAYER_SYSTEM, "value": slug}],
        "active": True,
        "type": [_concept(ORGANIZATION_TYPE_SYSTEM, "payer", "Payer")],
        "name": name,
    }


def _network(slug: str, name: str) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": _payer_id(slug),
        "meta": _profile("Network"),
        "identifier": [{"system": PAYER_SYSTEM, "value": slug}],
        "active": True,
        "type": [_concept(ORGANIZATION_TYPE_SYSTEM, "ntwk", "Network")],
        "name": f"{name} network",
        "partOf": _reference("Organization", payer_organization_id(slug), name),
    }


# Plan-Net's InsurancePlan.type (InsuranceProductTypeCS): Medicaid and Medicare by name, every other
# payer carematch knows as commercial medical coverage.
_PRODUCT_TYPES = {"medicaid": ("medicaid", "Medicaid"), "medicare": ("medicare", "Medicare")}


def _insurance_plan(slug: str, name: str) -> dict[str, Any]:
    code, display = _PRODUCT_TYPES.get(slug, ("commmed", "Commercial Medical"))
    payer = _reference("Organization", payer_organization_id(slug), name)
    return {
        "resourceType": "InsurancePlan",
        "id": insurance_plan_id(slug),
        "meta": _profile("InsurancePlan"),
        "identifier": [{"system": PAYER_SYSTEM, "value": slug}],
        "status": "active",
        "type": [_concept(INSURANCE_PRODUCT_TYPE_SYSTEM, code, display)],
        "name": f"{name} (behavioural health)",
        "ownedBy": payer,
        "administeredBy": payer,
        "network": [_reference("Organization", _payer_id(slug), f"{name} network")],
    }


def _directory_organization() -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": DIRECTORY_ORGANIZATION_ID,
        "meta": _profile("Organization"),
        "active": True,
        "type": [_concept(ORGANIZATION_TYPE_SYSTEM, "prvgrp", "Provider Group")],
        "name": settings.DIRECTORY_NAME,
        "telecom": [{"system": "url", "value": settings.SITE_URL}],
    }


def _affiliation(slug: str, name: str) -> dict[str, Any]:
    """The organization running carematch takes part in the payer's network."""
    return {
        "resourceType": "OrganizationAffiliation",
        "id": affiliation_id(slug),
        "meta": _profile("OrganizationAffiliation"),
        "active": True,
        "organization": _reference("Organization", payer_organization_id(slug), name),
        "participatingOrganization": _reference("Organization", DIRECTORY_ORGANIZATION_ID, settings.DIRECTORY_NAME),
        "network": [_reference("Organization", _payer_id(slug), f"{name} network")],
        "code": [_concept(ORGANIZATION_ROLE_SYSTEM, "provider", "Provider")],
    }


def payer_resources(payers: Iterable[str], *, payer_names: Mapping[str, str]) -> list[dict[str, Any]]:
    """The organization running carematch, and for each payer (in payer_names' order, unknown
    slugs last): its Organization, its network, its InsurancePlan and the affiliation."""
    wanted = set(payers)
    ordered = [slug for slug in payer_names if slug in wanted] + sorted(wanted - set(payer_names))
    named = [(slug, payer_names.get(slug, slug)) for slug in ordered]
    return [_without_empty(resource) for resource in [
        _directory_organization(),
        *(_payer_organization(slug, name) for slug, name in named),
        *(_network(slug, name) for slug, name in named),
        *(_insurance_plan(slug, name) for slug, name in named),
        *(_affiliation(slug, name) for slug, name in named),
    ]]


def _practitioner(provider: Provider, *, today: dt.date, meta: dict[str, Any], public: bool) -> dict[str, Any]:
    """The public directory shows neither a provider's own email and phone nor licenses not in
    force (as the profile page); the export file carries both, so that it imports back whole."""
    telecom = [] if public else [{"system": kind, "value": value, "use": "work"}
                                 for kind, value in (("email", provider.email), ("phone", provider.phone)) if value]
    licenses = list(provider.licenses.all())
    history = [] if public else [license_history(lic) for lic in licenses if not lic.in_force_on(today)]
    return {
        "resourceType": "Practitioner",
        "id": provider.npi,
        "meta": _profile("Practitioner") | meta,
        "extension": ([{"url": BIO, "valueMarkdown": provider.bio}] if provider.bio else []) + history,
        "identifier": [{"system": NPI_SYSTEM, "value": provider.npi}],
        "active": True,
        "name": [{
            "use": "official", "text": provider.display_name, "family": provider.last_name,
            "given": [provider.first_name], "suffix": list(provider.credentials),
        }],
        "telecom": telecom,
        "gender": GENDER_TO_FHIR.get(provider.gender, "unknown"),
        "qualification": [license_qualification(lic) for lic in licenses if lic.in_force_on(today)],
        "communication": [_concept(BCP47_SYSTEM, code, LANGUAGES.get(code, "")) for code in provider.languages],
    }


def _location(provider: Provider, *, meta: dict[str, Any]) -> dict[str, Any]:
    located = geo.zip_location(provider.zip) if provider.zip else None
    city = geo.zip_city(provider.zip) if provider.zip else None
    return {
        "resourceType": "Location",
        "id": provider.npi,
        "meta": _profile("Location") | meta,
        "extension": [{"url": TIMEZONE, "valueCode": provider.timezone}],
        "status": "active",
        "name": f"Office of {provider.first_name} {provider.last_name}",
        "address": {
            "use": "work", "type": "physical", "text": provider.address,
            "line": [provider.address] if provider.address else [], "city": city or "",
            "state": located[2] if located else "",
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
    return _concept(NUCC_SYSTEM, provider.taxonomy, nucc.display(provider.taxonomy))


def _endpoint(provider: Provider, *, meta: dict[str, Any]) -> dict[str, Any]:
    """Where a person books the provider: their public profile page, with their openings."""
    address = settings.SITE_URL + reverse("directory:public_profile", kwargs={"provider_id": provider.pk})
    return {
        "resourceType": "Endpoint",
        "id": endpoint_id(provider),
        "meta": _profile("Endpoint") | meta,
        "status": "active",
        "connectionType": {"system": ENDPOINT_CONNECTION_TYPE_SYSTEM, "code": "rest-non-fhir",
                           "display": "REST (not FHIR)"},
        "name": f"Book a session with {provider.display_name}",
        "managingOrganization": _reference("Organization", DIRECTORY_ORGANIZATION_ID, settings.DIRECTORY_NAME),
        "payloadType": [_concept(ENDPOINT_PAYLOAD_TYPE_SYSTEM, "NA", "Not Applicable")],
        "payloadMimeType": ["text/html"],
        "address": address,
    }


def _roles(
    provider: Provider, *, locations: list[dict[str, Any]], meta: dict[str, Any], payer_names: Mapping[str, str],
) -> list[dict[str, Any]]:
    """One PractitionerRole per payer network (Plan-Net allows one network a role), or one without."""
    accepting = _concept(ACCEPTING_PATIENTS_SYSTEM, *(
        ("newpt", "Accepting") if provider.accepting_new else ("nopt", "Not Accepting")))
    availability = available_time(provider.windows.all())
    roles = []
    for payer in provider.insurance or [None]:
        network = _reference("Organization", _payer_id(payer), payer_names.get(payer, payer)) if payer else None
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
            "organization": _reference("Organization", DIRECTORY_ORGANIZATION_ID, settings.DIRECTORY_NAME),
            "specialty": [_specialty(provider)],
            "location": locations,
            "healthcareService": [_reference("HealthcareService", provider.npi)],
            "availableTime": availability,
            # US Core pd-1: a role has contact details or an endpoint; the booking page is always there.
            "endpoint": [_reference("Endpoint", endpoint_id(provider))],
        })
    return roles


def _schedule(
    provider: Provider, *, horizon: tuple[dt.datetime, dt.datetime] | None,
) -> dict[str, Any]:
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


def provider_resources(
    provider: Provider, *, today: dt.date, public: bool, payer_names: Mapping[str, str],
) -> list[dict[str, Any]]:
    """One provider's directory resources (licenses and windows prefetched), references as `Type/id`:
    Practitioner, PractitionerRoles, HealthcareService, Location (with an office) and the booking
    Endpoint. `public` leaves out what the public directory does not show (Practitioner docstring)."""
    meta = {"lastUpdated": _instant(provider.updated_at)} if provider.updated_at else {}
    has_office = bool(provider.zip or provider.address)
    locations = [_reference("Location", provider.npi)] if has_office else []
    resources = [
        _practitioner(provider, today=today, meta=meta, public=public),
        *_roles(provider, locations=locations, meta=meta, payer_names=payer_names),
        _service(provider, locations=locations, meta=meta),
        *([_location(provider, meta=meta)] if has_office else []),
        _endpoint(provider, meta=meta),
    ]
    return [_without_empty(resource) for resource in resources]


def _provider_resources(
    provider: Provider, *, openings: Sequence[dt.datetime], today: dt.date,
    horizon: tuple[dt.datetime, dt.datetime] | None, payer_names: Mapping[str, str],
) -> list[dict[str, Any]]:
    return [
        *provider_resources(provider, today=today, public=False, payer_names=payer_names),
        _without_empty(_schedule(provider, horizon=horizon)),
        *_slots(provider, openings),
    ]


def bundle_data(
    providers: Iterable[Provider],
    *,
    openings_by_provider: Mapping[str, Sequence[dt.datetime]],
    generated_at: dt.datetime,
    horizon: tuple[dt.datetime, dt.datetime] | None = None,
    payer_names: Mapping[str, str] = KNOWN_PAYERS,
) -> dict[str, Any]:
    """The providers (licenses and windows prefetched) as a collection Bundle, in plain JSON data.

    `openings_by_provider` maps an NPI to the start times of its openings, each one
    session long; each becomes a free Slot. `generated_at` stamps the bundle and decides which
    licenses are active.
    """
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be time-zone aware")
    today = timezone.localdate(generated_at)
    resources: list[dict[str, Any]] = []
    payers: set[str] = set()
    for provider in providers:
        payers.update(provider.insurance)
        resources.extend(_provider_resources(
            provider, openings=openings_by_provider.get(provider.npi, ()), today=today,
            horizon=horizon, payer_names=payer_names,
        ))
    if resources:
        resources[:0] = payer_resources(payers, payer_names=payer_names)
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "timestamp": _instant(generated_at)}
    if resources:  # FHIR has no empty lists
        bundle["entry"] = [
            {"fullUrl": _urn(resource["resourceType"], resource["id"]), "resource": _with_urns(resource)}
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
        providers, openings_by_provider=openings_by_provider, generated_at=generated_at,
        horizon=horizon,
    ))


def directory_bundle_data(
    *, days: int, openings: OpeningsOf, now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Every published provider in the directory with a free slot for each of their openings in the
    next `days` days: `openings` gives them (scheduling's provider_openings), each one session long."""
    now = now or timezone.now()
    end = now + dt.timedelta(days=days)
    # Published providers only: an imported profile still incomplete has no fee or time zone to publish.
    providers = list(Provider.objects.filter(published=True).order_by("npi").prefetch_related("licenses", "windows"))
    openings_by_provider = {
        provider.npi: openings(provider=provider, start=now, end=end, now=now) for provider in providers
    }
    return bundle_data(providers, openings_by_provider=openings_by_provider, generated_at=now,
                       horizon=(now, end), payer_names=selectors.payer_names())


def directory_export_json(
    *, days: int, openings: OpeningsOf, now: dt.datetime | None = None,
) -> tuple[str, dict[str, int]]:
    """The directory bundle (directory_bundle_data) as JSON text, checked against the R4B
    models first, and how many resources of each type it holds. (Writing the checked plain
    data is twice as fast as serializing the models, and the same JSON.)"""
    data = directory_bundle_data(days=days, openings=openings, now=now)
    problems = fhir_problems(data, name="export")
    if problems:
        raise ValueError(f"the export is not valid FHIR R4: {problems[0]}")
    counts: dict[str, int] = {}
    for entry in data.get("entry", []):
        kind = entry["resource"]["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")), counts

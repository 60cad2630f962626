"""From a FHIR Bundle to provider records: what the import reads, and how. Pure: plain JSON
data in, records and problems out; nothing here reads or writes the database.

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
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from carematch.lib import geo, vocab
from carematch.lib import licenses as license_rules

from ..payers import KNOWN as KNOWN_PAYERS
from ..records import LicenseRecord, ProviderRecord, WindowRecord
from ..validation import (
    COMPLETABLE,
    FieldError,
    build_provider_record,
    clean_date,
    clean_license,
    clean_slugs,
    clean_window,
)
from .read import Problem, entry_label, json_items, json_object, json_objects, json_text
from .terms import (
    ACCEPTING,
    ACCEPTING_PATIENTS_SYSTEM,
    BCP47_SYSTEM,
    BIO,
    DEGREE_SYSTEM,
    DELIVERY_METHOD,
    DELIVERY_METHOD_SYSTEM,
    FORMAT_FROM_DELIVERY,
    GENDER_FROM_FHIR,
    LICENSE_HISTORY,
    LICENSE_VERIFICATION,
    MINIMUM_NOTICE,
    NETWORK_REFERENCE,
    NEW_PATIENTS,
    NPI_OID,
    NPI_SYSTEM,
    NUCC_SYSTEM,
    PAYER_SYSTEM,
    QUALIFICATION,
    SELF_PAY_RATE,
    TIMEZONE,
    UNUSABLE_QUALIFICATION,
    USPS_SYSTEM,
    VALIDATED,
    VALIDATION_FAILED,
    VOCABULARY_SYSTEMS,
    WORKS_HOLIDAYS,
)

_QUALIFICATION_LOCATION = re.compile(r"Practitioner\.qualifications?(?:\[(\d+)\])?")

# Fields read from a provider's PractitionerRoles and what they refer to.
ROLE_FIELDS = frozenset({
    "taxonomy", "concerns", "approaches", "populations", "formats", "insurance", "self_pay_rate", "accepting_new",
    "timezone", "min_notice_hours", "zip", "address", "availability",
})

# Problems of one provider are listed in this order (the roster's column order).
_FIELD_ORDER = {name: position for position, name in enumerate((
    "npi", "identifier", "active", "PractitionerRole", "practitioner", "first_name", "last_name", "credentials",
    "taxonomy",
    "licenses", "gender", "languages", "concerns", "approaches", "populations", "formats", "zip", "address",
    "timezone", "insurance", "self_pay_rate", "accepting_new", "availability", "email", "phone", "bio",
    "min_notice_hours",
))}


@dataclass(frozen=True)
class NetworkInfo:
    """A network a role names: its key (identifier or resource), its name, its payer's name,
    and the carematch payer slug found for it ("" when carematch does not know the payer)."""

    key: str
    name: str
    payer_name: str
    payer: str
    # Named by carematch's own payer identifier (its export): then the payer is the provider's
    # insurance as stated; otherwise the stored network's payer is (a coordinator may remap it).
    stated: bool = False


@dataclass(frozen=True)
class LocationInfo:
    name: str
    line: str
    city: str
    state: str
    postal_code: str
    latitude: float | None
    longitude: float | None
    phone: str
    source: str
    text: str = ""  # the address as one line, as the directory wrote it (Address.text)


@dataclass(frozen=True)
class EndpointInfo:
    name: str
    connection_type: str
    address: str


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
    networks: list[NetworkInfo] = field(default_factory=list)
    locations: list[LocationInfo] = field(default_factory=list)
    endpoints: list[EndpointInfo] = field(default_factory=list)
    # Licences listed without a number or an expiry date, as given: the provider completes them.
    pending: list[dict[str, str]] = field(default_factory=list)
    # The resources carry carematch's own profile (its fees, concerns or populations): then an
    # empty list of approaches or of weekly hours is a statement, not an absence.
    carematch_profile: bool = False

    @property
    def completable(self) -> tuple[str, ...]:
        if self.carematch_profile:
            return tuple(name for name in COMPLETABLE if name not in ("approaches", "availability"))
        return COMPLETABLE

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
        for index, entry in enumerate(json_items(data.get("entry"))):
            resource = json_object(json_object(entry).get("resource"))
            kind = json_text(resource.get("resourceType"))
            if not kind:
                continue
            self.resources.append((index, resource))
            full_url = json_text(json_object(entry).get("fullUrl"))
            if full_url:
                self.keys.setdefault(full_url, index)
            ident = json_text(resource.get("id"))
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
        target = json_text(json_object(reference).get("reference"))
        if not target:
            return None
        index = self.keys.get(target)
        if index is None and "/" in target:
            parts = target.split("/_history/")[0].rstrip("/").split("/")
            index = self.keys.get("/".join(parts[-2:]))
        if index is None:
            return None
        resource = json_object(json_object(json_items(self.data.get("entry"))[index]).get("resource"))
        return (index, resource) if resource.get("resourceType") == kind else None


def _extensions(resource: Mapping[str, Any], url: str) -> list[dict[str, Any]]:
    return [ext for ext in json_objects(resource.get("extension")) if ext.get("url") == url]


def _codings(concept: Any) -> list[dict[str, Any]]:
    return json_objects(json_object(concept).get("coding"))


def _codes(concept: Any, systems: Iterable[str | None]) -> list[str]:
    wanted = set(systems)
    return [
        json_text(coding.get("code")) for coding in _codings(concept)
        if coding.get("system") in wanted and json_text(coding.get("code"))
    ]


def _whole(value: Any) -> str:
    """A number from JSON as the text the shared rules read (120.0 is 120)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _usps_state(concept: Any) -> str | None:
    for coding in _codings(concept):
        system = json_text(coding.get("system")).rstrip("/").removeprefix("http://").removeprefix("https://")
        if (not coding.get("system") or system == "www.usps.com") and json_text(coding.get("code")):
            return json_text(coding.get("code"))
    return None


def _qualification_type(code: Mapping[str, Any]) -> str:
    """A qualification's type: its NUCC code, else its v2-0360 degree, else its text, else any
    coding's code or display."""
    for systems in ([NUCC_SYSTEM], [DEGREE_SYSTEM]):
        found = _codes(code, systems)
        if found:
            return found[0]
    if json_text(code.get("text")).strip():
        return json_text(code.get("text")).strip()
    for coding in _codings(code):
        for key in ("code", "display"):
            if json_text(coding.get(key)).strip():
                return json_text(coding.get(key)).strip()
    return ""


def _start(period: Any) -> str:
    start = json_text(json_object(period).get("start"))
    return start[:10] if len(start) > 10 and start[10] == "T" else start


def _expiry(period: Any) -> str:
    end = json_text(json_object(period).get("end"))
    # A dateTime end counts by its date, as written.
    return end[:10] if len(end) > 10 and end[10] == "T" else end


def _aware_datetime(value: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(json_text(value))
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
        status = json_text(verification.get("status"))
        if status != VALIDATED and status not in VALIDATION_FAILED:
            continue
        positions: set[int] = set()
        for location in json_items(verification.get("targetLocation")):
            matched = _QUALIFICATION_LOCATION.fullmatch(json_text(location).strip())
            if matched is None:
                continue  # it validated something else (an address, the NPI)
            if matched.group(1) is None:
                positions.update(range(qualifications))
            elif int(matched.group(1)) < qualifications:
                positions.add(int(matched.group(1)))
            else:
                mapped.problem(where, "targetLocation", f"{json_text(location).strip()} names no qualification of "
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
    qualifications = json_objects(practitioner.get("qualification"))
    validations = _validations(mapped, verifications, len(qualifications))
    for position, qualification in enumerate(qualifications + _license_history(practitioner)):
        code = json_object(qualification.get("code"))
        kind = _qualification_type(code)
        degrees = _codes(code, [DEGREE_SYSTEM])
        details = _extensions(qualification, QUALIFICATION)
        number = next((json_text(i.get("value")) for i in json_objects(qualification.get("identifier"))
                       if json_text(i.get("value"))), "")
        where_valid = [part for detail in details for part in _extensions(detail, "whereValid")]
        if not where_valid or (not number and _codes(code, [NUCC_SYSTEM])):
            # A degree, or a board certification (NUCC-coded, no licence number): not a state licence.
            types.extend(degrees)
            continue
        about = f"qualification {position}"
        expires = _expiry(qualification.get("period"))
        if not _codes(code, [NUCC_SYSTEM]) and number:
            types.append(kind)  # a NUCC code is the licence's type, never a credential
        if not number or not expires:
            # Plan-Net lets a directory list a licence without its number or expiry: kept as
            # given, for the provider to complete when they claim their profile.
            for place in where_valid:
                listed_in = _usps_state(place.get("valueCodeableConcept")) or ""
                mapped.pending.append({"state": listed_in.upper(), "type": kind, "number": number,
                                       "start": _start(qualification.get("period")), "end": expires})
            continue
        status = _license_status(mapped, qualification, details, about)
        validation = validations.get(position, _Validation())
        if status is None and validation.failed:
            status = license_rules.REJECTED, validation.failed_at
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
                issued = _start(qualification.get("period"))
                if issued:
                    record = dataclasses.replace(record, issued=clean_date(issued, what="period.start"))
                    if record.issued is not None and record.issued > record.expires:
                        raise FieldError(f"period.start {issued} is after period.end {expires}")
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


def _license_history(practitioner: Mapping[str, Any]) -> list[dict[str, Any]]:
    """carematch's license-history extensions (licenses not in force, which Plan-Net's qualification
    cannot carry) in the shape of the qualifications they once were, to be read as those are."""
    shaped = []
    for history in _extensions(practitioner, LICENSE_HISTORY):
        parts = {json_text(p.get("url")): p for p in json_objects(history.get("extension"))}

        def value(name: str, kind: str, parts: dict[str, dict[str, Any]] = parts) -> str:
            return json_text(parts.get(name, {}).get(kind))

        shaped.append({
            "extension": [
                {"url": QUALIFICATION, "extension": [{"url": "whereValid", "valueCodeableConcept": {
                    "coding": [{"system": USPS_SYSTEM, "code": value("state", "valueCode")}]}}]},
                {"url": LICENSE_VERIFICATION, "extension": [
                    parts[name] for name in ("status", "verifiedAt") if name in parts]},
            ],
            "identifier": [{"value": value("number", "valueString")}],
            "code": {"text": value("type", "valueString")},
            "period": {"end": value("expires", "valueDate")},
        })
    return shaped


def _license_status(
    mapped: MappedProvider, qualification: Mapping[str, Any], details: list[dict[str, Any]], about: str,
) -> tuple[str, dt.datetime | None] | None:
    """carematch's verification of the license, or `rejected` when Plan-Net says it may not be used."""
    for verification in _extensions(qualification, LICENSE_VERIFICATION):
        status = next((json_text(p.get("valueCode")) for p in _extensions(verification, "status")), "")
        if status not in license_rules.STATUSES:
            mapped.problem(mapped.where, "licenses", f"{about}: verification status '{status}' is not one of "
                                                     f"{', '.join(license_rules.STATUSES)}")
            return None
        verified_at = None
        for part in _extensions(verification, "verifiedAt"):
            verified_at = _aware_datetime(part.get("valueDateTime"))
            if verified_at is None:
                mapped.problem(mapped.where, "licenses",
                               f"{about}: verifiedAt must be a date and time with its time zone")
        return status, verified_at
    plan_net = {json_text(p.get("valueCode")) for detail in details for p in _extensions(detail, "status")}
    if plan_net & UNUSABLE_QUALIFICATION:
        return license_rules.REJECTED, None
    return None


def _read_practitioner(
    mapped: MappedProvider, practitioner: Mapping[str, Any],
    verifications: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> None:
    values, where = mapped.values, mapped.where
    npis: list[str] = []
    for identifier in json_objects(practitioner.get("identifier")):
        value = json_text(identifier.get("value"))
        if identifier.get("system") in (NPI_SYSTEM, NPI_OID) and value and value not in npis:
            npis.append(value)
    if not npis:
        mapped.problem(where, "identifier", f"no identifier with system {NPI_SYSTEM}", missing=True)
        mapped.missing.add("npi")
    elif len(npis) > 1:
        mapped.problem(where, "identifier", f"has {len(npis)} NPIs ({', '.join(npis)}); a provider has one",
                       missing=True)
        mapped.missing.add("npi")
    else:
        values["npi"] = npis[0]

    names = json_objects(practitioner.get("name"))
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    values["first_name"] = " ".join(json_text(given) for given in json_items(name.get("given")))
    values["last_name"] = json_text(name.get("family"))
    suffixes = [json_text(suffix) for suffix in json_items(name.get("suffix")) if json_text(suffix)]
    # "Susie Smith, LPC": the credentials a directory writes after the name, when nothing else says.
    written = [part.strip() for part in json_text(name.get("text")).split(",")[1:] if part.strip()]

    gender = practitioner.get("gender")
    if gender is None:
        values["gender"] = ""
    elif gender in GENDER_FROM_FHIR:
        values["gender"] = GENDER_FROM_FHIR[gender]
    else:
        mapped.problem(where, "gender", f"'{gender}' is not a FHIR gender ({', '.join(GENDER_FROM_FHIR)})")

    for kind in ("email", "phone"):
        values[kind] = next((json_text(t.get("value")) for t in json_objects(practitioner.get("telecom"))
                             if t.get("system") == kind and json_text(t.get("value"))), "")
    values["languages"] = [
        code.split("-")[0]
        for concept in json_objects(practitioner.get("communication"))
        for code in _codes(concept, [BCP47_SYSTEM, None])
    ]
    bios = [json_text(ext.get("valueMarkdown") or ext.get("valueString")) for ext in _extensions(practitioner, BIO)]
    values["bio"] = bios[0] if bios else ""
    license_types = _read_licenses(mapped, practitioner, verifications)
    values["credentials"] = suffixes or license_types or written


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
    """Reads a provider's PractitionerRoles, and the HealthcareServices, Locations, networks
    and Endpoints they refer to, into `mapped`. Single values must agree across them; lists
    are merged; every office is kept, the first being the provider's address."""

    LISTS = ("concerns", "approaches", "populations", "formats", "insurance")

    def __init__(self, mapped: MappedProvider, index: _Index) -> None:
        self.mapped, self.index = mapped, index
        self.lists: dict[str, list[str]] = {kind: [] for kind in self.LISTS}
        self.refused: set[str] = set()  # lists with a code reported as unknown
        self.single: dict[str, _Found] = {name: _Found() for name in (
            "accepting_new", "timezone", "self_pay_rate", "min_notice_hours", "works_holidays")}
        self.taxonomies: list[tuple[str, str]] = []  # every NUCC code, (code, where), roles first
        self.windows: list[WindowRecord] = []
        self.services: dict[int, dict[str, Any]] = {}
        self.locations: dict[int, dict[str, Any]] = {}

    def read(self, roles: list[tuple[int, dict[str, Any]]]) -> None:
        for role_index, role in roles:
            self.role(role, self.index.label(role_index))
        for service_index, service in self.services.items():
            where = self.index.label(service_index)
            self.codings(json_items(service.get("specialty")), where, nucc=True)
            self.codings([*json_items(service.get("characteristic")), *json_items(service.get("category")),
                          *json_items(service.get("type"))], where, nucc=False)
            self.common(service, where)
        for location_index, location in self.locations.items():
            self.location(location, self.index.label(location_index))
        self.finish()

    def location(self, location: Mapping[str, Any], where: str) -> None:
        self.common(location, where)
        address = json_object(location.get("address"))
        lines = [json_text(line).strip() for line in json_items(address.get("line")) if json_text(line).strip()]
        city, state = json_text(address.get("city")).strip(), json_text(address.get("state")).strip()
        postal = json_text(address.get("postalCode")).strip()
        position = json_object(location.get("position"))
        given_latitude, given_longitude = position.get("latitude"), position.get("longitude")
        latitude = float(given_latitude) if isinstance(given_latitude, int | float) else None
        longitude = float(given_longitude) if isinstance(given_longitude, int | float) else None
        located = latitude is not None and longitude is not None and -90 <= latitude <= 90 \
            and -180 <= longitude <= 180
        if not located:
            latitude = longitude = None
        if position and not located:
            self.mapped.problem(where, "position", "needs a latitude (-90 to 90) and a longitude (-180 to 180)")
        if state and state.upper() not in vocab.STATES:
            self.mapped.problem(where, "address", f"state '{state}' is not a US state code (the 50 states and DC)")
            return
        phone = next((json_text(t.get("value")) for t in json_objects(location.get("telecom"))
                      if t.get("system") == "phone" and json_text(t.get("value"))), "")
        info = LocationInfo(
            name=json_text(location.get("name")).strip()[:200], line=", ".join(lines)[:200], city=city[:100],
            state=state.upper(), postal_code=postal[:10],
            latitude=latitude, longitude=longitude,
            phone=phone[:40], source=where.split("(")[-1].rstrip(")") if "(" in where else where,
            text=json_text(address.get("text")).strip(),
        )
        if not (info.name or info.line or info.city or info.state or info.postal_code):
            return
        self.mapped.locations.append(info)

    def role(self, role: Mapping[str, Any], where: str) -> None:
        self.codings(json_items(role.get("specialty")), where, nucc=True)
        self.common(role, where)
        for ext in _extensions(role, NETWORK_REFERENCE):
            reference = ext.get("valueReference")
            network = _network(self.index, reference)
            if network is None:
                named = json_text(json_object(reference).get("reference"))
                self.mapped.problem(where, "insurance", f"network {named!r} names no payer: it is not an "
                                                        "Organization in this bundle, or has no name", missing=True)
                continue
            if network not in self.mapped.networks:
                self.mapped.networks.append(network)
            if network.payer and network.stated:
                self.note("insurance", network.payer, where)
        for reference in json_objects(role.get("healthcareService")):
            found = self.index.resolve(reference, "HealthcareService")
            if found is None:
                self.mapped.problem(where, "healthcareService", f"{json_text(reference.get('reference'))!r} is not a "
                                                                "HealthcareService in this bundle")
            else:
                self.services[found[0]] = found[1]
        for reference in json_objects(role.get("endpoint")):
            found = self.index.resolve(reference, "Endpoint")
            if found is None:
                continue  # an endpoint the directory did not include: nothing to keep
            endpoint = found[1]
            address = json_text(endpoint.get("address")).strip()
            kind = json_text(json_object(endpoint.get("connectionType")).get("code")).strip() or next(
                (json_text(c.get("code")) for concept in json_items(endpoint.get("connectionType"))
                 for c in _codings(concept) if json_text(c.get("code"))), "")
            if address and kind and len(address) <= 500:
                info = EndpointInfo(json_text(endpoint.get("name")).strip()[:200], kind[:64], address)
                if all(e.address != address for e in self.mapped.endpoints):
                    self.mapped.endpoints.append(info)
            else:
                self.mapped.problem(self.index.label(found[0]), "address",
                                    "an Endpoint needs an address (at most 500 characters) and a connectionType")
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
                system, code = coding.get("system"), json_text(coding.get("code"))
                if code and nucc and system == NUCC_SYSTEM:
                    self.taxonomies.append((code.strip().upper(), where))
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
            single["timezone"].add(json_text(ext.get("valueCode")), where)
        for ext in _extensions(resource, DELIVERY_METHOD):
            for part in _extensions(ext, "type"):
                for code in _codes(part.get("valueCodeableConcept"), [DELIVERY_METHOD_SYSTEM, None]):
                    if code in FORMAT_FROM_DELIVERY:
                        self.note("formats", FORMAT_FROM_DELIVERY[code], where)
                    else:
                        mapped.problem(where, "formats", f"'{code}' is not a delivery method "
                                                         f"({', '.join(FORMAT_FROM_DELIVERY)})")
        for ext in _extensions(resource, SELF_PAY_RATE):
            money = json_object(ext.get("valueMoney"))
            if money.get("currency", "USD") != "USD":
                mapped.problem(where, "self_pay_rate", f"is in {money.get('currency')}; carematch keeps US dollars "
                                                       "(USD)", missing=True)
            single["self_pay_rate"].add(_whole(money.get("value")), where)
        for ext in _extensions(resource, MINIMUM_NOTICE):
            duration = json_object(ext.get("valueDuration"))
            if (duration.get("code") or duration.get("unit")) != "h":
                mapped.problem(where, "min_notice_hours", "must be a duration in hours (UCUM code 'h')",
                               missing=True)
            single["min_notice_hours"].add(_whole(duration.get("value")), where)
        for ext in _extensions(resource, WORKS_HOLIDAYS):
            if isinstance(ext.get("valueBoolean"), bool):
                single["works_holidays"].add(ext["valueBoolean"], where)
        for reference in json_objects(resource.get("location")):
            found = self.index.resolve(reference, "Location")
            if found is None:
                mapped.problem(where, "address", f"location {json_text(reference.get('reference'))!r} is not a "
                                                 "Location in this bundle", missing=True)
            else:
                self.locations[found[0]] = found[1]

    def finish(self) -> None:
        mapped, values = self.mapped, self.mapped.values
        values.update(self.lists)
        mapped.carematch_profile = bool(self.single["self_pay_rate"].items or self.lists["concerns"]
                                        or self.lists["populations"])
        mapped.missing |= {kind for kind in self.refused if not self.lists[kind]}
        values["availability"] = self.windows
        # Of every NUCC code the roles and services give, the first behavioural-health one;
        # a directory's other specialties (a physician's internal medicine) are not carematch's.
        chosen = next(((code, where) for code, where in self.taxonomies if code in vocab.TAXONOMY), None)
        values["taxonomy"] = chosen[0] if chosen else ""
        if chosen:
            mapped.sources["taxonomy"] = chosen[1]
        for name in ("accepting_new", "timezone", "self_pay_rate", "min_notice_hours"):
            found = _one(mapped, name, self.single[name])
            if found is not None:
                values[name], mapped.sources[name] = found
        if "accepting_new" not in values and "accepting_new" not in mapped.missing:
            values["accepting_new"] = "true"  # Plan-Net's newpatients is optional; carematch's default
        holidays = _one(mapped, "works_holidays", self.single["works_holidays"])
        mapped.works_holidays = holidays[0] if holidays else None
        office = next((place for place in mapped.locations if place.postal_code or place.latitude is not None), None)
        if "address" in mapped.missing:
            mapped.missing.add("zip")  # the ZIP of no office: "required for in_person" would only repeat it
        if office is not None:
            joined = ", ".join(part for part in (office.line, office.city, office.state) if part) if office.line else ""
            values["address"] = office.text or joined
            five = office.postal_code.split("-")[0]
            known = bool(re.fullmatch(r"\d{5}", five)) and geo.zip_location(five) is not None
            if known or office.latitude is None:
                values["zip"] = office.postal_code
            else:
                values["zip"] = ""  # a ZIP carematch cannot place: the office's published position instead
                values["position"] = (office.latitude, office.longitude)
            mapped.sources["zip"] = mapped.sources["address"] = office.source
            if not json_text(values.get("timezone")) and known:
                values["timezone"] = geo.zip_timezone(five) or ""


def _network(index: _Index, reference: Any) -> NetworkInfo | None:
    """A network a role names, with the carematch payer it stands for where carematch knows it:
    by carematch's payer identifier, else by the name of its payer (the Organization it is
    partOf) or its own name or alias."""
    found = index.resolve(reference, "Organization")
    network = found[1] if found else {}
    named = json_text(json_object(reference).get("reference")).strip()
    key = next((f"{json_text(i.get('system'))}|{json_text(i.get('value'))}" for i in json_objects(
        network.get("identifier")) if json_text(i.get("value"))), "") or (
        f"Organization/{json_text(network.get('id'))}" if network.get("id") else named)
    part_of = json_object(network.get("partOf"))
    payer = index.resolve(part_of, "Organization")
    payer_name = (json_text(payer[1].get("name")) if payer else "") or json_text(part_of.get("display"))
    name = json_text(network.get("name")) or json_text(json_object(reference).get("display"))
    if not name and not payer_name:
        return None
    for identifier in json_objects(network.get("identifier")):
        if identifier.get("system") == PAYER_SYSTEM and json_text(identifier.get("value")):
            slug = json_text(identifier.get("value"))
            return NetworkInfo(key[:300], (name or payer_name)[:200], payer_name[:200], slug, stated=True)
    names = [payer_name, name, *(json_text(alias) for alias in json_items(network.get("alias"))),
             json_text(json_object(reference).get("display"))]
    known = dict(KNOWN_PAYERS.items())
    by_name = {label.lower(): slug for slug, label in known.items()} | {slug: slug for slug in known}
    slug = ""
    for candidate_name in names:
        candidate = candidate_name.strip().lower()
        for option in (candidate, candidate.removesuffix(" network").strip()):
            if option in by_name:
                slug = by_name[option]
                break
        if slug:
            break
    return NetworkInfo(key[:300], (name or payer_name)[:200], (payer_name or name)[:200], slug)


def available_time_windows(items: Any) -> tuple[list[WindowRecord], list[str]]:
    """PractitionerRole.availableTime as weekly windows, and what is wrong with the rest."""
    windows: list[WindowRecord] = []
    errors: list[str] = []
    for position, item in enumerate(json_objects(items)):
        about = f"availableTime[{position}]"
        if item.get("allDay") is True:
            errors.append(f"{about}: allDay is not supported; give availableStartTime and availableEndTime")
            continue
        start, end = json_text(item.get("availableStartTime")), json_text(item.get("availableEndTime"))
        days = [json_text(day) for day in json_items(item.get("daysOfWeek"))]
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
                                    f"{json_text(json_object(reference).get('reference'))!r} is not a Practitioner in "
                                    "this bundle"))
        else:
            roles_of[found[0]].append((role_index, role))
    verifications_of: dict[int, list[tuple[str, dict[str, Any]]]] = {i: [] for i, _ in practitioners}
    for verification_index, verification in index.of_type("VerificationResult"):
        # Targets that are not a Practitioner of this bundle (an Organization, a Location) are not carematch's.
        for reference in json_objects(verification.get("target")):
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
        record, invalid = build_provider_record(mapped.values, completable=mapped.completable)
        if record is not None and any(not network.stated for network in mapped.networks) \
                and not any(network.stated for network in mapped.networks):
            # A payer's networks: the insurance they imply is applied with the networks (write.py),
            # so what is stored (a coordinator's mapping, the provider's own) is kept.
            record = dataclasses.replace(record, kept=("insurance",))
        found = list(mapped.problems)
        found.extend(
            Problem(mapped.sources.get(p.field, mapped.where), "identifier" if p.field == "npi" else p.field,
                    p.message)
            for p in invalid if p.field not in mapped.missing
        )
        npi = json_text(mapped.values.get("npi")).strip()
        if npi:
            first = first_of.setdefault(npi, mapped.where)
            if first != mapped.where:
                found.append(Problem(mapped.where, "identifier", f"{npi} is also the NPI of {first}"))
        if found or record is None:
            rejected += 1
            problems.extend(sorted(found, key=lambda problem: _FIELD_ORDER.get(problem.field, len(_FIELD_ORDER))))
        else:
            good.append((mapped, record))
    return BundleReading(good, problems, rejected)

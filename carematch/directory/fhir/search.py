"""The public FHIR API's search parameters: what each resource type can be searched by, and the
reading of a query string into a Search, or a SearchError naming the parameter and the problem.

Pure: no database. The same table answers the search and writes the CapabilityStatement, so
what /fhir/metadata says is supported is exactly what is.

FHIR's rules kept here: a parameter given with an empty value is ignored; values separated by
commas are alternatives (OR); `_include` may be repeated, any other parameter may not (carematch
does not combine a parameter with itself). Modifiers (`name:exact`) are not supported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from carematch.lib import vocab

from .terms import ACCEPTING_PATIENTS_SYSTEM, NPI_OID, NPI_SYSTEM, NUCC_SYSTEM, ORGANIZATION_TYPE_SYSTEM

DEFAULT_COUNT = 20
MAX_COUNT = 100
MAX_OFFSET = 1_000_000
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
NUCC_CODE = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")
FORMATS = frozenset({"json", "application/json", "application/fhir+json"})


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # FHIR search parameter type: token, string, reference
    documentation: str
    target: str = ""  # the resource type a reference names


PARAMS: Mapping[str, Sequence[Param]] = {
    "Practitioner": (
        Param("identifier", "token", f"The NPI ({NPI_SYSTEM}|1234567893 or just the number)."),
        Param("name", "string", "The start of a given or family name, any case."),
    ),
    "PractitionerRole": (
        Param("specialty", "token", f"A NUCC taxonomy code ({NUCC_SYSTEM})."),
        Param("practitioner", "reference", "The Practitioner (Practitioner/<NPI>).", "Practitioner"),
        Param("location", "reference", "The Location (Location/<id>).", "Location"),
        Param("network", "reference", "The network Organization (Organization/network-<payer>).", "Organization"),
        Param("new-patient", "token", f"Whether new patients are taken ({ACCEPTING_PATIENTS_SYSTEM}: newpt, nopt)."),
        Param("location.address-state", "string", "The state (USPS code) of the role's Location."),
    ),
    "Location": (
        Param("address-state", "string", "The state, as its USPS code (CO)."),
        Param("address-postalcode", "string", "The ZIP code, or its start."),
    ),
    "Organization": (
        Param("type", "token", f"The organization type ({ORGANIZATION_TYPE_SYSTEM}: payer, ntwk, prvgrp)."),
    ),
    "HealthcareService": (),
    "InsurancePlan": (),
    "Endpoint": (),
    "OrganizationAffiliation": (),
}
RESOURCE_TYPES = tuple(PARAMS)
INCLUDES: Mapping[str, Sequence[str]] = {
    "PractitionerRole": ("practitioner", "location", "network", "service", "endpoint", "organization"),
}
ACCEPTING_CODES = ("newpt", "nopt", "existptonly", "existptfam")
ORGANIZATION_TYPES = ("payer", "ntwk", "prvgrp")
COMMON = ("_id", "_count", "_offset", "_format", "_include")


class SearchError(Exception):
    """A query the API cannot answer: `param` is the parameter, the message says why."""

    def __init__(self, detail: str, *, param: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.param = param


@dataclass(frozen=True)
class Search:
    resource_type: str
    count: int = DEFAULT_COUNT
    offset: int = 0
    ids: tuple[str, ...] = ()
    # name -> alternatives (tokens are (system or "", code)); a reference is the id it names.
    tokens: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    strings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    references: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    includes: tuple[str, ...] = ()

    def query(self, *, offset: int | None = None) -> list[tuple[str, str]]:
        """The search as query pairs (for the Bundle's links), at `offset`."""
        pairs: list[tuple[str, str]] = []
        if self.ids:
            pairs.append(("_id", ",".join(self.ids)))
        for name, tokens in self.tokens.items():
            pairs.append((name, ",".join(f"{system}|{code}" if system else code for system, code in tokens)))
        for name, values in self.strings.items():
            pairs.append((name, ",".join(values)))
        for name, ids in self.references.items():
            target = next(p.target for p in PARAMS[self.resource_type] if p.name == name)
            pairs.append((name, ",".join(f"{target}/{i}" for i in ids)))
        pairs.extend(("_include", f"{self.resource_type}:{inc}") for inc in self.includes)
        pairs.append(("_count", str(self.count)))
        pairs.append(("_offset", str(self.offset if offset is None else offset)))
        return pairs


def _integer(name: str, value: str, *, low: int, high: int) -> int:
    if not re.fullmatch(r"[0-9]{1,7}", value) or not low <= int(value) <= high:
        raise SearchError(f"{name} must be a whole number from {low} to {high}; '{value}' is not", param=name)
    return int(value)


def _token(param: Param, value: str) -> tuple[str, str]:
    system, bar, code = value.rpartition("|")
    if not bar:
        system = ""
    if not code:
        raise SearchError(f"{param.name} needs a code after '|'", param=param.name)
    name = param.name
    if name == "specialty":
        if system not in ("", NUCC_SYSTEM):
            raise SearchError(f"specialty codes are NUCC's ({NUCC_SYSTEM}); '{system}' is not", param=name)
        if not NUCC_CODE.match(code):
            raise SearchError(f"'{code}' is not a NUCC taxonomy code (10 characters, ending in X)", param=name)
    elif name == "identifier":
        if system not in ("", NPI_SYSTEM, NPI_OID):
            raise SearchError(f"practitioners are identified by their NPI ({NPI_SYSTEM}); '{system}' is not "
                              "an identifier system of this directory", param=name)
        if not re.fullmatch(r"[0-9]{10}", code):
            raise SearchError(f"'{code}' is not an NPI (10 digits)", param=name)
    elif name == "new-patient":
        if system not in ("", ACCEPTING_PATIENTS_SYSTEM) or code not in ACCEPTING_CODES:
            raise SearchError(f"new-patient is one of {', '.join(ACCEPTING_CODES)} ({ACCEPTING_PATIENTS_SYSTEM})",
                              param=name)
    elif name == "type" and (system not in ("", ORGANIZATION_TYPE_SYSTEM) or code not in ORGANIZATION_TYPES):
        raise SearchError(f"type is one of {', '.join(ORGANIZATION_TYPES)} ({ORGANIZATION_TYPE_SYSTEM})",
                          param=name)
    return system, code


def _string(param: Param, value: str) -> str:
    name = param.name
    if name in ("address-state", "location.address-state"):
        state = value.upper()
        if state not in vocab.STATES:
            raise SearchError(f"'{value}' is not a US state's USPS code (CO, NY, ...)", param=name)
        return state
    if name == "address-postalcode":
        if not re.fullmatch(r"[0-9]{1,5}(-[0-9]{4})?", value):
            raise SearchError(f"'{value}' is not a ZIP code or the start of one", param=name)
        return value[:5]
    if len(value) > 100:
        raise SearchError(f"{name} is at most 100 characters", param=name)
    return value


def _reference(param: Param, value: str) -> str:
    path = value.rstrip("/").rsplit("/", 2)
    if len(path) == 1:
        kind, resource_id = param.target, path[0]
    else:
        kind, resource_id = path[-2], path[-1]
    if kind != param.target:
        raise SearchError(f"{param.name} names a {param.target}; '{value}' does not", param=param.name)
    if not FHIR_ID.match(resource_id):
        raise SearchError(f"'{resource_id}' is not a resource id", param=param.name)
    return resource_id


def parse_search(resource_type: str, query: Sequence[tuple[str, str]]) -> Search:
    """A query string's (name, value) pairs, as given, into a Search of `resource_type`."""
    params = {p.name: p for p in PARAMS[resource_type]}
    seen: set[str] = set()
    count, offset = DEFAULT_COUNT, 0
    ids: tuple[str, ...] = ()
    tokens: dict[str, tuple[tuple[str, str], ...]] = {}
    strings: dict[str, tuple[str, ...]] = {}
    references: dict[str, tuple[str, ...]] = {}
    includes: list[str] = []
    for name, raw in query:
        value = raw.strip()
        if ":" in name:
            base = name.split(":", 1)[0]
            known = base in params or base in COMMON
            raise SearchError(f"'{name}': modifiers are not supported" if known
                              else f"'{name}' is not a search parameter of {resource_type}", param=name)
        if name not in params and name not in COMMON:
            common = [c for c in COMMON if c != "_include" or resource_type in INCLUDES]
            supported = ", ".join([*params, *common])
            raise SearchError(f"'{name}' is not a search parameter of {resource_type} (supported: {supported})",
                              param=name)
        if name != "_include":
            if name in seen:
                raise SearchError(f"{name} is given more than once; give alternatives separated by commas",
                                  param=name)
            seen.add(name)
        if not value:
            continue  # FHIR: a parameter without a value is ignored
        if name == "_count":
            count = _integer(name, value, low=1, high=MAX_COUNT)
        elif name == "_offset":
            offset = _integer(name, value, low=0, high=MAX_OFFSET)
        elif name == "_format":
            if value not in FORMATS:
                raise SearchError(f"this server answers JSON only (_format=json); '{value}' is not", param=name)
        elif name == "_include":
            allowed = INCLUDES.get(resource_type, ())
            kind, _, target = value.partition(":")
            if kind != resource_type or target not in allowed:
                choices = ", ".join(f"{resource_type}:{a}" for a in allowed) or "none"
                raise SearchError(f"_include '{value}' is not supported here (supported: {choices})", param=name)
            if target not in includes:
                includes.append(target)
        else:
            alternatives = [part.strip() for part in value.split(",")]
            if not all(alternatives):
                raise SearchError(f"{name} has an empty alternative", param=name)
            if name == "_id":
                for alternative in alternatives:
                    if not FHIR_ID.match(alternative):
                        raise SearchError(f"'{alternative}' is not a resource id", param=name)
                ids = tuple(alternatives)
                continue
            param = params[name]
            if param.type == "token":
                tokens[name] = tuple(_token(param, a) for a in alternatives)
            elif param.type == "string":
                strings[name] = tuple(_string(param, a) for a in alternatives)
            else:
                references[name] = tuple(_reference(param, a) for a in alternatives)
    return Search(resource_type=resource_type, count=count, offset=offset, ids=ids, tokens=tokens,
                  strings=strings, references=references, includes=tuple(includes))

"""The public FHIR directory's answers: reads by id, searches as paged searchset Bundles, and the
CapabilityStatement. The resources are export.py's (one mapping for the export file and the API),
built with `public=True`; rows come from the directory's selectors, a page at a time (a count, the
page's rows with their licenses and hours: no query per row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from carematch.lib import nucc

from .. import selectors
from .export import _instant, _payer_id, payer_resources, provider_resources
from .search import INCLUDES, PARAMS, RESOURCE_TYPES, Search
from .terms import PLANNET

FHIR_VERSION = "4.0.1"
PROVIDER_TYPES = frozenset({"Practitioner", "PractitionerRole", "HealthcareService", "Location", "Endpoint"})
PAYER_TYPES = frozenset({"Organization", "InsurancePlan", "OrganizationAffiliation"})
PROFILES = {
    "Practitioner": "plannet-Practitioner", "PractitionerRole": "plannet-PractitionerRole",
    "Location": "plannet-Location", "Organization": "plannet-Organization",
    "HealthcareService": "plannet-HealthcareService", "InsurancePlan": "plannet-InsurancePlan",
    "Endpoint": "plannet-Endpoint", "OrganizationAffiliation": "plannet-OrganizationAffiliation",
}
# The reference each _include of a PractitionerRole follows.
_INCLUDE_PATHS = {
    "practitioner": ("practitioner",), "location": ("location",), "service": ("healthcareService",),
    "endpoint": ("endpoint",), "organization": ("organization",), "network": ("extension",),
}


class NotFound(Exception):
    pass


def base_url() -> str:
    return f"{settings.SITE_URL}/fhir"


def _payer_names() -> Mapping[str, str]:
    return selectors.payer_names()


def _today() -> dt.date:
    return timezone.localdate()


def _built(npis: list[str], names: Mapping[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    """The public resources of these providers, by (type, id); `names` are the payers' names."""
    today = _today()
    return {
        (resource["resourceType"], resource["id"]): resource
        for provider in selectors.fhir_providers_by_npi(npis=npis)
        for resource in provider_resources(provider, today=today, public=True, payer_names=names)
    }


def _payer_side(names: Mapping[str, str]) -> list[dict[str, Any]]:
    return payer_resources(selectors.fhir_payers_in_use(), payer_names=names)


def read(resource_type: str, resource_id: str) -> dict[str, Any]:
    """The resource with this type and id, or NotFound."""
    if resource_type in PAYER_TYPES:
        wanted = (resource_type, resource_id)
        found = next((r for r in _payer_side(_payer_names()) if (r["resourceType"], r["id"]) == wanted), None)
    else:
        found = _built([resource_id[:10]], _payer_names()).get((resource_type, resource_id))
    if found is None:
        raise NotFound(f"{resource_type}/{resource_id} is not in this directory")
    return found


def _codes(search: Search, name: str) -> tuple[str, ...] | None:
    tokens = search.tokens.get(name)
    return None if tokens is None else tuple(code for _system, code in tokens)


def _npis_of(ids: Iterable[str], *, suffix: str = "") -> tuple[str, ...]:
    return tuple(i.removesuffix(suffix) for i in ids if i.endswith(suffix) and len(i.removesuffix(suffix)) == 10)


def _provider_search(search: Search) -> tuple[int, list[tuple[str, str]]]:
    """(total, the page's (type, id)) of a search over one resource per provider, or a role search."""
    kind = search.resource_type
    filters: dict[str, Any] = {}
    if search.ids:
        suffix = "-booking" if kind == "Endpoint" else ""
        filters["npis"] = _npis_of(search.ids, suffix=suffix) if kind != "PractitionerRole" else \
            tuple({i[:10] for i in search.ids})
    if "identifier" in search.tokens:
        wanted = _codes(search, "identifier") or ()
        filters["npis"] = tuple(set(filters.get("npis", wanted)) & set(wanted))
    if "name" in search.strings:
        filters["name_starts"] = search.strings["name"]
    if "specialty" in search.tokens:
        filters["taxonomies"] = _codes(search, "specialty")
    if "new-patient" in search.tokens:
        codes = set(_codes(search, "new-patient") or ())
        if {"newpt", "nopt"} <= codes:
            pass
        elif "newpt" in codes:
            filters["accepting_new"] = True
        elif "nopt" in codes:
            filters["accepting_new"] = False
        else:  # existptonly, existptfam: carematch says only whether new patients are taken
            filters["npis"] = ()
    for name in ("practitioner", "location"):
        if name in search.references:
            wanted = search.references[name]
            filters["npis"] = tuple(set(filters.get("npis", wanted)) & set(wanted))
    states = search.strings.get("address-state") or search.strings.get("location.address-state")
    if states:
        filters["states"] = states
    if "address-postalcode" in search.strings:
        filters["zip_prefixes"] = search.strings["address-postalcode"]
    if kind == "Location" or "location" in search.references or states:
        filters["with_office"] = True
    rows = selectors.fhir_provider_rows(**filters)
    if kind != "PractitionerRole":
        total = rows.count()
        npis = list(rows.values_list("npi", flat=True)[search.offset:search.offset + search.count])
        return total, [(kind, npi + ("-booking" if kind == "Endpoint" else "")) for npi in npis]
    # Roles: one per payer network of each provider, one without a network for a self-pay-only one.
    networks = search.references.get("network")
    payers = None
    if networks is not None:
        by_network = {_payer_id(slug): slug for slug in selectors.fhir_payers_in_use()}
        payers = {by_network[n] for n in networks if n in by_network}
    roles: list[str] = []
    for npi, insurance in rows.values_list("npi", "insurance"):
        for payer in insurance or [None]:
            if payers is not None and payer not in payers:
                continue
            role_id = npi if payer is None else f"{npi}-{_payer_id(payer).removeprefix('network-')}"
            if not search.ids or role_id in search.ids:
                roles.append(role_id)
    return len(roles), [("PractitionerRole", role) for role in roles[search.offset:search.offset + search.count]]


def _payer_search(search: Search, names: Mapping[str, str]) -> tuple[list[dict[str, Any]], int]:
    kind = search.resource_type
    matches = [r for r in _payer_side(names) if r["resourceType"] == kind]
    if search.ids:
        matches = [r for r in matches if r["id"] in search.ids]
    if "type" in search.tokens:
        wanted = set(_codes(search, "type") or ())
        matches = [r for r in matches if {c["code"] for t in r.get("type", []) for c in t["coding"]} & wanted]
    return matches[search.offset:search.offset + search.count], len(matches)


def _references(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value["reference"]
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _included(roles: Sequence[dict[str, Any]], includes: Sequence[str],
              built: Mapping[tuple[str, str], dict[str, Any]], names: Mapping[str, str]) -> list[dict[str, Any]]:
    wanted: list[tuple[str, str]] = []
    for role in roles:
        for include in includes:
            for key in _INCLUDE_PATHS[include]:
                for reference in _references(role.get(key)):
                    kind, _, resource_id = reference.partition("/")
                    if include == "network" and kind != "Organization":
                        continue
                    if (kind, resource_id) not in wanted:
                        wanted.append((kind, resource_id))
    payer_side = {(r["resourceType"], r["id"]): r for r in _payer_side(names)} if {"network", "organization"} & set(
        includes) else {}
    found = {**payer_side, **built}
    return [found[key] for key in wanted if key in found]


def search_bundle(search: Search) -> dict[str, Any]:
    """A searchset Bundle: the page of matches, what they _include, the total and the links."""
    names = _payer_names()
    if search.resource_type in PAYER_TYPES:
        matches, total = _payer_search(search, names)
        included: list[dict[str, Any]] = []
    else:
        total, page = _provider_search(search)
        built = _built(list(dict.fromkeys(resource_id[:10] for _kind, resource_id in page)), names)
        matches = [built[key] for key in page if key in built]
        included = _included(matches, search.includes, built, names) if search.includes else []
    base = base_url()

    def link(relation: str, offset: int) -> dict[str, str]:
        return {"relation": relation, "url": f"{base}/{search.resource_type}?{urlencode(search.query(offset=offset))}"}

    links = [link("self", search.offset)]
    if search.offset + search.count < total:
        links.append(link("next", search.offset + search.count))
    if search.offset > 0:
        links.append(link("previous", max(0, search.offset - search.count)))
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "meta": {"lastUpdated": _instant(timezone.now())},
        "type": "searchset",
        "total": total,
        "link": links,
    }
    entries = [
        *({"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
          for r in matches),
        *({"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "include"}}
          for r in included),
    ]
    if entries:
        bundle["entry"] = entries
    return bundle


def capability_statement() -> dict[str, Any]:
    """What the API supports, from the same table the searches are read with."""
    resources = []
    for kind in RESOURCE_TYPES:
        params = [{"name": "_id", "type": "token", "documentation": "The resource's id."},
                  *({"name": p.name, "type": p.type, "documentation": p.documentation} for p in PARAMS[kind])]
        resource: dict[str, Any] = {
            "type": kind,
            "supportedProfile": [f"{PLANNET}/StructureDefinition/{PROFILES[kind]}"],
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "versioning": "no-version",
            "readHistory": False,
            "updateCreate": False,
            "searchParam": params,
        }
        if kind in INCLUDES:
            resource["searchInclude"] = [f"{kind}:{include}" for include in INCLUDES[kind]]
        resources.append(resource)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": _instant(timezone.now()),
        "publisher": settings.DIRECTORY_NAME,
        "kind": "instance",
        "instantiates": [f"{PLANNET}/CapabilityStatement/plan-net"],
        "software": {"name": "carematch"},
        "implementation": {"description": f"{settings.DIRECTORY_NAME}: the public provider directory",
                           "url": base_url()},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": (
                "Read-only and public: no log-in. Requests are limited per address (429 with Retry-After). "
                "Searches return searchset Bundles of _count entries (1 to 100, 20 by default) with total and "
                "next/previous links (_offset); comma-separated values are alternatives; a parameter may "
                "be given once (_include as often as needed); modifiers are not supported. "
                f"Specialties are NUCC Health Care Provider Taxonomy codes, version {nucc.VERSION}."
            ),
            "security": {"cors": True, "description": "None: the directory is public."},
            "resource": resources,
            "searchParam": [
                {"name": "_count", "type": "number", "documentation": "Entries a page: 1 to 100 (20)."},
                {"name": "_offset", "type": "number", "documentation": "Entries skipped before the page."},
                {"name": "_format", "type": "token", "documentation": "json only."},
            ],
        }],
    }

"""What Plan-Net (and US Core under it) requires of every published resource, checked on every role,
practitioner, network and location of both the export file and the public API:

- US Core pd-1: a PractitionerRole has telecom or an endpoint (and the endpoint is there);
- a network Organization is partOf a payer Organization that is published too;
- Plan-Net fixes a qualification's status to `active`: every qualification is a license in force;
- a license's type is coded; a NUCC specialty carries NUCC's own display name;
- a Location's address has its line and city;
- InsurancePlans, Endpoints and OrganizationAffiliations are published.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone

from carematch.directory import fhir
from carematch.directory.fhir import terms
from carematch.directory.models import LicenseStatus
from carematch.lib import nucc
from carematch.scheduling.selectors import provider_openings

from .factories import LicenseFactory, ProviderFactory, WindowFactory


@pytest.fixture
def directory(db):
    cache.clear()
    today = timezone.localdate()
    office = ProviderFactory(insurance=["aetna", "medicaid", "tricare"], address="1550 Larimer St", zip="80202",
                             taxonomy="103TF0200X", phone="+13035550100")
    LicenseFactory(provider=office, state="CO")
    LicenseFactory(provider=office, state="WY", expires=today - dt.timedelta(days=1))
    LicenseFactory(provider=office, state="UT", status=LicenseStatus.REJECTED)
    LicenseFactory(provider=office, state="NM", status=LicenseStatus.UNVERIFIED)
    WindowFactory(provider=office)
    online = ProviderFactory(insurance=[], zip="", address="", latitude=None, longitude=None,
                             formats=["telehealth"], email="", phone="")
    LicenseFactory(provider=online, state="NY", expires=today - dt.timedelta(days=400))
    zip_only = ProviderFactory(insurance=["bcbs"], address="", zip="02116", taxonomy="2084P0800X")
    LicenseFactory(provider=zip_only, state="MA")
    yield {"office": office, "online": online, "zip_only": zip_only}
    cache.clear()


def _export() -> list[dict[str, Any]]:
    text, _ = fhir.directory_export_json(days=7, openings=provider_openings)
    data = json.loads(text)
    # The collection bundle names resources by urn:uuid fullUrls; index them by Type/id as the API does.
    by_url = {entry["fullUrl"]: entry["resource"] for entry in data["entry"]}

    def relative(value: Any) -> Any:
        if isinstance(value, dict):
            out = {key: relative(item) for key, item in value.items()}
            if out.get("reference") in by_url:
                target = by_url[out["reference"]]
                out["reference"] = f"{target['resourceType']}/{target['id']}"
            return out
        if isinstance(value, list):
            return [relative(item) for item in value]
        return value

    return [relative(entry["resource"]) for entry in data["entry"]]


def _api(client) -> list[dict[str, Any]]:
    resources = []
    for kind in fhir.search.RESOURCE_TYPES:
        url: str | None = f"/fhir/{kind}?_count=2"
        while url:
            parts = urlsplit(url)
            bundle = json.loads(client.get(f"{parts.path}?{parts.query}").content)
            resources += [entry["resource"] for entry in bundle.get("entry", [])]
            url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    return resources


def _references(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value["reference"]
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def check_plan_net(resources: list[dict[str, Any]]) -> None:
    today = timezone.localdate().isoformat()
    index = {f"{r['resourceType']}/{r['id']}": r for r in resources}
    of = {kind: [r for r in resources if r["resourceType"] == kind] for kind in {r["resourceType"] for r in resources}}
    for kind in ("Practitioner", "PractitionerRole", "Location", "HealthcareService", "Organization",
                 "InsurancePlan", "Endpoint", "OrganizationAffiliation"):
        assert of.get(kind), f"no {kind} published"

    for role in of["PractitionerRole"]:
        assert role.get("telecom") or role.get("endpoint"), f"pd-1: {role['id']} has neither telecom nor endpoint"
        for endpoint in role.get("endpoint", []):
            assert index[endpoint["reference"]]["resourceType"] == "Endpoint"
            assert index[endpoint["reference"]]["address"].startswith(("https://", "http://"))
        for specialty in role["specialty"]:
            for coding in specialty["coding"]:
                assert coding["system"] == nucc.SYSTEM and coding["display"] == nucc.display(coding["code"]) != ""
    networks = [o for o in of["Organization"] if o["type"][0]["coding"][0]["code"] == "ntwk"]
    assert networks
    for network in networks:
        payer = index[network["partOf"]["reference"]]
        assert payer["resourceType"] == "Organization"
        assert payer["type"][0]["coding"][0]["code"] == "payer"
    for practitioner in of["Practitioner"]:
        for qualification in practitioner.get("qualification", []):
            [plan_net] = [e for e in qualification["extension"] if e["url"] == terms.QUALIFICATION]
            assert [p["valueCode"] for p in plan_net["extension"] if p["url"] == "status"] == ["active"]
            assert qualification["period"]["end"] >= today
            assert qualification["code"]["coding"][0]["code"]
            [verification] = [e for e in qualification["extension"] if e["url"] == terms.LICENSE_VERIFICATION]
            assert verification["extension"][0]["valueCode"] != "rejected"
    for location in of["Location"]:
        assert location["address"]["city"]
    for resource in resources:
        for reference in _references(resource):
            assert reference in index, f"{resource['resourceType']}/{resource['id']} names {reference}, not published"


def test_every_exported_role_network_practitioner_and_location_keeps_plan_nets_rules(directory):
    resources = _export()

    check_plan_net(resources)
    office = next(r for r in resources if r["resourceType"] == "Location" and r["id"] == directory["office"].npi)
    assert office["address"]["line"] == ["1550 Larimer St"] and office["address"]["city"] == "Denver"


def test_every_role_network_practitioner_and_location_of_the_api_keeps_plan_nets_rules(client, directory):
    check_plan_net(_api(client))

"""The public FHIR directory under /fhir/: searches, paging and _includes walked to the end, every
resource valid FHIR (R4B models), and the answers to bad input, unknown ids, too many requests."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carematch.directory.fhir import search as fhir_search
from carematch.directory.fhir import terms
from carematch.directory.models import LicenseStatus

from .factories import LicenseFactory, ProviderFactory, WindowFactory

FHIR_JSON = "application/fhir+json"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def get(client: Client, url: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    response = client.get(path, **extra)
    assert response["Content-Type"].startswith(FHIR_JSON), (url, response["Content-Type"])
    return response.status_code, json.loads(response.content)


def valid(resource: dict[str, Any]) -> None:
    """The resource parses with the fhir.resources R4B model of its type."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def walk(client: Client, url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[int]]:
    """Every page of a search, following `next`: (matches, includes, each page's total)."""
    matches: list[dict[str, Any]] = []
    included: list[dict[str, Any]] = []
    totals: list[int] = []
    next_url: str | None = url
    while next_url:
        status, bundle = get(client, next_url)
        assert status == 200, bundle
        Bundle.model_validate(bundle)
        assert bundle["type"] == "searchset"
        totals.append(bundle["total"])
        for entry in bundle.get("entry", []):
            valid(entry["resource"])
            assert entry["fullUrl"].endswith(f"/fhir/{entry['resource']['resourceType']}/{entry['resource']['id']}")
            (matches if entry["search"]["mode"] == "match" else included).append(entry["resource"])
        next_url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    return matches, included, totals


@pytest.fixture
def directory(db):
    """Five providers: networks, an office or none, licenses in force, expired and rejected."""
    today = timezone.localdate()
    denver = ProviderFactory(first_name="Avery", last_name="Stone", insurance=["aetna", "medicaid"],
                             address="1550 Larimer St", zip="80202", email="avery@practice.example.org",
                             phone="+13035550100")
    LicenseFactory(provider=denver, state="CO", number="CO-1")
    LicenseFactory(provider=denver, state="WY", number="WY-OLD", expires=today - dt.timedelta(days=3))
    LicenseFactory(provider=denver, state="NE", number="NE-NO", status=LicenseStatus.REJECTED)
    WindowFactory(provider=denver)
    online = ProviderFactory(first_name="Blake", last_name="Rivera", insurance=[], zip="", address="",
                             latitude=None, longitude=None, formats=["telehealth"], taxonomy="103TF0200X",
                             accepting_new=False)
    LicenseFactory(provider=online, state="NY", number="NY-1")
    boston = ProviderFactory(first_name="Casey", last_name="Ng", insurance=["bcbs"], address="200 Clarendon St",
                             zip="02116", latitude=42.3492, longitude=-71.0768, timezone="America/New_York")
    LicenseFactory(provider=boston, state="MA", number="MA-1")
    extra = [ProviderFactory(first_name=f"Dana{i}", last_name="Example", insurance=["aetna"]) for i in range(2)]
    return {"denver": denver, "online": online, "boston": boston, "extra": extra}


SEARCHES = [
    "/fhir/Practitioner?_count=2",
    "/fhir/Practitioner?name=ave",
    "/fhir/PractitionerRole?_count=2&_include=PractitionerRole:practitioner&_include=PractitionerRole:location"
    "&_include=PractitionerRole:network&_include=PractitionerRole:endpoint&_include=PractitionerRole:service"
    "&_include=PractitionerRole:organization",
    "/fhir/PractitionerRole?network=Organization/network-aetna&_count=1",
    "/fhir/PractitionerRole?location.address-state=CO&_count=2",
    "/fhir/PractitionerRole?specialty=http://nucc.org/provider-taxonomy|103TF0200X",
    "/fhir/PractitionerRole?new-patient=nopt",
    "/fhir/Location?_count=1",
    "/fhir/Location?address-state=MA",
    "/fhir/Location?address-postalcode=802",
    "/fhir/Organization?_count=2",
    "/fhir/Organization?type=payer",
    "/fhir/HealthcareService?_count=3",
    "/fhir/InsurancePlan",
    "/fhir/Endpoint?_count=4",
    "/fhir/OrganizationAffiliation",
]


@pytest.mark.parametrize("url", SEARCHES)
def test_every_search_pages_to_the_end_and_every_resource_is_valid_r4(client, directory, url):
    matches, _included, totals = walk(client, url)

    assert len(set(totals)) == 1 and totals[0] == len(matches)
    kind = urlsplit(url).path.rsplit("/", 1)[1]
    assert {m["resourceType"] for m in matches} <= {kind}
    assert len({m["id"] for m in matches}) == len(matches), "a resource appeared on two pages"
    for match in matches:  # a read by id gives the same resource
        status, read = get(client, f"/fhir/{kind}/{match['id']}")
        assert status == 200 and read == match


def test_searches_find_what_their_parameters_name(client, directory):
    denver, online, boston = directory["denver"], directory["online"], directory["boston"]

    def ids(url: str) -> set[str]:
        return {m["id"] for m in walk(client, url)[0]}

    assert ids(f"/fhir/Practitioner?identifier={terms.NPI_SYSTEM}|{boston.npi}") == {boston.npi}
    assert ids("/fhir/Practitioner?name=river,NG") == {online.npi, boston.npi}
    assert ids("/fhir/PractitionerRole?network=Organization/network-medicaid") == {f"{denver.npi}-medicaid"}
    assert ids(f"/fhir/PractitionerRole?practitioner=Practitioner/{online.npi}") == {online.npi}
    assert ids(f"/fhir/PractitionerRole?location={boston.npi}") == {f"{boston.npi}-bcbs"}
    assert ids("/fhir/PractitionerRole?location.address-state=MA") == {f"{boston.npi}-bcbs"}
    assert ids("/fhir/PractitionerRole?specialty=103TF0200X") == {online.npi}
    assert ids("/fhir/PractitionerRole?new-patient=nopt") == {online.npi}
    assert ids("/fhir/Location?address-state=ma") == {boston.npi}
    assert ids("/fhir/Location?address-postalcode=021") == {boston.npi}
    assert online.npi not in ids("/fhir/Location")
    assert ids("/fhir/Organization?type=payer") == {"payer-aetna", "payer-medicaid", "payer-bcbs"}
    assert ids("/fhir/Organization?type=ntwk") == {"network-aetna", "network-medicaid", "network-bcbs"}
    assert ids("/fhir/InsurancePlan?_id=plan-bcbs") == {"plan-bcbs"}
    assert ids(f"/fhir/Endpoint?_id={online.npi}-booking") == {f"{online.npi}-booking"}


def test_include_brings_each_referenced_resource_once(client, directory):
    denver = directory["denver"]
    url = (f"/fhir/PractitionerRole?practitioner={denver.npi}&_include=PractitionerRole:practitioner"
           "&_include=PractitionerRole:location&_include=PractitionerRole:network")

    matches, included, _ = walk(client, url)

    assert {m["id"] for m in matches} == {f"{denver.npi}-aetna", f"{denver.npi}-medicaid"}
    assert sorted((r["resourceType"], r["id"]) for r in included) == [
        ("Location", denver.npi), ("Organization", "network-aetna"), ("Organization", "network-medicaid"),
        ("Practitioner", denver.npi),
    ]


def test_a_page_costs_the_same_queries_for_two_providers_or_twenty(client, db, django_assert_max_num_queries):
    for i in range(2):
        ProviderFactory(first_name=f"Few{i}", insurance=["aetna", "cigna"])
    url = "/fhir/PractitionerRole?_count=40&_include=PractitionerRole:practitioner&_include=PractitionerRole:network"
    with django_assert_max_num_queries(7) as few:
        get(client, url)
    for i in range(18):
        provider = ProviderFactory(first_name=f"Many{i}", insurance=["aetna", "cigna"])
        LicenseFactory(provider=provider)
        WindowFactory(provider=provider)
    with django_assert_max_num_queries(len(few.captured_queries)):
        status, bundle = get(client, url)
    assert status == 200 and bundle["total"] == 40


def test_the_public_directory_shows_no_contact_details_and_no_license_not_in_force(client, directory):
    status, practitioner = get(client, f"/fhir/Practitioner/{directory['denver'].npi}")

    assert status == 200
    assert "telecom" not in practitioner
    assert [q["identifier"][0]["value"] for q in practitioner["qualification"]] == ["CO-1"]
    assert not [e for e in practitioner.get("extension", []) if e["url"] == terms.LICENSE_HISTORY]
    assert "avery@practice.example.org" not in json.dumps(walk(client, "/fhir/Practitioner")[0])


def test_metadata_is_a_valid_capability_statement_naming_exactly_the_supported_searches(client, db):
    status, statement = get(client, "/fhir/metadata")

    assert status == 200
    get_fhir_model_class("CapabilityStatement").model_validate(statement)
    [rest] = statement["rest"]
    declared = {r["type"]: {p["name"] for p in r["searchParam"]} for r in rest["resource"]}
    assert declared == {kind: {"_id", *(p.name for p in params)} for kind, params in fhir_search.PARAMS.items()}
    [role] = [r for r in rest["resource"] if r["type"] == "PractitionerRole"]
    assert {"PractitionerRole:practitioner", "PractitionerRole:location",
            "PractitionerRole:network"} <= set(role["searchInclude"])


@pytest.mark.parametrize(("url", "param"), [
    ("/fhir/Practitioner?specialty=101YP2500X", "specialty"),
    ("/fhir/Practitioner?name:exact=Ng", "name:exact"),
    ("/fhir/Practitioner?_count=0", "_count"),
    ("/fhir/Practitioner?_count=abc", "_count"),
    ("/fhir/Practitioner?_count=101", "_count"),
    ("/fhir/Practitioner?_offset=-1", "_offset"),
    ("/fhir/Practitioner?identifier=123", "identifier"),
    ("/fhir/Practitioner?name=a&name=b", "name"),
    ("/fhir/Practitioner?_format=xml", "_format"),
    ("/fhir/Practitioner?_include=PractitionerRole:practitioner", "_include"),
    ("/fhir/PractitionerRole?_include=PractitionerRole:nothing", "_include"),
    ("/fhir/PractitionerRole?specialty=http://snomed.info/sct|123", "specialty"),
    ("/fhir/PractitionerRole?new-patient=maybe", "new-patient"),
    ("/fhir/PractitionerRole?network=Location/network-aetna", "network"),
    ("/fhir/PractitionerRole?location.address-state=ZZ", "location.address-state"),
    ("/fhir/Location?address-postalcode=abc", "address-postalcode"),
    ("/fhir/Organization?type=hospital", "type"),
    ("/fhir/InsurancePlan?_id=a,,b", "_id"),
    ("/fhir/Endpoint?_id=a%20b", "_id"),
    ("/fhir/Practitioner?name=nul%00", "name"),
])
def test_bad_parameters_answer_400_operation_outcome_naming_the_parameter(client, db, url, param):
    status, outcome = get(client, url)

    assert status == 400
    get_fhir_model_class("OperationOutcome").model_validate(outcome)
    [issue] = outcome["issue"]
    assert (issue["severity"], issue["code"], issue["expression"]) == ("error", "invalid", [param])
    assert issue["diagnostics"]


@pytest.mark.parametrize("url", [
    "/fhir/Practitioner/1234567893", "/fhir/PractitionerRole/1234567893-aetna", "/fhir/Organization/payer-nobody",
    "/fhir/Patient", "/fhir/Patient/1", "/fhir/Practitioner/1/_history", "/fhir/InsurancePlan/plan-nobody",
    "/fhir/Endpoint/x", "/fhir/Location/..",
])
def test_unknown_ids_and_types_answer_404_operation_outcome(client, db, url):
    status, outcome = get(client, url)

    assert status == 404
    get_fhir_model_class("OperationOutcome").model_validate(outcome)
    assert outcome["issue"][0]["code"] == "not-found"


def test_the_directory_is_read_only(client, db):
    response = client.post("/fhir/Practitioner", data="{}", content_type=FHIR_JSON)

    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
    assert response["Content-Type"].startswith(FHIR_JSON)
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"


def test_answers_are_fhir_json_open_to_any_origin_without_log_in(client, directory):
    response = client.get("/fhir/Practitioner")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "sessionid" not in response.cookies


def test_too_many_requests_from_one_address_answer_429_with_retry_after(client, db, settings):
    settings.FHIR_REQUESTS_PER_MINUTE = 3
    for _ in range(3):
        assert client.get("/fhir/metadata").status_code == 200

    refused = client.get("/fhir/Practitioner")

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert json.loads(refused.content)["issue"][0]["code"] == "throttled"
    assert client.get("/fhir/metadata", REMOTE_ADDR="198.51.100.7").status_code == 200


NAMES = st.sampled_from(["_count", "_offset", "_id", "_include", "_format", "name", "identifier", "specialty",
                         "network", "location", "practitioner", "new-patient", "location.address-state",
                         "address-state", "address-postalcode", "type", "name:exact", "_sort", "x"])
VALUES = st.one_of(st.text(max_size=30), st.sampled_from([
    "0", "20", "-1", "PractitionerRole:practitioner", "Organization/network-aetna", "CO", "80202",
    "http://nucc.org/provider-taxonomy|101YP2500X", "newpt", "payer", "|", ",", "a,b", "1234567893"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from([*fhir_search.RESOURCE_TYPES, "Patient"]),
       query=st.lists(st.tuples(NAMES, VALUES), max_size=4))
def test_any_query_string_is_answered_never_with_a_server_error(client, directory, kind, query):
    cache.clear()
    response = client.get(f"/fhir/{kind}?{urlencode(query)}")

    assert response.status_code in (200, 400, 404)
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = json.loads(response.content)
    assert body["resourceType"] == ("Bundle" if response.status_code == 200 else "OperationOutcome")


def test_a_search_over_every_state_at_once_is_answered(client, directory):
    from carematch.lib import vocab

    states = ",".join(vocab.STATES)

    matches, _, _ = walk(client, f"/fhir/PractitionerRole?location.address-state={states}&_count=100")

    npis = {m["id"][:10] for m in matches}
    assert directory["denver"].npi in npis and directory["boston"].npi in npis
    assert directory["online"].npi not in npis  # no office, so no state


def test_a_payer_added_to_the_table_is_published_by_its_name(client, db):
    from carematch.directory.services import payer_ensure

    payer_ensure(slug="harbor-health", name="Harbor Health Plan", source="staff")
    provider = ProviderFactory(insurance=["harbor-health"])

    _, payer = get(client, "/fhir/Organization/payer-harbor-health")
    _, network = get(client, "/fhir/Organization/network-harbor-health")
    _, plan = get(client, "/fhir/InsurancePlan/plan-harbor-health")
    _, role = get(client, f"/fhir/PractitionerRole/{provider.npi}-harbor-health")

    assert payer["name"] == "Harbor Health Plan"
    assert network["name"] == "Harbor Health Plan network"
    assert network["partOf"] == {"reference": "Organization/payer-harbor-health", "display": "Harbor Health Plan"}
    assert plan["ownedBy"]["reference"] == "Organization/payer-harbor-health"
    [reference] = [e for e in role["extension"] if e["url"] == terms.NETWORK_REFERENCE]
    assert reference["valueReference"]["reference"] == "Organization/network-harbor-health"

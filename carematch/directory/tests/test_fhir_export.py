"""The FHIR export: a valid R4 Bundle in the Da Vinci PDex Plan-Net shape, with a free Slot per opening."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from fhir.resources.R4B.bundle import Bundle
from hypothesis import given
from hypothesis import strategies as st

from carematch.directory import fhir
from carematch.directory.fhir import terms
from carematch.directory.models import LicenseStatus, Provider
from carematch.directory.payers import seeded
from carematch.directory.records import WindowRecord
from carematch.lib import vocab
from carematch.lib.npi import make_npi
from carematch.scheduling.selectors import provider_openings

from .factories import LicenseFactory, ProviderFactory, TimeOffFactory, WindowFactory

# A Monday in the middle of a month without US federal holidays near it.
NOW = dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC)


def export(tmp_path, *args):
    out = tmp_path / "directory.json"
    stdout = io.StringIO()
    call_command("export_fhir", "--out", str(out), *args, stdout=stdout)
    return out, stdout.getvalue()


def resources(bundle_json, kind):
    return [e["resource"] for e in bundle_json["entry"] if e["resource"]["resourceType"] == kind]


def by_url(data):
    return {e["fullUrl"]: e["resource"] for e in data["entry"]}


def extension(resource, url):
    return [e for e in resource.get("extension", []) if e["url"] == url]


def directory_json(days=14, now=NOW):
    """The export as the JSON it is written as, after checking it parses back with the R4B models."""
    text, _ = fhir.directory_export_json(days=days, openings=provider_openings, now=now)
    Bundle.model_validate_json(text)
    return json.loads(text)


@pytest.mark.django_db
def test_the_export_file_parses_back_as_a_valid_r4_bundle_with_each_npi_as_a_us_npi_identifier(tmp_path):
    providers = [ProviderFactory(), ProviderFactory(insurance=[])]
    for provider in providers:
        LicenseFactory(provider=provider)
        WindowFactory(provider=provider)

    out, printed = export(tmp_path, "--days", "7")

    bundle = Bundle.model_validate_json(out.read_text())
    assert bundle.type == "collection"
    data = json.loads(out.read_text())
    practitioners = resources(data, "Practitioner")
    assert {(i["system"], i["value"]) for p in practitioners for i in p["identifier"]} == {
        ("http://hl7.org/fhir/sid/us-npi", provider.npi) for provider in providers
    }
    assert all(p["meta"]["profile"] == [f"{terms.PLANNET}/StructureDefinition/plannet-Practitioner"]
               for p in practitioners)
    assert printed.startswith("wrote 2 providers and ")
    assert printed.rstrip().endswith(f"(next 7 days) to {out}")


@pytest.mark.django_db
def test_there_is_one_free_slot_per_opening_of_the_horizon_and_none_in_time_off():
    provider = ProviderFactory(timezone="America/Denver", min_notice_hours=2)
    for weekday in range(5):
        WindowFactory(provider=provider, weekday=weekday, start=dt.time(9), end=dt.time(12))
    # Away on Tuesday 10 March, 09:00-13:00 in Denver (daylight time since 8 March: UTC-6).
    TimeOffFactory(provider=provider, start=dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC),
                   end=dt.datetime(2026, 3, 10, 19, tzinfo=dt.UTC))
    other = ProviderFactory(insurance=[])  # no windows: a schedule with no slots

    data = directory_json(days=14)

    expected = provider_openings(provider=provider, start=NOW, end=NOW + dt.timedelta(days=14), now=NOW)
    assert len(expected) > 20
    urls = by_url(data)
    slots = resources(data, "Slot")
    schedules = {s["id"]: s for s in resources(data, "Schedule")}
    assert set(schedules) == {provider.npi, other.npi}
    mine = [s for s in slots if urls[s["schedule"]["reference"]]["id"] == provider.npi]
    assert len(mine) == len(slots) == len(expected)
    assert [s["start"] for s in mine] == [o.strftime("%Y-%m-%dT%H:%M:%SZ") for o in expected]
    assert all(s["status"] == "free" for s in mine)
    assert all(
        dt.datetime.fromisoformat(s["end"]) - dt.datetime.fromisoformat(s["start"]) == dt.timedelta(hours=1)
        for s in mine
    )
    assert not any(s["start"].startswith("2026-03-10T1") for s in mine)  # the time off
    assert schedules[provider.npi]["planningHorizon"] == {
        "start": "2026-03-09T12:00:00Z", "end": "2026-03-23T12:00:00Z"}


@pytest.mark.django_db
def test_a_location_is_exported_only_for_a_provider_with_an_office():
    office = ProviderFactory(address="1550 Larimer St", zip="80202", formats=["in_person"])
    online = ProviderFactory(zip="", latitude=None, longitude=None, formats=["telehealth"])

    data = directory_json()

    locations = resources(data, "Location")
    assert [location["id"] for location in locations] == [office.npi]
    assert locations[0]["address"]["postalCode"] == "80202"
    assert locations[0]["address"]["text"] == "1550 Larimer St"
    assert locations[0]["address"]["state"] == "CO"
    urls = by_url(data)
    roles = {r["id"]: r for r in resources(data, "PractitionerRole")}
    assert urls[roles[f"{office.npi}-aetna"]["location"][0]["reference"]]["id"] == office.npi
    assert "location" not in roles[f"{online.npi}-aetna"]


@pytest.mark.django_db
def test_each_license_is_a_plan_net_qualification_valid_in_its_state():
    provider = ProviderFactory()
    verified_at = dt.datetime(2026, 1, 5, 17, 30, tzinfo=dt.UTC)
    LicenseFactory(provider=provider, state="CO", license_type="LPC", number="LPC.0012345",
                   expires=dt.date(2027, 6, 30), status=LicenseStatus.VERIFIED, verified_at=verified_at)

    [practitioner] = resources(directory_json(), "Practitioner")

    [qualification] = practitioner["qualification"]
    assert qualification["identifier"] == [{"value": "LPC.0012345"}]
    assert qualification["code"] == {"text": "LPC"}
    assert qualification["period"] == {"end": "2027-06-30"}
    [plan_net] = extension(qualification, terms.QUALIFICATION)
    assert plan_net["extension"] == [
        {"url": "status", "valueCode": "active"},
        {"url": "whereValid", "valueCodeableConcept": {
            "coding": [{"system": "https://www.usps.com/", "code": "CO", "display": "Colorado"}]}},
    ]
    [verification] = extension(qualification, terms.LICENSE_VERIFICATION)
    assert verification["extension"] == [
        {"url": "status", "valueCode": "verified"}, {"url": "verifiedAt", "valueDateTime": "2026-01-05T17:30:00Z"},
    ]


@pytest.mark.django_db
def test_expired_and_rejected_licenses_are_exported_as_inactive_history():
    provider = ProviderFactory()
    # A license in force is active for Plan-Net whether or not carematch has verified it yet.
    LicenseFactory(provider=provider, number="CURRENT", expires=dt.date(2028, 1, 1), status=LicenseStatus.UNVERIFIED)
    LicenseFactory(provider=provider, number="EXPIRED", expires=dt.date(2025, 12, 31),
                   status=LicenseStatus.UNVERIFIED)
    LicenseFactory(provider=provider, number="REJECTED", expires=dt.date(2028, 1, 1), status=LicenseStatus.REJECTED)

    [practitioner] = resources(directory_json(), "Practitioner")

    status = {
        q["identifier"][0]["value"]: (
            extension(q, terms.QUALIFICATION)[0]["extension"][0]["valueCode"],
            extension(q, terms.LICENSE_VERIFICATION)[0]["extension"][0]["valueCode"],
            q["period"]["end"],
        )
        for q in practitioner["qualification"]
    }
    assert status == {
        "CURRENT": ("active", "unverified", "2028-01-01"),
        "EXPIRED": ("inactive", "unverified", "2025-12-31"),
        "REJECTED": ("inactive", "rejected", "2028-01-01"),
    }


@pytest.mark.django_db
def test_each_payer_is_a_network_organization_with_its_own_practitioner_role():
    provider = ProviderFactory(insurance=["aetna", "medicaid"], accepting_new=False)
    self_pay = ProviderFactory(insurance=[])

    data = directory_json()

    urls = by_url(data)
    networks = {o["id"]: o for o in resources(data, "Organization")}
    assert set(networks) == {"network-aetna", "network-medicaid"}
    assert networks["network-medicaid"]["identifier"] == [{"system": terms.PAYER_SYSTEM, "value": "medicaid"}]
    assert networks["network-medicaid"]["type"][0]["coding"][0]["code"] == "ntwk"
    roles = {r["id"]: r for r in resources(data, "PractitionerRole")}
    assert set(roles) == {f"{provider.npi}-aetna", f"{provider.npi}-medicaid", self_pay.npi}
    role = roles[f"{provider.npi}-medicaid"]
    [network] = extension(role, terms.NETWORK_REFERENCE)
    assert urls[network["valueReference"]["reference"]]["id"] == "network-medicaid"
    [new_patients] = extension(role, terms.NEW_PATIENTS)
    assert new_patients["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "nopt"
    assert urls[role["practitioner"]["reference"]]["id"] == provider.npi
    assert role["specialty"][0]["coding"][0] == {
        "system": "http://nucc.org/provider-taxonomy", "code": "101YP2500X", "display": "Professional Counselor"}
    assert not extension(roles[self_pay.npi], terms.NETWORK_REFERENCE)
    [accepting] = extension(roles[self_pay.npi], terms.NEW_PATIENTS)
    assert accepting["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "newpt"


@pytest.mark.django_db
def test_gender_languages_availability_and_carematch_fields_travel_in_their_documented_places():
    provider = ProviderFactory(
        gender="nonbinary", languages=["en", "es"], formats=["telehealth"], timezone="America/Chicago",
        concerns=["grief", "trauma"], approaches=[], populations=["teens"], self_pay_rate=95, min_notice_hours=24,
        works_holidays=True, bio="Calm, practical, evidence based.", credentials=["LCSW", "PhD"],
    )
    WindowFactory(provider=provider, weekday=0, start=dt.time(9), end=dt.time(12))
    WindowFactory(provider=provider, weekday=3, start=dt.time(9), end=dt.time(12))
    WindowFactory(provider=provider, weekday=5, start=dt.time(10), end=dt.time(14))

    data = directory_json()

    [practitioner] = resources(data, "Practitioner")
    assert practitioner["gender"] == "other"
    assert practitioner["name"][0]["suffix"] == ["LCSW", "PhD"]
    assert [c["coding"][0]["code"] for c in practitioner["communication"]] == ["en", "es"]
    assert {c["coding"][0]["system"] for c in practitioner["communication"]} == {"urn:ietf:bcp:47"}
    bio = "Calm, practical, evidence based."
    assert extension(practitioner, terms.BIO) == [{"url": terms.BIO, "valueMarkdown": bio}]
    [role] = resources(data, "PractitionerRole")
    assert role["availableTime"] == [
        {"daysOfWeek": ["mon", "thu"], "availableStartTime": "09:00:00", "availableEndTime": "12:00:00"},
        {"daysOfWeek": ["sat"], "availableStartTime": "10:00:00", "availableEndTime": "14:00:00"},
    ]
    assert extension(role, terms.TIMEZONE) == [{"url": terms.TIMEZONE, "valueCode": "America/Chicago"}]
    [service] = resources(data, "HealthcareService")
    assert [(c["coding"][0]["system"].rsplit("/", 1)[1], c["coding"][0]["code"]) for c in service["characteristic"]] \
        == [("concern", "grief"), ("concern", "trauma"), ("population", "teens")]
    [delivery] = extension(service, terms.DELIVERY_METHOD)
    assert delivery["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "virtual"
    assert extension(service, terms.SELF_PAY_RATE)[0]["valueMoney"] == {"value": 95, "currency": "USD"}
    assert extension(service, terms.MINIMUM_NOTICE)[0]["valueDuration"]["value"] == 24
    assert extension(service, terms.WORKS_HOLIDAYS)[0]["valueBoolean"] is True


@pytest.mark.django_db
def test_a_demo_sized_network_exports_as_a_valid_r4_bundle(tmp_path):
    payers = list(seeded())
    providers = Provider.objects.bulk_create(
        ProviderFactory.build(
            npi=make_npi(f"15{n:07d}"), insurance=payers[n % 5: n % 5 + n % 4], accepting_new=n % 7 != 0,
            zip="" if n % 3 == 0 else "80202", formats=["telehealth"] if n % 3 == 0 else ["telehealth", "in_person"],
            gender=list(vocab.GENDERS)[n % 4],
        )
        for n in range(300)
    )
    for n, provider in enumerate(providers):
        LicenseFactory(provider=provider, state=list(vocab.STATES)[n % 51])
        WindowFactory(provider=provider, weekday=n % 7, start=dt.time(8 + n % 4), end=dt.time(13 + n % 4))

    out, printed = export(tmp_path)

    bundle = Bundle.model_validate_json(out.read_text())
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert kinds.count("Practitioner") == kinds.count("HealthcareService") == kinds.count("Schedule") == 300
    assert kinds.count("Location") == 200
    assert kinds.count("Slot") > 300 * 5
    assert printed.startswith(f"wrote 300 providers and {kinds.count('Slot')} free slots")


@pytest.mark.django_db
@pytest.mark.parametrize("days", ["0", "61"])
def test_a_horizon_outside_one_to_sixty_days_is_refused_and_nothing_is_written(tmp_path, days):
    with pytest.raises(CommandError, match=f"--days: {days} is not between 1 and 60"):
        export(tmp_path, "--days", days)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_an_empty_directory_exports_a_valid_bundle_with_no_entries(tmp_path):
    out, printed = export(tmp_path)

    assert json.loads(out.read_text()).keys() == {"resourceType", "type", "timestamp"}
    assert Bundle.model_validate_json(out.read_text()).entry is None
    assert printed.startswith("wrote 0 providers and 0 free slots")


@pytest.mark.django_db
def test_an_export_into_a_folder_that_does_not_exist_says_so(tmp_path):
    with pytest.raises(CommandError, match="no such folder"):
        call_command("export_fhir", "--out", str(tmp_path / "missing" / "directory.json"))


@pytest.mark.django_db
def test_the_written_json_is_what_the_r4b_models_serialize():
    provider = ProviderFactory(bio="Ünïcode and “quotes”", address="12 Ash Ct")
    LicenseFactory(provider=provider)
    WindowFactory(provider=provider)
    providers = Provider.objects.prefetch_related("licenses", "windows")
    openings = {provider.npi: [NOW + dt.timedelta(hours=3)]}

    bundle = fhir.providers_to_bundle(providers, openings_by_provider=openings, generated_at=NOW)
    data = fhir.bundle_data(providers, openings_by_provider=openings, generated_at=NOW)

    assert json.loads(bundle.model_dump_json()) == data
    [slot] = resources(data, "Slot")
    assert (slot["start"], slot["end"]) == ("2026-03-09T15:00:00Z", "2026-03-09T16:00:00Z")


@pytest.mark.django_db
def test_the_same_directory_exports_the_same_resources_and_references():
    provider = ProviderFactory()
    LicenseFactory(provider=provider)
    WindowFactory(provider=provider)
    export = {"openings": provider_openings}
    first = fhir.directory_export_json(days=14, now=NOW, **export)
    assert first == fhir.directory_export_json(days=14, now=NOW, **export)


def test_export_refuses_a_time_without_a_zone():
    with pytest.raises(ValueError, match="time-zone aware"):
        fhir.providers_to_bundle([], openings_by_provider={},
                                generated_at=dt.datetime(2026, 1, 1))  # noqa: DTZ001


def _weekly_windows():
    """Any set of non-overlapping weekly windows on whole minutes."""
    def one_day(day, cuts):
        times = sorted(set(cuts))
        return [
            WindowRecord(day, dt.time(*divmod(start, 60)), dt.time(*divmod(end, 60)))
            for start, end in zip(times[::2], times[1::2], strict=False)
        ]
    return st.dictionaries(st.integers(0, 6), st.lists(st.integers(0, 24 * 60 - 1), max_size=6)).map(
        lambda days: [w for day, cuts in sorted(days.items()) for w in one_day(day, cuts)]
    )


@given(_weekly_windows())
def test_any_weekly_windows_read_back_the_same_from_available_time(windows):
    items = fhir.available_time(windows)
    read, errors = fhir.available_time_windows(json.loads(json.dumps(items)))
    assert errors == []
    assert sorted(read, key=lambda w: (w.weekday, w.start)) == windows
    # One availableTime per distinct start and end: days that share hours share an item.
    assert len(items) == len({(w.start, w.end) for w in windows})

"""The FHIR import: carematch's own export and other directories' Plan-Net bundles, all or nothing."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory import fhir
from carematch.directory.fhir import terms
from carematch.directory.models import License, LicenseStatus, Provider, VerificationSource
from carematch.directory.services import PROVIDER_FIELDS, license_set_status
from carematch.scheduling.selectors import provider_openings

from .factories import LicenseFactory, ProviderFactory, WindowFactory

DATA = Path(__file__).parent / "data"
FOREIGN = DATA / "fhir_plannet_foreign_bundle.json"
WITHOUT_CAREMATCH_FIELDS = DATA / "fhir_plannet_without_carematch_fields.json"
NOW = dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC)


def run_import(path):
    """(stdout, stderr lines, the CommandError or None) of `carematch import_fhir PATH`."""
    stdout, stderr = io.StringIO(), io.StringIO()
    error = None
    try:
        call_command("import_fhir", str(path), stdout=stdout, stderr=stderr)
    except CommandError as exc:
        error = exc
    return stdout.getvalue().strip(), stderr.getvalue().splitlines(), error


def foreign():
    return json.loads(FOREIGN.read_text())


def write(tmp_path, data, name="bundle.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def resource(data, kind, ident):
    return next(e["resource"] for e in data["entry"]
                if e["resource"]["resourceType"] == kind and e["resource"]["id"] == ident)


def directory():
    """Everything the directory holds about its providers, comparable across databases."""
    return {
        provider.npi: (
            {name: getattr(provider, name) for name in (*PROVIDER_FIELDS, "works_holidays")},
            sorted((lic.state, lic.license_type, lic.number, lic.expires, lic.status, lic.verified_at)
                   for lic in provider.licenses.all()),
            sorted((w.weekday, w.start, w.end) for w in provider.windows.all()),
        )
        for provider in Provider.objects.prefetch_related("licenses", "windows")
    }


# --- Another directory's Plan-Net bundle -------------------------------------------------------


@pytest.mark.django_db
def test_a_plan_net_bundle_from_another_directory_imports_its_providers():
    printed, problems, error = run_import(FOREIGN)

    assert (printed, problems, error) == ("created 2, updated 0, unchanged 0, rejected 0", [], None)
    ines = Provider.objects.get(npi="1987654328")
    assert (ines.first_name, ines.last_name, ines.credentials, ines.gender) == ("Ines", "Calloway", ["LPC", "MA"],
                                                                                 "female")
    assert ines.taxonomy == "101YP2500X"
    assert ines.languages == ["en", "es"]
    assert ines.insurance == ["aetna", "bcbs"]
    assert ines.formats == ["telehealth", "in_person"]
    assert (ines.concerns, ines.approaches, ines.populations) == (["anxiety", "trauma"], ["emdr", "cbt"],
                                                                  ["adults", "teens"])
    assert (ines.self_pay_rate, ines.min_notice_hours, ines.accepting_new) == (140, 24, True)
    assert (ines.timezone, ines.zip, ines.address) == ("America/Chicago", "78701", "700 Congress Ave, Suite 300, "
                                                                                   "Austin, TX")
    assert (ines.phone, ines.email) == ("+15125550142", "ines.calloway@clinic.example.org")
    assert ines.latitude is not None
    # The board certification (no license number) is not a license.
    assert [(lic.state, lic.license_type, lic.number, lic.expires, lic.status) for lic in ines.licenses.all()] == [
        ("TX", "LPC", "LPC-70412", dt.date(2031, 5, 31), LicenseStatus.UNVERIFIED)]
    assert [(w.weekday, w.start, w.end) for w in ines.windows.all()] == [
        (0, dt.time(9), dt.time(12)), (2, dt.time(9), dt.time(12)), (3, dt.time(13), dt.time(17))]

    theo = Provider.objects.get(npi="1543210987")
    assert (theo.credentials, theo.gender, theo.accepting_new, theo.insurance) == (["PsyD"], "nonbinary", False,
                                                                                   ["uhc"])
    assert (theo.formats, theo.zip, theo.works_holidays) == (["telehealth"], "", True)
    # A qualification Plan-Net marks inactive is kept as history that never counts.
    assert {lic.number: lic.status for lic in theo.licenses.all()} == {
        "PSY.0004411": LicenseStatus.UNVERIFIED, "PSY.0001002": LicenseStatus.REJECTED}


@pytest.mark.django_db
def test_importing_the_same_bundle_again_changes_nothing():
    run_import(FOREIGN)
    before = directory()

    printed, problems, error = run_import(FOREIGN)

    assert (printed, problems, error) == ("created 0, updated 0, unchanged 2, rejected 0", [], None)
    assert directory() == before


@pytest.mark.django_db
def test_a_foreign_bundle_that_says_nothing_of_verification_keeps_a_coordinators_verification():
    run_import(FOREIGN)
    coordinator = UserFactory(role=Role.COORDINATOR)
    license_set_status(license=License.objects.get(number="LPC-70412"), status=LicenseStatus.VERIFIED, by=coordinator)

    printed, _, error = run_import(FOREIGN)

    assert (printed, error) == ("created 0, updated 0, unchanged 2, rejected 0", None)
    kept = License.objects.get(number="LPC-70412")
    assert (kept.status, kept.verified_by, kept.verification_source) == (
        LicenseStatus.VERIFIED, coordinator, VerificationSource.COORDINATOR)


def verification(ident, *, target, locations, status="validated", when="2026-02-02T10:00:00Z"):
    """A FHIR VerificationResult, as the National Directory (NDH) writes them."""
    return {"fullUrl": f"https://directory.example.org/fhir/VerificationResult/{ident}", "resource": {
        "resourceType": "VerificationResult", "id": ident, "target": [{"reference": target}],
        "targetLocation": locations, "status": status, "statusDate": when,
    }}


@pytest.mark.django_db
def test_a_verification_result_that_validated_a_qualification_imports_the_license_verified():
    data = foreign()
    data["entry"] += [
        verification("v1", target="Practitioner/calloway", locations=["Practitioner.qualification[0]",
                                                                      "Practitioner.address"]),
        # Attested by the practitioner is their own word: it verifies nothing.
        verification("v2", target="https://directory.example.org/fhir/Practitioner/brandt",
                     locations=["Practitioner.qualification"], status="attested"),
    ]
    before = dt.datetime.now(dt.UTC)

    report = fhir.bundle_import(data=data)

    assert (report.created, report.problems) == (2, [])
    ines = License.objects.get(number="LPC-70412")
    assert (ines.status, ines.verification_source, ines.verified_by) == (
        LicenseStatus.VERIFIED, VerificationSource.FHIR, None)
    assert ines.verified_at >= before  # when carematch recorded it
    assert Provider.objects.get(npi="1987654328").licenses_valid_on(dt.date(2027, 1, 1)) == [ines]
    assert {lic.number: lic.status for lic in License.objects.filter(provider__npi="1543210987")} == {
        "PSY.0004411": LicenseStatus.UNVERIFIED, "PSY.0001002": LicenseStatus.REJECTED}


@pytest.mark.django_db
def test_a_failed_validation_rejects_and_a_validation_never_undoes_a_rejection():
    run_import(FOREIGN)
    coordinator = UserFactory(role=Role.COORDINATOR)
    license_set_status(license=License.objects.get(number="LPC-70412"), status=LicenseStatus.REJECTED, by=coordinator)
    data = foreign()
    data["entry"] += [
        verification("v1", target="Practitioner/calloway", locations=["Practitioner.qualification"]),
        verification("v2", target="Practitioner/brandt", locations=["Practitioner.qualification[0]"],
                     status="val-fail", when="2026-02-03T09:00:00-07:00"),
    ]

    report = fhir.bundle_import(data=data)

    assert report.problems == []
    refused = License.objects.get(number="LPC-70412")
    assert (refused.status, refused.verified_by) == (LicenseStatus.REJECTED, coordinator)
    failed = License.objects.get(number="PSY.0004411")
    assert (failed.status, failed.verification_source, failed.verified_at) == (
        LicenseStatus.REJECTED, VerificationSource.FHIR, dt.datetime(2026, 2, 3, 16, tzinfo=dt.UTC))


@pytest.mark.django_db
def test_a_verification_result_naming_a_qualification_the_practitioner_does_not_have_is_a_problem():
    data = foreign()
    data["entry"].append(verification("v9", target="Practitioner/calloway",
                                      locations=["Practitioner.qualification[7]"]))

    reading = fhir.bundle_to_records(data)

    assert [str(problem) for problem in reading.problems] == [
        "entry 14 (VerificationResult/v9): targetLocation: Practitioner.qualification[7] names no qualification of "
        "entry 5 (Practitioner/calloway) (it has 3)"]


@pytest.mark.django_db
def test_a_plan_net_bundle_without_carematch_fields_stores_its_providers_incomplete_and_says_what_they_lack():
    printed, problems, error = run_import(WITHOUT_CAREMATCH_FIELDS)

    assert (problems, error) == ([], None)
    assert printed.splitlines() == [
        "entry 5 (Practitioner/calloway) NPI 1987654328 (Ines Calloway): incomplete, never matched until completed; "
        "missing concerns treated, populations, approaches, fees",
        "entry 10 (Practitioner/brandt) NPI 1543210987 (Theo Brandt): incomplete, never matched until completed; "
        "missing concerns treated, populations, approaches, fees",
        "created 2, updated 0, unchanged 0, rejected 0, incomplete 2",
    ]
    assert list(Provider.objects.order_by("npi").values_list("npi", "published", "self_pay_rate")) == [
        ("1543210987", False, None), ("1987654328", False, None)]


# --- carematch's own export, round trip ----------------------------------------------------------


@pytest.mark.django_db
def test_export_then_import_into_an_empty_directory_gives_the_same_directory(tmp_path):
    # Coordinates are the ZIP's centroid, as every import stores them.
    verified = dt.datetime(2026, 1, 5, 17, 30, tzinfo=dt.UTC)
    ada = ProviderFactory(
        first_name="Ada Mae", last_name="O'Neil", credentials=["LCSW", "PhD"], taxonomy="1041C0700X",
        gender="nonbinary", languages=["en", "es", "vi"], concerns=["grief", "trauma"], approaches=["emdr", "cpt"],
        populations=["adults", "seniors"], insurance=["bcbs", "medicaid", "uhc"], self_pay_rate=135,
        accepting_new=False, timezone="America/New_York", min_notice_hours=36, works_holidays=True,
        address="200 Clarendon St, Floor 5", zip="02116", latitude=42.3492, longitude=-71.0768,
        email="ada.oneil@practice.example.org", phone="+16175550187", bio="Trauma-focused care.\n\nEvenings too.",
    )
    LicenseFactory(provider=ada, state="MA", license_type="LICSW", number="LICSW-118",
                   expires=dt.date(2028, 3, 31), status=LicenseStatus.VERIFIED, verified_at=verified)
    LicenseFactory(provider=ada, state="NH", license_type="LICSW", number="NH-0071", expires=dt.date(2024, 12, 31),
                   status=LicenseStatus.UNVERIFIED)
    LicenseFactory(provider=ada, state="RI", license_type="LICSW", number="RI-9", expires=dt.date(2029, 1, 31),
                   status=LicenseStatus.REJECTED, verified_at=verified)
    WindowFactory(provider=ada, weekday=1, start=dt.time(17), end=dt.time(21))
    WindowFactory(provider=ada, weekday=3, start=dt.time(17), end=dt.time(21))
    WindowFactory(provider=ada, weekday=5, start=dt.time(9, 30), end=dt.time(12, 30))
    bo = ProviderFactory(gender="not_stated", insurance=[], formats=["telehealth"], zip="", latitude=None,
                         longitude=None, approaches=[], credentials=["LPC"])
    LicenseFactory(provider=bo, state="WY", number="WY-1", expires=dt.date(2030, 1, 1), verified_at=verified)
    WindowFactory(provider=bo, weekday=0)
    cy = ProviderFactory(gender="male", address="", zip="80202")
    LicenseFactory(provider=cy, state="CO", number="CO-1", status=LicenseStatus.UNVERIFIED)
    before = directory()
    out = tmp_path / "directory.json"
    call_command("export_fhir", "--out", str(out), stdout=io.StringIO())

    Provider.objects.all().delete()
    printed, problems, error = run_import(out)

    assert (printed, problems, error) == ("created 3, updated 0, unchanged 0, rejected 0", [], None)
    assert directory() == before


@pytest.mark.django_db
def test_importing_an_export_over_the_same_directory_changes_nothing(tmp_path):
    provider = ProviderFactory(insurance=["aetna", "cigna"])
    LicenseFactory(provider=provider, status=LicenseStatus.VERIFIED, verified_at=NOW)
    WindowFactory(provider=provider)
    out = tmp_path / "directory.json"
    call_command("export_fhir", "--out", str(out), stdout=io.StringIO())
    before = directory()

    printed, problems, error = run_import(out)

    assert (printed, problems, error) == ("created 0, updated 0, unchanged 1, rejected 0", [], None)
    assert directory() == before


@pytest.mark.django_db
def test_an_edited_export_updates_only_what_changed_and_counts_it(tmp_path):
    kept = ProviderFactory()
    LicenseFactory(provider=kept)
    changed = ProviderFactory()
    LicenseFactory(provider=changed, number="CO-77")
    data = json.loads(fhir.directory_export_json(days=1, openings=provider_openings, now=NOW)[0])
    practitioner = resource(data, "Practitioner", changed.npi)
    extensions = practitioner["qualification"][0]["extension"]
    [verification] = [e for e in extensions if e["url"] == terms.LICENSE_VERIFICATION]
    verification["extension"] = [{"url": "status", "valueCode": "rejected"}]

    printed, problems, error = run_import(write(tmp_path, data))

    assert (printed, problems, error) == ("created 0, updated 1, unchanged 1, rejected 0", [], None)
    assert License.objects.get(number="CO-77").status == LicenseStatus.REJECTED


# --- Bad input: every problem named, nothing written -----------------------------------------------


def bad_npi(data):
    resource(data, "Practitioner", "calloway")["identifier"][0]["value"] = "1987654321"


def unknown_state(data):
    qualification = resource(data, "Practitioner", "calloway")["qualification"][0]
    qualification["extension"][0]["extension"][1]["valueCodeableConcept"]["coding"][0]["code"] = "ZZ"


def no_role(data):
    data["entry"] = [e for e in data["entry"] if not e["resource"]["id"].startswith("brandt-")
                     or e["resource"]["resourceType"] != "PractitionerRole"]


def bad_time_zone(data):
    for ident in ("calloway-aetna", "calloway-bcbs"):
        resource(data, "PractitionerRole", ident)["extension"][2]["valueCode"] = "America/Atlantis"


def unknown_concern(data):
    resource(data, "HealthcareService", "brandt-telehealth")["characteristic"][0]["coding"][0]["code"] = "ennui"


def unknown_day(data):
    resource(data, "PractitionerRole", "brandt-uhc")["availableTime"][0]["daysOfWeek"] = ["tue", "someday"]


def roles_disagree(data):
    role = resource(data, "PractitionerRole", "calloway-bcbs")
    role["extension"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] = "nopt"


def dangling_role(data):
    resource(data, "PractitionerRole", "brandt-uhc")["practitioner"] = {"reference": "Practitioner/nobody"}


def two_with_one_npi(data):
    resource(data, "Practitioner", "brandt")["identifier"][0]["value"] = "1987654328"


def inactive_practitioner(data):
    resource(data, "Practitioner", "brandt")["active"] = False


@pytest.mark.django_db
@pytest.mark.parametrize(("edit", "expected"), [
    (bad_npi, ["entry 5 (Practitioner/calloway): identifier: '1987654321' is not a valid NPI: check digit is wrong"]),
    (unknown_state, ["entry 5 (Practitioner/calloway): licenses: qualification 0: 'ZZ' is not a US state code "
                     "(the 50 states and DC)"]),
    (no_role, ["entry 10 (Practitioner/brandt): PractitionerRole: no PractitionerRole refers to this Practitioner; "
               "carematch reads specialty, networks, new patients and availability from one"]),
    (bad_time_zone, ["entry 6 (PractitionerRole/calloway-aetna): timezone: 'America/Atlantis' is not an IANA time "
                     "zone (e.g. America/Denver)"]),
    (unknown_concern, ["entry 12 (HealthcareService/brandt-telehealth): concerns: unknown concern 'ennui'"]),
    (unknown_day, ["entry 11 (PractitionerRole/brandt-uhc): availability: availableTime[0]: 'someday' is not a "
                   "day (mon, tue, wed, thu, fri, sat, sun)"]),
    (roles_disagree, ["entry 5 (Practitioner/calloway): accepting_new: entry 6 (PractitionerRole/calloway-aetna) "
                      "says True but entry 7 (PractitionerRole/calloway-bcbs) says False; carematch keeps one per "
                      "provider"]),
    (dangling_role, ["entry 11 (PractitionerRole/brandt-uhc): practitioner: 'Practitioner/nobody' is not a "
                     "Practitioner in this bundle",
                     "entry 10 (Practitioner/brandt): PractitionerRole: no PractitionerRole refers to this "
                     "Practitioner; carematch reads specialty, networks, new patients and availability from one"]),
    (two_with_one_npi, ["entry 10 (Practitioner/brandt): identifier: 1987654328 is also the NPI of entry 5 "
                        "(Practitioner/calloway)"]),
    (inactive_practitioner, ["entry 10 (Practitioner/brandt): active: is false: carematch imports practitioners who "
                             "see clients; leave this one out of the bundle"]),
])
def test_a_bad_provider_is_reported_by_resource_and_field_and_nothing_is_written(tmp_path, edit, expected):
    existing = ProviderFactory(first_name="Untouched")
    data = foreign()
    edit(data)

    printed, problems, error = run_import(write(tmp_path, data))

    assert problems == expected
    assert printed.startswith("created 0, updated 0, unchanged 0, rejected ")
    assert printed.endswith("(nothing was written)")
    assert error is not None and "nothing was written" in str(error)
    assert list(Provider.objects.values_list("npi", flat=True)) == [existing.npi]


@pytest.mark.django_db
def test_an_ended_role_is_ignored_and_codings_on_a_role_specialty_count(tmp_path):
    data = foreign()
    resource(data, "PractitionerRole", "calloway-bcbs")["active"] = False
    service = resource(data, "HealthcareService", "brandt-telehealth")
    concerns = [c for c in service["characteristic"] if c["coding"][0]["system"] == terms.CONCERN_SYSTEM]
    service["characteristic"] = [c for c in service["characteristic"] if c not in concerns]
    resource(data, "PractitionerRole", "brandt-uhc")["specialty"].extend(concerns)

    printed, problems, error = run_import(write(tmp_path, data))

    assert (printed, problems, error) == ("created 2, updated 0, unchanged 0, rejected 0", [], None)
    assert Provider.objects.get(npi="1987654328").insurance == ["aetna"]
    assert Provider.objects.get(npi="1543210987").concerns == ["depression", "ocd"]


@pytest.mark.django_db
def test_every_problem_of_every_provider_is_reported_in_one_run(tmp_path):
    data = foreign()
    for edit in (bad_npi, unknown_state, unknown_concern, unknown_day):
        edit(data)

    printed, problems, _ = run_import(write(tmp_path, data))

    assert [problem.split(": ")[:2] for problem in problems] == [
        ["entry 5 (Practitioner/calloway)", "identifier"],
        ["entry 5 (Practitioner/calloway)", "licenses"],
        ["entry 12 (HealthcareService/brandt-telehealth)", "concerns"],
        ["entry 11 (PractitionerRole/brandt-uhc)", "availability"],
    ]
    assert printed == "created 0, updated 0, unchanged 0, rejected 2 (nothing was written)"


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "expected"), [
    ('{"resourceType": "Bundle", "type": "collection", "entry": [', "{path}: line 1 column 60: not JSON: "
                                                                      "Expecting value"),
    ("[1, 2, 3]", "{path}: resourceType: the file holds a JSON list, not a FHIR Bundle"),
    ('{"resourceType": "Practitioner", "id": "x"}', "{path}: resourceType: is 'Practitioner'; carematch imports a "
                                                     "FHIR Bundle"),
    ('{"type": "collection"}', "{path}: resourceType: is missing; carematch imports a FHIR Bundle"),
])
def test_a_file_that_is_not_a_bundle_gets_one_clear_message_and_no_traceback(tmp_path, content, expected):
    path = write(tmp_path, content)

    printed, problems, error = run_import(path)

    assert problems == [expected.format(path=path)]
    assert printed == ""
    assert str(error) == f"{path} is not a FHIR R4 Bundle carematch can read: nothing was written"


@pytest.mark.django_db
def test_fhir_structure_errors_are_named_by_entry_and_element_path(tmp_path):
    data = foreign()
    resource(data, "Practitioner", "calloway")["qualification"][0]["period"]["end"] = "2031-13-45"
    resource(data, "Practitioner", "brandt")["birthPlace"] = "Denver"
    resource(data, "PractitionerRole", "brandt-uhc")["availableTime"][0]["availableStartTime"] = "4pm"
    data["entry"][0]["resource"]["resourceType"] = "Payer"
    del resource(data, "Organization", "uhc")["active"]  # optional: not a problem

    _, problems, error = run_import(write(tmp_path, data))

    assert problems == [
        "entry 0: resourceType: 'Payer' is not a FHIR R4 resource type",
        "entry 5 (Practitioner/calloway): qualification[0].period.end: DateTime value string does not match spec "
        "regex (found '2031-13-45')",
        "entry 10 (Practitioner/brandt): birthPlace: is not an element of this resource in FHIR R4",
        "entry 11 (PractitionerRole/brandt-uhc): availableTime[0].availableStartTime: Time value string does not "
        "match spec regex (found '4pm')",
    ]
    assert "nothing was written" in str(error)
    assert not Provider.objects.exists()


@pytest.mark.django_db
def test_a_missing_or_empty_file_is_named(tmp_path):
    _, _, missing = run_import(tmp_path / "nope.json")
    _, _, empty = run_import(write(tmp_path, "  \n"))
    assert str(missing) == f"{tmp_path / 'nope.json'}: no such file"
    assert "is empty" in str(empty)


# --- Rules that hold for every input ---------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _paths(item, (*path, position))


FOREIGN_PATHS = [path for path in _paths(json.loads(FOREIGN.read_text())) if path]


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(FOREIGN_PATHS), JSON_VALUES), min_size=1, max_size=3))
def test_any_damage_to_a_bundle_is_reported_as_problems_never_raised(damage):
    data = json.loads(FOREIGN.read_text())
    for path, value in damage:
        target = data
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = copy.deepcopy(value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this place

    checked, problems = fhir.read_bundle(json.dumps(data), name="bundle.json")
    if checked is None:
        assert problems and all(p.where and p.field and p.message for p in problems)
        return
    reading = fhir.bundle_to_records(checked)
    assert all(p.where and p.field and p.message for p in reading.problems)
    assert reading.rejected + len(reading.providers) == sum(
        1 for e in checked.get("entry") or [] if isinstance(e, dict) and isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") == "Practitioner"
    )


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_are_read_as_a_bundle_or_answered_with_problems(raw):
    checked, problems = fhir.read_bundle(raw, name="upload.json")
    assert (checked is None) == bool(problems)
    assert all(str(problem).startswith("upload.json: ") for problem in problems)

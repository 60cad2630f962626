"""HL7's own Da Vinci PDex Plan-Net example instances (Practitioner, PractitionerRole, Location,
Organization, HealthcareService, InsurancePlan, Endpoint), written as JSON from the IG's FSH
source with valid NPIs and otherwise as published, with no carematch extension: every
practitioner is stored incomplete and never matched, the report says what each lacks, and a
provider who completes their profile and whose licence a coordinator verifies is matched."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory import services
from carematch.directory.models import License, LicenseStatus, Network, Payer, Provider, ProviderEndpoint
from carematch.matching.engine.types import MatchRequest
from carematch.matching.reference import reference_match
from carematch.matching.services import match_find

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).parent / "data" / "fhir_plannet_hl7_examples.json"
# Tuesday 5 January 2027, 08:00 in Chicago.
NOW = dt.datetime(2027, 1, 5, 14, tzinfo=dt.UTC)
JOE, HANS, SUSIE = "1941339107", "1941339115", "1941339123"


def run_import(path, *args):
    stdout, stderr = io.StringIO(), io.StringIO()
    error = None
    try:
        call_command("import_fhir", str(path), *args, stdout=stdout, stderr=stderr)
    except CommandError as exc:
        error = exc
    return stdout.getvalue().strip().splitlines(), stderr.getvalue().splitlines(), error


def examples():
    return json.loads(EXAMPLES.read_text())


def resource(data, kind, ident):
    return next(e["resource"] for e in data["entry"]
                if e["resource"]["resourceType"] == kind and e["resource"]["id"] == ident)


def write(tmp_path, data):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data))
    return path


def ask(**fields):
    values = {"state": "IL", "age": 34, "concerns": ("anxiety",), "earliest": NOW, "languages": ("ru",),
              "client_timezone": "America/Chicago"}
    values.update(fields)
    return MatchRequest(**values)


def test_every_hl7_example_practitioner_is_stored_incomplete_with_what_each_lacks():
    printed, problems, error = run_import(EXAMPLES)

    assert (problems, error) == ([], None)
    lacks = "incomplete, never matched until completed; missing"
    assert printed == [
        f"entry 0 (Practitioner/JoeSmith) NPI {JOE} (Joe Smith): {lacks} a behavioural-health specialty (NUCC), "
        "languages, concerns treated, populations, approaches, how they see clients (in person, telehealth), "
        "availability, time zone, fees, a licence with its number and expiry date",
        f"entry 2 (Practitioner/HansSolo) NPI {HANS} (Hans Solo): {lacks} a behavioural-health specialty (NUCC), "
        "concerns treated, populations, approaches, availability, time zone, fees, a licence with its number and "
        "expiry date",
        f"entry 6 (Practitioner/Counselor) NPI {SUSIE} (Susie Smith): {lacks} concerns treated, populations, "
        "approaches, availability, time zone, fees, a licence with its number and expiry date",
        "created 3, updated 0, unchanged 0, rejected 0, incomplete 3",
    ]
    assert set(Provider.objects.values_list("npi", "published")) == {(JOE, False), (HANS, False), (SUSIE, False)}


def test_everything_plan_net_gives_is_kept():
    run_import(EXAMPLES)

    susie = Provider.objects.get(npi=SUSIE)
    # The credential is the one written after the name; the NUCC code is the specialty, never a credential.
    assert (susie.credentials, susie.taxonomy, susie.languages, susie.formats) == (
        ["LPC"], "101YP2500X", ["ru"], ["telehealth"])
    assert susie.pending_qualifications == [{"state": "IL", "type": "IL", "number": "", "start": "", "end": ""}]
    hans = Provider.objects.get(npi=HANS)
    assert (hans.languages, hans.formats, hans.accepting_new) == (["ja"], ["in_person"], False)
    assert (hans.credentials, hans.taxonomy) == (["MD"], "")  # internal medicine is not behavioural health
    (clinic,) = hans.locations.all()
    assert (clinic.name, clinic.line, clinic.city, clinic.state, clinic.postal_code, clinic.phone) == (
        "OrgA CT Location 1", "123 Main Street", "Anytown", "CT", "00014-1234", "(111)-222-3333")
    assert (clinic.latitude, clinic.longitude) == (15.0, 3.0)
    assert (hans.latitude, hans.longitude, hans.zip) == (15.0, 3.0, "")  # the published position: no such ZIP
    (network,) = Network.objects.all()
    assert (network.name, network.payer_name) == ("ACME CT Preferred Provider Network", "Acme of CT")
    assert set(network.providers.values_list("npi", flat=True)) == {JOE, HANS, SUSIE}
    # A payer carematch did not know becomes a payer record, named from the Plan-Net Organization.
    acme = Payer.objects.get(slug="acme-of-ct")
    assert (acme.name, acme.source, network.payer) == ("Acme of CT", "fhir", "acme-of-ct")
    assert {tuple(p.insurance) for p in Provider.objects.all()} == {("acme-of-ct",)}


def test_no_incomplete_provider_is_matched_even_with_licences_that_count(settings):
    run_import(EXAMPLES)
    settings.MATCH_UNVERIFIED_LICENSES = True
    susie = Provider.objects.get(npi=SUSIE)
    # Everything a match needs, straight into the rows: only publication is missing.
    Provider.objects.filter(pk=susie.pk).update(concerns=["anxiety"], populations=["adults"], approaches=["cbt"],
                                                self_pay_rate=100, timezone="America/Chicago",
                                                pending_qualifications=[])
    License.objects.create(provider=susie, state="IL", license_type="LPC", number="IL-1", expires=dt.date(2030, 1, 1))
    for day in range(7):
        services.availability_window_add(provider=susie, weekday=day, start="08:00", end="20:00")

    assert match_find(request=ask(), now=NOW).matches == ()
    assert reference_match(request=ask(), now=NOW).matches == ()


def test_completing_a_profile_and_a_coordinators_verification_make_the_provider_matchable():
    run_import(EXAMPLES)
    susie = Provider.objects.get(npi=SUSIE)
    services.provider_profile_update(provider=susie, concerns=["anxiety"], populations=["adults"],
                                     approaches=["cbt"], self_pay_rate="110", timezone="America/Chicago")
    for day in range(7):
        services.availability_window_add(provider=susie, weekday=day, start="08:00", end="20:00")
    licence = services.provider_licence_complete(provider=susie, state="IL", license_type="LPC", number="IL-2231",
                                                 expires="2030-06-30", by=None)
    assert match_find(request=ask(), now=NOW).matches == ()  # not yet verified by a coordinator

    services.license_set_status(license=licence, status=LicenseStatus.VERIFIED,
                                by=UserFactory(role=Role.COORDINATOR))

    susie.refresh_from_db()
    assert susie.published and susie.pending_qualifications == []
    assert [m.npi for m in match_find(request=ask(), now=NOW).matches] == [SUSIE]
    assert [m.npi for m in reference_match(request=ask(), now=NOW).matches] == [SUSIE]
    assert "published" in susie.profile_changes.first().changes

    # The payer's directory, imported again, empties nothing the provider completed.
    _, _, error = run_import(EXAMPLES)
    susie.refresh_from_db()
    assert error is None and susie.published and susie.concerns == ["anxiety"] and susie.self_pay_rate == 110
    assert [m.npi for m in match_find(request=ask(), now=NOW).matches] == [SUSIE]


def test_wrong_data_is_refused_with_its_location_and_nothing_is_written(tmp_path):
    data = examples()
    resource(data, "Practitioner", "Counselor")["identifier"][0]["value"] = "9941339100"  # as HL7 publishes it

    printed, problems, error = run_import(write(tmp_path, data))

    assert problems == ["entry 6 (Practitioner/Counselor): identifier: '9941339100' is not a valid NPI: must start "
                        "with 1 or 2"]
    assert printed[-1] == "created 0, updated 0, unchanged 0, rejected 1 (nothing was written)"
    assert "nothing was written" in str(error)
    assert not Provider.objects.exists() and not Network.objects.exists()


def test_partial_writes_the_good_providers_and_refuses_the_others(tmp_path):
    data = examples()
    resource(data, "Practitioner", "Counselor")["identifier"][0]["value"] = "9941339100"

    printed, problems, error = run_import(write(tmp_path, data), "--partial")

    assert len(problems) == 1 and "the others were written" in str(error)
    assert printed[-1] == "created 2, updated 0, unchanged 0, rejected 1, incomplete 2"
    assert set(Provider.objects.values_list("npi", flat=True)) == {JOE, HANS}


def test_a_roles_endpoints_are_kept(tmp_path):
    data = examples()
    resource(data, "PractitionerRole", "CounselorRole1")["endpoint"] = [
        {"reference": "Endpoint/AcmeOfCTPortalEndpoint"}]

    run_import(write(tmp_path, data))

    assert list(ProviderEndpoint.objects.values_list("provider__npi", "connection_type", "address", "name")) == [
        (SUSIE, "rest-non-fhir", "https://urlofportal.acmect.com", "Endpoint for Acme of CT Portal")]

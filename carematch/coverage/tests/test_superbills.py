"""Superbills: for completed sessions the client paid themselves (out of network), never for
in-network sessions or another client's, with everything an insurer's claim needs; each
download is in the access log."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import override_settings
from pypdf import PdfReader

from carematch.access.models import AccessEvent
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.coverage import selectors, services
from carematch.coverage.models import ClientDiagnosis
from carematch.directory import services as directory
from carematch.lib.errors import Conflict, InvalidInput, NotFound
from carematch.scheduling.models import Format, Status
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db

PRACTICE = {"PRACTICE_NAME": "Cedar Counselling Group", "PRACTICE_ADDRESS": "100 Example St, Denver, CO 80202"}
DAY_1 = dt.datetime(2027, 2, 1, 17, 0, tzinfo=dt.UTC)  # 10:00 in Denver
DAY_2 = dt.datetime(2027, 2, 8, 17, 0, tzinfo=dt.UTC)
DAY_3 = dt.datetime(2027, 2, 15, 17, 0, tzinfo=dt.UTC)
COVERAGE = {"payer": "cigna", "plan_id": "", "member_id": "C55501234", "subscriber_first_name": "Ada",
            "subscriber_last_name": "Client", "subscriber_birth_date": "1990-05-17", "relationship": "self"}


def session(provider, client, start, fmt=Format.TELEHEALTH, status=Status.COMPLETED):
    from carematch.scheduling.models import Appointment

    return Appointment.objects.create(provider=provider, client=client, start=start, end=start + dt.timedelta(hours=1),
                                      format=fmt, status=status, booked_at=start - dt.timedelta(days=2))


def ready(*, insurance=("aetna",)):
    provider = weekday_provider(first_name="Robin", last_name="Birch", insurance=list(insurance),
                                user=UserFactory(role=Role.PROVIDER))
    directory.provider_tax_id_set(provider=provider, tax_id="12-3456789")
    client = ClientFactory(first_name="Ada", last_name="Client")
    services.coverage_set(client=client, **COVERAGE)  # Cigna: the provider is not in network with it
    services.diagnosis_add(client=client, provider=provider, code="f411", by=provider.user)
    return provider, client


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@override_settings(**PRACTICE)
def test_the_client_downloads_a_superbill_for_a_range_of_dates(client):
    provider, person = ready()
    session(provider, person, DAY_1)
    session(provider, person, DAY_2, fmt=Format.IN_PERSON)
    session(provider, person, DAY_3)  # outside the range asked for
    session(provider, person, DAY_2 + dt.timedelta(days=1), status=Status.CANCELLED)  # never billed
    client.force_login(person.user)
    response = client.get("/account/superbills/pdf/", {"provider": provider.pk, "start": "2027-02-01",
                                                       "end": "2027-02-10"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    for expected in ("Cedar Counselling Group", "100 Example St, Denver, CO 80202", "Robin Birch, LPC", provider.npi,
                     "LPC", "(CO)", "12-3456789", "Ada Client", "1990-05-17", "2027-02-01 to 2027-02-10",
                     "F41.1", "2027-02-01", "10 Telehealth in the patient's home", "90791",
                     "2027-02-08", "11 Office", "90837", "$120.00", "$240.00"):
        assert expected in text, expected
    assert "2027-02-15" not in text
    assert "C55501234" not in text  # the member id is not the provider's to print
    [event] = AccessEvent.objects.filter(resource_type="superbill", action="export")
    assert (event.client_id, event.resource_id, event.actor_id) == (person.pk, str(provider.pk), person.user.pk)


@override_settings(**PRACTICE)
def test_no_superbill_for_sessions_in_the_clients_network():
    provider, person = ready(insurance=("aetna", "cigna"))
    session(provider, person, DAY_1)
    with pytest.raises(Conflict) as refused:
        selectors.superbill_for(client=person, provider_id=provider.pk, start=DAY_1.date(), end=DAY_1.date(),
                                today=DAY_3.date())
    assert refused.value.code == "in_network"
    assert selectors.superbill_providers(client=person) == []


@override_settings(**PRACTICE)
def test_no_superbill_for_another_clients_sessions(client):
    provider, person = ready()
    other = ClientFactory()
    session(provider, other, DAY_1)
    with pytest.raises(NotFound):
        selectors.superbill_for(client=person, provider_id=provider.pk, start=DAY_1.date(), end=DAY_1.date(),
                                today=DAY_3.date())
    client.force_login(person.user)
    response = client.get("/account/superbills/pdf/", {"provider": provider.pk, "start": "2027-02-01",
                                                       "end": "2027-02-01"})
    assert response.status_code == 409 and b"%PDF" not in response.content
    assert not AccessEvent.objects.filter(resource_type="superbill", action="export").exists()


@override_settings(**PRACTICE)
def test_without_a_diagnosis_or_tax_id_the_client_is_told_what_is_missing(client):
    provider, person = ready()
    directory.provider_tax_id_set(provider=provider, tax_id="")
    ClientDiagnosis.objects.update(removed_at=DAY_1)
    session(provider, person, DAY_1)
    with pytest.raises(Conflict) as refused:
        selectors.superbill_for(client=person, provider_id=provider.pk, start=DAY_1.date(), end=DAY_1.date(),
                                today=DAY_3.date())
    assert set(refused.value.fields) == {"tax_id", "diagnoses"}
    client.force_login(person.user)
    page = client.get("/account/superbills/").content.decode()
    assert "your therapist has not added their tax ID" in page and "Download the superbill" not in page


def test_a_consultation_or_a_session_not_completed_is_never_billed():
    provider, person = ready()
    session(provider, person, DAY_1, status=Status.NO_SHOW)
    assert selectors.superbill_sessions(client=person, provider=provider) == []


@pytest.mark.parametrize("code", ["F41.1", "f32a", "F43.10", "Z63.0", "F90.2"])
def test_icd10cm_codes_are_accepted_and_written_with_their_dot(code):
    provider, person = ready()
    diagnosis = services.diagnosis_add(client=person, provider=provider, code=code, by=provider.user)
    assert diagnosis.code == code.upper() if "." in code else diagnosis.code[3] == "."


@pytest.mark.parametrize("code", ["", "41.1", "U07.1", "F4", "F41.12345", "F41-1", "DROP TABLE"])
def test_what_is_not_an_icd10cm_code_is_refused_on_its_field(code):
    provider, person = ready()
    with pytest.raises(InvalidInput) as refused:
        services.diagnosis_add(client=person, provider=provider, code=code, by=provider.user)
    assert set(refused.value.fields) == {"code"}


@pytest.mark.parametrize(("tax_id", "stored"), [("12-3456789", "12-3456789"), ("123456789", "12-3456789"),
                                                 ("123-45-6789", "123-45-6789")])
def test_a_tax_id_is_an_ein_or_an_ssn(tax_id, stored):
    provider = weekday_provider()
    assert directory.provider_tax_id_set(provider=provider, tax_id=tax_id).tax_id == stored


@pytest.mark.parametrize("tax_id", ["12345", "00-1234567", "000-12-3456", "666-12-3456", "12-345678X"])
def test_what_is_not_an_ein_or_ssn_is_refused(tax_id):
    provider = weekday_provider()
    with pytest.raises(InvalidInput) as refused:
        directory.provider_tax_id_set(provider=provider, tax_id=tax_id)
    assert set(refused.value.fields) == {"tax_id"}


def test_the_provider_enters_a_diagnosis_on_their_page(client):
    provider, person = ready()
    session(provider, person, DAY_1)
    client.force_login(provider.user)
    page = client.get(f"/provider/clients/{person.pk}/diagnoses/")
    assert page.status_code == 200 and "F41.1" in page.content.decode()
    bad = client.post(f"/provider/clients/{person.pk}/diagnoses/", {"code": "41.1"})
    assert bad.status_code == 200 and "Enter an ICD-10-CM code" in bad.content.decode()
    assert client.post(f"/provider/clients/{person.pk}/diagnoses/", {"code": "F43.10"}).status_code == 302
    assert sorted(d.code for d in selectors.active_diagnoses(client=person, provider=provider)) == ["F41.1", "F43.10"]


def test_the_session_page_and_the_account_lead_the_client_to_superbills(client):
    provider, person = ready()
    done = session(provider, person, DAY_1)
    client.force_login(person.user)
    assert "/account/superbills/" in client.get(f"/sessions/{done.pk}/").content.decode()
    assert "/account/superbills/" in client.get("/accounts/").content.decode()

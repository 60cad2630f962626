"""Incomplete providers (imported from a payer's directory, not yet claimed and verified) are
listed and searchable by coordinators, who see what each lacks and can invite them; nobody
else sees them, on the pages or the API."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.directory.models import Provider

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).parent / "data" / "fhir_plannet_hl7_examples.json"
HANS = "1941339115"


@pytest.fixture
def hans():
    call_command("import_fhir", str(EXAMPLES), stdout=io.StringIO())
    return Provider.objects.get(npi=HANS)


def test_coordinators_find_them_see_what_they_lack_and_invite_them(client, hans):
    client.force_login(UserFactory(role=Role.COORDINATOR))

    listing = client.get("/staff/directory/", {"name": "Solo"}).content.decode()
    assert "Hans Solo, MD" in listing and "Incomplete: not published" in listing
    page = client.get(f"/staff/directory/{hans.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Not published: never matched or booked yet" in text and "add your weekly hours" in text
    assert "OrgA CT Location 1, 123 Main Street, Anytown, CT, 00014-1234" in text
    assert "ACME CT Preferred Provider Network (Acme of CT)" in text

    refused = client.post(f"/staff/directory/{hans.pk}/invite/", follow=True)
    assert "Nothing was sent: no email address on file." in refused.content.decode() and not mail.outbox
    Provider.objects.filter(pk=hans.pk).update(email="hans@clinic.example.test")
    sent = client.post(f"/staff/directory/{hans.pk}/invite/", follow=True)
    assert "Nothing was sent: no date of birth or licence number" in sent.content.decode()
    Provider.objects.filter(pk=hans.pk).update(pending_qualifications=[
        {"state": "IL", "type": "MD", "number": "036-999999", "start": "", "end": ""}])
    sent = client.post(f"/staff/directory/{hans.pk}/invite/", follow=True)
    assert "Sent hans@clinic.example.test a link to claim the profile" in sent.content.decode()
    assert mail.outbox[-1].to == ["hans@clinic.example.test"] and "/claim/" in mail.outbox[-1].body


def test_nobody_else_sees_an_incomplete_profile(client, hans):
    assert client.get(f"/providers/{hans.pk}/").status_code == 404
    person = UserFactory(role=Role.CLIENT)
    listed = client.get("/api/v1/providers", **auth_header(person)).json()
    assert HANS not in [item["npi"] for item in listed["items"]]
    assert client.get(f"/api/v1/providers/{hans.pk}", **auth_header(person)).status_code == 404

    staff = client.get("/api/v1/providers", {"npi": HANS}, **auth_header(UserFactory(role=Role.COORDINATOR))).json()
    (item,) = staff["items"]
    assert item["published"] is False and "self_pay_rate" not in item


def test_an_incomplete_provider_has_no_openings_and_no_booking_page(client, hans):
    person = UserFactory(role=Role.CLIENT)
    assert client.get(f"/api/v1/providers/{hans.pk}/openings", **auth_header(person)).status_code == 404
    client.force_login(person)
    assert "We could not find that therapist" in client.get(f"/book/{hans.pk}/").content.decode()

"""Coordinators map a payer's network, as imported from its directory, to carematch's payers:
the network's providers then accept that payer (and are matched for it), and no longer the one
it stood for before."""

from __future__ import annotations

import html
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import Network, Provider

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).parent / "data" / "fhir_plannet_hl7_examples.json"


@pytest.fixture
def coordinator(client):
    call_command("import_fhir", str(EXAMPLES), stdout=io.StringIO())
    user = UserFactory(role=Role.COORDINATOR)
    client.force_login(user)
    return user


def test_a_network_is_mapped_to_a_payer_and_its_providers_accept_it(client, coordinator):
    network = Network.objects.get()
    # Imported standing for a new payer named from the network's payer Organization.
    assert network.payer == "acme-of-ct"
    assert all(provider.insurance == ["acme-of-ct"] for provider in Provider.objects.all())
    page = client.get("/staff/networks/").content.decode()
    assert "ACME CT Preferred Provider Network" in page and "Payer in the directory: Acme of CT" in page
    assert "3 providers" in page

    saved = client.post(f"/staff/networks/{network.pk}/", {"payer": "aetna"}, follow=True)
    assert "now stands for Aetna" in saved.content.decode()
    assert all(provider.insurance == ["aetna"] for provider in Provider.objects.all())
    susie = Provider.objects.get(npi="1941339123")
    assert "insurance" in susie.profile_changes.first().changes

    client.post(f"/staff/networks/{network.pk}/", {"payer": "cigna"})
    assert all(provider.insurance == ["cigna"] for provider in Provider.objects.all())
    # The payer's directory imported again keeps the mapping.
    call_command("import_fhir", str(EXAMPLES), stdout=io.StringIO())
    assert all(provider.insurance == ["cigna"] for provider in Provider.objects.all())


def test_an_unknown_payer_or_network_is_refused_and_nothing_changes(client, coordinator):
    network = Network.objects.get()
    refused = client.post(f"/staff/networks/{network.pk}/", {"payer": "acme-of-nowhere"}, follow=True)
    assert "'acme-of-nowhere' is not one of carematch" in html.unescape(refused.content.decode())
    assert Network.objects.get().payer == "acme-of-ct"
    assert all(p.insurance == ["acme-of-ct"] for p in Provider.objects.all())
    assert client.post("/staff/networks/999999/", {"payer": "aetna"}).status_code == 404

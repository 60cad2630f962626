"""Coordinators load plans and fee schedules from the browser and see what is loaded."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.coverage.models import Fee, Plan

pytestmark = pytest.mark.django_db

BENEFITS_HEADER = "payer,plan_id,plan_name,copay_usd,coinsurance_pct,deductible_usd,deductible_applies,oop_max_usd"


def upload(*lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("file.csv", ("\n".join(lines) + "\n").encode(), content_type="text/csv")


def problems_listed(html: str) -> list[str]:
    block = re.search(r'<ul class="problems"[^>]*>(.*?)</ul>', html, re.S)
    return re.findall(r"<li>([^<]+)</li>", block.group(1)) if block else []


@pytest.fixture
def coordinator(client):
    client.force_login(UserFactory(role=Role.COORDINATOR))


def test_plans_and_fees_uploaded_are_listed(client, coordinator):
    html = client.post("/staff/coverage/benefits/import/", {"file": upload(
        BENEFITS_HEADER, "aetna,AET-PPO,Aetna Open Choice PPO,30,,500,yes,4000")}).content.decode()
    assert "The plans are updated: created 1, updated 0, unchanged 0, rejected 0." in html
    html = client.post("/staff/coverage/fees/import/", {"file": upload(
        "payer,plan_id,cpt,allowed_usd,state", "aetna,AET-PPO,90837,150,CO")}).content.decode()
    assert "The fee schedules are updated: created 1" in html
    html = client.get("/staff/coverage/").content.decode()
    assert "Aetna Open Choice PPO" in html and "$30.00" in html and "$4,000.00" in html and "No coinsurance" in html
    assert "<code>90837</code> Psychotherapy, 60 minutes" in html and "$150.00" in html


def test_a_file_with_problems_lists_them_by_line_and_writes_nothing(client, coordinator):
    response = client.post("/staff/coverage/benefits/import/", {"file": upload(
        BENEFITS_HEADER, "aetna,A,Aetna A,30,,0,no,1000", "acme,B,Acme B,30,,0,no,1000")})
    html = response.content.decode()
    assert "Nothing was written, because the file has problems" in html
    assert problems_listed(html) == ["line 3: payer: &#x27;acme&#x27; is not a payer carematch knows"]
    assert Plan.objects.count() == 0 and Fee.objects.count() == 0


def test_no_file_is_a_form_error_on_the_field(client, coordinator):
    html = client.post("/staff/coverage/fees/import/", {}).content.decode()
    assert "Choose the file to import." in html
    assert "<title>Error: " in html


def test_the_staff_home_links_to_the_coverage_pages(client, coordinator):
    html = client.get("/staff/").content.decode()
    assert 'href="/staff/coverage/"' in html and 'href="/staff/coverage/benefits/import/"' in html


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER])
def test_only_coordinators_and_admins_may_load_plans(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get("/staff/coverage/").status_code == 403
    assert client.post("/staff/coverage/benefits/import/", {"file": upload(
        BENEFITS_HEADER, "aetna,A,Aetna A,30,,0,no,1000")}).status_code == 403
    assert Plan.objects.count() == 0

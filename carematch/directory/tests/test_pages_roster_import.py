"""Importing a roster from the browser: the file is checked, every problem is listed by line,
and what was written is said in words."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import Provider
from carematch.lib.npi import make_npi

pytestmark = pytest.mark.django_db

URL = "/staff/directory/import/"
HEADER = (
    "npi,first_name,last_name,credentials,taxonomy,licenses,gender,languages,concerns,approaches,populations,"
    "formats,zip,timezone,insurance,self_pay_rate,accepting_new,availability"
)
GOOD_NPIS = [make_npi(f"15550{n:04d}") for n in range(3)]


def roster_row(npi: str, first: str, *, concerns: str = "anxiety;depression", rate: str = "120") -> str:
    expires = f"{timezone.localdate().year + 2}-06-30"
    return (
        f"{npi},{first},Harbor,LPC,101YP2500X,CO:LPC:{npi[-6:]}:{expires},female,en;es,{concerns},cbt,adults,"
        f"telehealth;in_person,80202,America/Denver,aetna,{rate},true,mon 09:00-12:00"
    )


def roster_file(*rows: str, name: str = "roster.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join([HEADER, *rows]) + "\n").encode(), content_type="text/csv")


def problems_listed(html: str) -> list[str]:
    block = re.search(r'<ul class="problems"[^>]*>(.*?)</ul>', html, re.S)
    return re.findall(r"<li>([^<]+)</li>", block.group(1)) if block else []


@pytest.fixture
def coordinator(client):
    user = UserFactory(role=Role.COORDINATOR)
    client.force_login(user)
    return user


def test_the_import_page_offers_a_file_a_check_only_box_and_a_good_rows_box(client, coordinator):
    html = client.get(URL).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert '<label for="id_roster">Roster file</label>' in html
    assert 'type="file" name="roster"' in html
    assert '<label for="id_dry_run">Check only, write nothing</label>' in html
    assert '<label for="id_partial">Import the good rows even if some are bad</label>' in html


def test_a_good_roster_is_imported_and_the_summary_says_what_was_written(client, coordinator):
    rows = [roster_row(GOOD_NPIS[0], "Ada"), roster_row(GOOD_NPIS[1], "Bo")]
    response = client.post(URL, {"roster": roster_file(*rows)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The directory is updated: created 2, updated 0, unchanged 0, rejected 0." in html
    assert problems_listed(html) == []
    assert sorted(Provider.objects.values_list("first_name", flat=True)) == ["Ada", "Bo"]

    again = client.post(URL, {"roster": roster_file(roster_row(GOOD_NPIS[0], "Ada", rate="150"), rows[1])})
    assert "The directory is updated: created 0, updated 1, unchanged 1, rejected 0." in again.content.decode()
    assert Provider.objects.get(npi=GOOD_NPIS[0]).self_pay_rate == 150


def test_a_bad_roster_lists_every_problem_by_line_and_column_and_writes_nothing(client, coordinator):
    upload = roster_file(
        roster_row(GOOD_NPIS[0], "Ada"),
        roster_row("1234567890", "Bo", concerns="anxiety;astrology"),
        roster_row(GOOD_NPIS[2], "Cy", rate="lots"),
    )
    response = client.post(URL, {"roster": upload})
    html = response.content.decode()
    assert problems_listed(html) == [
        "line 3: npi: &#x27;1234567890&#x27; is not a valid NPI: check digit is wrong",
        "line 3: concerns: unknown concern &#x27;astrology&#x27;",
        "line 4: self_pay_rate: &#x27;lots&#x27; is not a whole number of US dollars",
    ]
    assert "3 problems found" in html
    assert "Nothing was written, because the file has problems: created 0, updated 0, unchanged 0, rejected 2." in html
    assert not Provider.objects.exists()


def test_with_good_rows_chosen_the_good_rows_are_written_and_the_bad_ones_listed(client, coordinator):
    upload = roster_file(roster_row(GOOD_NPIS[0], "Ada"), roster_row(GOOD_NPIS[1], "Bo", concerns="astrology"))
    html = client.post(URL, {"roster": upload, "partial": "on"}).content.decode()
    assert "The directory is updated: created 1, updated 0, unchanged 0, rejected 1." in html
    assert problems_listed(html) == ["line 3: concerns: unknown concern &#x27;astrology&#x27;"]
    assert list(Provider.objects.values_list("first_name", flat=True)) == ["Ada"]


def test_check_only_writes_nothing_and_says_what_an_import_would_do(client, coordinator):
    upload = roster_file(roster_row(GOOD_NPIS[0], "Ada"), roster_row(GOOD_NPIS[1], "Bo"))
    html = client.post(URL, {"roster": upload, "dry_run": "on"}).content.decode()
    assert "This was a check, so nothing was written. An import would give: created 2, updated 0" in html
    assert not Provider.objects.exists()


def test_a_file_with_the_wrong_columns_is_reported_on_the_header_line(client, coordinator):
    upload = SimpleUploadedFile("people.csv", b"name,email\nAda,ada@example.test\n", content_type="text/csv")
    html = client.post(URL, {"roster": upload}).content.decode()
    problems = problems_listed(html)
    assert "line 1: npi: required column is missing" in problems
    assert all(problem.startswith("line 1: ") for problem in problems)
    assert not Provider.objects.exists()


def test_a_file_that_is_not_utf8_is_an_error_on_the_file_field(client, coordinator):
    text = "\n".join([HEADER, roster_row(GOOD_NPIS[0], "Zoë")]) + "\n"
    upload = SimpleUploadedFile("roster.csv", text.encode("latin-1"), content_type="text/csv")
    response = client.post(URL, {"roster": upload})
    assert response.status_code == 200
    errors = response.context["form"].errors["roster"]
    assert errors and "This file is not UTF-8 text" in errors[0]
    assert 'id="id_roster_error"' in response.content.decode()
    assert not Provider.objects.exists()


def test_a_utf8_file_from_a_spreadsheet_with_a_byte_order_mark_is_read(client, coordinator):
    text = "\n".join([HEADER, roster_row(GOOD_NPIS[0], "Zoë")]) + "\n"
    upload = SimpleUploadedFile("roster.csv", "\ufeff".encode() + text.encode(), content_type="text/csv")
    html = client.post(URL, {"roster": upload}).content.decode()
    assert "created 1" in html
    assert Provider.objects.get().first_name == "Zoë"


def test_a_file_over_20_mb_is_an_error_on_the_file_field(client, coordinator):
    body = HEADER.encode() + b"\n" + b"x" * (20 * 1024 * 1024)
    upload = SimpleUploadedFile("huge.csv", body, content_type="text/csv")
    response = client.post(URL, {"roster": upload})
    errors = response.context["form"].errors["roster"]
    assert errors and "a roster can be at most 20 MB" in errors[0]
    assert not Provider.objects.exists()


def test_sending_no_file_is_an_error_on_the_file_field(client, coordinator):
    response = client.post(URL, {"dry_run": "on"})
    assert response.context["form"].errors["roster"] == ["Choose the roster file to import."]
    assert 'id="id_roster_error"' in response.content.decode()


def test_an_empty_file_is_an_error_on_the_file_field(client, coordinator):
    response = client.post(URL, {"roster": SimpleUploadedFile("empty.csv", b"", content_type="text/csv")})
    assert response.context["form"].errors["roster"] == ["This file is empty. Choose the roster file to import."]

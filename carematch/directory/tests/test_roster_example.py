"""The roster example a newcomer reads about (examples/roster.csv) is the template the import
page offers, and it imports cleanly: `import_roster --dry-run` finds no problem in it."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import Provider
from carematch.directory.roster import COLUMNS, roster_template

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "roster.csv"

pytestmark = pytest.mark.django_db


def test_the_example_file_is_the_template_with_every_column():
    assert EXAMPLE.read_text(encoding="utf-8") == roster_template()
    assert roster_template().splitlines()[0].split(",") == list(COLUMNS)
    assert len(COLUMNS) == 23


def test_a_dry_run_of_the_example_file_finds_no_problem_and_writes_nothing():
    out, err = StringIO(), StringIO()
    call_command("import_roster", str(EXAMPLE), "--dry-run", stdout=out, stderr=err)
    assert err.getvalue() == ""
    assert out.getvalue().strip() == "created 3, updated 0, unchanged 0, rejected 0 (dry run: nothing was written)"
    assert not Provider.objects.exists()


def test_the_import_page_offers_the_template_to_download(client):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    page = client.get("/staff/directory/import/").content.decode()
    assert 'href="/staff/directory/import/roster-template.csv"' in page
    answer = client.get("/staff/directory/import/roster-template.csv")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    assert answer["Content-Disposition"] == 'attachment; filename="roster-template.csv"'
    assert answer.content.decode() == EXAMPLE.read_text(encoding="utf-8")

"""Coverage is part of the client's own download, and closing the account erases it at once
(the checks made keep their figures until the retention period ends)."""

from __future__ import annotations

import pytest

from carematch.access import closing, export
from carematch.access.tests import data_records as r
from carematch.accounts.tests.factories import PASSWORD
from carematch.coverage.models import ClientCoverage, EligibilityCheck

pytestmark = pytest.mark.django_db


def test_the_download_holds_the_coverage_and_the_checks():
    record = r.full_record()
    data = export.client_export_json(record.client, now=r.NOW)
    [coverage] = data["insurance_coverage"]
    assert coverage["member_id"] == r.MEMBER_ID and coverage["payer"] == "aetna"
    assert data["eligibility_checks"][0]["sentence"].startswith("Your insurer says your coverage is active")


def test_closing_the_account_erases_the_coverage_and_keeps_the_checks():
    record = r.full_record()
    closing.account_close(user=record.client.user, password=PASSWORD, confirmation=closing.CONFIRMATION_PHRASE)
    assert not ClientCoverage.objects.filter(client=record.client).exists()
    assert EligibilityCheck.objects.filter(client=record.client).count() == 1

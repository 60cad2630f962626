"""People who left a contact before crisis follow-up existed were never shown to anyone:
the migration puts each of them in the open queue, and takes them back when unapplied."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("scheduling", "0005_care_request_contact")]
AFTER = [("scheduling", "0007_care_request_contact_moved")]
ASKED = dt.datetime(2027, 2, 1, 9, 30, tzinfo=dt.UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def test_contacts_left_on_care_requests_become_open_crisis_requests_and_back():
    old = migrate(BEFORE)
    try:
        CareRequest = old.get_model("scheduling", "CareRequest")
        left_phone = CareRequest.objects.create(requested_at=ASKED, crisis=True, contact_name="Ash",
                                                contact_phone="+13035550142")
        left_email = CareRequest.objects.create(requested_at=ASKED + dt.timedelta(hours=1), crisis=True,
                                                contact_email="quill@example.test")
        CareRequest.objects.create(requested_at=ASKED, crisis=True)  # said yes, left no contact

        new = migrate(AFTER)
        CrisisRequest = new.get_model("scheduling", "CrisisRequest")
        moved = list(CrisisRequest.objects.order_by("requested_at").values(
            "care_request_id", "requested_at", "channel", "name", "phone", "email", "state", "status"))
        assert moved == [
            {"care_request_id": left_phone.pk, "requested_at": ASKED, "channel": "page", "name": "Ash",
             "phone": "+13035550142", "email": "", "state": "", "status": "open"},
            {"care_request_id": left_email.pk, "requested_at": ASKED + dt.timedelta(hours=1), "channel": "page",
             "name": "", "phone": "", "email": "quill@example.test", "state": "", "status": "open"},
        ]

        back = migrate(BEFORE)
        restored = back.get_model("scheduling", "CareRequest").objects.get(pk=left_phone.pk)
        assert (restored.contact_name, restored.contact_phone) == ("Ash", "+13035550142")
    finally:
        # Every migration again, the later ones included, for the tests that follow.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

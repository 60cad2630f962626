"""The access log is append-only: neither the ORM, nor raw SQL, nor the admin changes or removes
an event, on SQLite and on PostgreSQL. Emptying a whole test database between tests is the one
thing the database lets through."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import RequestFactory

from carematch.access import audit
from carematch.access.models import AccessEvent, AppendOnlyError
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.scheduling.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    client = ClientFactory()
    return audit.record(None, action="view", resource_type="goals", resource_id=client.pk, client=client)


def fields_of(event_id):
    return AccessEvent.objects.filter(pk=event_id).values().get()


def test_a_stored_event_cannot_be_saved_again_with_changes(event):
    before = fields_of(event.pk)
    event.outcome = "denied"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert fields_of(event.pk) == before


def test_an_event_cannot_be_deleted_through_the_model_or_a_queryset(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.filter(pk=event.pk).update(outcome="denied")
    assert AccessEvent.objects.filter(pk=event.pk, outcome="allowed").exists()


@pytest.mark.parametrize("statement", [
    "UPDATE access_accessevent SET outcome = 'denied' WHERE id = %s",
    "UPDATE access_accessevent SET actor_email = 'someone-else@example.test' WHERE id = %s",
    "DELETE FROM access_accessevent WHERE id = %s",
])
def test_the_database_refuses_raw_sql_updates_and_deletes(event, statement):
    before = fields_of(event.pk)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [event.pk])
    assert fields_of(event.pk) == before


def test_the_database_refuses_to_delete_every_event_at_once(event):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM access_accessevent")
    assert AccessEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres_only
def test_postgresql_refuses_truncate_outside_the_test_harness(event):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE access_accessevent")
    assert AccessEvent.objects.filter(pk=event.pk).exists()


def test_a_sqlite_connection_without_carematchs_function_cannot_delete_either(tmp_path):
    """A connection opened outside carematch (the sqlite3 shell, a script) does not know
    carematch_audit_erasable(): its DELETE fails rather than slipping past the trigger."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL's trigger needs no help from the connection")
    import sqlite3
    from contextlib import closing

    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'access_accessevent' AND type IN "
                       "('table', 'trigger') ORDER BY type = 'trigger'")
        schema = [row[0] for row in cursor.fetchall()]
    assert len(schema) == 3  # the table and its two triggers, as migrated
    with closing(sqlite3.connect(tmp_path / "outside.sqlite3")) as outside:
        for statement in schema:
            outside.execute(statement)
        outside.execute("INSERT INTO access_accessevent (occurred_at, actor_email, actor_role, action, resource_type, "
                        "resource_id, outcome, address, channel) VALUES ('2027-01-04 16:00:00', '', 'system', "
                        "'view', 'goals', '1', 'allowed', '', 'command')")
        outside.commit()
        with pytest.raises(sqlite3.OperationalError, match="carematch_audit_erasable"):
            outside.execute("DELETE FROM access_accessevent")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            outside.execute("UPDATE access_accessevent SET outcome = 'denied'")


def test_inserting_new_events_still_works_after_a_refusal(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM access_accessevent WHERE id = %s", [event.pk])
    audit.record(None, action="export", resource_type="client_record", resource_id=event.client_id,
                 client=event.client_id)
    assert AccessEvent.objects.count() == 2


def test_the_whole_log_erasure_is_what_lets_a_flush_through(event):
    """The one way past the triggers, used only by the test harness's flush."""
    with audit.whole_log_erasure(), transaction.atomic():
        connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), ["access_accessevent"]))
    assert not AccessEvent.objects.exists()
    audit.record(None, action="view", resource_type="goals", resource_id=1)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), ["access_accessevent"]))
    assert AccessEvent.objects.count() == 1


def no_style():
    from django.core.management.color import no_style as style

    return style()


def test_the_admin_shows_events_but_offers_no_way_to_add_change_or_delete_them(event):
    admin_user = UserFactory(role=Role.ADMIN)
    model_admin = site._registry[AccessEvent]
    request = RequestFactory().get("/admin/access/accessevent/")
    request.user = admin_user
    assert model_admin.has_view_permission(request, event)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert model_admin.get_actions(request) == {}


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_that_records_events_is_still_emptied_after_it():
    """The flush after this test must get past the triggers (its teardown fails otherwise)."""
    audit.record(None, action="view", resource_type="goals", resource_id=1)
    assert AccessEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_and_the_next_transactional_test_starts_with_an_empty_log():
    assert not AccessEvent.objects.exists()

"""The directory's version is kept by the database: every change to the rows the match
engine's snapshot reads changes it, however the change is made, and nothing else does."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from carematch.directory import services
from carematch.directory.models import AvailabilityWindow, License, Provider, TimeOff
from carematch.directory.version import VERSION_TABLE, VERSIONED_TABLES, directory_version, trigger_names
from carematch.matching.snapshot import build_snapshot
from carematch.scheduling.tests.factories import weekday_provider

pytestmark = pytest.mark.django_db


def run(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_version_triggers_exist_after_migrating():
    """A later migration that remakes a versioned table on SQLite drops its triggers: this says so."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal")
        found = set(cursor.fetchall())
    wanted = set(trigger_names(connection.vendor))
    assert wanted <= {name for name, _ in found}
    assert {table for name, table in found if name in wanted} == set(VERSIONED_TABLES)


def test_the_snapshot_reads_only_versioned_directory_tables():
    """A table of the directory that the snapshot reads is one whose changes the version notices."""
    weekday_provider()
    with CaptureQueriesContext(connection) as queries:
        build_snapshot()
    read = {table for query in queries for table in re.findall(r'"?(directory_[a-z]+)"?', query["sql"])}
    assert read == set(VERSIONED_TABLES)


@pytest.mark.parametrize("statement", [
    "INSERT INTO directory_availabilitywindow (provider_id, weekday, start, \"end\") VALUES (%(provider)s, 6, "
    "'18:00', '19:00')",
    "UPDATE directory_provider SET accepting_new = NOT accepting_new WHERE id = %(provider)s",
    "UPDATE directory_license SET expires = '2031-01-01' WHERE provider_id = %(provider)s",
    "DELETE FROM directory_availabilitywindow WHERE provider_id = %(provider)s",
    "DELETE FROM directory_license WHERE provider_id = %(provider)s",
])
def test_a_change_made_with_raw_sql_changes_the_version(statement):
    provider = weekday_provider()
    before = directory_version()
    run(statement, {"provider": provider.pk})
    after = directory_version()
    assert after is not None and after != before


def test_every_change_in_one_transaction_gives_a_new_version_and_none_repeats():
    """Reads of the writing transaction itself see each of its changes, so each one is a new version."""
    provider = weekday_provider()
    seen = {directory_version()}
    for accepting in (False, True, False):
        Provider.objects.filter(pk=provider.pk).update(accepting_new=accepting)
        seen.add(directory_version())
    assert len(seen) == 4


def test_a_change_rolled_back_takes_its_version_with_it_and_the_next_change_has_a_new_one():
    provider = weekday_provider()
    before = directory_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        License.objects.filter(provider=provider).update(expires=dt.date(2031, 1, 1))
        rolled_back = directory_version()
        raise RuntimeError("undo")
    assert directory_version() == before
    License.objects.filter(provider=provider).update(expires=dt.date(2031, 1, 1))
    assert directory_version() not in {before, rolled_back}


def test_time_off_and_writes_that_change_no_row_leave_the_version_alone():
    provider = weekday_provider()
    before = directory_version()
    services.time_off_add(provider=provider, start=dt.datetime(2031, 1, 1, tzinfo=dt.UTC),
                          end=dt.datetime(2031, 1, 2, tzinfo=dt.UTC), now=dt.datetime(2030, 12, 1, tzinfo=dt.UTC))
    assert TimeOff.objects.exists()
    Provider.objects.filter(pk=provider.pk + 1000).update(accepting_new=False)
    AvailabilityWindow.objects.filter(provider_id=provider.pk + 1000).delete()
    assert directory_version() == before


def test_a_version_row_deleted_by_hand_means_no_version():
    run(f"DELETE FROM {VERSION_TABLE}")  # noqa: S608 - a fixed name
    assert directory_version() is None


@pytest.mark.postgres_only
def test_truncating_a_versioned_table_changes_the_version():
    before = directory_version()
    run("TRUNCATE directory_availabilitywindow")  # empty here: rows written in this transaction would block it
    assert directory_version() not in {before, None}

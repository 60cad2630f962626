"""Reads from a read replica (carematch/replica.py): the public FHIR directory and read-only
staff reports may read from it; bookings, matching's busy lookup, reads inside a transaction
and anything read after a write in the same request never do.

The replica here is a second database alias (REPLICA) to the test database, as a streaming
replica is a second server with the primary's rows: where each query went is what is proved."""

from __future__ import annotations

import copy
import datetime as dt
import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import CaptureQueriesContext

from carematch.accounts.tests.factories import auth_header
from carematch.directory.models import Provider
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.replica import REPLICA, read_alias, replica_reads
from carematch.scheduling.tests.factories import ClientFactory

# The test database under a second name, as CAREMATCH_DATABASE_REPLICA_URL configures it
# (settings.py): a mirror of the primary in tests. Each alias has its own connection.
connections.settings.setdefault(REPLICA, {
    **copy.deepcopy(connections.settings[DEFAULT_DB_ALIAS]),
    "TEST": {**connections.settings[DEFAULT_DB_ALIAS]["TEST"], "MIRROR": DEFAULT_DB_ALIAS},
})

BOTH = [DEFAULT_DB_ALIAS, REPLICA]


def _allow_replica_connection() -> None:
    """A test class allowed only "default" wraps every other alias's connection to refuse use,
    and a session-long live server (the browser tests) keeps the SQLite connections it was
    given, wrappers included: take a leftover wrapper off the replica's connection here."""
    from django.test.testcases import _DatabaseFailure

    connection = connections[REPLICA]
    for name in ("connect", "temporary_connection", "cursor", "chunked_cursor"):
        method = getattr(connection, name, None)
        if isinstance(method, _DatabaseFailure):
            setattr(connection, name, method.wrapped)


@pytest.fixture
def replica_configured(settings):
    _allow_replica_connection()
    settings.DATABASE_REPLICA_ALIAS = REPLICA
    cache.clear()  # the FHIR API's per-address count
    yield
    cache.clear()


def test_without_a_replica_everything_reads_the_primary(settings):
    settings.DATABASE_REPLICA_ALIAS = None
    with replica_reads():
        assert read_alias() == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_only_reads_inside_replica_reads_before_any_write_and_outside_transactions_go_to_the_replica(
        replica_configured):
    assert read_alias() == DEFAULT_DB_ALIAS
    with replica_reads():
        assert read_alias() == REPLICA
        with transaction.atomic():
            assert read_alias() == DEFAULT_DB_ALIAS
    with replica_reads():
        ProviderFactory()  # a write: this request's later reads must see it
        assert read_alias() == DEFAULT_DB_ALIAS
        assert Provider.objects.count() == 1
    assert read_alias() == DEFAULT_DB_ALIAS


def provider_with_openings() -> Provider:
    provider = ProviderFactory(concerns=["anxiety"], formats=["telehealth"], min_notice_hours=0)
    LicenseFactory(provider=provider, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=provider, weekday=day, start=dt.time(0), end=dt.time(23))
    return provider


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_the_public_fhir_directory_reads_from_the_replica(client, replica_configured):
    provider = provider_with_openings()
    with CaptureQueriesContext(connections[REPLICA]) as replica, \
            CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
        listed = client.get("/fhir/Practitioner")
        read = client.get(f"/fhir/Practitioner/{listed.json()['entry'][0]['resource']['id']}")
    assert listed.status_code == 200 and read.status_code == 200, listed.content
    assert provider.npi in listed.content.decode()
    assert any("directory_provider" in q["sql"] for q in replica.captured_queries)
    assert not any("directory_provider" in q["sql"] for q in primary.captured_queries)


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_matching_and_booking_never_read_the_replica(client, replica_configured):
    provider = provider_with_openings()
    me = ClientFactory(state="CO")
    headers = auth_header(me.user)
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        answer = client.post("/api/v1/match", {"state": "CO", "zip": "80202", "age": 34, "concerns": ["anxiety"],
                                               "format": "telehealth"}, content_type="application/json", **headers)
        opening = answer.json()["matches"][0]["openings"][0]
        booked = client.post("/api/v1/appointments", {"provider_id": provider.pk, "client_id": me.pk,
                                                      "start": opening["start"], "format": "telehealth"},
                             content_type="application/json", **headers)
    assert booked.status_code == 201, booked.content
    assert replica.captured_queries == []


def test_a_replica_is_refused_unless_both_databases_are_postgresql(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREMATCH_", "DJANGO_"))}
    env |= {"CAREMATCH_DEBUG": "1", "CAREMATCH_VAR_DIR": str(tmp_path),
            "CAREMATCH_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
            "CAREMATCH_DATABASE_REPLICA_URL": "postgres://carematch@replica.example.test:5432/carematch"}
    result = subprocess.run([sys.executable, "-m", "carematch", "check"], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode != 0
    assert "CAREMATCH_DATABASE_REPLICA_URL needs PostgreSQL" in result.stderr


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_matching_snapshot_is_built_from_the_replica_and_labelled_with_the_replicas_version(
        replica_configured, settings, tmp_path, monkeypatch):
    from carematch.matching import snapshot
    from carematch.matching.engine.store import load_directory, read_meta

    settings.MATCH_SNAPSHOT_REFRESH = "background"
    settings.MATCH_SNAPSHOT_DIR = tmp_path / "snapshots"
    monkeypatch.setattr(snapshot, "_kept", snapshot._Kept())
    provider = provider_with_openings()
    directory_tables = ("directory_provider", "directory_license", "directory_availabilitywindow",
                        "directory_directorychange")

    def reads(queries, table):  # SELECTs, some through a server-side cursor (DECLARE ... FOR SELECT) on PostgreSQL
        return [q["sql"] for q in queries
                if table in q["sql"] and not q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]

    for built in ("whole", "incremental"):
        with CaptureQueriesContext(connections[REPLICA]) as replica, \
                CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
            folder = snapshot.snapshot_refresh()
        assert folder is not None and read_meta(folder)["built"] == built
        # The rows, the change log and the version the snapshot is labelled with: all from the replica.
        for table in (*directory_tables[:3], "directory_directoryversion"):
            assert reads(replica.captured_queries, table), (built, table)
        assert reads(replica.captured_queries, "directory_directorychange") or built == "whole"
        # The primary is asked only for its version (what requests compare the label with).
        for table in directory_tables:
            assert not reads(primary.captured_queries, table), (built, table)
        assert list(load_directory(folder).ids) == [provider.pk]
        assert read_meta(folder)["version"][1] == snapshot.directory_version(REPLICA)[0]
        Provider.objects.filter(pk=provider.pk).update(min_notice_hours=1)  # a change for the next round

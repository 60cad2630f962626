"""The matching snapshot as deployed (CAREMATCH_MATCH_SNAPSHOT_REFRESH=background): one per
machine in files, mapped by every process; after a change of the directory, requests are
answered from the snapshot in use while a new one is built beside it, then the new one is
swapped in whole. Data is committed here (transaction=True): the builder reads it on a
connection of its own."""

from __future__ import annotations

import threading
import time

import pytest

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory import services as directory
from carematch.directory.models import License, LicenseStatus, Provider
from carematch.matching import snapshot
from carematch.matching.services import match_find

from .test_match_service import NOW, ask, provider_ids, record

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def background(settings, tmp_path, monkeypatch):
    """Background refresh into a folder of this test's own, from a process that kept nothing yet."""
    settings.MATCH_SNAPSHOT_REFRESH = "background"
    settings.MATCH_SNAPSHOT_DIR = tmp_path / "snapshots"
    monkeypatch.setattr(snapshot, "_kept", snapshot._Kept())
    # Each request reads the version here (as deployed, at most once a second: tested below).
    monkeypatch.setattr(snapshot, "VERSION_CHECK_SECONDS", 0.0)
    yield tmp_path / "snapshots"
    builder = getattr(snapshot._kept, "builder", None)
    if builder is not None:
        builder.join(timeout=30)


def timed(request):
    began = time.perf_counter()
    answer = match_find(request=request, now=NOW)
    return answer, time.perf_counter() - began


def test_a_request_made_while_a_rebuild_is_in_progress_is_answered_from_the_previous_snapshot(
    background, monkeypatch,
):
    directory.providers_upsert(records=[record(1), record(2)])
    one, two = Provider.objects.order_by("pk")
    assert provider_ids(match_find(request=ask(), now=NOW)) == [one.pk, two.pk]  # the first build
    normal = max(timed(ask())[1] for _ in range(5))

    started, release = threading.Event(), threading.Event()
    build = snapshot.build_snapshot

    def slow_build(**only):  # whole or (a change of one provider) incremental
        started.set()
        release.wait(timeout=5)  # a build of a large directory takes seconds
        return build(**only)

    monkeypatch.setattr(snapshot, "build_snapshot", slow_build)
    directory.license_set_status(license=License.objects.get(provider=one), status=LicenseStatus.REJECTED,
                                 by=UserFactory(role=Role.COORDINATOR))
    try:
        answer, took = timed(ask())
        assert started.wait(timeout=5), "no rebuild started after the directory changed"
        # While the rebuild runs: the previous snapshot answers, in its normal time.
        assert provider_ids(answer) == [one.pk, two.pk]
        assert took < max(0.5, 10 * normal)
        again, took = timed(ask())
        assert provider_ids(again) == [one.pk, two.pk] and took < max(0.5, 10 * normal)
    finally:
        release.set()
    snapshot._kept.builder.join(timeout=30)
    # The new snapshot is swapped in whole: the rejected license counts no more.
    assert provider_ids(match_find(request=ask(), now=NOW)) == [two.pk]


def test_the_change_is_seen_as_soon_as_the_new_snapshot_is_published(background):
    directory.providers_upsert(records=[record(1)])
    (one,) = Provider.objects.all()
    assert provider_ids(match_find(request=ask(), now=NOW)) == [one.pk]
    directory.providers_upsert(records=[record(2)])
    began = time.monotonic()
    seen = []
    while time.monotonic() - began < 10:
        seen = provider_ids(match_find(request=ask(), now=NOW))
        if len(seen) == 2:
            break
        time.sleep(0.05)
    assert len(seen) == 2
    # One folder per build; the pointer names the newest, at the directory's version.
    assert [p for p in background.iterdir() if p.is_dir()] != []
    (pointer,) = background.glob("current-*-verified.json")
    assert snapshot._kept.entry is not None and snapshot._kept.entry[0] == snapshot._current_version()
    assert pointer.is_file()


def test_a_process_finds_the_snapshot_another_published_and_builds_nothing(background):
    directory.providers_upsert(records=[record(1)])
    assert snapshot.snapshot_refresh() is not None  # as the deploy step does
    assert snapshot.snapshot_refresh() is None  # current already
    builds = snapshot.snapshot_builds()
    assert len(provider_ids(match_find(request=ask(), now=NOW))) == 1
    assert snapshot.snapshot_builds() == builds  # mapped, not built


def test_old_snapshots_are_removed_and_the_one_in_use_is_kept(background):
    directory.providers_upsert(records=[record(1)])
    for n in range(2, 7):
        directory.providers_upsert(records=[record(n)])
        snapshot.snapshot_refresh()
    folders = [p for p in background.iterdir() if p.is_dir()]
    assert len(folders) == snapshot.KEEP_FOLDERS
    assert len(provider_ids(match_find(request=ask(limit=10), now=NOW))) == 6


def test_a_busy_process_reads_the_directorys_version_at_most_once_a_second(background, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(snapshot, "VERSION_CHECK_SECONDS", 1.0)
    directory.providers_upsert(records=[record(1)])
    match_find(request=ask(), now=NOW)
    began = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            match_find(request=ask(), now=NOW)
    if time.monotonic() - began < 0.9:  # a machine this slow would have read it again, rightly
        assert sum("directory_directoryversion" in q["sql"] for q in queries.captured_queries) <= 1
    time.sleep(1.05)
    with CaptureQueriesContext(connection) as queries:
        match_find(request=ask(), now=NOW)
    assert sum("directory_directoryversion" in q["sql"] for q in queries.captured_queries) == 1

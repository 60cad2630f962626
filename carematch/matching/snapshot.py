"""The directory as the match engine reads it, kept in this process between requests.

Building it reads every bookable provider, license and weekly window (seconds for a large
directory), so each process keeps one and builds it again only when the version it was
built at has changed. The version is:

- the directory's own version (carematch/directory/version.py), which the database itself
  changes with every change to providers, licenses and weekly windows, however made, in
  the transaction of the change: a license's verification, a roster import, a hand-written
  UPDATE alike;
- and the highest id of the measures' assessments: the snapshot carries every provider's
  outcome estimates (carematch.measures.selectors.provider_effects), which change with
  each completed questionnaire stored. Estimates are long-run figures, so a change of
  assessments alone rebuilds at most every OUTCOMES_REFRESH_SECONDS, not after every
  questionnaire (a rebuild of a large directory takes seconds).

Both are read in one query of index look-ups, however large the directory. The
deployment's CAREMATCH_MATCH_UNVERIFIED_LICENSES is part of the key too (it decides which
licenses count), so a snapshot is never used under the other setting. Without a version
row (a database emptied by hand, until its next change) nothing is kept and every request
reads the directory afresh.

Time off, booked sessions and holds change all the time, so they are not part of the
snapshot: `busy_lookup` (carematch/matching/busy.py) reads them for the short list of each
request.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import connection

from carematch.directory.models import AvailabilityWindow, License, Provider, match_unverified_licenses
from carematch.directory.version import version_sql
from carematch.measures.models import Assessment
from carematch.measures.selectors import provider_effects

from .busy import busy_lookup  # noqa: F401 - its home was here; callers import it from .busy
from .engine.directory import Directory, LicenseRow, ProviderRow, WindowRow, build_directory

log = logging.getLogger(__name__)

READ_CHUNK = 5000


def directory_version() -> tuple[str | None, int | None]:
    """The directory's version and the highest assessment id, in one query."""
    assessments = connection.ops.quote_name(Assessment._meta.db_table)
    sql = f"SELECT {version_sql()}, (SELECT MAX(id) FROM {assessments})"  # noqa: S608 - names from the models
    with connection.cursor() as cursor:
        cursor.execute(sql)
        token, assessment = cursor.fetchone()
    return token, assessment


def build_snapshot() -> Directory:
    """The engine's directory, read in chunks so that only the arrays are held at the end."""
    providers = (
        ProviderRow._make(row)
        for row in Provider.objects.matchable().order_by().values_list(*ProviderRow._fields)
        .iterator(chunk_size=READ_CHUNK)
    )
    licenses = (
        LicenseRow._make(row)
        for row in License.objects.order_by().values_list("provider_id", "state", "expires", "status")
        .iterator(chunk_size=READ_CHUNK)
    )
    windows = (
        WindowRow._make(row)
        for row in AvailabilityWindow.objects.order_by().values_list("provider_id", "weekday", "start", "end")
        .iterator(chunk_size=READ_CHUNK)
    )
    return build_directory(providers=providers, licenses=licenses, windows=windows, effects=provider_effects(),
                           match_unverified=match_unverified_licenses())


OUTCOMES_REFRESH_SECONDS = 15 * 60


class _Kept:
    """The snapshot this process keeps, with the version it was built at: one tuple, replaced
    whole, so a thread never pairs one version with another snapshot."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entry: tuple[tuple[object, ...], Directory, float] | None = None
        self.builds = 0

    def get(self, version: tuple[object, ...]) -> Directory | None:
        entry = self.entry
        if entry is None:
            return None
        kept_version, directory, built_at = entry
        if kept_version == version:
            return directory
        only_outcomes_changed = kept_version[:-1] == version[:-1]
        if only_outcomes_changed and time.monotonic() - built_at < OUTCOMES_REFRESH_SECONDS:
            return directory
        return None


_kept = _Kept()


def directory_snapshot() -> Directory:
    """The snapshot for the directory as it is now."""
    version = (match_unverified_licenses(), *directory_version())
    cacheable = version[1] is not None
    kept = _kept.get(version) if cacheable else None
    if kept is not None:
        return kept
    with _kept.lock:
        kept = _kept.get(version) if cacheable else None
        if kept is not None:
            return kept
        began = time.perf_counter()
        directory = build_snapshot()
        _kept.builds += 1
        if cacheable:
            _kept.entry = (version, directory, time.monotonic())
        level = logging.INFO if cacheable else logging.DEBUG
        log.log(level, "matching snapshot built: %d bookable providers in %.2f s", directory.size,
                time.perf_counter() - began)
        return directory


def snapshot_builds() -> int:
    """How many snapshots this process has built."""
    return _kept.builds



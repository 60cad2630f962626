"""The directory as the match engine reads it, kept between requests.

Building it reads every bookable provider, license and weekly window (seconds for a large
directory), so it is kept and built again only when the version it was built at has
changed: as deployed, once per machine, in files every process maps, rebuilt beside the
one in use while requests go on (see "One snapshot per machine" below); in the test
suite (CAREMATCH_MATCH_SNAPSHOT_REFRESH=inline), once per process, in the first request
after a change. The version is:

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
request, in one query.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import QuerySet

from carematch.directory.models import AvailabilityWindow, License, Provider, match_unverified_licenses
from carematch.directory.services import CHANGE_LOG_DAYS, directory_changes_prune
from carematch.directory.version import CHANGE_TABLE, version_sql
from carematch.measures.models import Assessment
from carematch.measures.selectors import provider_effects
from carematch.replica import read_alias, replica_reads

from .busy import busy_lookup  # noqa: F401 - its home was here; callers import it from .busy
from .engine.directory import Directory, LicenseRow, ProviderRow, WindowRow, build_directory
from .engine.store import load_directory, patch_directory, save_directory

log = logging.getLogger(__name__)

READ_CHUNK = 5000


def directory_version(alias: str = DEFAULT_DB_ALIAS) -> tuple[str | None, int | None]:
    """The directory's version and the highest assessment id, in one query (of the database
    `alias`: the replica's when a snapshot is built from it)."""
    assessments = connection.ops.quote_name(Assessment._meta.db_table)
    sql = f"SELECT {version_sql()}, (SELECT MAX(id) FROM {assessments})"  # noqa: S608 - names from the models
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        token, assessment = cursor.fetchone()
    return token, assessment


def build_snapshot(only: Sequence[int] | None = None) -> Directory:
    """The engine's directory, read in chunks so that only the arrays are held at the end;
    `only`: of those providers alone (an incremental update, `_publish`)."""
    def of(queryset: QuerySet[Any], field: str) -> Iterator[QuerySet[Any]]:
        if only is None:
            yield queryset
            return
        for at in range(0, len(only), READ_CHUNK):  # SQLite: under its 999 parameters a query, as chunks
            yield queryset.filter(**{f"{field}__in": only[at:at + READ_CHUNK]})

    providers = (
        ProviderRow._make(row)
        for part in of(Provider.objects.matchable().order_by(), "pk")
        for row in part.values_list(*ProviderRow._fields).iterator(chunk_size=READ_CHUNK)
    )
    licenses = (
        LicenseRow._make(row)
        for part in of(License.objects.order_by(), "provider_id")
        for row in part.values_list("provider_id", "state", "expires", "status").iterator(chunk_size=READ_CHUNK)
    )
    windows = (
        WindowRow._make(row)
        for part in of(AvailabilityWindow.objects.order_by(), "provider_id")
        for row in part.values_list("provider_id", "weekday", "start", "end").iterator(chunk_size=READ_CHUNK)
    )
    return build_directory(providers=providers, licenses=licenses, windows=windows, effects=provider_effects(),
                           match_unverified=match_unverified_licenses())


def change_mark(alias: str = DEFAULT_DB_ALIAS) -> int:
    """Where the directory's change log stands now (carematch/directory/models.DirectoryChange):
    read before a snapshot reads any row, so that every change its rows may not hold is
    logged past this mark. SQLite: the log's last id (one transaction writes at a time, so
    ids come in the order of commits). PostgreSQL: the oldest transaction still running
    (xmin of this statement's snapshot): a change it cannot see comes from that one or a
    later one, whose ids are at least this."""
    with connections[alias].cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        else:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {CHANGE_TABLE}")  # noqa: S608 - a fixed name
        (mark,) = cursor.fetchone()
    return int(mark)


def changed_since(mark: int, *, most: int, alias: str = DEFAULT_DB_ALIAS) -> list[int] | None:
    """The providers changed past `mark` (change_mark), when they are at most `most` and none of
    the changes was "every provider"; None otherwise."""
    column = "transaction_id >= %s" if connection.vendor == "postgresql" else "id > %s"
    sql = f"SELECT DISTINCT provider_id FROM {CHANGE_TABLE} WHERE {column} LIMIT %s"  # noqa: S608 - fixed names
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [mark, most + 1])
        found = [row[0] for row in cursor.fetchall()]
    if len(found) > most or any(pid is None for pid in found):
        return None
    return sorted(int(pid) for pid in found)


OUTCOMES_REFRESH_SECONDS = 15 * 60
Version = tuple[object, ...]


class _Kept:
    """The snapshot this process keeps, with the version it was built at and when (wall
    clock, seconds): one tuple, replaced whole, so a thread never pairs one version with
    another snapshot."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entry: tuple[Version, Directory, float] | None = None
        self.builds = 0
        self.incremental_builds = 0
        self.version_seen: tuple[Version, float] | None = None  # (version, monotonic time read)
        # Background refresh: the pointer file as last read, and the thread building, if any.
        self.pointer_seen: tuple[str, int, int] | None = None
        self.builder: threading.Thread | None = None

    def get(self, version: Version) -> Directory | None:
        entry = self.entry
        if entry is None:
            return None
        kept_version, directory, built_at = entry
        if kept_version == version:
            return directory
        only_outcomes_changed = kept_version[:-1] == version[:-1]
        if only_outcomes_changed and time.time() - built_at < OUTCOMES_REFRESH_SECONDS:
            return directory
        return None


_kept = _Kept()


# Background refresh: a process asks the database for the directory's version at most once in
# this many seconds; requests in between use the version it read last. A snapshot is
# rebuilt in the background anyway, so this adds at most this much to how long a change
# takes to reach matching, and saves a query on nearly every match of a busy process.
VERSION_CHECK_SECONDS = 1.0


def _checked_version() -> Version:
    seen = _kept.version_seen
    now = time.monotonic()
    if seen is not None and now - seen[1] < VERSION_CHECK_SECONDS and seen[0][0] == match_unverified_licenses():
        return seen[0]
    version = _current_version()
    _kept.version_seen = (version, now)
    return version


def _current_version(alias: str = DEFAULT_DB_ALIAS) -> Version:
    return (match_unverified_licenses(), *directory_version(alias))


def directory_snapshot() -> Directory:
    """The snapshot for the directory as it is now, or (background refresh) while a newer one
    is being built, the newest one built so far."""
    version = _checked_version() if refresh_in_background() else _current_version()
    if version[1] is None:
        # No version row (a database emptied by hand): nothing can be kept, read it afresh.
        return _build_counted(version, keep=False)
    if refresh_in_background():
        return _shared_snapshot(version)
    kept = _kept.get(version)
    if kept is not None:
        return kept
    with _kept.lock:
        kept = _kept.get(version)
        if kept is not None:
            return kept
        return _build_counted(version, keep=True)


def _build_counted(version: Version, *, keep: bool) -> Directory:
    began = time.perf_counter()
    directory = build_snapshot()
    _kept.builds += 1
    if keep:
        _kept.entry = (version, directory, time.time())
    log.log(logging.INFO if keep else logging.DEBUG, "matching snapshot built: %d bookable providers in %.2f s",
            directory.size, time.perf_counter() - began)
    return directory


def snapshot_builds() -> int:
    """How many snapshots this process has built."""
    return _kept.builds


# --- One snapshot per machine, refreshed in the background ---------------------------------------
#
# With CAREMATCH_MATCH_SNAPSHOT_REFRESH=background (the default) the snapshot lives in files
# under MATCH_SNAPSHOT_DIR (engine/store.py: .npy arrays, mapped read-only by every process),
# one folder per build, and a small pointer file names the newest folder and the version it
# was built at. A request reads the directory's version (one query, as always) and the
# pointer file's status (one stat); when the pointer changed it maps the newer folder and
# swaps it in whole. When the directory has moved past every built snapshot, the request is
# answered from the newest one there is, and a build starts in a thread of this process,
# unless another process of the machine is already building (a lock file decides). The
# builder publishes the folder (written under a temporary name, renamed when complete, then
# the pointer replaced atomically) and builds again at once if the directory changed while
# it read it. Only a machine's very first request, with no snapshot on disk at all, waits
# for a build (`carematch match_snapshot` at deploy makes one beforehand).
#
# A build is incremental when it can be: the database logs which providers each change
# touched (carematch/directory/version.py, models.DirectoryChange), the published snapshot
# records where the log stood when it read its rows (`change_mark`), and when at most
# `incremental_most` providers changed since, under the same license setting and outcome
# estimates, within the log's retention, the new snapshot is the published one with just
# those providers read again and spliced in (engine/store.py `patch_directory`); it is
# written, published and swapped in exactly as a whole one. Otherwise the whole directory
# is read. With a read replica, every read of a build goes to it (`_publish`).

KEEP_FOLDERS = 3


def refresh_in_background() -> bool:
    return bool(settings.MATCH_SNAPSHOT_REFRESH == "background")


def _database_key() -> str:
    """Which database a snapshot was read from: folders of two databases never mix."""
    db = connection.settings_dict
    named = f"{connection.vendor}|{db.get('HOST') or ''}|{db.get('PORT') or ''}|{db.get('NAME') or ''}"
    return hashlib.sha256(named.encode()).hexdigest()[:12]


def _pointer(unverified: object) -> Path:
    label = "unverified" if unverified else "verified"
    return Path(settings.MATCH_SNAPSHOT_DIR) / f"current-{_database_key()}-{label}.json"


def _read_pointer(pointer: Path) -> tuple[tuple[str, int, int], dict[str, Any]] | None:
    try:
        status = pointer.stat()
        seen = (str(pointer), status.st_mtime_ns, status.st_ino)
        return seen, json.loads(pointer.read_text())
    except (OSError, ValueError):
        return None


def _load_published(version: Version) -> None:
    """Map the newest published snapshot, if the pointer changed since this process last read it."""
    pointer = _pointer(version[0])
    try:
        status = pointer.stat()
    except OSError:
        return
    if _kept.pointer_seen == (str(pointer), status.st_mtime_ns, status.st_ino):
        return
    with _kept.lock:
        read = _read_pointer(pointer)
        if read is None or read[0] == _kept.pointer_seen:
            return
        seen, published = read
        try:
            directory = load_directory(pointer.parent / published["folder"])
        except (OSError, ValueError, KeyError):
            log.warning("matching snapshot %s could not be read; kept the one in use", published.get("folder"))
            return
        _kept.entry = (tuple(published["version"]), directory, float(published["built_at"]))
        _kept.pointer_seen = seen


def _shared_snapshot(version: Version) -> Directory:
    kept = _kept.get(version)
    if kept is not None:
        return kept
    _load_published(version)
    kept = _kept.get(version)
    if kept is not None:
        return kept
    entry = _kept.entry
    if entry is not None and entry[0][0] == version[0]:
        _start_builder()
        return entry[1]  # the newest there is: the new one is being built beside it
    # Nothing built on this machine yet under this setting: build it now (or wait for the
    # process building it), once.
    with _machine_lock(blocking=True):
        _load_published(version)
        if _kept.entry is None or _kept.entry[0][0] != version[0]:
            _publish(version)
            _load_published(version)
    entry = _kept.entry
    if entry is None:
        raise RuntimeError("the matching snapshot was built but could not be read back")
    if _kept.get(version) is None:
        _start_builder()  # another process published an older one meanwhile
    return entry[1]


class _machine_lock:
    """The lock file that lets one process of the machine build at a time."""

    def __init__(self, *, blocking: bool):
        self.blocking, self.held = blocking, False
        self.handle: Any = None

    def __enter__(self) -> bool:
        folder = Path(settings.MATCH_SNAPSHOT_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        self.handle = (folder / f"build-{_database_key()}.lock").open("a")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | (0 if self.blocking else fcntl.LOCK_NB))
            self.held = True
        except BlockingIOError:
            self.held = False
        return self.held

    def __exit__(self, *exc: object) -> None:
        if self.held:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def incremental_most(size: int) -> int:
    """How many changed providers a snapshot of `size` providers is updated for in place of a
    whole rebuild: 1% of them, at least 100 and at most 10,000 (re-reading that many
    providers' rows costs well under a whole rebuild)."""
    return min(INCREMENTAL_MOST, max(INCREMENTAL_LEAST, size // 100))


INCREMENTAL_LEAST, INCREMENTAL_MOST = 100, 10_000
# A snapshot older than the change log keeps changes (less a margin for long transactions,
# whose log rows carry the time they began) is rebuilt whole.
_INCREMENTAL_AGE_SECONDS = CHANGE_LOG_DAYS * 86400 - 6 * 3600


def _incremental(version: Version, alias: str) -> tuple[Directory, int] | None:
    """The snapshot at `version` (or later) made from the newest published one and the rows
    of the providers changed since it, when it is recent, was built under the same setting
    and outcome estimates, and few providers changed; None when a whole rebuild is due."""
    read = _read_pointer(_pointer(version[0]))
    if read is None:
        return None
    published = read[1]
    base_version, mark = published.get("version"), published.get("change_mark")
    if (mark is None or not base_version or base_version[0] != version[0] or base_version[-1] != version[-1]
            or time.time() - float(published.get("built_at", 0)) > _INCREMENTAL_AGE_SECONDS):
        return None
    try:
        base = load_directory(Path(settings.MATCH_SNAPSHOT_DIR) / published["folder"])
    except (OSError, ValueError, KeyError):
        return None
    changed = changed_since(int(mark), most=incremental_most(base.size), alias=alias)
    if changed is None:
        return None
    fresh = build_snapshot(only=changed)
    return patch_directory(base, np.array(changed, dtype=np.int64), fresh), len(changed)


REPLICA_WAIT_SECONDS = 10.0


def _replica_at(version: Version, alias: str) -> Version:
    """The version of the directory as `alias` has it, once it has reached `version` (the
    primary's, which requests compare with), waiting up to REPLICA_WAIT_SECONDS for a replica
    that lags; the version it has then, if it never does."""
    seen = _current_version(alias)
    if alias == DEFAULT_DB_ALIAS:
        return seen
    deadline = time.monotonic() + REPLICA_WAIT_SECONDS
    while seen != version and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = _current_version(alias)
    if seen != version:
        log.warning("the read replica has not reached the directory's version in %.0f s; the matching snapshot is "
                    "built from what it has and built again after", REPLICA_WAIT_SECONDS)
    return seen


def _publish(version: Version) -> Path:
    """Build the snapshot (the directory at `version` or later), write it beside the others
    and point to it. The caller holds the machine's lock. When few providers changed since
    the newest published snapshot, only their rows are read again (`_incremental`).

    With a read replica (carematch/replica.py) every read of the build goes to it: its rows,
    and the version and change-log mark the snapshot is labelled with, so that the label
    always says what the rows hold. Requests compare the label with the primary's version:
    while the replica lags, they see a snapshot older than the primary and a build starts
    again, so a change reaches matching at most the replica's lag later than without one."""
    folder = Path(settings.MATCH_SNAPSHOT_DIR)
    began = time.perf_counter()
    built_at = time.time()
    with replica_reads():
        alias = read_alias()
        version = _replica_at(version, alias)
        mark = change_mark(alias)  # before any row is read
        patched = _incremental(version, alias)
        directory = patched[0] if patched is not None else build_snapshot()
    _kept.builds += 1
    if patched is not None:
        _kept.incremental_builds += 1
    read_s = time.perf_counter() - began
    name = f"{int(built_at * 1000):015d}-{uuid.uuid4().hex[:8]}"
    temporary = folder / f".{name}.part"
    how = "incremental" if patched is not None else "whole"
    save_directory(directory, temporary, meta={"version": list(version), "change_mark": mark, "built": how})
    os.rename(temporary, folder / name)
    pointer = _pointer(version[0])
    staged = pointer.with_name(pointer.name + ".part")
    staged.write_text(json.dumps({"folder": name, "version": list(version), "built_at": built_at,
                                  "change_mark": mark, "built": how}))
    os.replace(staged, pointer)
    log.info("matching snapshot published (%s%s): %d bookable providers, read in %.2f s, written in %.2f s",
             how, f", {patched[1]} providers read again" if patched is not None else "", directory.size, read_s,
             time.perf_counter() - began - read_s)
    _prune(folder)
    directory_changes_prune()
    return folder / name


def _prune(folder: Path) -> None:
    """Remove all but the newest KEEP_FOLDERS snapshots of the folder and folders left half
    written. A process still mapping a removed one keeps its pages until it lets them go."""
    named = {json.loads(p.read_text()).get("folder") for p in folder.glob("current-*.json") if p.is_file()}
    built = sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in built[:-KEEP_FOLDERS]:
        if old.name not in named:
            shutil.rmtree(old, ignore_errors=True)
    for part in folder.glob(".*.part"):
        if time.time() - part.stat().st_mtime > 3600:
            shutil.rmtree(part, ignore_errors=True)


def _start_builder() -> None:
    """Start building a newer snapshot in a thread, unless this process already is."""
    with _kept.lock:
        if _kept.builder is not None and _kept.builder.is_alive():
            return
        _kept.builder = threading.Thread(target=_build_in_background, name="match-snapshot", daemon=True)
        _kept.builder.start()


def _build_in_background() -> None:
    try:
        with _machine_lock(blocking=False) as held:
            if not held:
                return  # another process of this machine is building
            for _ in range(5):
                version = _current_version()
                read = _read_pointer(_pointer(version[0]))
                if version[1] is None or (read is not None and tuple(read[1]["version"]) == version):
                    return
                _publish(version)
    except Exception:
        log.exception("the matching snapshot could not be built; requests keep the one in use")
    finally:
        connections.close_all()  # this thread's: the primary's and the replica's


def snapshot_refresh() -> Path | None:
    """Build and publish a snapshot of the directory now, unless the newest published one is
    already at the directory's version (deploy step, `carematch match_snapshot`). Returns
    its folder, or None when there was nothing to do."""
    version = _current_version()
    with _machine_lock(blocking=True):
        read = _read_pointer(_pointer(version[0]))
        if read is not None and tuple(read[1]["version"]) == version:
            return None
        return _publish(version)

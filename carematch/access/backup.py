"""Backing up and restoring carematch's database, for `carematch backup` and `carematch restore`.

SQLite is copied with its online backup API, which gives a consistent copy while the
server keeps writing (WAL included). PostgreSQL goes through pg_dump's custom format and
pg_restore; the password reaches those tools only through their PGPASSWORD environment
variable, never their command line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message is one sentence for the operator."""


def database_kind() -> str:
    """'sqlite' or 'postgresql': the engine of the configured database."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        return "sqlite"
    if engine in ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"):
        return "postgresql"
    raise BackupError(f"backups support SQLite and PostgreSQL, not {engine}.")


def backup_write(*, path: Path, force: bool) -> tuple[str, int]:
    """Write a backup of the live database to `path`; returns (kind, size in bytes).

    The backup is written to a temporary file beside `path` and renamed at the end, so a
    failed backup never leaves half a file behind.
    """
    kind = database_kind()
    if path.is_dir():
        raise BackupError(f"{path} is a folder; give a file name, e.g. {path / 'carematch.backup'}.")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent}: no such folder.")
    if path.exists() and not force:
        raise BackupError(f"{path} already exists; pass --force to replace it.")
    if kind == "sqlite" and path.exists() and path.samefile(_sqlite_live()):
        raise BackupError(f"{path} is the live database itself; choose another file.")
    try:
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise BackupError(f"{path} cannot be written: {exc.strerror or exc}.") from None
    os.close(handle)
    temporary = Path(name)
    try:
        if kind == "sqlite":
            _sqlite_backup(temporary)
        else:
            _run_pg("pg_dump", ["--format=custom", "--no-owner", f"--file={temporary}"])
        os.replace(temporary, path)
    except OSError as exc:
        raise BackupError(f"{path} cannot be written: {exc.strerror or exc}.") from None
    finally:
        temporary.unlink(missing_ok=True)
    return kind, path.stat().st_size


def restore_check(*, path: Path) -> str:
    """The kind of the live database, once `path` is known to be a backup of that kind."""
    kind = database_kind()
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    if kind == "sqlite":
        if path.samefile(_sqlite_live()):
            raise BackupError(f"{path} is the live database itself, not a backup of it.")
        with path.open("rb") as stream:
            if stream.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise BackupError(f"{path} is not a SQLite backup (this carematch runs on SQLite).")
        try:
            with closing(_sqlite_read_only(path)) as source:
                verdict = source.execute("PRAGMA integrity_check").fetchone()[0]
                tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} cannot be read as a SQLite database: {exc}.") from None
        if verdict != "ok":
            raise BackupError(f"{path} fails SQLite's integrity check ({verdict}); it cannot be restored.")
        if "django_migrations" not in tables:
            raise BackupError(f"{path} is a SQLite database but not a carematch backup.")
    else:
        _pg_tool("pg_restore")
        try:
            listing = _run_pg("pg_restore", ["--list", str(path.resolve())], needs_database=False)
        except BackupError as exc:
            raise BackupError(f"{path} is not a PostgreSQL backup (this carematch runs on PostgreSQL): {exc}") from None
        if "django_migrations" not in listing:
            raise BackupError(f"{path} is a PostgreSQL dump but not a carematch backup.")
    return kind


def restore_apply(*, path: Path, kind: str) -> None:
    """Replace the live database with the backup at `path` (checked first with `restore_check`)."""
    connection.close()
    if kind == "sqlite":
        try:
            live = _sqlite_live()
            with closing(_sqlite_read_only(path)) as source, closing(sqlite3.connect(live, timeout=20)) as target:
                source.backup(target)
        except sqlite3.Error as exc:
            raise BackupError(f"the restore from {path} failed: {exc}.") from None
    else:
        options = ["--clean", "--if-exists", "--no-owner", "--single-transaction", f"--dbname={_pg_name()}"]
        _run_pg("pg_restore", [*options, str(path.resolve())])
    connection.close()


def migrations_pending() -> int:
    """How many of carematch's migrations the restored database has not applied."""
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def key_counts() -> dict[str, int]:
    """Rows in a few tables an operator recognises, to show what a restore brought back."""
    from carematch.accounts.models import Client, User
    from carematch.directory.models import Provider
    from carematch.scheduling.models import Appointment

    return {
        "users": User.objects.count(),
        "clients": Client.objects.count(),
        "providers": Provider.objects.count(),
        "appointments": Appointment.objects.count(),
    }


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_live() -> Path:
    live = Path(settings.DATABASES["default"]["NAME"])
    if not live.is_file():
        raise BackupError(f"the database file {live} does not exist; run `carematch migrate` first.")
    return live


def _sqlite_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=20)


def _sqlite_backup(target: Path) -> None:
    try:
        with closing(_sqlite_read_only(_sqlite_live())) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
            # One self-contained file: no -wal file is needed to read the backup.
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"the SQLite backup failed: {exc}.") from None


# --- PostgreSQL --------------------------------------------------------------------------

# Connection options passed on to libpq's environment variables.
PG_OPTIONS = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}


def _pg_name() -> str:
    return str(settings.DATABASES["default"]["NAME"])


def _pg_environment() -> dict[str, str]:
    db: dict[str, Any] = settings.DATABASES["default"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[variable] = str(db[key])
    env["PGDATABASE"] = _pg_name()
    for option, variable in PG_OPTIONS.items():
        if db.get("OPTIONS", {}).get(option):
            env[variable] = str(db["OPTIONS"][option])
    return env


def _pg_tool(tool: str) -> str:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} was not found; install the PostgreSQL client tools (postgresql-client).")
    return executable


def _run_pg(tool: str, arguments: list[str], *, needs_database: bool = True) -> str:
    """Run a PostgreSQL client tool; its standard output, or a BackupError naming what went wrong."""
    executable = _pg_tool(tool)
    env = _pg_environment() if needs_database else {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    result = subprocess.run(  # noqa: S603 - a fixed tool; the password travels in PGPASSWORD only
        [executable, *arguments], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        reason = _last_line(result.stderr, secret=env.get("PGPASSWORD", ""))
        raise BackupError(f"{tool} failed (exit {result.returncode}): {reason}")
    return result.stdout


def _last_line(text: str, *, secret: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[-1] if lines else "no message"
    return line.replace(secret, "********") if secret else line

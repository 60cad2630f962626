"""`carematch backup` and `carematch restore` bring back every record, and refuse what is unsafe.

These tests run carematch's own commands in a separate process, on a database of their own
(a SQLite file, or a fresh PostgreSQL database in the PostgreSQL pass).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import pytest

from carematch.access import backup as backups
from carematch.tests.plugin import ON_POSTGRES, POSTGRES_URL

# Rows in the table of every model of every installed app, and in Django's migration record.
COUNT_EVERY_TABLE = """
import json
from django.apps import apps
from django.db.migrations.recorder import MigrationRecorder
models = [*apps.get_models(include_auto_created=True), MigrationRecorder.Migration]
print(json.dumps({m._meta.db_table: m._base_manager.count() for m in models if not m._meta.proxy}))
"""

# Five providers go: the first five that nothing protects (the demo practice's providers have
# sessions, which keep them).
DELETE_SOME_ROWS = """
from django.db import transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from carematch.accounts.models import ApiToken
from carematch.directory.models import Provider
ApiToken.objects.all().delete()
gone = 0
for provider in Provider.objects.order_by("pk"):
    if gone == 5:
        break
    try:
        with transaction.atomic():
            provider.delete()
    except (ProtectedError, RestrictedError):
        continue
    gone += 1
"""


@pytest.fixture
def carematch(tmp_path):
    """Runs a carematch command on a migrated database of its own; returns the finished process."""
    created_db = None
    if ON_POSTGRES:
        import psycopg

        created_db = f"carematch_backup_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{created_db}"')
        database_url = urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{created_db}"))
    else:
        database_url = f"sqlite:///{tmp_path}/live.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREMATCH_", "DJANGO_", "PG"))}
    env |= {"CAREMATCH_DATABASE_URL": database_url, "CAREMATCH_DEBUG": "1", "CAREMATCH_VAR_DIR": str(tmp_path),
            "CAREMATCH_SECRET_KEY": secrets.token_urlsafe(50), "CAREMATCH_LOG_LEVEL": "WARNING"}

    def run(*args):
        result = subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-m", "carematch", *args], env=env, capture_output=True, text=True, timeout=300,
            check=False,
        )
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        return result

    run.ok = lambda *args: _succeeded(run(*args))
    assert run("migrate", "-v", "0").returncode == 0
    try:
        yield run
    finally:
        if created_db:
            import psycopg

            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{created_db}" WITH (FORCE)')


def _succeeded(result):
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def counts(carematch):
    return json.loads(carematch.ok("shell", "--no-imports", "-c", COUNT_EVERY_TABLE).stdout)


def test_a_restored_database_holds_every_record_it_held_at_backup_time(carematch, tmp_path):
    carematch.ok("seed_demo", "--providers", "50")
    carematch.ok("issue_token", "--email", "backup@example.test", "--role", "client", "--name", "backup test")
    backup = tmp_path / "carematch.backup"
    written = carematch.ok("backup", str(backup)).stdout
    assert str(backup) in written and written.count("\n") == 1
    at_backup = counts(carematch)
    assert at_backup["directory_provider"] == 50 and at_backup["accounts_apitoken"] == 1

    carematch.ok("seed_demo", "--providers", "80", "--seed", "9")
    carematch.ok("shell", "--no-imports", "-c", DELETE_SOME_ROWS)
    changed = counts(carematch)
    assert changed["directory_provider"] == 125 and changed["accounts_apitoken"] == 0

    restored = carematch.ok("restore", str(backup), "--yes").stdout
    assert "50 providers" in restored
    assert counts(carematch) == at_backup
    assert "No planned migration operations" in carematch.ok("migrate", "--plan").stdout


def test_restore_without_yes_refuses_and_changes_nothing(carematch, tmp_path):
    backup = tmp_path / "carematch.backup"
    carematch.ok("backup", str(backup))
    carematch.ok("issue_token", "--email", "later@example.test", "--role", "client")
    before = counts(carematch)

    refused = carematch("restore", str(backup))
    assert refused.returncode != 0 and "--yes" in refused.stderr
    assert counts(carematch) == before


def test_a_file_that_is_not_a_backup_is_refused(carematch, tmp_path):
    carematch.ok("issue_token", "--email", "kept@example.test", "--role", "client")
    before = counts(carematch)
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("these are not the rows you are looking for\n" * 100)

    refused = carematch("restore", str(not_a_backup), "--yes")
    assert refused.returncode != 0 and "is not a" in refused.stderr and "backup" in refused.stderr
    missing = carematch("restore", str(tmp_path / "missing.backup"), "--yes")
    assert missing.returncode != 0 and "no such file" in missing.stderr
    assert counts(carematch) == before


def test_backup_refuses_to_overwrite_a_file_without_force(carematch, tmp_path):
    backup = tmp_path / "carematch.backup"
    backup.write_bytes(b"an earlier file")

    refused = carematch("backup", str(backup))
    assert refused.returncode != 0 and "--force" in refused.stderr
    assert backup.read_bytes() == b"an earlier file"

    carematch.ok("backup", str(backup), "--force")
    assert backup.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".carematch.backup")) == []


def test_a_failed_pg_dump_leaves_no_file_and_never_shows_the_password(monkeypatch, tmp_path):
    secret = "pw-" + secrets.token_hex(12)
    db = {"ENGINE": "django.db.backends.postgresql", "NAME": "carematch", "USER": "carematch", "PASSWORD": secret,
          "HOST": "db.example.test", "PORT": "5432", "OPTIONS": {"sslmode": "require"}}
    calls = []

    def failing_pg_dump(argv, *, env, **kwargs):
        calls.append((argv, env))
        Path(argv[-1].removeprefix("--file=")).write_bytes(b"PGDMP half a dump")
        return subprocess.CompletedProcess(argv, 1, "", f"pg_dump: error: connection failed; password {secret}\n")

    monkeypatch.setattr(backups, "settings", SimpleNamespace(DATABASES={"default": db}))
    monkeypatch.setattr(backups.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    monkeypatch.setattr(backups.subprocess, "run", failing_pg_dump)
    target = tmp_path / "carematch.backup"

    with pytest.raises(backups.BackupError) as failure:
        backups.backup_write(path=target, force=False)

    assert "pg_dump failed" in str(failure.value) and secret not in str(failure.value)
    [(argv, env)] = calls
    assert secret not in " ".join(argv)
    assert env["PGPASSWORD"] == secret and env["PGHOST"] == "db.example.test" and env["PGSSLMODE"] == "require"
    assert list(tmp_path.iterdir()) == []

"""Settings come from CAREMATCH_* variables; production refuses unsafe ones."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys

import pytest

STRONG_KEY = secrets.token_urlsafe(50)
FERNET_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def carematch(*args: str, tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CAREMATCH_", "DJANGO_"))}
    clean |= {"CAREMATCH_VAR_DIR": str(tmp_path), "CAREMATCH_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"} | env
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "carematch", *args], env=clean, capture_output=True, text=True, timeout=120, check=False
    )


JITSI = {"CAREMATCH_JITSI_DOMAIN": "meet.northside-practice.org", "CAREMATCH_JITSI_APP_ID": "carematch",
         "CAREMATCH_JITSI_APP_SECRET": secrets.token_urlsafe(32)}


def collect_static(tmp_path) -> None:
    """What the deploy step does before the app servers start (carematch.checks.static_files_check)."""
    collected = carematch("collectstatic", "--no-input", "-v", "0", tmp_path=tmp_path, CAREMATCH_DEBUG="0")
    assert collected.returncode == 0, collected.stderr


def test_check_deploy_is_clean_in_production_with_a_real_key(tmp_path):
    collect_static(tmp_path)
    result = carematch(
        "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path,
        CAREMATCH_DEBUG="0", CAREMATCH_SECRET_KEY=STRONG_KEY, CAREMATCH_ALLOWED_HOSTS="example.org",
        CAREMATCH_ENCRYPTION_KEYS=FERNET_KEY, **JITSI,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["all", "CAREMATCH_JITSI_APP_SECRET"])
def test_check_deploy_warns_when_no_video_service_is_configured(tmp_path, missing):
    jitsi = {} if missing == "all" else {name: value for name, value in JITSI.items() if name != missing}
    collect_static(tmp_path)
    result = carematch(
        "check", "--deploy", tmp_path=tmp_path,
        CAREMATCH_DEBUG="0", CAREMATCH_SECRET_KEY=STRONG_KEY, CAREMATCH_ALLOWED_HOSTS="example.org",
        CAREMATCH_ENCRYPTION_KEYS=FERNET_KEY, **jitsi,
    )
    assert result.returncode == 0, result.stdout + result.stderr  # a warning, not an error
    output = result.stdout + result.stderr
    assert "(carematch.W020)" in output
    assert ("No video service is configured" if missing == "all" else f"{missing} missing") in output
    assert JITSI["CAREMATCH_JITSI_APP_SECRET"] not in output


def test_a_jitsi_domain_with_a_scheme_or_a_path_is_refused(tmp_path):
    result = carematch("check", tmp_path=tmp_path, CAREMATCH_DEBUG="1",
                       CAREMATCH_JITSI_DOMAIN="https://meet.northside-practice.org/")
    assert result.returncode != 0
    assert "CAREMATCH_JITSI_DOMAIN must be the Jitsi Meet host name alone" in result.stderr


@pytest.mark.parametrize("key", ["", "short-key", "a" * 60])
def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, key):
    result = carematch("check", tmp_path=tmp_path, CAREMATCH_DEBUG="0", CAREMATCH_SECRET_KEY=key)
    assert result.returncode != 0
    assert "CAREMATCH_SECRET_KEY" in result.stderr
    assert key == "" or key not in result.stderr  # the key itself is never printed


@pytest.mark.parametrize("keys", ["", "not-a-fernet-key", f"{FERNET_KEY},short"])
def test_production_refuses_to_start_without_usable_encryption_keys(tmp_path, keys):
    result = carematch("migrate", tmp_path=tmp_path, CAREMATCH_DEBUG="0", CAREMATCH_SECRET_KEY=STRONG_KEY,
                       CAREMATCH_ENCRYPTION_KEYS=keys)
    assert result.returncode != 0
    assert "CAREMATCH_ENCRYPTION_KEYS" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert FERNET_KEY not in result.stderr  # keys are never printed


@pytest.mark.parametrize("days", ["0", "-30"])
def test_a_retention_period_under_one_day_is_refused(tmp_path, days):
    # Zero would let purge_expired erase a removed record at once.
    result = carematch("check", tmp_path=tmp_path, CAREMATCH_DEBUG="1", CAREMATCH_RETENTION_DAYS=days)
    assert result.returncode != 0 and "CAREMATCH_RETENTION_DAYS" in result.stderr


SHOW_MATCH_UNVERIFIED = "from django.conf import settings; print(settings.MATCH_UNVERIFIED_LICENSES)"


@pytest.mark.parametrize(("value", "shown"), [(None, "False"), ("0", "False"), ("1", "True"), ("yes", "True")])
def test_only_verified_licenses_count_unless_the_network_says_so(tmp_path, value, shown):
    env = {} if value is None else {"CAREMATCH_MATCH_UNVERIFIED_LICENSES": value}
    result = carematch("shell", "--no-imports", "-c", SHOW_MATCH_UNVERIFIED, tmp_path=tmp_path, CAREMATCH_DEBUG="1",
                       **env)
    assert result.stdout.strip() == shown, result.stderr


def test_an_unclear_choice_about_unverified_licenses_is_refused(tmp_path):
    # A typo must not silently decide whether unverified licenses are matched.
    result = carematch("check", tmp_path=tmp_path, CAREMATCH_DEBUG="1", CAREMATCH_MATCH_UNVERIFIED_LICENSES="ture")
    assert result.returncode != 0 and "CAREMATCH_MATCH_UNVERIFIED_LICENSES must be 1" in result.stderr


def test_encryption_keys_may_come_from_a_key_file_but_not_from_both_places(tmp_path):
    key_file = tmp_path / "keys"
    key_file.write_text(f"# newest first\n{FERNET_KEY}\n")
    from_file = carematch("check", tmp_path=tmp_path, CAREMATCH_DEBUG="0", CAREMATCH_SECRET_KEY=STRONG_KEY,
                          CAREMATCH_ALLOWED_HOSTS="example.org", CAREMATCH_ENCRYPTION_KEY_FILE=str(key_file))
    assert from_file.returncode == 0, from_file.stderr
    both = carematch("check", tmp_path=tmp_path, CAREMATCH_DEBUG="0", CAREMATCH_SECRET_KEY=STRONG_KEY,
                     CAREMATCH_ENCRYPTION_KEY_FILE=str(key_file), CAREMATCH_ENCRYPTION_KEYS=FERNET_KEY)
    assert both.returncode != 0 and "Set only one of" in both.stderr


def test_debug_generates_a_private_encryption_key_once_into_var(tmp_path):
    for _ in range(2):
        assert carematch("check", tmp_path=tmp_path, CAREMATCH_DEBUG="1").returncode == 0
    key_file = tmp_path / "dev_encryption_keys"
    assert len(key_file.read_text().strip().splitlines()) == 1
    assert key_file.stat().st_mode & 0o077 == 0


def test_debug_generates_a_private_dev_key_once_into_var(tmp_path):
    for _ in range(2):
        assert carematch("check", tmp_path=tmp_path, CAREMATCH_DEBUG="1").returncode == 0
    key_file = tmp_path / "dev_secret_key"
    assert len(key_file.read_text().strip()) >= 50
    assert key_file.stat().st_mode & 0o077 == 0


SHOW_DB = (
    "import json; from django.conf import settings; from django.db import connection; "
    "d = settings.DATABASES['default']; out = {'engine': d['ENGINE'], 'options': d.get('OPTIONS', {}), "
    "'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, 'email': settings.EMAIL_BACKEND}; "
    "out['journal'] = connection.cursor().execute('PRAGMA journal_mode').fetchone()[0] "
    "if connection.vendor == 'sqlite' else None; print(json.dumps(out))"
)


def test_sqlite_is_the_default_with_wal_and_immediate_transactions(tmp_path):
    result = carematch("shell", "--no-imports", "-c", SHOW_DB, tmp_path=tmp_path, CAREMATCH_DEBUG="1")
    shown = json.loads(result.stdout)
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["options"]["transaction_mode"] == "IMMEDIATE"
    assert shown["journal"] == "wal"
    assert shown["email"] == "django.core.mail.backends.console.EmailBackend"
    assert shown["hosts"] == ["127.0.0.1", "localhost"]


def test_variables_switch_database_email_and_hosts(tmp_path):
    show = SHOW_DB.replace("connection.vendor == 'sqlite'", "False")
    result = carematch(
        "shell", "--no-imports", "-c", show, tmp_path=tmp_path, CAREMATCH_DEBUG="1",
        CAREMATCH_DATABASE_URL="postgres://u:p@db.internal:5433/carematch",
        CAREMATCH_EMAIL_URL="smtp://mailer:pw@mail.internal:587/?tls=True",
        CAREMATCH_ALLOWED_HOSTS="care.example.org,www.care.example.org",
    )
    shown = json.loads(result.stdout)
    assert shown["engine"] == "django.db.backends.postgresql"
    assert shown["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert shown["hosts"] == ["care.example.org", "www.care.example.org"]


def test_the_command_is_installed_and_lists_carematch_commands(tmp_path):
    result = carematch("help", tmp_path=tmp_path, CAREMATCH_DEBUG="1")
    for command in ("issue_token", "revoke_token", "seed_demo", "migrate", "runserver", "createsuperuser"):
        assert command in result.stdout


def test_the_demo_seed_is_idempotent_and_refused_in_production(tmp_path):
    assert carematch("migrate", "-v", "0", tmp_path=tmp_path, CAREMATCH_DEBUG="1").returncode == 0
    first = carematch("seed_demo", "--providers", "60", tmp_path=tmp_path, CAREMATCH_DEBUG="1")
    second = carematch("seed_demo", "--providers", "60", tmp_path=tmp_path, CAREMATCH_DEBUG="1")
    assert "Demo logins: 4 created." in first.stdout
    assert "Demo network: 60 providers created" in first.stdout
    assert "Demo practice: 6 clients in" in first.stdout
    assert "Demo logins: 4 already present; left as they are." in second.stdout
    assert "already present (60 providers)" in second.stdout
    assert "Demo practice already present; left as it is." in second.stdout
    refused = carematch("seed_demo", tmp_path=tmp_path, CAREMATCH_DEBUG="0", CAREMATCH_SECRET_KEY=STRONG_KEY,
                        CAREMATCH_ENCRYPTION_KEYS=FERNET_KEY)
    assert refused.returncode != 0 and "Refusing" in refused.stderr


def test_the_web_application_refuses_to_start_without_a_key_but_offline_commands_run(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CAREMATCH_", "DJANGO_"))}
    clean |= {"CAREMATCH_VAR_DIR": str(tmp_path), "CAREMATCH_DEBUG": "0"}
    wsgi = subprocess.run(
        [sys.executable, "-c", "import carematch.wsgi"], env=clean, capture_output=True, text=True, timeout=120,
        check=False,
    )
    assert wsgi.returncode != 0 and "CAREMATCH_SECRET_KEY is not set" in wsgi.stderr
    for refused in (["runserver", "--noreload"], ["db_worker"], ["migrate"]):
        result = carematch(*refused, tmp_path=tmp_path, CAREMATCH_DEBUG="0")
        assert result.returncode != 0 and "CAREMATCH_SECRET_KEY is not set" in result.stderr
    offline = carematch("makemigrations", "--check", "--dry-run", tmp_path=tmp_path, CAREMATCH_DEBUG="0")
    assert offline.returncode == 0, offline.stderr

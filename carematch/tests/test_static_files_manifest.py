"""Production serves static files from the manifest `collectstatic` writes. Without it every
page would answer 500 ("Missing staticfiles manifest entry"); instead the app server refuses
to start, and `check --deploy` says so, both naming the fix."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from carematch.checks import require_static_files, static_files_check

MANIFEST_STORAGE = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}


@pytest.fixture
def manifest_storage(tmp_path, settings):
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": MANIFEST_STORAGE}, STATIC_ROOT=tmp_path):
        yield tmp_path


def test_a_missing_manifest_is_an_error_naming_collectstatic(manifest_storage):
    [error] = static_files_check()
    assert error.id == "carematch.E030" and "missing" in error.msg
    assert "collectstatic" in error.hint
    with pytest.raises(ImproperlyConfigured, match="carematch collectstatic --no-input"):
        require_static_files()


def test_collected_static_files_pass(manifest_storage):
    call_command("collectstatic", interactive=False, verbosity=0)
    assert static_files_check() == []
    require_static_files()


def test_a_manifest_older_than_a_static_file_is_an_error(manifest_storage):
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = manifest_storage / "staticfiles.json"
    written = json.loads(manifest.read_text())
    gone = sorted(written["paths"])[0]
    del written["paths"][gone]
    manifest.write_text(json.dumps(written))
    [error] = static_files_check()
    assert "out of date" in error.msg and gone in error.msg


def test_debug_serves_files_without_a_manifest(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    assert static_files_check() == []


def test_the_app_server_refuses_to_start_without_collected_static_files(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREMATCH_", "DJANGO_"))}
    env |= {
        "CAREMATCH_DEBUG": "0", "CAREMATCH_SECRET_KEY": secrets.token_urlsafe(50),
        "CAREMATCH_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "CAREMATCH_VAR_DIR": str(tmp_path), "CAREMATCH_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    start = [sys.executable, "-c", "import carematch.wsgi"]
    refused = subprocess.run(start, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    assert refused.returncode != 0
    assert "manifest" in refused.stderr and "carematch collectstatic --no-input" in refused.stderr
    collect = [sys.executable, "-m", "carematch", "collectstatic", "--no-input", "-v", "0"]
    subprocess.run(collect, env=env, capture_output=True, timeout=120, check=True)  # noqa: S603
    started = subprocess.run(start, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    assert started.returncode == 0, started.stderr

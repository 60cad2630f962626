"""The server runs on the run-time dependencies alone: starting it loads neither Faker (in
the `demo` extra, for seed_demo, seed_waitlist and bench_match) nor tqdm (loaded only when
import_roster reads a roster). Checked in a fresh interpreter with production settings, as
the test run itself has both loaded: the WSGI application (every app, its models and
admin), the URL conf (every page and API module), and then every other module of carematch
but the tests, migrations, management commands and demo data."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys

IMPORT_THE_SERVER = """
import importlib, json, pkgutil, sys
import carematch, carematch.wsgi, carematch.urls
skipped = (".tests", ".migrations", ".management", ".demo", ".__main__")
for module in pkgutil.walk_packages(carematch.__path__, "carematch."):
    if not any(part in module.name for part in skipped):
        importlib.import_module(module.name)
print(json.dumps({
    "carematch": sorted(name for name in sys.modules if name.startswith("carematch.")),
    "faker or tqdm": sorted(name for name in sys.modules if name.split(".")[0] in {"faker", "tqdm"}),
}))
"""


def test_starting_the_server_loads_neither_faker_nor_tqdm(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREMATCH_", "DJANGO_"))}
    env |= {
        "CAREMATCH_DEBUG": "0", "CAREMATCH_SECRET_KEY": secrets.token_urlsafe(50),
        "CAREMATCH_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "CAREMATCH_VAR_DIR": str(tmp_path), "CAREMATCH_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    # Production starts only with its static files collected (carematch.checks.require_static_files).
    subprocess.run(
        [sys.executable, "-m", "carematch", "collectstatic", "--no-input", "-v", "0"], env=env, capture_output=True,
        timeout=120, check=True,
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", IMPORT_THE_SERVER], env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert {"carematch.urls", "carematch.api", "carematch.directory.views", "carematch.directory.roster",
            "carematch.scheduling.views", "carematch.care.views"} <= set(loaded["carematch"])
    assert loaded["faker or tqdm"] == []

"""The test machinery itself (carematch/tests/plugin.py): CAREMATCH_TEST_NOW moves the clock
of the whole session, live-server threads included; a wrapped name that no longer exists
fails the run instead of turning its check off; DJANGO_ALLOW_ASYNC_UNSAFE is set only while
a module's browser runs.

Each case runs a small pytest session of its own, in a subprocess, with the same plugin on a
throwaway SQLite database, as the log-leak test does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import carematch
from carematch.tests.plugin import CHROMIUM, skip_or_fail

# The inner session imports this carematch, not whichever one is installed.
SOURCE_ROOT = str(Path(carematch.__file__).resolve().parents[1])


def inner_session(tmp_path: Path, files: dict[str, str], **env: str) -> subprocess.CompletedProcess[str]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nDJANGO_SETTINGS_MODULE = carematch.settings\nmarkers =\n    browser: drives Chromium\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CAREMATCH_", "DJANGO_"))}
    clean |= {"CAREMATCH_VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": SOURCE_ROOT, **env}
    return subprocess.run(  # noqa: S603 - the arguments are this test's own file names
        [sys.executable, "-m", "pytest", "-p", "carematch.tests.plugin", "-p", "no:cacheprovider", "--no-migrations",
         "-q", *sorted(files)],
        cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=600, check=False,
    )


BROWSER_MODULE = '''
import os

import pytest

from carematch.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_browser_runs_and_the_orm_works_beside_it(browser_page):
    browser_page.goto("/")
    assert os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] == "true"
    assert User.objects.count() == 0
'''

AFTER_THE_BROWSER = '''
import asyncio
import datetime as dt
import os
import threading

import pytest
from django.utils import timezone

from carematch.accounts.models import User


@pytest.mark.django_db(transaction=True)  # so that it runs after the (transactional) browser test
def test_after_the_browser_module_nothing_allows_unsafe_calls():
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
    assert User.objects.count() == 0


def test_the_clock_is_where_carematch_test_now_put_it_in_every_thread():
    moved = dt.datetime(2031, 6, 2, 10, tzinfo=dt.UTC)
    assert moved <= timezone.now() < moved + dt.timedelta(minutes=10)
    assert dt.date.today() == dt.date(2031, 6, 2)
    seen = []
    thread = threading.Thread(target=lambda: seen.append(timezone.now()))
    thread.start()
    thread.join()
    assert moved <= seen[0] < moved + dt.timedelta(minutes=10)
'''


def test_a_moved_clock_reaches_every_thread_and_the_browser_permission_ends_with_its_module(tmp_path):
    if not shutil.which(CHROMIUM):
        skip_or_fail(f"this test drives Chromium at {CHROMIUM} (apt-get install chromium)")
    inner = inner_session(
        tmp_path, {"test_a_browser.py": BROWSER_MODULE, "test_b_after.py": AFTER_THE_BROWSER},
        CAREMATCH_TEST_NOW="2031-06-02T10:00:00Z",
    )
    assert inner.returncode == 0, inner.stdout + inner.stderr
    assert "3 passed" in inner.stdout and "warning" not in inner.stdout, inner.stdout


def test_a_carematch_test_now_without_an_offset_is_refused(tmp_path):
    inner = inner_session(tmp_path, {"test_nothing.py": "def test_nothing():\n    pass\n"},
                          CAREMATCH_TEST_NOW="2031-06-02T10:00:00")
    assert inner.returncode != 0
    assert "CAREMATCH_TEST_NOW='2031-06-02T10:00:00' needs a UTC offset" in inner.stdout + inner.stderr


RENAMED = '''
from carematch.accounts import mfa

# As if the function had been renamed: the log-leak check could no longer note recovery codes.
del mfa.recovery_code_new


def test_anything():
    pass
'''


def test_a_wrapped_function_that_no_longer_exists_fails_the_run_and_is_named(tmp_path):
    inner = inner_session(tmp_path, {"test_renamed.py": RENAMED})
    assert inner.returncode == 1, inner.stdout + inner.stderr
    assert "1 error" in inner.stdout and "passed" not in inner.stdout, inner.stdout
    assert ("wraps carematch.accounts.mfa.recovery_code_new (the log-leak check notes every recovery code), "
            "and it no longer exists") in inner.stdout, inner.stdout

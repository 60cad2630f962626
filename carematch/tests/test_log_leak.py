"""The suite's log-leak check (carematch/tests/plugin.py) finds a person's details in the log and
fails the session, and passes a session that logs none.

Each case runs a small pytest session of its own, in a subprocess, with the same plugin
(`-p carematch.tests.plugin`) on a throwaway SQLite database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import carematch

# The inner session imports this carematch, not whichever one is installed.
SOURCE_ROOT = str(Path(carematch.__file__).resolve().parents[1])

INNER_TEST = '''
import logging

import pytest

from carematch.scheduling.tests.factories import ClientFactory

logger = logging.getLogger("carematch.inner")


@pytest.mark.django_db
def test_a_client_is_seen():
    client = ClientFactory(first_name="Quillonette", last_name="Vandersloot")
{logging}
'''


def inner_session(tmp_path: Path, *logging_lines: str) -> subprocess.CompletedProcess[str]:
    body = "\n".join(f"    {line}" for line in logging_lines)
    (tmp_path / "test_inner.py").write_text(INNER_TEST.format(logging=body))
    (tmp_path / "pytest.ini").write_text("[pytest]\nDJANGO_SETTINGS_MODULE = carematch.settings\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREMATCH_", "DJANGO_"))}
    env |= {"CAREMATCH_VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": SOURCE_ROOT}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "carematch.tests.plugin", "-p", "no:cacheprovider", "--no-migrations",
         "-q", "test_inner.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def test_a_client_name_or_email_in_the_log_fails_the_session_and_the_report_names_logger_level_and_kind(tmp_path):
    inner = inner_session(
        tmp_path,
        'logger.warning("reached %s", client.last_name)',
        'logger.info("safe: client %s", client.pk)',
        'logger.error("failed", exc_info=ValueError(client.user.email))',
    )

    assert inner.returncode == 1, inner.stdout + inner.stderr
    assert "1 passed" in inner.stdout  # the test itself passed; the session failed on the log
    assert "logger carematch.inner, level WARNING: client name (1 record)" in inner.stdout, inner.stdout
    # The email is only in the exception logged with the record.
    assert "logger carematch.inner, level ERROR: email address (1 record)" in inner.stdout, inner.stdout
    assert "level INFO" not in inner.stdout
    # The report never repeats the values.
    assert "vandersloot" not in inner.stdout.lower() and "@example.test" not in inner.stdout


def test_a_session_that_logs_only_record_ids_passes_and_says_what_it_scanned(tmp_path):
    inner = inner_session(tmp_path, 'logger.warning("reached client %s", client.pk)')

    assert inner.returncode == 0, inner.stdout + inner.stderr
    summary = next(line for line in inner.stdout.splitlines() if line.startswith("log-leak check:"))
    assert summary.startswith("log-leak check: 1 log records scanned for "), summary
    assert summary.endswith("seeded values: none found"), summary


def test_a_word_or_identifier_of_the_code_is_not_taken_for_a_persons_details():
    """A generated request may type a field name ("client_id") into a free-text field; every
    traceback quotes code holding it, so it is no canary. A person's name or note still is."""
    from carematch.tests.plugin import LogLeakCheck

    check = LogLeakCheck(level=20)
    for value in ("client_id", "crisis_request", "Client", "Vandersloot", "Rang at 15:07, no answer"):
        check.add("note", value)

    assert sorted(check.canaries) == ["rang at 15:07, no answer", "vandersloot"]

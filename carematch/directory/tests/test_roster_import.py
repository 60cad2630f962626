"""Importing a roster CSV: every problem of every row is reported as `line N: column: what is
wrong`, the import is all or nothing unless --partial, rows are upserted by NPI, and
`carematch import_roster` says what happened and exits non-zero when a row was rejected."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import AvailabilityWindow, License, LicenseStatus, Provider, VerificationSource
from carematch.directory.payers import seeded
from carematch.directory.records import ProviderRecord, WindowRecord
from carematch.directory.roster import COLUMNS, REQUIRED_COLUMNS, roster_import, roster_read, roster_write
from carematch.directory.services import license_set_status
from carematch.directory.validation import build_provider_record, clean_license
from carematch.lib import vocab
from carematch.lib.languages import LANGUAGES
from carematch.lib.npi import make_npi

DATA = Path(__file__).parent / "data"
GOOD = DATA / "roster_good.csv"
BAD = DATA / "roster_bad.csv"
HEADER = ",".join(REQUIRED_COLUMNS)

BAD_PROBLEMS = [
    "line 3: npi: '1000002019' is not a valid NPI: check digit is wrong",
    "line 4: licenses: 'XX:LPC:2002:2031-06-30': 'XX' is not a US state code (the 50 states and DC)",
    "line 5: licenses: 'CO:LPC:2003:2031-13-01': '2031-13-01' is not an expiry date in the form YYYY-MM-DD",
    "line 6: concerns: unknown concern 'hoarding'",
    "line 7: zip: is required when formats include in_person",
    "line 8: timezone: 'America/Denvr' is not an IANA time zone (e.g. America/Denver)",
    "line 9: availability: 'mon 9-12': '9' is not a time HH:MM",
    "line 9: availability: fri 10:00-09:00 ends before it starts",
    "line 10: npi: 1000002000 is also on line 2",
    "line 11: phone: '555-1234' is not a valid phone number",
    "line 12: email: 'casey@' is not a valid email address",
    "line 13: self_pay_rate: '12.50' is not a whole number of US dollars",
    "line 14: accepting_new: 'maybe' is not one of true/false/yes/no/1/0",
    "line 15: taxonomy: '999X00000X' is not a known NUCC behavioural-health taxonomy code",
    "line 16: last_name: last name is required",
    "line 17: npi: '12345' is not a valid NPI: must be 10 digits",
    "line 17: first_name: first name is required",
    "line 17: licenses: 'CO:LPC:2015' is not a license like STATE:TYPE:NUMBER:YYYY-MM-DD",
    "line 21: row: has 18 values, but the header names 23 columns",
]
BAD_SUMMARY = "created 0, updated 0, unchanged 0, rejected 16"
# Lines 2 and 19 of roster_bad.csv are good.
BAD_FILE_GOOD_NPIS = {"1000002000", "1000002166"}


def run(*args: str) -> tuple[str, list[str], CommandError | None]:
    """stdout, the lines on stderr, and the CommandError (a non-zero exit) if there was one."""
    out, err = io.StringIO(), io.StringIO()
    error = None
    try:
        call_command("import_roster", *[str(a) for a in args], stdout=out, stderr=err)
    except CommandError as exc:
        error = exc
    return out.getvalue(), err.getvalue().splitlines(), error


def directory() -> dict[str, object]:
    """Everything the import writes, in a form two states can be compared by."""
    return {
        "providers": sorted(Provider.objects.values_list("npi", "first_name", "self_pay_rate", "updated_at")),
        "licenses": sorted(License.objects.values_list("provider__npi", "number", "expires", "status")),
        "windows": sorted(AvailabilityWindow.objects.values_list("provider__npi", "weekday", "start", "end")),
    }


# --- Bad rows ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_roster_with_bad_rows_is_rejected_whole_with_one_line_per_problem():
    out, problems, error = run(BAD)

    assert problems == BAD_PROBLEMS
    assert out == BAD_SUMMARY + " (nothing was written)\n"
    assert error is not None and str(error) == (
        "16 rows rejected: nothing was written. Fix them and import again, or use --partial"
    )
    assert not Provider.objects.exists() and not License.objects.exists()


@pytest.mark.django_db
def test_with_partial_the_good_rows_are_written_and_the_bad_ones_still_reported():
    out, problems, error = run(BAD, "--partial")

    assert problems == BAD_PROBLEMS
    assert out == "created 2, updated 0, unchanged 0, rejected 16\n"
    assert error is not None and str(error) == "16 rows rejected; the other rows were imported"
    assert set(Provider.objects.values_list("npi", flat=True)) == BAD_FILE_GOOD_NPIS
    # The row starting on line 19 spans two lines: its quoted address holds a line break.
    assert Provider.objects.get(npi="1000002166").address == "12 Pearl St Suite 4"

    out, _, error = run(BAD, "--partial")
    assert out == "created 0, updated 0, unchanged 2, rejected 16 (nothing was written)\n"
    assert error is not None and str(error) == "16 rows rejected; the other rows needed no change"


@pytest.mark.django_db
def test_a_dry_run_of_a_bad_roster_reports_the_problems_and_writes_nothing():
    out, problems, error = run(BAD, "--dry-run")

    assert problems == BAD_PROBLEMS
    assert out == BAD_SUMMARY + " (dry run: nothing was written)\n"
    assert error is not None and "would write nothing" in str(error)
    assert not Provider.objects.exists()


@pytest.mark.django_db
def test_a_dry_run_with_partial_says_which_good_rows_would_be_written():
    out, _, error = run(BAD, "--dry-run", "--partial")

    assert out == "created 2, updated 0, unchanged 0, rejected 16 (dry run: nothing was written)\n"
    assert error is not None and "would write the other rows" in str(error)
    assert not Provider.objects.exists()


def test_the_command_exits_non_zero_with_the_problems_on_stderr_and_the_summary_on_stdout(tmp_path):
    # The rows are checked against the deployment's payers, so the throwaway database is migrated.
    assert carematch_command(tmp_path, "migrate", "--verbosity", "0").returncode == 0
    completed = carematch_command(tmp_path, "import_roster", str(BAD))

    assert completed.returncode == 1
    assert completed.stdout == BAD_SUMMARY + " (nothing was written)\n"
    assert completed.stderr.splitlines()[:-1] == BAD_PROBLEMS
    assert completed.stderr.splitlines()[-1].startswith("CommandError: 16 rows rejected")


def test_a_roster_with_only_a_header_imports_nothing_and_exits_zero(tmp_path):
    roster = tmp_path / "header_only.csv"
    roster.write_text(HEADER + "\n", encoding="utf-8")

    completed = carematch_command(tmp_path, "import_roster", str(roster))

    assert (completed.returncode, completed.stdout, completed.stderr) == (
        0, "created 0, updated 0, unchanged 0, rejected 0\n", ""
    )


def carematch_command(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A throwaway database keeps the real one out of reach.
    env = {
        **os.environ, "CAREMATCH_DEBUG": "1", "CAREMATCH_VAR_DIR": str(tmp_path / "var"),
        "CAREMATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'untouched.sqlite3'}",
    }
    return subprocess.run(  # noqa: S603 - the project's own command, arguments from the test
        [sys.executable, "-m", "carematch", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


# --- Good rows -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_good_roster_imports_providers_licenses_windows_and_locations():
    out, problems, error = run(GOOD)

    assert (out, problems, error) == ("created 4, updated 0, unchanged 0, rejected 0\n", [], None)
    rivera = Provider.objects.get(npi="1000001002")
    assert (rivera.first_name, rivera.last_name, rivera.credentials) == ("Alex", "Rivera", ["LPC", "LAC"])
    assert rivera.concerns == ["anxiety", "depression", "trauma"] and rivera.approaches == ["cbt", "emdr"]
    assert (rivera.zip, rivera.latitude, rivera.longitude) == ("80202", 39.7491, -104.9946)
    assert (rivera.phone, rivera.email) == ("+13035550123", "alex.rivera@example.test")
    assert (rivera.address, rivera.min_notice_hours, rivera.accepting_new) == ("1550 Larimer St, Denver", 24, True)
    assert rivera.bio == "Works with adults facing anxiety and trauma.\nSessions in English or Spanish."
    # The Wyoming license expired in 2021: kept as history, and it does not count today.
    licenses = {lic.state: lic for lic in rivera.licenses.all()}
    assert sorted(licenses) == ["CO", "WY"]
    assert licenses["WY"].expires == dt.date(2021, 12, 31) and licenses["WY"].number == "991"
    # The roster does not say the Colorado license is verified: it waits for a coordinator and
    # does not count for matching until then.
    assert licenses["CO"].status == LicenseStatus.UNVERIFIED
    assert [lic.state for lic in rivera.licenses_valid_on(dt.date(2026, 11, 1))] == []
    license_set_status(license=licenses["CO"], status=LicenseStatus.VERIFIED, by=UserFactory(role=Role.COORDINATOR))
    assert [lic.state for lic in rivera.licenses_valid_on(dt.date(2026, 11, 1))] == ["CO"]
    assert [str(w) for w in rivera.windows.all()] == ["mon 09:00-12:00", "wed 13:00-17:00"]

    okafor = Provider.objects.get(npi="1000001010")
    assert (okafor.taxonomy, okafor.accepting_new, okafor.zip, okafor.latitude) == ("1041C0700X", False, "", None)
    assert (okafor.insurance, okafor.approaches, okafor.phone) == ([], [], "")
    chen = Provider.objects.get(npi="1000001028")
    assert (chen.credentials, chen.self_pay_rate, chen.phone) == (["PsyD", "LP"], 180, "+15035550147")
    assert chen.windows.count() == 3
    nakamura = Provider.objects.get(npi="1000001036")
    assert (nakamura.gender, nakamura.windows.count(), nakamura.phone) == ("not_stated", 0, "+17205550199")


@pytest.mark.django_db
def test_importing_the_same_roster_again_changes_nothing_and_keeps_license_verification():
    run(GOOD)
    coordinator = UserFactory(role=Role.COORDINATOR)
    verified = License.objects.get(number="0012345")
    license_set_status(license=verified, status=LicenseStatus.VERIFIED, by=coordinator)
    before = directory()

    out, problems, error = run(GOOD)

    assert (out, problems, error) == ("created 0, updated 0, unchanged 4, rejected 0\n", [], None)
    assert directory() == before
    verified.refresh_from_db()
    assert (verified.status, verified.verified_by) == (LicenseStatus.VERIFIED, coordinator)


def verified_roster(tmp_path: Path, old: str, new: str) -> Path:
    roster = tmp_path / "verified.csv"
    text = GOOD.read_text(encoding="utf-8")
    assert old in text
    roster.write_text(text.replace(old, new), encoding="utf-8")
    return roster


@pytest.mark.django_db
def test_a_license_the_roster_marks_verified_is_stored_verified_by_the_roster_and_counts(tmp_path):
    roster = verified_roster(tmp_path, "CO:LPC:0012345:2031-06-30;", "CO:LPC:0012345:2031-06-30:verified;")
    before = timezone.now()

    out, problems, error = run(roster)

    assert (out, problems, error) == ("created 4, updated 0, unchanged 0, rejected 0\n", [], None)
    colorado = License.objects.get(number="0012345")
    assert (colorado.status, colorado.verification_source, colorado.verified_by) == (
        LicenseStatus.VERIFIED, VerificationSource.ROSTER, None)
    assert before <= colorado.verified_at <= timezone.now()
    assert License.objects.get(number="991").status == LicenseStatus.UNVERIFIED
    rivera = Provider.objects.get(npi="1000001002")
    assert [lic.state for lic in rivera.licenses_valid_on(dt.date(2026, 11, 1))] == ["CO"]


@pytest.mark.django_db
def test_a_roster_that_later_says_verified_verifies_a_waiting_license_but_never_undoes_a_rejection(tmp_path):
    run(GOOD)
    coordinator = UserFactory(role=Role.COORDINATOR)
    license_set_status(license=License.objects.get(number="R-88812"), status=LicenseStatus.REJECTED, by=coordinator)
    roster = tmp_path / "both.csv"
    roster.write_text(GOOD.read_text(encoding="utf-8").replace(
        "CO:LPC:0012345:2031-06-30;", "CO:LPC:0012345:2031-06-30:verified;").replace(
        "NY:LCSW:R-88812:2032-01-31", "NY:LCSW:R-88812:2032-01-31:Verified"), encoding="utf-8")

    out, problems, error = run(roster)

    assert (out, problems, error) == ("created 0, updated 1, unchanged 3, rejected 0\n", [], None)
    assert License.objects.get(number="0012345").status == LicenseStatus.VERIFIED
    refused = License.objects.get(number="R-88812")
    assert (refused.status, refused.verified_by, refused.verification_source) == (
        LicenseStatus.REJECTED, coordinator, VerificationSource.COORDINATOR)

    # Renewed, a rejected license goes back to waiting for a coordinator, whatever the roster says.
    renewed = tmp_path / "renewed.csv"
    renewed.write_text(roster.read_text(encoding="utf-8").replace(
        "R-88812:2032-01-31:Verified", "R-88812:2034-01-31:verified"), encoding="utf-8")
    run(renewed)
    refused.refresh_from_db()
    assert (refused.expires, refused.status, refused.verified_at) == (dt.date(2034, 1, 31), LicenseStatus.UNVERIFIED,
                                                                      None)


@pytest.mark.django_db
def test_a_renewal_the_roster_marks_verified_stays_verified_and_one_it_does_not_goes_back_to_waiting(tmp_path):
    run(verified_roster(tmp_path, "CO:LPC:0012345:2031-06-30;", "CO:LPC:0012345:2031-06-30:verified;"))
    run(verified_roster(tmp_path, "CO:LPC:0012345:2031-06-30;", "CO:LPC:0012345:2033-06-30:verified;"))
    colorado = License.objects.get(number="0012345")
    assert (colorado.expires, colorado.status, colorado.verification_source) == (
        dt.date(2033, 6, 30), LicenseStatus.VERIFIED, VerificationSource.ROSTER)
    run(verified_roster(tmp_path, "CO:LPC:0012345:2031-06-30;", "CO:LPC:0012345:2035-06-30;"))
    colorado.refresh_from_db()
    assert (colorado.status, colorado.verified_at, colorado.verification_source) == (
        LicenseStatus.UNVERIFIED, None, "")


@pytest.mark.parametrize(("entry", "problem"), [
    ("CO:LPC:0012345:2031-06-30:pending",
     "'CO:LPC:0012345:2031-06-30:pending': 'pending' is not an expiry date in the form YYYY-MM-DD"),
    ("CO:LPC:0012345:verified", "'CO:LPC:0012345:verified' is not a license like STATE:TYPE:NUMBER:YYYY-MM-DD"),
    ("CO:LPC:0012345:2031-06-30:verified; CO:LPC:0012345:2031-06-30",
     "CO:LPC:0012345 is listed twice with different verification (once verified, once not)"),
])
@pytest.mark.django_db
def test_a_license_entry_with_a_wrong_verification_mark_is_named(entry, problem):
    text = GOOD.read_text(encoding="utf-8").replace("CO:LPC:0012345:2031-06-30; WY:LPC:991:2021-12-31", entry)
    rows = roster_read(source=text)
    assert [str(p) for p in rows.problems] == [f"line 2: licenses: {problem}"]


@pytest.mark.django_db
def test_a_changed_row_updates_that_provider_only(tmp_path):
    run(GOOD)
    coordinator = UserFactory(role=Role.COORDINATOR)
    license_set_status(license=License.objects.get(number="0012345"), status=LicenseStatus.VERIFIED, by=coordinator)
    okafor_before = Provider.objects.get(npi="1000001010").updated_at
    changed = GOOD.read_text(encoding="utf-8")
    # Rivera renews the Colorado license, drops the expired Wyoming one and the Wednesday window.
    changed = changed.replace(
        "CO:LPC:0012345:2031-06-30; WY:LPC:991:2021-12-31", "CO:LPC:0012345:2033-06-30"
    ).replace("mon 09:00-12:00; wed 13:00-17:00", "mon 09:00-12:00")
    # Chen's Monday morning now ends an hour later.
    changed = changed.replace("mon 08:00-11:00; mon 13:00-16:00", "mon 08:00-12:00; mon 13:00-16:00")
    roster = tmp_path / "changed.csv"
    roster.write_text(changed, encoding="utf-8")

    out, problems, error = run(roster)

    assert (out, problems, error) == ("created 0, updated 2, unchanged 2, rejected 0\n", [], None)
    rivera = Provider.objects.get(npi="1000001002")
    (colorado,) = rivera.licenses.all()
    assert (colorado.expires, colorado.status, colorado.verified_by) == (
        dt.date(2033, 6, 30), LicenseStatus.UNVERIFIED, None
    )
    assert [str(w) for w in rivera.windows.all()] == ["mon 09:00-12:00"]
    chen = Provider.objects.get(npi="1000001028")
    assert [str(w) for w in chen.windows.all()] == ["mon 08:00-12:00", "mon 13:00-16:00", "thu 09:00-15:00"]
    assert Provider.objects.get(npi="1000001010").updated_at == okafor_before


@pytest.mark.django_db
def test_a_dry_run_of_a_good_roster_says_what_would_happen_and_writes_nothing():
    out, problems, error = run(GOOD, "--dry-run")

    assert (out, problems, error) == ("created 4, updated 0, unchanged 0, rejected 0 (dry run: nothing was written)\n",
                                      [], None)
    assert not Provider.objects.exists()

    run(GOOD)
    before = directory()
    out, _, _ = run(GOOD, "--dry-run")
    assert out == "created 0, updated 0, unchanged 4, rejected 0 (dry run: nothing was written)\n"
    assert directory() == before


@pytest.mark.django_db
def test_the_import_reads_an_open_stream_as_well_as_a_string_and_reports_what_was_written():
    with GOOD.open(encoding="utf-8", newline="") as stream:
        report = roster_import(source=stream)

    assert (report.created, report.updated, report.unchanged, report.rejected) == (4, 0, 0, 0)
    assert report.problems == [] and report.written
    again = roster_import(source=GOOD.read_text(encoding="utf-8"))
    assert again.summary() == "created 0, updated 0, unchanged 4, rejected 0"
    assert not again.written


@pytest.mark.django_db
def test_a_byte_order_mark_from_a_spreadsheet_is_not_part_of_the_first_column_name(tmp_path):
    roster = tmp_path / "excel.csv"
    roster.write_bytes(b"\xef\xbb\xbf" + GOOD.read_bytes())

    out, problems, _ = run(roster)

    assert (out, problems) == ("created 4, updated 0, unchanged 0, rejected 0\n", [])
    assert roster_import(source="\ufeff" + GOOD.read_text(encoding="utf-8"), dry_run=True).problems == []


# --- The file as a whole -------------------------------------------------------------------------


@pytest.mark.django_db
def test_header_problems_are_reported_on_line_1_and_nothing_is_imported():
    out, problems, error = run(DATA / "roster_bad_header.csv")

    assert problems == [
        "line 1: approach: is not a roster column; did you mean approaches?",
        "line 1: Email: is named twice (columns 18 and 19)",
        "line 1: approaches: required column is missing",
        "line 1: zip: required column is missing",
    ]
    assert out == "created 0, updated 0, unchanged 0, rejected 0 (nothing was written)\n"
    assert error is not None and "header" in str(error)
    assert not Provider.objects.exists()


def test_a_header_cell_without_a_name_is_a_problem_of_that_column():
    rows = roster_read(source=HEADER + ",\n")
    assert [str(p) for p in rows.problems] == [f"line 1: column {len(REQUIRED_COLUMNS) + 1}: has no name"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty: a roster file starts with a header line naming the columns"),
        (b" \n\n", "is empty: a roster file starts with a header line naming the columns"),
        (HEADER.encode() + b"\n1234567893,Ren\xe9,Sample\n", "is not UTF-8 text (line 2 has the byte 0xe9); save it as "
                                                           "'CSV UTF-8' and try again"),
    ],
    ids=["empty", "blank", "latin-1"],
)
def test_a_file_that_cannot_be_a_roster_gets_one_clear_line_and_a_non_zero_exit(tmp_path, content, message):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(content)

    out, problems, error = run(roster)

    assert (out, problems) == ("", [])
    assert error is not None and str(error) == f"{roster} {message}"


def test_a_missing_file_gets_one_clear_line(tmp_path):
    _, _, error = run(tmp_path / "nowhere.csv")
    assert error is not None and str(error) == f"{tmp_path / 'nowhere.csv'}: no such file"


def test_a_stream_that_is_not_utf8_is_a_problem_not_a_crash():
    stream = io.TextIOWrapper(io.BytesIO(HEADER.encode() + b"\nRen\xe9\n"), encoding="utf-8", newline="")

    report = roster_import(source=stream)

    assert [str(p) for p in report.problems] == [
        "line 1: header: is not UTF-8 text; save the roster as CSV UTF-8 and try again"
    ]
    assert not report.written


def test_an_unclosed_quote_is_reported_on_the_line_where_its_row_starts():
    text = f'{HEADER}\n\n1234567893,"Ren,Sample\nmore\n'

    rows = roster_read(source=text)

    assert [str(p) for p in rows.problems] == [
        "line 3: row: cannot be read as CSV (unexpected end of data); quote values that hold commas, quotes or "
        "line breaks"
    ]
    assert rows.rejected == 1


@pytest.mark.django_db
def test_blank_lines_are_skipped_and_later_lines_keep_their_numbers():
    good = GOOD.read_text(encoding="utf-8").splitlines(keepends=True)
    # The header, a blank line, the first provider (on two lines), a row of empty cells, a short row.
    text = good[0] + "\n" + "".join(good[1:3]) + ",,,\n" + "a,b,c,d\n"

    rows = roster_read(source=text)

    assert [r.npi for r in rows.records] == ["1000001002"]
    assert [str(p) for p in rows.problems] == ["line 6: row: has 4 values, but the header names 23 columns"]


@pytest.mark.django_db
def test_a_nul_character_in_a_cell_is_a_problem_of_that_column():
    lines = GOOD.read_text(encoding="utf-8").splitlines()
    (row,) = [line.replace("Nakamura", "Naka\x00mura") for line in lines if "Nakamura" in line]
    rows = roster_read(source=f"{lines[0]}\n{row}\n")
    assert [str(p) for p in rows.problems] == ["line 2: last_name: contains a NUL character"]


@pytest.mark.django_db
def test_a_progress_bar_goes_to_stderr_only_when_asked_for(capsys):
    text = GOOD.read_text(encoding="utf-8")

    roster_read(source=text, progress=False)
    assert capsys.readouterr().err == ""
    roster_read(source=text, progress=True)
    assert "checking roster" in capsys.readouterr().err


# --- Every input ---------------------------------------------------------------------------------

free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
names = free_text.filter(lambda s: bool(s.split()))
license_numbers = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9:/ -]{0,18}[A-Za-z0-9])?", fullmatch=True)


@st.composite
def weekly_windows(draw: st.DrawFn) -> list[WindowRecord]:
    windows = []
    for weekday in draw(st.sets(st.integers(0, 6), max_size=3)):
        edges = sorted(draw(st.sets(st.integers(0, 24 * 60 - 1), max_size=6)))
        for start, end in zip(edges[::2], edges[1::2], strict=False):
            windows.append(WindowRecord(weekday, dt.time(*divmod(start, 60)), dt.time(*divmod(end, 60))))
    return windows


@st.composite
def provider_records(draw: st.DrawFn) -> ProviderRecord:
    def some(vocabulary, low):
        return draw(st.lists(st.sampled_from(sorted(vocabulary)), min_size=low, max_size=4, unique=True))

    formats = some(vocab.FORMATS, 1)
    licenses = draw(st.lists(
        st.tuples(st.sampled_from(sorted(vocab.STATES)), st.from_regex(r"[A-Za-z]{1,20}", fullmatch=True),
                  license_numbers, st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)), st.booleans()),
        min_size=1, max_size=4, unique_by=lambda lic: (lic[0], lic[1].upper(), lic[2]),
    ))
    values = {
        "npi": make_npi(draw(st.from_regex(r"[12][0-9]{8}", fullmatch=True))),
        "first_name": draw(names),
        "last_name": draw(names),
        "credentials": draw(st.lists(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,11}", fullmatch=True), min_size=1,
                                     max_size=3)),
        "taxonomy": draw(st.sampled_from(sorted(vocab.TAXONOMY))),
        "gender": draw(st.sampled_from(sorted(vocab.GENDERS))),
        "languages": draw(st.lists(st.sampled_from(sorted(LANGUAGES)), min_size=1, max_size=3, unique=True)),
        "concerns": some(vocab.CONCERNS, 1),
        "approaches": some(vocab.APPROACHES, 0),
        "populations": some(vocab.POPULATIONS, 1),
        "formats": formats,
        "insurance": some(seeded(), 0),
        "self_pay_rate": str(draw(st.integers(0, 10_000))),
        "accepting_new": draw(st.sampled_from(["true", "False", "yes", "NO", "1", "0"])),
        "timezone": draw(st.sampled_from(["America/Denver", "America/New_York", "Pacific/Honolulu", "UTC"])),
        "min_notice_hours": str(draw(st.integers(0, 336))),
        "zip": draw(st.sampled_from(["80202", "10001", "97205", "59601"] + ([] if "in_person" in formats else [""]))),
        "email": draw(st.sampled_from(["", "Someone@Example.TEST", "a.b+c@example.test"])),
        "phone": draw(st.sampled_from(["", "(303) 555-0123", "+1 720 555 0199"])),
        "address": draw(free_text),
        "bio": draw(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=200)),
        "licenses": [dataclasses.replace(clean_license(*lic[:4]), verified=lic[4]) for lic in licenses],
        "availability": draw(weekly_windows()),
    }
    record, problems = build_provider_record(values)
    assert problems == [] and record is not None, problems
    return record


@pytest.mark.django_db
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(provider_records(), min_size=1, max_size=3, unique_by=lambda r: r.npi))
def test_any_valid_record_written_as_a_roster_row_reads_back_equal(records):
    stream = io.StringIO()
    roster_write(records=records, stream=stream)

    rows = roster_read(source=stream.getvalue())

    assert rows.problems == []
    assert rows.records == records
    assert [(r.latitude, r.longitude) for r in rows.records] == [(r.latitude, r.longitude) for r in records]


@pytest.mark.django_db
@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=30), min_size=len(COLUMNS), max_size=len(COLUMNS)), max_size=3))
def test_any_cells_give_records_or_problems_by_line_and_column_never_a_crash(cells):
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    writer.writerows(cells)

    rows = roster_read(source=stream.getvalue())

    assert len(rows.records) + rows.rejected <= len(cells)
    for problem in rows.problems:
        assert problem.line is not None and problem.line >= 2
        assert problem.field in {*COLUMNS, "row"}
        assert str(problem).startswith(f"line {problem.line}: {problem.field}: ")


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=400), st.text(max_size=400).map(lambda body: f"{HEADER}\n{body}")))
def test_any_text_at_all_gets_an_answer_never_a_crash(text):
    rows = roster_read(source=text)

    for problem in rows.problems:
        assert problem.line is not None and problem.line >= 1
        assert str(problem).startswith(f"line {problem.line}: ")

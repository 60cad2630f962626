"""The roster CSV: one provider a row. This module is the one place the format is read and written.

A roster is UTF-8 CSV whose header names every column of REQUIRED_COLUMNS and any of
OPTIONAL_COLUMNS, in any order. In a row:

- list columns hold `;`-separated items; spaces around items are ignored, slugs are
  case-insensitive;
- `licenses` holds `STATE:TYPE:NUMBER:YYYY-MM-DD` entries, at least one; an expired
  license is history and is kept (it never counts). An entry ending in `:verified`
  (`CO:LPC:0012345:2030-06-30:verified`) says the source has verified the license, as a
  roster from a credentialing source does: it is stored verified by the roster, at the time
  of the import, and counts for matching at once. Without it a new license waits for a
  coordinator to verify it. `:verified` never undoes a coordinator's rejection;
- `availability` holds `DAY HH:MM-HH:MM` entries (DAY is mon..sun), in the row's `timezone`;
- `accepting_new` is true/false/yes/no/1/0; `zip` is required when formats include in_person.

Every problem names the line where its row starts (the header is line 1), the column and
what is wrong, and every problem of every row is reported, not just the first. Rows are
upserted by NPI: the row is the truth for that provider.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import io
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from carematch.lib.npi import is_valid_npi
from carematch.lib.vocab import WEEKDAYS

from .models import VerificationSource
from .records import FieldProblem, LicenseRecord, ProviderRecord, WindowRecord
from .services import providers_upsert
from .validation import FieldError, build_provider_record, clean_license, parse_window

REQUIRED_COLUMNS = (
    "npi", "first_name", "last_name", "credentials", "taxonomy", "licenses", "gender", "languages", "concerns",
    "approaches", "populations", "formats", "zip", "timezone", "insurance", "self_pay_rate", "accepting_new",
    "availability",
)
OPTIONAL_COLUMNS = ("email", "phone", "bio", "address", "min_notice_hours")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
LIST_COLUMNS = frozenset({"credentials", "languages", "concerns", "approaches", "populations", "formats", "insurance"})
LICENSE_FORM = "STATE:TYPE:NUMBER:YYYY-MM-DD"
VERIFIED_MARK = "verified"  # the last part of a license entry whose source verified it
HEADER_LINE = 1
# A row's own problems (not one column's) are reported under this name.
ROW = "row"


@dataclass(frozen=True)
class RosterReport:
    """What an import did (or, for a dry run, would do) and every problem found."""

    created: int
    updated: int
    unchanged: int
    rejected: int
    problems: list[FieldProblem]  # str(problem) == "line N: column: what is wrong"
    written: bool  # whether anything was written

    def summary(self) -> str:
        return (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, rejected {self.rejected}"
        )


@dataclass(frozen=True)
class RosterRows:
    """A roster read and validated, with nothing written: the good rows and every problem."""

    records: list[ProviderRecord]  # the good rows, in file order
    problems: list[FieldProblem]
    rejected: int  # rows with at least one problem


def roster_import(
    *, source: TextIO | str, dry_run: bool = False, partial: bool = False, progress: bool = False
) -> RosterReport:
    """Validate a roster and upsert its providers by NPI.

    `source` is an open text stream or the whole file as a string. All or nothing by
    default: one problem anywhere and nothing is written. With `partial`, the good rows are
    written and the bad ones reported. With `dry_run`, nothing is written and the counts
    say what the import would do. `progress` shows a progress bar on stderr.
    """
    rows = roster_read(source=source, progress=progress)
    if (rows.problems and not partial) or not rows.records:
        return RosterReport(
            created=0, updated=0, unchanged=0, rejected=rows.rejected, problems=rows.problems, written=False
        )
    if progress and not dry_run:
        sys.stderr.write(f"writing {len(rows.records)} providers to the directory\n")
    result = providers_upsert(records=rows.records, dry_run=dry_run, verification_source=VerificationSource.ROSTER)
    return RosterReport(
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=rows.rejected,
        problems=rows.problems,
        written=not dry_run and result.created + result.updated > 0,
    )


def roster_read(*, source: TextIO | str, progress: bool = False) -> RosterRows:
    """Parse and validate every row of a roster; nothing is written.

    Rows whose cells are all blank are skipped. A header with problems stops the reading:
    its problems are the only ones reported.
    """
    if isinstance(source, str):
        lines: Iterable[str] = io.StringIO(source, newline="")
        total: int | None = source.count("\n") + (0 if source.endswith("\n") else 1)
    else:
        lines, total = source, None
    reader = csv.reader(lines, strict=True)
    rows = _rows(reader)
    first = next(rows, None)
    if first is None:
        return RosterRows([], [FieldProblem("header", "the file is empty: its first line must name the columns",
                                            line=HEADER_LINE)], 0)
    _, header, unreadable = first
    if header is None:
        return RosterRows([], [FieldProblem("header", unreadable, line=HEADER_LINE)], 0)
    if not any(cell.strip() for cell in header):
        return RosterRows([], [FieldProblem("header", "the first line is blank: it must name the columns",
                                            line=HEADER_LINE)], 0)
    columns, problems = _read_header(header)
    if problems:
        return RosterRows([], problems, 0)

    records: list[ProviderRecord] = []
    rejected = 0
    first_line_of: dict[str, int] = {}
    order = {name: position for position, name in enumerate((ROW, *columns))}
    npi_at = columns.index("npi")
    from tqdm import tqdm  # import_roster's progress bar: loaded when a roster is read, not when the server starts

    with tqdm(total=total, unit="line", desc="checking roster", file=sys.stderr, disable=not progress,
              mininterval=0.5) as bar:
        bar.update(1)
        done = 1
        for line, cells, unreadable in rows:
            if cells is None:
                found = [FieldProblem(ROW, unreadable, line=line)]
            elif not any(cell.strip() for cell in cells):
                continue
            elif len(cells) != len(columns):
                found = [FieldProblem(ROW, f"has {len(cells)} values, but the header names {len(columns)} columns",
                                      line=line)]
            else:
                record, found = _read_row(dict(zip(columns, cells, strict=True)), line=line)
                npi = cells[npi_at].strip()
                if is_valid_npi(npi):
                    first_line = first_line_of.setdefault(npi, line)
                    if first_line != line:
                        found.append(FieldProblem("npi", f"{npi} is also on line {first_line}", line=line))
                if not found and record is not None:
                    records.append(record)
            if found:
                rejected += 1
                problems.extend(sorted(found, key=lambda problem: order.get(problem.field, len(order))))
            if progress:
                bar.update(reader.line_num - done)
                done = reader.line_num
    return RosterRows(records, problems, rejected)


def _rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str] | None, str]]:
    """(line where the row starts, its cells or None, why it could not be read)."""
    line_num = getattr(reader, "line_num", 0)
    while True:
        start = line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line_num = getattr(reader, "line_num", line_num)
            yield start, None, f"cannot be read as CSV ({exc}); quote values that hold commas, quotes or line breaks"
            continue
        except UnicodeDecodeError:
            yield start, None, "is not UTF-8 text; save the roster as CSV UTF-8 and try again"
            return
        line_num = getattr(reader, "line_num", line_num)
        yield start, cells, ""


def _read_header(header: list[str]) -> tuple[list[str], list[FieldProblem]]:
    """The header's column names, and what is wrong with it."""
    if header:
        header = [header[0].removeprefix("\ufeff"), *header[1:]]
    columns = [cell.strip().lower() for cell in header]
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}
    for position, (name, given) in enumerate(zip(columns, header, strict=True), start=1):
        if not name:
            problems.append(FieldProblem(f"column {position}", "has no name", line=HEADER_LINE))
            continue
        if name in seen:
            problems.append(
                FieldProblem(given.strip(), f"is named twice (columns {seen[name]} and {position})", line=HEADER_LINE)
            )
            continue
        seen[name] = position
        if name not in COLUMNS:
            close = difflib.get_close_matches(name, COLUMNS, n=1)
            hint = f"; did you mean {close[0]}?" if close and close[0] not in columns else ""
            problems.append(FieldProblem(given.strip(), f"is not a roster column{hint}", line=HEADER_LINE))
    problems.extend(
        FieldProblem(name, "required column is missing", line=HEADER_LINE) for name in REQUIRED_COLUMNS
        if name not in seen
    )
    return columns, problems


def _read_row(cells: dict[str, str], *, line: int) -> tuple[ProviderRecord | None, list[FieldProblem]]:
    values: dict[str, object] = {}
    problems: list[FieldProblem] = []
    for name, cell in cells.items():
        if "\x00" in cell:
            problems.append(FieldProblem(name, "contains a NUL character", line=line))
            cell = cell.replace("\x00", "")
        if name in LIST_COLUMNS:
            values[name] = cell.split(";")
        elif name == "licenses":
            values[name], errors = _licenses(cell)
            problems.extend(FieldProblem(name, error, line=line) for error in errors)
        elif name == "availability":
            values[name], errors = _windows(cell)
            problems.extend(FieldProblem(name, error, line=line) for error in errors)
        else:
            values[name] = cell
    record, invalid = build_provider_record(values)
    license_entries_failed = any(problem.field == "licenses" for problem in problems)
    for problem in invalid:
        if problem.field == "licenses" and license_entries_failed and not values["licenses"]:
            continue  # "at least one license is required" only repeats why each entry failed
        problems.append(dataclasses.replace(problem, line=line))
    return (None if problems else record), problems


def _entries(cell: str) -> Iterator[str]:
    for entry in cell.split(";"):
        entry = entry.strip()
        if entry:
            yield entry


def _about(entry: str, exc: FieldError) -> str:
    message = str(exc)
    return message if entry in message else f"'{entry}': {message}"


def _licenses(cell: str) -> tuple[list[LicenseRecord], list[str]]:
    found: list[LicenseRecord] = []
    errors: list[str] = []
    for entry in _entries(cell):
        body, mark = entry.rsplit(":", 1) if ":" in entry else (entry, "")
        verified = mark.strip().lower() == VERIFIED_MARK
        if not verified:
            body = entry
        parts = body.split(":", 2)
        # A license number may itself hold ':'; the expiry is after the last one (before `:verified`).
        number_expiry = parts[2].rsplit(":", 1) if len(parts) == 3 else []
        if len(number_expiry) != 2:
            errors.append(f"'{entry}' is not a license like {LICENSE_FORM}")
            continue
        try:
            license = clean_license(parts[0], parts[1], *number_expiry)
        except FieldError as exc:
            errors.append(_about(entry, exc))
            continue
        found.append(dataclasses.replace(license, verified=True) if verified else license)
    return found, errors


def _windows(cell: str) -> tuple[list[WindowRecord], list[str]]:
    found: list[WindowRecord] = []
    errors: list[str] = []
    for entry in _entries(cell):
        try:
            found.append(parse_window(entry))
        except FieldError as exc:
            errors.append(_about(entry, exc))
    return found, errors


# --- Writing ---------------------------------------------------------------------------------


def roster_row(record: ProviderRecord) -> list[str]:
    """The cells of one provider's row, in COLUMNS order."""
    cells = {
        "npi": record.npi,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "credentials": "; ".join(record.credentials),
        "taxonomy": record.taxonomy,
        "licenses": "; ".join(
            f"{lic.state}:{lic.license_type}:{lic.number}:{lic.expires.isoformat()}"
            + (f":{VERIFIED_MARK}" if lic.verified else "")
            for lic in record.licenses
        ),
        "gender": record.gender,
        "languages": "; ".join(record.languages),
        "concerns": "; ".join(record.concerns),
        "approaches": "; ".join(record.approaches),
        "populations": "; ".join(record.populations),
        "formats": "; ".join(record.formats),
        "zip": record.zip,
        "timezone": record.timezone,
        "insurance": "; ".join(record.insurance),
        "self_pay_rate": str(record.self_pay_rate),
        "accepting_new": "true" if record.accepting_new else "false",
        "availability": "; ".join(
            f"{WEEKDAYS[w.weekday]} {w.start:%H:%M}-{w.end:%H:%M}" for w in record.windows
        ),
        "email": record.email,
        "phone": record.phone,
        "bio": record.bio,
        "address": record.address,
        "min_notice_hours": str(record.min_notice_hours),
    }
    return [cells[name] for name in COLUMNS]


def roster_write(*, records: Iterable[ProviderRecord], stream: TextIO) -> None:
    """Write a roster with every column; `stream` should be opened with newline=""."""
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    writer.writerows(roster_row(record) for record in records)


# --- The template a coordinator downloads (the same file as examples/roster.csv) ------------------
# Three invented providers (the NPIs are valid but synthetic; the names are no real person's)
# that between them use every column: lists, a license verified by its source and one waiting
# for a coordinator, in-person hours with a ZIP and an address, the optional columns.
TEMPLATE_ROWS = (
    {
        "npi": "1000000012", "first_name": "Alex", "last_name": "Example", "credentials": "LCSW",
        "taxonomy": "1041C0700X", "licenses": "CO:LCSW:0012345:2035-06-30:verified; NM:LCSW:99887:2034-12-31",
        "gender": "nonbinary", "languages": "en; es", "concerns": "anxiety; depression; life_transitions",
        "approaches": "cbt; act", "populations": "adults; teens", "formats": "telehealth", "zip": "",
        "timezone": "America/Denver", "insurance": "aetna; cigna", "self_pay_rate": "120", "accepting_new": "yes",
        "availability": "mon 09:00-12:00; wed 13:00-17:00", "email": "alex.example@practice.example",
        "phone": "", "bio": "", "address": "", "min_notice_hours": "",
    },
    {
        "npi": "1000000020", "first_name": "Jordan", "last_name": "Sample", "credentials": "LPC",
        "taxonomy": "101YP2500X", "licenses": "NY:LMHC:004321:2035-03-31:verified", "gender": "female",
        "languages": "en", "concerns": "trauma; grief", "approaches": "emdr; person_centered",
        "populations": "adults", "formats": "telehealth; in_person", "zip": "10001",
        "timezone": "America/New_York", "insurance": "", "self_pay_rate": "150", "accepting_new": "true",
        "availability": "tue 08:00-12:00; thu 14:00-19:00; sat 09:00-12:00",
        "email": "", "phone": "", "bio": "Jordan helps adults through grief and trauma at a steady pace.",
        "address": "100 Example Avenue, Suite 2, New York, NY 10001", "min_notice_hours": "24",
    },
    {
        "npi": "1000000038", "first_name": "Sam", "last_name": "Placeholder", "credentials": "PsyD",
        "taxonomy": "103TC0700X", "licenses": "TX:PSY:77001:2034-09-30", "gender": "male",
        "languages": "en", "concerns": "adhd; stress", "approaches": "",
        "populations": "adults; seniors", "formats": "telehealth", "zip": "",
        "timezone": "America/Chicago", "insurance": "bcbs; medicare", "self_pay_rate": "200",
        "accepting_new": "no", "availability": "fri 10:00-16:00", "email": "", "phone": "",
        "bio": "", "address": "", "min_notice_hours": "",
    },
)


def roster_template() -> str:
    """The roster template: the header with every column, then three example rows."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([row[name] for name in COLUMNS] for row in TEMPLATE_ROWS)
    return out.getvalue()

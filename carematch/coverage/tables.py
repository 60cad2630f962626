"""The benefits and fee-schedule CSV files: the one place their formats are read.

Both are UTF-8 CSV whose first line names the columns, in any order, as the roster does:

- benefits: `payer,plan_id,plan_name,copay_usd,coinsurance_pct,deductible_usd,deductible_applies,oop_max_usd`
  (outpatient mental health, in network). `copay_usd` or `coinsurance_pct` may be empty, not
  both; `deductible_applies` is yes or no; amounts are US dollars (`30`, `30.00`, `$1,500`).
  A row is upserted by payer and plan_id: it is the truth for that plan.
- fees: `payer,plan_id,cpt,allowed_usd,state`; `plan_id` and `state` may be `*` (every plan of
  the payer, every state). A row is upserted by payer, plan_id, cpt and state. A fee for one
  plan needs that plan loaded first, so a mistyped plan id is caught, not silently unused.

Every problem names the line where its row starts (the header is line 1), the column and
what is wrong, as `line N: column: what is wrong`, and every problem of every row is
reported. All or nothing: one problem anywhere and nothing is written.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar

from carematch.directory.records import FieldProblem
from carematch.lib import vocab

from . import selectors, services
from .estimate import ANY, KNOWN_CPT, is_cpt
from .services import FeeRecord, PlanRecord

BENEFITS_COLUMNS = ("payer", "plan_id", "plan_name", "copay_usd", "coinsurance_pct", "deductible_usd",
                    "deductible_applies", "oop_max_usd")
FEES_COLUMNS = ("payer", "plan_id", "cpt", "allowed_usd", "state")
HEADER_LINE = 1
ROW = "row"  # a row's own problems (not one column's)
PLAN_ID_MAX, PLAN_NAME_MAX = 60, 200
MAX_USD = Decimal("1000000")
_AMOUNT = re.compile(r"\$?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?")
_YES, _NO = frozenset({"yes", "y", "true", "1"}), frozenset({"no", "n", "false", "0"})

Record = TypeVar("Record")


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, for a check, would do) and every problem found."""

    created: int
    updated: int
    unchanged: int
    rejected: int
    problems: list[FieldProblem]  # str(problem) == "line N: column: what is wrong"
    written: bool

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, rejected {self.rejected}"


@dataclass(frozen=True)
class Rows(Generic[Record]):
    records: list[Record]
    problems: list[FieldProblem]
    rejected: int


def benefits_import(*, source: str, dry_run: bool = False) -> ImportReport:
    """Check a benefits file and upsert its plans; nothing is written when any row has a problem."""
    rows: Rows[PlanRecord] = _read(source, BENEFITS_COLUMNS, "benefits", _plan_row, key=lambda r: (r.payer, r.plan_id),
                 key_columns=("payer", "plan_id"), duplicate="plan_id")
    return _write(rows, dry_run=dry_run, upsert=lambda records: services.plans_upsert(
        records=records, dry_run=dry_run))


def fees_import(*, source: str, dry_run: bool = False) -> ImportReport:
    """Check a fee schedule and upsert its rows; nothing is written when any row has a problem."""
    rows: Rows[FeeRecord] = _read(source, FEES_COLUMNS, "fee schedule", _fee_row,
                                  key=lambda r: (r.payer, r.plan_id, r.cpt, r.state),
                 key_columns=("payer", "plan_id", "cpt", "state"), duplicate="cpt")
    return _write(rows, dry_run=dry_run, upsert=lambda records: services.fees_upsert(
        records=records, dry_run=dry_run))


def _write(rows: Rows[Record], *, dry_run: bool,
           upsert: Callable[[list[Record]], services.UpsertResult]) -> ImportReport:
    if rows.problems or not rows.records:
        return ImportReport(0, 0, 0, rows.rejected, rows.problems, written=False)
    result = upsert(rows.records)
    return ImportReport(result.created, result.updated, result.unchanged, 0, [],
                        written=not dry_run and result.created + result.updated > 0)


# --- Reading -----------------------------------------------------------------------------------


def _read(source: str, columns: tuple[str, ...], kind: str,
          read_row: Callable[[dict[str, str], int, _Known], tuple[Record | None, list[FieldProblem]]], *,
          key: Callable[[Record], tuple[str, ...]], key_columns: tuple[str, ...], duplicate: str) -> Rows[Record]:
    reader = csv.reader(io.StringIO(source.removeprefix("\ufeff"), newline=""), strict=True)
    rows = _rows(reader)
    first = next(rows, None)
    if first is None:
        return Rows([], [FieldProblem("header", "the file is empty: its first line must name the columns",
                                      line=HEADER_LINE)], 0)
    _, header, unreadable = first
    if header is None:
        return Rows([], [FieldProblem("header", unreadable, line=HEADER_LINE)], 0)
    if not any(cell.strip() for cell in header):
        return Rows([], [FieldProblem("header", "the first line is blank: it must name the columns",
                                      line=HEADER_LINE)], 0)
    names, problems = _read_header(header, columns, kind)
    if problems:
        return Rows([], problems, 0)
    known = _Known()
    records: list[Record] = []
    rejected = 0
    first_line_of: dict[tuple[str, ...], int] = {}
    order = {name: position for position, name in enumerate((ROW, *names))}
    for line, cells, unreadable in rows:
        record: Record | None = None
        if cells is None:
            found = [FieldProblem(ROW, unreadable, line=line)]
        elif not any(cell.strip() for cell in cells):
            continue
        elif len(cells) != len(names):
            found = [FieldProblem(ROW, f"has {len(cells)} values, but the header names {len(names)} columns",
                                  line=line)]
        else:
            record, found = read_row(dict(zip(names, cells, strict=True)), line, known)
            if record is not None:
                seen = first_line_of.setdefault(key(record), line)
                if seen != line:
                    found.append(FieldProblem(
                        duplicate, f"{' '.join(key(record))} is also on line {seen} "
                                   f"(one row for each {', '.join(key_columns)})", line=line))
        if found:
            rejected += 1
            problems.extend(sorted(found, key=lambda problem: order.get(problem.field, len(order))))
        elif record is not None:
            records.append(record)
    return Rows(records, problems, rejected)


def _rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str] | None, str]]:
    """(line where the row starts, its cells or None, why it could not be read)."""
    line_num = 0
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
        line_num = getattr(reader, "line_num", line_num)
        yield start, cells, ""


def _read_header(header: list[str], columns: tuple[str, ...], kind: str) -> tuple[list[str], list[FieldProblem]]:
    names = [cell.strip().lower() for cell in header]
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}
    for position, (name, given) in enumerate(zip(names, header, strict=True), start=1):
        if not name:
            problems.append(FieldProblem(f"column {position}", "has no name", line=HEADER_LINE))
            continue
        if name in seen:
            problems.append(FieldProblem(given.strip(), f"is named twice (columns {seen[name]} and {position})",
                                         line=HEADER_LINE))
            continue
        seen[name] = position
        if name not in columns:
            close = difflib.get_close_matches(name, columns, n=1)
            hint = f"; did you mean {close[0]}?" if close and close[0] not in names else ""
            problems.append(FieldProblem(given.strip(), f"is not a {kind} column{hint}", line=HEADER_LINE))
    problems.extend(FieldProblem(name, "required column is missing", line=HEADER_LINE)
                    for name in columns if name not in seen)
    return names, problems


class _Known:
    """What the rows are checked against, read once per file."""

    def __init__(self) -> None:
        self.payers = selectors.payer_names()
        self._plans: set[tuple[str, str]] | None = None

    @property
    def plans(self) -> set[tuple[str, str]]:
        if self._plans is None:
            self._plans = selectors.plan_keys()
        return self._plans


def _amount(cell: str, *, required: bool) -> tuple[Decimal | None, str]:
    """A dollar amount, or why the cell is not one."""
    text = cell.strip()
    if not text:
        return None, ("is required (a dollar amount, 0 when there is none)" if required else "")
    if _AMOUNT.fullmatch(text) is None:
        return None, f"'{text}' is not a dollar amount like 30 or 30.00"
    value = Decimal(text.replace("$", "").replace(",", "").strip())
    if value >= MAX_USD:
        return None, f"'{text}' is more than $1,000,000"
    return value, ""


def _payer(cells: dict[str, str], line: int, known: _Known, problems: list[FieldProblem]) -> str:
    payer = cells["payer"].strip().lower()
    if not payer:
        problems.append(FieldProblem("payer", "is required", line=line))
    elif payer not in known.payers:
        close = difflib.get_close_matches(payer, list(known.payers), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        problems.append(FieldProblem("payer", f"'{payer}' is not a payer carematch knows{hint}", line=line))
    return payer


def _plan_row(cells: dict[str, str], line: int, known: _Known) -> tuple[PlanRecord | None, list[FieldProblem]]:
    problems: list[FieldProblem] = []
    for name, cell in cells.items():
        if "\x00" in cell:
            problems.append(FieldProblem(name, "contains a NUL character", line=line))
    payer = _payer(cells, line, known, problems)
    plan_id = cells["plan_id"].strip()
    if not plan_id:
        problems.append(FieldProblem("plan_id", "is required", line=line))
    elif plan_id == ANY:
        problems.append(FieldProblem("plan_id", "* is for fee rows; a plan needs its own id", line=line))
    elif len(plan_id) > PLAN_ID_MAX:
        problems.append(FieldProblem("plan_id", f"is longer than {PLAN_ID_MAX} characters", line=line))
    name = " ".join(cells["plan_name"].split())
    if not name:
        problems.append(FieldProblem("plan_name", "is required", line=line))
    elif len(name) > PLAN_NAME_MAX:
        problems.append(FieldProblem("plan_name", f"is longer than {PLAN_NAME_MAX} characters", line=line))
    amounts: dict[str, Decimal | None] = {}
    for column, required in (("copay_usd", False), ("deductible_usd", True), ("oop_max_usd", True)):
        amounts[column], problem = _amount(cells[column], required=required)
        if problem:
            problems.append(FieldProblem(column, problem, line=line))
    coinsurance: Decimal | None = None
    text = cells["coinsurance_pct"].strip().removesuffix("%").strip()
    if text:
        try:
            coinsurance = Decimal(text)
        except InvalidOperation:
            problems.append(FieldProblem("coinsurance_pct", f"'{cells['coinsurance_pct'].strip()}' is not a "
                                         "percentage like 20", line=line))
        else:
            if not coinsurance.is_finite() or not 0 <= coinsurance <= 100 or coinsurance != round(coinsurance, 2):
                problems.append(FieldProblem("coinsurance_pct", f"'{text}' must be a percentage from 0 to 100",
                                             line=line))
                coinsurance = None
    if (not cells["copay_usd"].strip() and not cells["coinsurance_pct"].strip()):
        problems.append(FieldProblem(ROW, "copay_usd and coinsurance_pct are both empty: give one or both",
                                     line=line))
    applies_text = cells["deductible_applies"].strip().lower()
    applies = applies_text in _YES
    if applies_text not in _YES | _NO:
        problems.append(FieldProblem("deductible_applies", f"'{cells['deductible_applies'].strip()}' must be yes or no"
                                     if applies_text else "is required (yes or no)", line=line))
    if problems:
        return None, problems
    deductible, oop_max = amounts["deductible_usd"], amounts["oop_max_usd"]
    assert deductible is not None and oop_max is not None  # noqa: S101 - required above
    return PlanRecord(payer=payer, plan_id=plan_id, name=name, copay_usd=amounts["copay_usd"],
                      coinsurance_pct=coinsurance, deductible_usd=deductible, deductible_applies=applies,
                      oop_max_usd=oop_max), []


def _fee_row(cells: dict[str, str], line: int, known: _Known) -> tuple[FeeRecord | None, list[FieldProblem]]:
    problems: list[FieldProblem] = []
    for name, cell in cells.items():
        if "\x00" in cell:
            problems.append(FieldProblem(name, "contains a NUL character", line=line))
    payer = _payer(cells, line, known, problems)
    plan_id = cells["plan_id"].strip()
    if not plan_id:
        problems.append(FieldProblem("plan_id", "is required (a plan id of the payer, or * for every plan)",
                                     line=line))
    elif plan_id != ANY and payer in known.payers and (payer, plan_id) not in known.plans:
        problems.append(FieldProblem(
            "plan_id", f"{known.payers[payer]} has no plan '{plan_id}' loaded: import it with the benefits first, "
                       "or use * for every plan", line=line))
    cpt = cells["cpt"].strip().upper()
    if not cpt:
        problems.append(FieldProblem("cpt", "is required", line=line))
    elif not is_cpt(cpt):
        problems.append(FieldProblem("cpt", f"'{cpt}' is not a CPT code (five digits, e.g. "
                                     f"{', '.join(sorted(KNOWN_CPT)[:3])})", line=line))
    allowed, problem = _amount(cells["allowed_usd"], required=True)
    if problem:
        problems.append(FieldProblem("allowed_usd", problem.replace(", 0 when there is none", ""), line=line))
    elif allowed is not None and allowed <= 0:
        problems.append(FieldProblem("allowed_usd", "must be more than 0", line=line))
    state = cells["state"].strip().upper()
    if not state:
        problems.append(FieldProblem("state", "is required (a state code such as CO, or * for every state)",
                                     line=line))
    elif state != ANY and state not in vocab.STATES:
        problems.append(FieldProblem("state", f"'{state}' is not a US state code (the 50 states and DC) or *",
                                     line=line))
    if problems:
        return None, problems
    assert allowed is not None  # noqa: S101 - required above
    return FeeRecord(payer=payer, plan_id=plan_id, cpt=cpt, allowed_usd=allowed, state=state), []

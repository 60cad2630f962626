"""What import_benefits and import_fees share: reading the file and reporting, as import_roster does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from carematch.coverage.tables import ImportReport
from carematch.lib.textfiles import read_text


def run_import(command: BaseCommand, *, path: str, dry_run: bool, kind: str,
               do_import: Callable[..., ImportReport]) -> None:
    report = do_import(source=read_text(Path(path), kind), dry_run=dry_run)
    for problem in report.problems:
        command.stderr.write(str(problem))
    outcome = ""
    if dry_run:
        outcome = " (dry run: nothing was written)"
    elif report.problems:
        outcome = " (nothing was written)"
    command.stdout.write(report.summary() + outcome)
    if not report.problems:
        return
    if report.rejected == 0:
        raise CommandError(f"the header is not a {kind} header: fix the columns and import again")
    rows = f"{report.rejected} row{'s' if report.rejected != 1 else ''} rejected"
    if dry_run:
        raise CommandError(f"{rows}; the import would write nothing")
    raise CommandError(f"{rows}: nothing was written. Fix them and import again")

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carematch.directory.roster import COLUMNS, LICENSE_FORM, roster_import
from carematch.lib.textfiles import read_text


class Command(BaseCommand):
    help = (
        "Import providers from a roster CSV (UTF-8), upserting them by NPI. Columns: "
        f"{', '.join(COLUMNS)} (the last five are optional). Lists are ';'-separated; licenses are "
        f"{LICENSE_FORM}; availability is 'mon 09:00-12:00'. Every problem is printed as "
        "'line N: column: what is wrong' on stderr and a summary on stdout. All or nothing unless --partial; "
        "the exit status is non-zero when any row was rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH", help="the roster CSV file")
        parser.add_argument("--dry-run", action="store_true", help="check the roster and write nothing")
        parser.add_argument(
            "--partial", action="store_true", help="write the good rows even when some rows are rejected"
        )

    def handle(self, *args: Any, path: str, dry_run: bool, partial: bool, **options: Any) -> None:
        text = read_text(Path(path), "roster")
        report = roster_import(source=text, dry_run=dry_run, partial=partial, progress=self.stderr.isatty())
        for problem in report.problems:
            self.stderr.write(str(problem))
        outcome = ""
        if dry_run:
            outcome = " (dry run: nothing was written)"
        elif report.problems and not report.written:
            outcome = " (nothing was written)"
        self.stdout.write(report.summary() + outcome)
        if not report.problems:
            return
        if report.rejected == 0:
            raise CommandError("the header is not a roster header: fix the columns and import again")
        rows = f"{report.rejected} row{'s' if report.rejected != 1 else ''} rejected"
        if dry_run:
            raise CommandError(f"{rows}; the import would {'write the other rows' if partial else 'write nothing'}")
        if partial:
            raise CommandError(f"{rows}; the other rows were imported" if report.written
                               else f"{rows}; the other rows needed no change")
        raise CommandError(f"{rows}: nothing was written. Fix them and import again, or use --partial")




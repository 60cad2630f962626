from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carematch.coverage.tables import FEES_COLUMNS, fees_import

from ._import import run_import


class Command(BaseCommand):
    help = (
        "Import fee schedules (the amount a payer allows for a CPT code) from a CSV file (UTF-8), upserting rows by "
        f"payer, plan_id, cpt and state. Columns: {', '.join(FEES_COLUMNS)}; plan_id and state may be * (every plan "
        "of the payer, every state); a plan_id must be loaded with import_benefits first. The estimate prices CPT "
        "90791 (first session), 90837 (60 minutes) and 90834 (45 minutes). Every problem is printed as "
        "'line N: column: what is wrong' on stderr and a summary on stdout. All or nothing: the exit status is "
        "non-zero when any row was rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH", help="the fee schedule CSV file")
        parser.add_argument("--dry-run", action="store_true", help="check the file and write nothing")

    def handle(self, *args: Any, path: str, dry_run: bool, **options: Any) -> None:
        run_import(self, path=path, dry_run=dry_run, kind="fee schedule", do_import=fees_import)

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carematch.coverage.tables import BENEFITS_COLUMNS, benefits_import

from ._import import run_import


class Command(BaseCommand):
    help = (
        "Import payers' plans (outpatient mental health, in network) from a CSV file (UTF-8), upserting them by "
        f"payer and plan_id. Columns: {', '.join(BENEFITS_COLUMNS)}. copay_usd or coinsurance_pct may be empty, not "
        "both; deductible_applies is yes or no. Every problem is printed as 'line N: column: what is wrong' on "
        "stderr and a summary on stdout. All or nothing: the exit status is non-zero when any row was rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH", help="the benefits CSV file")
        parser.add_argument("--dry-run", action="store_true", help="check the file and write nothing")

    def handle(self, *args: Any, path: str, dry_run: bool, **options: Any) -> None:
        run_import(self, path=path, dry_run=dry_run, kind="benefits", do_import=benefits_import)

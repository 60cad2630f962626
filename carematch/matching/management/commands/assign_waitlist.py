import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carematch.matching.services import waitlist_assign


class Command(BaseCommand):
    help = (
        "Place everyone waiting into open first-session openings at once, maximising how many are seen "
        "within the window and then their total fit, and book them. --compare also shows first come, "
        "first served on the same input; --dry-run books nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--compare", action="store_true", help="Also place the same input first come, first served."
        )
        parser.add_argument("--dry-run", action="store_true", help="Compute the placements but book nothing.")
        parser.add_argument("--within-hours", type=int, default=48, help="How far ahead openings may be (default 48).")

    def handle(self, *args: Any, compare: bool, dry_run: bool, within_hours: int, **options: Any) -> None:
        run = waitlist_assign(within_hours=within_hours, compare=compare, book=not dry_run)
        self.stdout.write(f"waiting {run.waiting}, openings {run.openings}")
        for outcome in (run.optimal, run.greedy):
            if outcome is None:
                continue
            self.stdout.write(
                f"{outcome.name}: placed {outcome.placed} ({outcome.placed_within_48h} within 48 hours), "
                f"total fit {outcome.total_fit:.3f}"
            )
        self.stdout.write(
            "booked nothing (dry run)" if dry_run else f"booked {run.booked}, could not book {run.failed}"
        )
        self.stdout.write(json.dumps({
            "waiting": run.waiting, "openings": run.openings, "placed": run.optimal.placed,
            "placed_within_48h": run.optimal.placed_within_48h, "total_fit": run.optimal.total_fit,
            **({"greedy_placed_within_48h": run.greedy.placed_within_48h, "greedy_total_fit": run.greedy.total_fit}
               if run.greedy else {}),
            "booked": run.booked, "failed": run.failed,
        }))

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from carematch.matching.demo import demo_backlog


class Command(BaseCommand):
    help = "Create a synthetic backlog of people waiting (demo data only; deterministic for a seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--entries", type=int, default=200)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--force", action="store_true", help="Seed even when debug is off.")

    def handle(self, *args: Any, entries: int, seed: int, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to create synthetic clients while CAREMATCH_DEBUG is off.")
        if not 0 <= entries <= 100_000:
            raise CommandError("--entries must be between 0 and 100000.")
        created = demo_backlog(count=entries, seed=seed, now=timezone.now())
        self.stdout.write(f"Waitlist backlog: {created} entries created.")

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from carematch.accounts.demo import DEMO_PASSWORD, seed_demo_accounts


class Command(BaseCommand):
    help = "Create the synthetic demo accounts (and, as apps add them, demo data) once. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Seed even when debug is off.")

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo accounts with a published password while CAREMATCH_DEBUG is off."
            )
        accounts = seed_demo_accounts()
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for user, created in accounts:
            mark = "created" if created else "exists"
            self.stdout.write(f"  {user.role:<12} {user.email:<34} ({mark})")

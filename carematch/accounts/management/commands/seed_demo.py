from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from carematch.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo_accounts
from carematch.accounts.models import Role
from carematch.coverage.demo import seed_demo_coverage
from carematch.directory.demo import demo_faker, seed_demo_network
from carematch.learn.demo import seed_demo_articles


class Command(BaseCommand):
    help = (
        "Create the synthetic demo accounts and provider network once (deterministic for a seed). "
        "Safe to run again: what is already there is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--providers", type=int, default=2000, help="How many demo providers (default 2000).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed; the same seed gives the same network.")
        parser.add_argument("--force", action="store_true", help="Seed even when debug is off.")

    def handle(self, *args: Any, providers: int, seed: int, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo accounts with a published password while CAREMATCH_DEBUG is off."
            )
        if not 0 <= providers <= 200_000:
            raise CommandError("--providers must be between 0 and 200000.")
        if providers:
            demo_faker(seed)  # without Faker installed, say so before anything is written
        accounts = seed_demo_accounts()
        provider_account = next((user for user, _ in accounts if user.role == Role.PROVIDER), None)
        network = seed_demo_network(
            count=providers, seed=seed, today=timezone.localdate(), provider_account=provider_account
        ) if providers else "No demo providers requested."
        coverage = seed_demo_coverage()
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for user, created in accounts:
            mark = "created" if created else "exists"
            self.stdout.write(f"  {user.role:<12} {user.email:<34} ({mark})")
        self.stdout.write(
            f"The admin, coordinator and provider also enter a code from an authenticator app set up with the "
            f"demo key {DEMO_TOTP_SECRET} (time-based, 6 digits), or print the current code with:\n"
            f"  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{DEMO_TOTP_SECRET}').now())\""
        )
        self.stdout.write(network)
        self.stdout.write(coverage)
        self.stdout.write(seed_demo_articles())

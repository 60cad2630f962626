import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from carematch.accounts.demo import demo_logins_summary, demo_welcome, seed_demo_accounts
from carematch.accounts.models import Role
from carematch.care.demo import seed_demo_practice
from carematch.care.toolkit_demo import seed_demo_toolkit
from carematch.coverage.demo import seed_demo_coverage
from carematch.directory.demo import demo_faker, seed_demo_network
from carematch.learn.demo import seed_demo_articles


class Command(BaseCommand):
    help = (
        "Create the synthetic demo accounts, provider network and practice once (deterministic for a seed). "
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
        now = timezone.now()
        # Each booking and questionnaire logs a line; at the normal verbosity the seed says only
        # what it did (warnings and errors still show).
        logger = logging.getLogger("carematch")
        level = logger.level
        if options.get("verbosity", 1) < 2:
            logger.setLevel(logging.WARNING)
        try:
            self._seed(providers=providers, seed=seed, now=now)
        finally:
            logger.setLevel(level)

    def _seed(self, *, providers: int, seed: int, now: dt.datetime) -> None:
        accounts = seed_demo_accounts()
        provider_account = next((user for user, _ in accounts if user.role == Role.PROVIDER), None)
        # Each step seeds its part once and says what it did in one line.
        summaries = [
            demo_logins_summary(accounts),
            seed_demo_network(count=providers, seed=seed, today=timezone.localdate(), provider_account=provider_account)
            if providers else "No demo providers requested.",
            seed_demo_coverage(),
            seed_demo_practice(seed=seed, now=now),
            seed_demo_toolkit(),
            seed_demo_articles(),
        ]
        for summary in summaries:
            self.stdout.write(summary)
        self.stdout.write(demo_welcome(accounts))

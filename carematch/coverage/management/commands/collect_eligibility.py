"""`carematch collect_eligibility`: read the 271 answers a batch clearinghouse (the `file`
transport) left in CAREMATCH_X12_INBOX; run it from cron, e.g. every five minutes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from carematch.coverage import services


class Command(BaseCommand):
    help = "Read eligibility answers (271s) from the clearinghouse's inbox folder."

    def handle(self, *args: Any, **options: Any) -> None:
        answered = services.eligibility_collect()
        self.stdout.write(f"{answered} eligibility check(s) answered.")

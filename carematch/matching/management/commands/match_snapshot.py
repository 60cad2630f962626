"""Build the match engine's snapshot of the directory now and publish it for every process of
this machine (carematch/matching/snapshot.py), unless the newest one is already current.

    carematch match_snapshot

Run it in the deploy step, after `migrate`, so that no request of a fresh machine waits for
the first build; after that, processes refresh the snapshot in the background by themselves.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from carematch.matching.snapshot import refresh_in_background, snapshot_refresh


class Command(BaseCommand):
    help = "Build and publish the matching snapshot for this machine's processes (skipped when current)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not refresh_in_background():
            raise CommandError("CAREMATCH_MATCH_SNAPSHOT_REFRESH is inline: each process builds its own snapshot.")
        began = time.perf_counter()
        folder = snapshot_refresh()
        if folder is None:
            self.stdout.write(f"The matching snapshot in {settings.MATCH_SNAPSHOT_DIR} is current.")
        else:
            self.stdout.write(f"Matching snapshot written to {folder} in {time.perf_counter() - began:.1f} s.")

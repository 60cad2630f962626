"""`carematch export_fhir`: the directory as FHIR, with scheduling's openings as free Slots.
It lives with scheduling, which computes the openings; the directory's export takes them
as an argument."""

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from carematch.directory.fhir import directory_export_json
from carematch.scheduling.selectors import provider_openings

MAX_DAYS = 60


class Command(BaseCommand):
    help = (
        "Export the provider directory as a FHIR R4 Bundle (type collection) in the Da Vinci PDex Plan-Net "
        "shape: Practitioner, PractitionerRole per payer network, HealthcareService, Location, network "
        "Organizations, and a Schedule with a free Slot for every open hour of the next --days days."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, metavar="PATH", help="the JSON file to write (replaced whole)")
        parser.add_argument(
            "--days", type=int, default=14, help=f"how many days of free slots to include (1 to {MAX_DAYS}, default 14)"
        )

    def handle(self, *args: Any, out: str, days: int, **options: Any) -> None:
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days: {days} is not between 1 and {MAX_DAYS}")
        path = Path(out)
        folder = path.parent
        if not folder.is_dir():
            raise CommandError(f"{folder}: no such folder")
        if path.is_dir():
            raise CommandError(f"{path} is a folder; give a file name, e.g. {path / 'directory.json'}")
        text, counts = directory_export_json(days=days, openings=provider_openings, now=timezone.now())
        # Written beside the target and renamed into place, so a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, path)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise CommandError(f"{path} cannot be written: {exc.strerror or exc}") from None
        self.stdout.write(
            f"wrote {counts.get('Practitioner', 0)} providers and {counts.get('Slot', 0)} free slots "
            f"(next {days} days) to {path}"
        )

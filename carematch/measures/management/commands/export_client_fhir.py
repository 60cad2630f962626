import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carematch.access import audit
from carematch.access.models import Action
from carematch.accounts.models import Client
from carematch.measures.fhir import client_export_json


class Command(BaseCommand):
    help = (
        "Export one client's record as a FHIR R4 Bundle (type collection): Patient, the Questionnaires they "
        "answered, a QuestionnaireResponse for each, Observations for each total and for PHQ-9 item 9, and their "
        "goals (Goal) and plan (CarePlan). The file holds health information: keep it as safe as the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", required=True, type=int, metavar="ID", help="the client's carematch id")
        parser.add_argument("--out", required=True, metavar="PATH", help="the JSON file to write (replaced whole)")

    def handle(self, *args: Any, client: int, out: str, **options: Any) -> None:
        record = Client.objects.filter(pk=client).first()
        if record is None:
            raise CommandError(f"--client: no client with id {client}")
        path = Path(out)
        folder = path.parent
        if not folder.is_dir():
            raise CommandError(f"{folder}: no such folder")
        if path.is_dir():
            raise CommandError(f"{path} is a folder; give a file name, e.g. {path / f'client-{client}.json'}")
        text, counts = client_export_json(record)
        # Recorded before the file is written: an export that cannot be recorded does not happen.
        audit.record(None, action=Action.EXPORT, resource_type="client_record", resource_id=record.pk, client=record)
        # Written beside the target (readable by its owner only) and renamed into place, so a
        # reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, path)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise CommandError(f"{path} cannot be written: {exc.strerror or exc}") from None
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        self.stdout.write(f"wrote client {client}'s record ({summary}) to {path}")

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carematch.access import audit
from carematch.access.fhir import audit_bundle
from carematch.access.models import Action

MAX_ID = 2**63 - 1


class Command(BaseCommand):
    help = (
        "Export the access log (or one client's part of it, or what happened since a date) as a FHIR R4B Bundle of "
        "AuditEvent resources, newest first. The export is itself recorded in the access log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH", help="the JSON file to write (replaced whole)")
        parser.add_argument("--client-id", type=int, metavar="N", help="only events about this client")
        parser.add_argument("--since", metavar="DATE", help="only events from this date (UTC, YYYY-MM-DD) on")

    def handle(self, *args: Any, path: str, client_id: int | None, since: str | None, **options: Any) -> None:
        if client_id is not None and not 1 <= client_id <= MAX_ID:
            raise CommandError("--client-id: must be a client id (a whole number from 1)")
        moment: dt.datetime | None = None
        if since is not None:
            try:
                moment = audit.parse_since(since)
            except ValueError as exc:
                raise CommandError(f"--since: {exc}") from None
        target = Path(path)
        if target.is_dir():
            raise CommandError(f"{target} is a folder; give a file name, e.g. {target / 'audit-events.json'}")
        if not target.parent.is_dir():
            raise CommandError(f"{target.parent}: no such folder")
        events = list(audit.events_matching(client_id=client_id, since=moment))
        # Recorded before the file is written: an export that cannot be recorded does not happen.
        audit.record(None, action=Action.EXPORT, resource_type="audit_log", client=client_id)
        text = json.dumps(audit_bundle(events), indent=2)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, target)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise CommandError(f"{target} cannot be written: {exc.strerror or exc}") from None
        self.stdout.write(f"wrote {len(events)} access event{'s' if len(events) != 1 else ''} to {target}")

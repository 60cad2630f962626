from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carematch.access.backup import BackupError, key_counts, migrations_pending, restore_apply, restore_check


class Command(BaseCommand):
    help = (
        "Replace the whole database with the backup at PATH (written by `carematch backup`). "
        "Everything written since that backup is lost, so it runs only with --yes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH", help="the backup file to restore")
        parser.add_argument("--yes", action="store_true", help="confirm that the current database is replaced")

    def handle(self, *args: Any, path: str, yes: bool, **options: Any) -> None:
        source = Path(path)
        try:
            kind = restore_check(path=source)
            if not yes:
                raise CommandError(
                    f"Restoring {source} replaces the current database and everything written since the "
                    "backup; run again with --yes to go ahead."
                )
            restore_apply(path=source, kind=kind)
            pending = migrations_pending()
            counts = key_counts()
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"restored {source}: {summary}")
        if pending:
            self.stderr.write(
                self.style.WARNING(
                    f"The restored database lacks {pending} migration(s) of this carematch; run `carematch migrate`."
                )
            )

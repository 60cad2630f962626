from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carematch.access.backup import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database to PATH while carematch keeps running: a SQLite file "
        "(SQLite's online backup API) or a pg_dump custom-format archive (PostgreSQL). "
        "Restore it with `carematch restore PATH --yes`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH", help="the backup file to write")
        parser.add_argument("--force", action="store_true", help="replace PATH if it already exists")

    def handle(self, *args: Any, path: str, force: bool, **options: Any) -> None:
        target = Path(path)
        try:
            kind, size = backup_write(path=target, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        label = "SQLite database" if kind == "sqlite" else "PostgreSQL dump (custom format)"
        self.stdout.write(f"wrote {label} backup to {target} ({_size(size)})")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    amount = float(size)
    for unit in ("KB", "MB", "GB"):
        amount /= 1024
        if amount < 1024 or unit == "GB":
            break
    return f"{amount:.1f} {unit}"

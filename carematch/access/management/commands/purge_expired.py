import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carematch.access.closing import purge_expired, retention_period


class Command(BaseCommand):
    help = (
        "Erase what the retention period no longer requires: closed client accounts whose retention ended "
        "(with all their records, all or nothing per client) and removed entries (deleted_at) older than the "
        "retention period. Prints how many rows of each kind were erased; running it again erases nothing more. "
        "The access log is never erased."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would be erased; erase nothing")
        parser.add_argument("--now", metavar="ISO-TIME", default=None,
                            help="the moment to measure the retention period from, with its UTC offset (for checks)")

    def handle(self, *args: Any, dry_run: bool, now: str | None, **options: Any) -> None:
        moment = None
        if now:
            try:
                moment = dt.datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now {now!r} is not an ISO 8601 time, e.g. 2034-01-01T00:00:00+00:00") from None
            if moment.utcoffset() is None:
                raise CommandError("--now needs a UTC offset, e.g. 2034-01-01T00:00:00+00:00")
        report = purge_expired(now=moment, dry_run=dry_run)
        verb = "would erase" if dry_run else "erased"
        self.stdout.write(f"retention period: {retention_period().days} days")
        self.stdout.write(f"closed client accounts past retention: {report.clients}")
        if not report.deleted:
            self.stdout.write(f"nothing to erase ({'dry run' if dry_run else 'done'})")
        for label, count in sorted(report.deleted.items()):
            self.stdout.write(f"{verb} {count} {label}")
        for label, count in sorted(report.skipped.items()):
            self.stdout.write(f"kept {count} {label} (still referred to by a kept record)")
        if report.failed:
            ids = ", ".join(str(pk) for pk in report.failed)
            raise CommandError(f"could not erase the record of client(s) {ids}; each is kept whole (see the log)")

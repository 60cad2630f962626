"""Re-encrypt every encrypted column under the current first key.

After a new key is put first in CAREMATCH_ENCRYPTION_KEYS (the old ones kept after it), this
rewrites each stored value that is not yet under the new key, in batches of its own
transactions, and prints how many values of each column it re-encrypted. Running it again
re-encrypts nothing. Once it reports no unreadable values, the old keys can be dropped.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carematch.care.services import encrypted_column_rotate
from carematch.lib import crypto


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column under the first key of CAREMATCH_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")

    def handle(self, *args: Any, batch_size: int = 500, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        unreadable_total = 0
        for model, field in crypto.encrypted_fields():
            column = encrypted_column_rotate(model=model, field=field, batch_size=batch_size)
            unreadable_total += column.unreadable
            line = (f"{column.label}: {column.rotated} re-encrypted, {column.current} already under the first key, "
                    f"{column.empty} empty")
            self.stdout.write(line + (f", {column.unreadable} unreadable" if column.unreadable else ""))
        if unreadable_total:
            raise CommandError(
                f"{unreadable_total} values could not be decrypted with any configured key; they were left as they "
                "are. Keep the keys that wrote them in CAREMATCH_ENCRYPTION_KEYS."
            )

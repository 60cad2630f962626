"""Re-encrypt every encrypted column under the current first key.

After a new key is put first in CAREMATCH_ENCRYPTION_KEYS (the old ones kept after it), this
rewrites each stored value that is not yet under the new key, in batches of its own
transactions, and prints how many values of each column it re-encrypted. Running it again
re-encrypts nothing. Once it reports no unreadable values, the old keys can be dropped.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F, Value
from django.utils import timezone

from carematch.care.models import Reencryption
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
            rotated, current, empty, unreadable = self._rotate_column(model, field, batch_size)
            unreadable_total += unreadable
            label = f"{model._meta.label}.{field.name}"
            line = f"{label}: {rotated} re-encrypted, {current} already under the first key, {empty} empty"
            self.stdout.write(line + (f", {unreadable} unreadable" if unreadable else ""))
        if unreadable_total:
            raise CommandError(
                f"{unreadable_total} values could not be decrypted with any configured key; they were left as they "
                "are. Keep the keys that wrote them in CAREMATCH_ENCRYPTION_KEYS."
            )

    def _rotate_column(
        self, model: type[models.Model], field: crypto.EncryptedTextField, batch_size: int
    ) -> tuple[int, int, int, int]:
        stored = ExpressionWrapper(F(field.attname), output_field=models.TextField())
        rows = model._base_manager.alias(stored=stored)
        rotated = current = empty = unreadable = 0
        last_pk: Any = None
        while True:
            batch_rows = rows if last_pk is None else rows.filter(pk__gt=last_pk)
            batch = list(batch_rows.order_by("pk").annotate(stored_value=stored)
                         .values_list("pk", "stored_value")[:batch_size])
            if not batch:
                return rotated, current, empty, unreadable
            last_pk = batch[-1][0]
            with transaction.atomic():
                marker = Reencryption.objects.create(started_at=timezone.now())
                for pk, token in batch:
                    if token is None or token == "":
                        empty += 1
                        continue
                    if crypto.encrypted_under_first_key(token):
                        current += 1
                        continue
                    try:
                        new_token = crypto.rotate(token, where=f"{model._meta.db_table} row {pk}")
                    except crypto.DecryptionError:
                        unreadable += 1
                        continue
                    # Only if nobody changed the value meanwhile; never re-encrypt through the field.
                    rotated += rows.filter(pk=pk, stored=token).update(
                        **{field.attname: Value(new_token, output_field=models.TextField())}
                    )
                marker.delete()

"""The payers a deployment has, as the validators read them.

Payers are rows (models.Payer), added by imports and coordinators while other processes run.
Validating a provider's or a person's payer slug must not cost a query each time (a roster
of 100,000 providers is validated row by row), nor refuse a payer another process has just
added. So KNOWN keeps the table's slugs and names in memory and reads the table again
whenever it is asked about a slug it does not hold: a known slug costs nothing, an unknown
one costs one small query before it is refused. Payers are never deleted, so what KNOWN
holds can only be behind, never wrong about a slug it has. Names shown to people are read
fresh (selectors.payer_names); KNOWN's names serve the validators' messages.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Mapping


class _KnownPayers(Mapping[str, str]):
    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._lock = threading.Lock()

    def reload(self) -> dict[str, str]:
        from .models import Payer

        names = dict(Payer.objects.order_by("name").values_list("slug", "name"))
        with self._lock:
            self._names = names
        return names

    def __getitem__(self, slug: str) -> str:
        names = self._names
        if slug not in names:
            names = self.reload()
        return names[slug]

    def __contains__(self, slug: object) -> bool:
        if not isinstance(slug, str):
            return False
        return slug in self._names or slug in self.reload()

    def __iter__(self) -> Iterator[str]:
        return iter(self.reload())

    def __len__(self) -> int:
        return len(self.reload())


_KNOWN = _KnownPayers()
KNOWN: Mapping[str, str] = _KNOWN


def seeded() -> dict[str, str]:
    """The payers the migration that made payers data seeds (slug -> name), as it froze them."""
    migration = importlib.import_module("carematch.directory.migrations.0009_payers")
    return dict(migration.SEED)


def forget() -> None:
    """Drop what KNOWN holds (after a payer is renamed, or the table is emptied in tests)."""
    with _KNOWN._lock:
        _KNOWN._names = {}

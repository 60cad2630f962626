"""Reads from a PostgreSQL read replica (CAREMATCH_DATABASE_REPLICA_URL), where it is safe.

A replica lags its primary by a moment, so only reads that may be a moment old go there, and
only where the code says so, with `replica_reads()` (or `@replica_view` on a page): the
public FHIR directory, read-only staff reports, and building the match engine's snapshot.
Everything else reads the primary: bookings, holds, the busy lookup, the log-in, and any read
inside a transaction. Within `replica_reads()`, once the request has written anything, its
later reads go to the primary too, so that a request always sees its own writes. Writes always
go to the primary. Without a replica configured everything reads the primary.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

F = TypeVar("F", bound=Callable[..., Any])


class _Reads:
    """One `replica_reads()` block: whether it has written yet."""

    def __init__(self) -> None:
        self.wrote = False


_reading: ContextVar[_Reads | None] = ContextVar("carematch_replica_reads", default=None)


def replica_alias() -> str | None:
    """The replica's alias, or None when this deployment has none."""
    alias = getattr(settings, "DATABASE_REPLICA_ALIAS", None)
    return alias if alias and alias in connections.settings else None


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside may come from the replica (until something is written)."""
    token = _reading.set(_Reads())
    try:
        yield
    finally:
        _reading.reset(token)


def replica_view(view: F) -> F:
    """A read-only page or endpoint whose reads may come from the replica. Put it closest to
    the view, under the decorators that check who is asking: those read the primary."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def read_alias() -> str:
    """Where a read made now goes: the replica inside `replica_reads()` before any write and
    outside any transaction, else the primary. For code that reads through a raw cursor
    (`connections[read_alias()].cursor()`), so that it reads where its ORM queries do."""
    reads, alias = _reading.get(), replica_alias()
    if reads is None or alias is None or reads.wrote or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return alias


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads as read_alias() says, writes to the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type, **hints: Any) -> str:
        reads = _reading.get()
        if reads is not None:
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # A row read from the replica is the primary's row too.
        both = {obj1._state.db, obj2._state.db}
        return True if both <= {DEFAULT_DB_ALIAS, replica_alias()} else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica follows the primary's schema by replication; nothing migrates it.
        return False if db == REPLICA else None

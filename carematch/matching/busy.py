"""What the engine asks the database, for the short list of each request: time off, booked
sessions and live holds, and each provider's recent new clients.

Time off, booked sessions and holds change all the time, so they are not part of the
snapshot (carematch/matching/snapshot.py): `busy_lookup` reads them for the short list of
each request.

The query is made by the ORM once per shape (PostgreSQL: one; SQLite: a few lengths of its
id list) and its SQL kept; each lookup runs it with its own parameters. Building it through
the ORM on every lookup cost more than the database took to answer it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, connections, models
from django.db.models import BooleanField, Exists, IntegerField, OuterRef, Q, Value
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_datetime

from carematch.directory.models import TimeOff
from carematch.scheduling.models import Appointment, CareRequest

from .engine.match import Busy, BusyLookup
from .engine.scoring import RECENT_DAYS

# SQLite: each `IN (...)` of the busy query, which has three, stays under its 999 parameters.
BUSY_CHUNK = 300


def _of_providers(model: type[models.Model], ids: list[int]) -> Q | RawSQL:
    """Rows of `model` whose provider is one of `ids`. On PostgreSQL the ids travel as one
    array parameter (`= ANY(%s)`): an `IN` list of hundreds of parameters cost more to build,
    send and plan than the query took to run."""
    if connection.vendor == "postgresql":
        column = f"{connection.ops.quote_name(model._meta.db_table)}.{connection.ops.quote_name('provider_id')}"
        return RawSQL(f"{column} = ANY(%s::bigint[])", (ids,), output_field=BooleanField())  # noqa: S611 - names from the model, ids a parameter
    return Q(provider_id__in=ids)


# Stand-ins the query is compiled with once (`_compiled`), each then replaced by the request's
# own value at its place among the parameters.
_NOW, _START, _END, _SINCE = (dt.datetime(2001, month, 1, 1, 1, 1, tzinfo=dt.UTC) for month in (1, 2, 3, 4))
_ID_BASE = -7_000_000_000


def _query(now: dt.datetime, start: dt.datetime, end: dt.datetime, since: dt.datetime, ids: list[int]) -> Any:
    away = Value(0, output_field=IntegerField())
    claims = (
        Appointment.objects.claiming(now=now).filter(_of_providers(Appointment, ids), start__lt=end, end__gt=start)
        .order_by().annotate(span_kind=away).values_list("provider_id", "start", "end", "span_kind")
    )
    time_off = (
        TimeOff.objects.filter(_of_providers(TimeOff, ids), start__lt=end, end__gt=start)
        .order_by().annotate(span_kind=away).values_list("provider_id", "start", "end", "span_kind")
    )
    first_sessions = (
        Appointment.objects.filter(_of_providers(Appointment, ids), booked_at__gte=since)
        .filter(Exists(CareRequest.objects.filter(first_appointment=OuterRef("pk"))))
        .order_by().annotate(span_kind=Value(1, output_field=IntegerField()))
        .values_list("provider_id", "start", "end", "span_kind")
    )
    return claims.union(time_off, first_sessions, all=True)


@lru_cache(maxsize=32)
def _compiled(alias: str, vendor: str, count: int) -> tuple[str, tuple[tuple[str, object], ...]]:
    """The busy query's SQL for `count` provider ids (any on PostgreSQL, where they are one
    array), and what each of its parameters is: a stand-in's name, or a constant. Building
    the query through the ORM took longer than running it; this is done once per shape."""
    ids = [_ID_BASE - n for n in range(count)]
    sql, params = _query(_NOW, _START, _END, _SINCE, ids).query.sql_with_params()
    ops = connections[alias].ops
    named: dict[object, str] = {ops.adapt_datetimefield_value(value): name for name, value in
                                (("now", _NOW), ("start", _START), ("end", _END), ("since", _SINCE))}
    slots: list[tuple[str, object]] = []
    for param in params:
        if isinstance(param, list) and param == ids:
            slots.append(("ids", None))
        elif isinstance(param, int) and not isinstance(param, bool) and _ID_BASE - count < param <= _ID_BASE:
            slots.append(("id", _ID_BASE - param))
        elif not isinstance(param, list) and param in named:
            slots.append((named[param], None))
        else:
            slots.append(("constant", param))
    return sql, tuple(slots)


def _shape(count: int) -> int:
    """How many ids the query is compiled for on SQLite: the next of a few sizes, the list
    padded with its last id (an id twice in `IN (...)` matches its rows once)."""
    for size in (8, 32, 128):
        if count <= size:
            return size
    return BUSY_CHUNK


def busy_lookup(*, now: dt.datetime) -> BusyLookup:
    """What the engine asks the database for a request made at `now`: for some providers,
    their time off, booked sessions and live holds overlapping [start, end), and the new
    clients they booked in the last 14 days (first sessions of requests for care), in one
    query (on SQLite, one a BUSY_CHUNK providers)."""
    since = now - dt.timedelta(days=RECENT_DAYS)
    postgres = connection.vendor == "postgresql"
    chunk = None if postgres else BUSY_CHUNK
    ops = connection.ops

    def lookup(provider_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> Busy:
        blocked: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
        recent: dict[int, int] = {}
        step = chunk or max(len(provider_ids), 1)
        values = {name: ops.adapt_datetimefield_value(value)
                  for name, value in (("now", now), ("start", start), ("end", end), ("since", since))}
        for at in range(0, len(provider_ids), step):
            ids = [int(pid) for pid in provider_ids[at:at + step]]
            if not ids:
                continue
            shape = 1 if postgres else _shape(len(ids))
            padded = ids if postgres else ids + [ids[-1]] * (shape - len(ids))
            sql, slots = _compiled(connection.alias, connection.vendor, shape)
            params: list[Any] = []
            for kind, value in slots:
                if kind == "ids":
                    params.append(ids)
                elif kind == "id":
                    params.append(padded[int(value)])  # type: ignore[call-overload]
                elif kind == "constant":
                    params.append(value)
                else:
                    params.append(values[kind])
            rows = _rows(sql, params, prepared=postgres and settings.CAREMATCH_DB_PREPARED_STATEMENTS)
            for provider_id, span_start, span_end, kind in rows:
                if not postgres:
                    span_start, span_end = _aware(span_start), _aware(span_end)
                if kind:
                    recent[provider_id] = recent.get(provider_id, 0) + 1
                else:
                    blocked.setdefault(provider_id, []).append((span_start, span_end))
        return Busy(blocked=blocked, recent_new_clients=recent)

    return lookup


def _rows(sql: str, params: list[Any], *, prepared: bool) -> list[tuple[Any, ...]]:
    """The busy query's rows. On PostgreSQL it is a prepared statement: the parameters go
    apart from the SQL and the database keeps the query planned, as planning it took three
    times as long as running it. (Django's connections prepare nothing, for connection
    poolers: CAREMATCH_DB_PREPARED_STATEMENTS=0 turns this off behind one that cannot keep
    prepared statements.) While queries are being recorded (debug, tests counting them),
    Django's own cursor runs it, so that it is recorded."""
    if not prepared or connection.queries_logged:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]

    # As Django's connection.cursor() does, with a cursor that binds on the server.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors, ServerBindingCursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return list(cursor.fetchall())


def _aware(value: Any) -> dt.datetime:
    """A datetime as SQLite gives it back (text, in UTC), as the ORM would make it."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

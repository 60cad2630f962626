"""What the engine asks the database, for the short list of each request: time off, booked
sessions and live holds, and each provider's recent new clients.

Time off, booked sessions and holds change all the time, so they are not part of the
snapshot (carematch/matching/snapshot.py): `busy_lookup` reads them for the short list of
each request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection, models
from django.db.models import BooleanField, Exists, IntegerField, OuterRef, Q, Value
from django.db.models.expressions import RawSQL

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


def busy_lookup(*, now: dt.datetime) -> BusyLookup:
    """What the engine asks the database for a request made at `now`: for some providers,
    their time off, booked sessions and live holds overlapping [start, end), and the new
    clients they booked in the last 14 days (first sessions of requests for care), in one
    query (on SQLite, one a BUSY_CHUNK providers)."""
    since = now - dt.timedelta(days=RECENT_DAYS)
    chunk = None if connection.vendor == "postgresql" else BUSY_CHUNK

    def lookup(provider_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> Busy:
        blocked: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
        recent: dict[int, int] = {}
        step = chunk or max(len(provider_ids), 1)
        for at in range(0, len(provider_ids), step):
            ids = [int(pid) for pid in provider_ids[at:at + step]]
            away = Value(0, output_field=IntegerField())
            claims = (
                Appointment.objects.claiming(now=now).filter(_of_providers(Appointment, ids), start__lt=end,
                                                             end__gt=start)
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
            for provider_id, span_start, span_end, kind in claims.union(time_off, first_sessions, all=True):
                if kind:
                    recent[provider_id] = recent.get(provider_id, 0) + 1
                else:
                    blocked.setdefault(provider_id, []).append((span_start, span_end))
        return Busy(blocked=blocked, recent_new_clients=recent)

    return lookup

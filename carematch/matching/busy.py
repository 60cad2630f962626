"""What the engine asks the database, for the short list of each request: time off, booked
sessions and live holds, and each provider's recent new clients.

Time off, booked sessions and holds change all the time, so they are not part of the
snapshot (carematch/matching/snapshot.py): `busy_lookup` reads them for the short list of
each request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Exists, IntegerField, OuterRef, Value

from carematch.directory.models import TimeOff
from carematch.scheduling.models import Appointment, CareRequest

from .engine.match import Busy, BusyLookup
from .engine.scoring import RECENT_DAYS

# Keeps each `IN (...)` of the busy query, which has three, under SQLite's 999 parameters.
BUSY_CHUNK = 300


def busy_lookup(*, now: dt.datetime) -> BusyLookup:
    """What the engine asks the database for a request made at `now`: for some providers,
    their time off, booked sessions and live holds overlapping [start, end), and the new
    clients they booked in the last 14 days (first sessions of requests for care)."""
    since = now - dt.timedelta(days=RECENT_DAYS)

    def lookup(provider_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> Busy:
        blocked: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
        recent: dict[int, int] = {}
        for at in range(0, len(provider_ids), BUSY_CHUNK):
            ids = list(provider_ids[at:at + BUSY_CHUNK])
            away = Value(0, output_field=IntegerField())
            claims = (
                Appointment.objects.claiming(now=now).filter(provider_id__in=ids, start__lt=end, end__gt=start)
                .order_by().annotate(span_kind=away).values_list("provider_id", "start", "end", "span_kind")
            )
            time_off = (
                TimeOff.objects.filter(provider_id__in=ids, start__lt=end, end__gt=start)
                .order_by().annotate(span_kind=away).values_list("provider_id", "start", "end", "span_kind")
            )
            first_sessions = (
                Appointment.objects.filter(provider_id__in=ids, booked_at__gte=since)
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

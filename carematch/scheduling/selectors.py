"""Reads for scheduling: a provider's openings, computed on demand, active claims, and the
crisis follow-up queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.db.models import Count, Min, Prefetch, QuerySet
from django.utils import timezone

from carematch.directory.models import Provider
from carematch.lib.sessions import SESSION

from .models import Appointment, CrisisAttempt, CrisisRequest, CrisisStatus
from .openings import Window, opening_starts


def active_claims(
    *, provider: Provider, start: dt.datetime, end: dt.datetime, now: dt.datetime, exclude_ids: Collection[int] = ()
) -> QuerySet[Appointment]:
    """Booked appointments and live holds of the provider overlapping [start, end)
    (Appointment.objects.claiming)."""
    return (
        Appointment.objects.claiming(now=now).filter(provider=provider, start__lt=end, end__gt=start)
        .exclude(pk__in=list(exclude_ids))
    )


def provider_openings(
    *,
    provider: Provider,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime | None = None,
    include_claimed: bool = False,
    exclude_ids: Collection[int] = (),
) -> list[dt.datetime]:
    """Start times (UTC) of the provider's openings in [start, end): weekly windows, minus time
    off, federal holidays (unless they work them), anything sooner than their notice, and
    (unless `include_claimed`) booked appointments and live holds other than `exclude_ids`."""
    now = now or timezone.now()
    windows = [Window(w.weekday, w.start, w.end) for w in provider.windows.all()]
    blocked = [(t.start, t.end) for t in provider.time_off.filter(end__gt=start, start__lt=end)]
    if not include_claimed:
        # An opening that starts just before `end` runs past it: claims up to a session later count.
        blocked += [
            (a.start, a.end)
            for a in active_claims(provider=provider, start=start, end=end + SESSION, now=now, exclude_ids=exclude_ids)
        ]
    return opening_starts(
        windows=windows,
        tz_name=provider.timezone,
        start=start,
        end=end,
        now=now,
        min_notice=dt.timedelta(hours=provider.min_notice_hours),
        blocked=blocked,
        works_holidays=provider.works_holidays,
    )


# --- Crisis follow-up ----------------------------------------------------------------------------

RECENTLY_CLOSED = dt.timedelta(days=14)


def crisis_open_count() -> int:
    return CrisisRequest.objects.filter(status=CrisisStatus.OPEN).count()


def crisis_requests(*, status: str) -> QuerySet[CrisisRequest]:
    """Open requests oldest first (the order to call them in); closed ones most recently
    closed first. Each with `attempt_count`, `first_attempt_at` and its attempts (oldest first)."""
    if status not in CrisisStatus.values:
        raise ValueError(f"status must be one of {', '.join(CrisisStatus.values)}")
    found = (
        CrisisRequest.objects.filter(status=status)
        .annotate(attempt_count=Count("attempts"), first_attempt_at=Min("attempts__at"))
        .prefetch_related(
            Prefetch("attempts", queryset=CrisisAttempt.objects.select_related("by").order_by("at", "pk"))
        )
    )
    if status == CrisisStatus.OPEN:
        return found.order_by("requested_at", "pk")
    return found.order_by("-closed_at", "-pk")


def crisis_recently_closed(*, now: dt.datetime | None = None) -> QuerySet[CrisisRequest]:
    now = now or timezone.now()
    return crisis_requests(status=CrisisStatus.CLOSED).filter(closed_at__gte=now - RECENTLY_CLOSED)

"""Reads for scheduling: a provider's openings, computed on demand, and active claims."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.db.models import Q, QuerySet
from django.utils import timezone

from carematch.directory.models import Provider

from .models import Appointment, Status
from .openings import SESSION, Window, opening_starts


def active_claims(
    *, provider: Provider, start: dt.datetime, end: dt.datetime, now: dt.datetime, exclude_ids: Collection[int] = ()
) -> QuerySet[Appointment]:
    """Booked appointments and live holds of the provider overlapping [start, end)."""
    return (
        Appointment.objects.filter(provider=provider, start__lt=end, end__gt=start)
        .filter(Q(status=Status.BOOKED) | Q(status=Status.HELD, hold_expires_at__gt=now))
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

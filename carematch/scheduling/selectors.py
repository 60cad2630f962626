"""Reads for scheduling: a provider's openings, computed on demand."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from carematch.directory.models import Provider

from .openings import Window, opening_starts


def provider_openings(
    *, provider: Provider, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> list[dt.datetime]:
    """Start times (UTC) of the provider's openings in [start, end): weekly windows, minus time
    off, federal holidays (unless they work them), and anything sooner than their notice."""
    windows = [Window(w.weekday, w.start, w.end) for w in provider.windows.all()]
    blocked = [(t.start, t.end) for t in provider.time_off.filter(end__gt=start, start__lt=end)]
    return opening_starts(
        windows=windows,
        tz_name=provider.timezone,
        start=start,
        end=end,
        now=now or timezone.now(),
        min_notice=dt.timedelta(hours=provider.min_notice_hours),
        blocked=blocked,
        works_holidays=provider.works_holidays,
    )

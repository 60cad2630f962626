"""Private calendar feeds: one secret address per client or provider that calendar apps
subscribe to, listing their booked, upcoming and recent sessions.

The token in the address is a bearer secret. Like API tokens, only its SHA-256 digest
is stored, so carematch can show the address once, when it is made, and never again.
Making a new address revokes the old one. Cancelled sessions stay in the feed marked
CANCELLED, so subscribed calendars remove them.

This module reads and renders; addresses are made, turned off and found by their token in
services.py (`calendar_feed_issue`, `calendar_feed_revoke`, `calendar_feed_find`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import pgettext
from icalendar import Calendar

from carematch.access.policy import has_role
from carematch.accounts.models import Client, Role, User
from carematch.directory.models import Provider
from carematch.lib.timezones import when_label

from . import calendar
from .models import Appointment, CalendarFeed, FeedRevoked, Format, Status

FEED_TOKEN_PREFIX = "cf_"  # noqa: S105 - a marker, not a secret
FEED_TOKEN_PATTERN = r"cf_[A-Za-z0-9_-]{43}"  # noqa: S105 - the shape of a token, not a secret
RECENT = dt.timedelta(days=30)
FEED_STATUSES = (Status.BOOKED, Status.CANCELLED, Status.COMPLETED, Status.NO_SHOW)


# --- Calendar files ------------------------------------------------------------------------


def _provider_summary(appointment: Appointment, *, viewer_timezone: str) -> str:
    # A provider's calendar names no client: synced calendars are not the place for it.
    when = when_label(appointment.start, viewer_timezone)
    if appointment.format == Format.TELEHEALTH:
        return pgettext("staff", "carematch session, online (video), %(when)s") % {"when": when}
    return pgettext("staff", "carematch session, in person, %(when)s") % {"when": when}


def calendar_file(
    appointments: Iterable[Appointment], *, viewer_timezone: str, for_provider: bool, name: str = "carematch",
    refresh: dt.timedelta | None = None,
) -> bytes:
    """An iCalendar file of `appointments` in the viewer's zone. Clients see the session
    with their provider's name; providers see it without the client's."""
    cal = Calendar()
    cal.add("prodid", calendar.PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    if refresh is not None:
        cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", f"PT{int(refresh.total_seconds())}S")
    for appointment in appointments:
        event = calendar.appointment_event(appointment, viewer_timezone=viewer_timezone)
        if for_provider:
            event.pop("SUMMARY")
            event.add("summary", _provider_summary(appointment, viewer_timezone=viewer_timezone))
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


# --- Whose feed ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedOwner:
    """The client or provider record a person's feed shows, and the zone it is shown in."""

    timezone: str
    client: Client | None = None
    provider: Provider | None = None

    @property
    def for_provider(self) -> bool:
        return self.provider is not None

    def appointments(self, *, now: dt.datetime) -> QuerySet[Appointment]:
        """Booked, upcoming and recent sessions (cancelled ones included, to be removed)."""
        sessions = Appointment.objects.select_related("provider").filter(
            status__in=FEED_STATUSES, start__gte=now - RECENT
        )
        if self.provider is not None:
            return sessions.filter(provider=self.provider).order_by("start", "pk")
        return sessions.filter(client=self.client).order_by("start", "pk")


def feed_owner(user: User) -> FeedOwner | None:
    """Clients and providers with a record have a feed; nobody else does."""
    if has_role(user, Role.CLIENT):
        client = Client.objects.filter(user=user).first()
        return FeedOwner(timezone=client.timezone, client=client) if client else None
    if has_role(user, Role.PROVIDER):
        provider = Provider.objects.filter(user=user).first()
        return FeedOwner(timezone=provider.timezone, provider=provider) if provider else None
    return None


def feed_calendar(*, owner: FeedOwner, now: dt.datetime | None = None) -> bytes:
    now = now or timezone.now()
    return calendar_file(
        owner.appointments(now=now), viewer_timezone=owner.timezone, for_provider=owner.for_provider,
        name="carematch sessions", refresh=dt.timedelta(hours=1),
    )


# --- Feed addresses ------------------------------------------------------------------------


def live_feed(*, user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


# Reasons the calendar page explains: the person did not turn the address off themselves.
_ENDED_WITH_EVERYTHING = frozenset(FeedRevoked.values) - {FeedRevoked.REPLACED, FeedRevoked.TURNED_OFF}


def feed_ended_with_access(*, user: User) -> CalendarFeed | None:
    """The person's latest address, when it stopped working because all their access was
    ended (a password reset, logging out everywhere) and no new one has been made since."""
    latest = CalendarFeed.objects.filter(user=user).order_by("-created_at", "-pk").first()
    if latest is None or latest.revoked_at is None or latest.revoked_reason not in _ENDED_WITH_EVERYTHING:
        return None
    return latest

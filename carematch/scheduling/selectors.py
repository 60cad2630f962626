"""Reads for scheduling: a provider's openings, computed on demand, active claims, one
appointment and a person's upcoming sessions, and the crisis follow-up queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.db.models import Count, Min, Prefetch, QuerySet
from django.utils import timezone

from carematch.accounts.models import Client
from carematch.directory.models import Provider
from carematch.lib.sessions import length_of

from .models import (
    HOLD_STATUSES,
    WAS_BOOKED,
    Appointment,
    CareRequest,
    CrisisAttempt,
    CrisisRequest,
    CrisisStatus,
    Status,
)
from .openings import Window, opening_starts


def active_claims(
    *, provider: Provider, start: dt.datetime, end: dt.datetime, now: dt.datetime, exclude_ids: Collection[int] = ()
) -> QuerySet[Appointment]:
    """Booked appointments and live holds of the provider overlapping [start, end)
    (Appointment.objects.claiming)."""
    return (
        Appointment.objects.claiming(now=now)
        .filter(provider=provider, start__lt=end, end__gt=start)
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
    kind: str = "session",
) -> list[dt.datetime]:
    """Start times (UTC) of the provider's openings of this `kind` in [start, end): weekly
    windows, minus time off, federal holidays (unless they work them), anything sooner than
    their notice, and (unless `include_claimed`) booked appointments and live holds other than
    `exclude_ids`. Consultation openings (15 minutes, at 15-minute steps inside the same
    windows) exist only while the provider offers consultations."""
    now = now or timezone.now()
    length = length_of(kind)
    if kind == "consultation" and not provider.offers_consultations:
        return []
    windows = [Window(w.weekday, w.start, w.end) for w in provider.windows.all()]
    blocked = [(t.start, t.end) for t in provider.time_off.filter(end__gt=start, start__lt=end)]
    if not include_claimed:
        # An opening that starts just before `end` runs past it: claims up to its length later count.
        blocked += [
            (a.start, a.end)
            for a in active_claims(provider=provider, start=start, end=end + length, now=now, exclude_ids=exclude_ids)
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
        length=length,
    )


# --- One appointment, and a person's sessions -----------------------------------------------------


def booked_appointment(*, appointment_id: int) -> Appointment | None:
    """The appointment with this id if it was ever booked (booked, completed, missed, or
    cancelled after booking; never a hold), with its provider and its client's login; else None.
    Who may see it is the access policy's to say (scheduling.access_log.visible_appointment)."""
    return (
        Appointment.objects.select_related("provider", "client__user")
        .filter(pk=appointment_id, status__in=WAS_BOOKED)
        .first()
    )


def hold_or_booking(*, appointment_id: int) -> Appointment | None:
    """A hold (live, lapsed or released) or a booked appointment with this id, with its
    provider and client, for the booking pages to finish or show; else None."""
    return (
        Appointment.objects.select_related("provider", "client")
        .filter(pk=appointment_id, status__in=(*HOLD_STATUSES, Status.BOOKED))
        .first()
    )


def upcoming_sessions(
    *, client: Client | None = None, provider: Provider | None = None, now: dt.datetime, limit: int = 20
) -> list[Appointment]:
    """The booked sessions of the client (or else of the provider) that have not ended yet,
    soonest first, at most `limit`, with their provider; none when neither is given."""
    if client is not None:
        sessions = Appointment.objects.filter(client=client)
    elif provider is not None:
        sessions = Appointment.objects.filter(provider=provider)
    else:
        return []
    return list(sessions.filter(status=Status.BOOKED, end__gt=now).select_related("provider")[:limit])


# --- Crisis follow-up ----------------------------------------------------------------------------

RECENTLY_CLOSED = dt.timedelta(days=14)


def crisis_request_by_id(*, crisis_request_id: int, status: str | None = None) -> CrisisRequest | None:
    """The crisis request with this id (and `status`, when given), or None."""
    found = CrisisRequest.objects.filter(pk=crisis_request_id)
    if status is not None:
        found = found.filter(status=status)
    return found.first()


def crisis_request_as_listed(*, crisis_request_id: int) -> CrisisRequest:
    """One crisis request as `crisis_requests` lists it (with its attempt count, first attempt
    and attempts), read again from the database, e.g. after an outcome was recorded."""
    status = CrisisRequest.objects.values_list("status", flat=True).get(pk=crisis_request_id)
    return crisis_requests(status=status).get(pk=crisis_request_id)


def crisis_open_count() -> int:
    return CrisisRequest.objects.filter(status=CrisisStatus.OPEN).count()


# A request for care still without a first appointment this long after it was made is close to
# (or past) the 48-hour promise: the staff home counts these, for a coordinator to act on.
NEAR_DEADLINE = dt.timedelta(hours=36)


def care_requests_near_deadline_count(*, now: dt.datetime | None = None) -> int:
    """Open requests for care (no first appointment, not closed) made NEAR_DEADLINE or longer ago."""
    now = now or timezone.now()
    return CareRequest.objects.filter(first_appointment__isnull=True, closed_at__isnull=True,
                                      requested_at__lte=now - NEAR_DEADLINE).count()


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


def note_for_therapist(*, provider: Provider, client: Client) -> CareRequest | None:
    """The request for care carrying the client's note for their therapist, when `provider` is
    the therapist they booked: the provider of the request's first session, booked (or since
    held; a cancelled one is no longer the request's first). None for any other provider, and when there is no note."""
    return (
        CareRequest.objects.filter(client=client, first_appointment__provider=provider,
                                   first_appointment__status__in=(Status.BOOKED, Status.COMPLETED, Status.NO_SHOW))
        .exclude(note_for_therapist="").order_by("-requested_at").first()
    )


def care_request_note(*, request_id: int) -> str:
    """The note kept on a request for care still waiting for a booking (the intake shows the
    person what they wrote); '' when there is none or the request has been answered."""
    request = CareRequest.objects.filter(pk=request_id, first_appointment__isnull=True,
                                         closed_at__isnull=True).only("note_for_therapist").first()
    return request.note_for_therapist if request is not None else ""


# --- Attendance: late cancellations and no-shows ------------------------------------------------

REPEATED_NO_SHOWS = 2
NO_SHOW_WINDOW = dt.timedelta(days=90)


def attendance_counts(*, client: Client, provider: Provider | None = None) -> dict[str, int]:
    """How many of the client's sessions (with `provider`, or with anyone) were cancelled late by
    them and how many they missed."""
    sessions = Appointment.objects.filter(client=client)
    if provider is not None:
        sessions = sessions.filter(provider=provider)
    return {
        "late_cancellations": sessions.filter(late_cancellation=True).count(),
        "no_shows": sessions.filter(status=Status.NO_SHOW).count(),
    }


def repeated_no_shows(*, now: dt.datetime) -> list[tuple[Client, int]]:
    """Clients who missed REPEATED_NO_SHOWS sessions or more in the last NO_SHOW_WINDOW, most first:
    for a coordinator to reach out to."""
    counted = (Appointment.objects.filter(status=Status.NO_SHOW, start__gt=now - NO_SHOW_WINDOW, start__lte=now,
                                          client__isnull=False)
               .values("client_id").annotate(missed=Count("pk")).filter(missed__gte=REPEATED_NO_SHOWS))
    missed = {row["client_id"]: row["missed"] for row in counted}
    clients = Client.objects.filter(pk__in=missed).order_by("last_name", "first_name", "pk")
    return sorted(((client, missed[client.pk]) for client in clients), key=lambda pair: -pair[1])


def series_rest(*, appointment: Appointment, now: dt.datetime) -> list[Appointment]:
    """This session and the later sessions of its series still booked and still to come, soonest
    first (what "cancel the rest of the series" would cancel); empty outside a series."""
    if appointment.series_id is None:
        return []
    return list(Appointment.objects.filter(series_id=appointment.series_id, status=Status.BOOKED,
                                           start__gte=appointment.start, start__gt=now).order_by("start"))

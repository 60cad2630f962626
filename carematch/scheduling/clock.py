"""The 48-hour clock: how quickly people who ask for care get a first session, and how
quickly a coordinator tries to reach someone who asked to be contacted from the crisis line.
Beside the time to the first session, the clock shows the time to the first contact: the
first session or a free 15-minute consultation call, whichever starts first.

`clock_figures` and `crisis_figures` are pure functions over plain records (tested without
a database); `clock_records` and `crisis_records` are the queries that feed them. A request
counts as met when its first appointment starts within 48 hours of asking. Waits are from
asking to that start; for a crisis request, from asking to the first contact attempt.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Min, OuterRef, Q, Subquery

from .models import Appointment, CareRequest, CrisisRequest, CrisisStatus, Kind, Status

PROMISE = dt.timedelta(hours=48)
MINUTE = 60
NOT_SIGNED_UP = "Not signed up yet"  # someone who asked before making an account
WINDOW = dt.timedelta(days=30)
HOUR = 3600


@dataclass(frozen=True)
class RequestRecord:
    id: int
    client_name: str
    requested_at: dt.datetime
    crisis: bool = False
    wait_seconds: int | None = None  # set once a first appointment is booked
    closed: bool = False
    client_id: int | None = None  # None for someone who asked before signing up
    consultation_wait_seconds: int | None = None  # to the first consultation booked after asking, if any

    @property
    def contact_wait_seconds(self) -> int | None:
        """From asking to the first contact: the first session or a consultation, whichever is sooner."""
        waits = [w for w in (self.wait_seconds, self.consultation_wait_seconds) if w is not None]
        return min(waits) if waits else None


@dataclass(frozen=True)
class OpenRequest:
    """Someone still waiting for a first appointment."""

    id: int
    client_name: str
    requested_at: dt.datetime
    crisis: bool
    waited: dt.timedelta
    client_id: int | None = None

    @property
    def waited_hours(self) -> float:
        return self.waited.total_seconds() / HOUR

    @property
    def hours_left(self) -> float:
        """Hours until 48 hours have passed; negative once they have."""
        return (PROMISE - self.waited).total_seconds() / HOUR

    @property
    def overdue(self) -> bool:
        return self.waited > PROMISE


@dataclass(frozen=True)
class ClockFigures:
    since: dt.datetime
    until: dt.datetime
    requests: int  # asked in the window
    answered: int  # of those, with a first appointment
    within_promise: int  # of those, starting within 48 hours of asking
    median_wait_hours: float | None
    p90_wait_hours: float | None
    open_requests: list[OpenRequest]  # every open request, however old, longest wait first
    contacted: int = 0  # of the window's requests, with a first contact (consultation or session)
    contact_within_promise: int = 0
    median_contact_hours: float | None = None
    p90_contact_hours: float | None = None

    @property
    def share_within(self) -> float | None:
        """The share of the window's requests met within 48 hours, 0 to 1."""
        return self.within_promise / self.requests if self.requests else None

    @property
    def contact_share_within(self) -> float | None:
        """The share of the window's requests with a first contact within 48 hours, 0 to 1."""
        return self.contact_within_promise / self.requests if self.requests else None


def nearest_rank(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `fraction` of the
    values at or below it. Of ten waits sorted shortest first, the 90th percentile is the
    ninth; it is always one of the waits, however few there are."""
    if not values:
        raise ValueError("no values")
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def clock_figures(records: Iterable[RequestRecord], *, now: dt.datetime, window: dt.timedelta = WINDOW) -> ClockFigures:
    since = now - window
    in_window: list[RequestRecord] = []
    open_requests: list[OpenRequest] = []
    for record in records:
        if since < record.requested_at <= now:
            in_window.append(record)
        if record.wait_seconds is None and not record.closed:
            open_requests.append(OpenRequest(
                id=record.id, client_name=record.client_name, requested_at=record.requested_at, crisis=record.crisis,
                waited=max(dt.timedelta(0), now - record.requested_at), client_id=record.client_id,
            ))
    waits = [r.wait_seconds / HOUR for r in in_window if r.wait_seconds is not None]
    contacts = [r.contact_wait_seconds / HOUR for r in in_window if r.contact_wait_seconds is not None]
    promise_hours = PROMISE.total_seconds() / HOUR
    open_requests.sort(key=lambda r: (r.requested_at, r.id))
    return ClockFigures(
        since=since,
        until=now,
        requests=len(in_window),
        answered=len(waits),
        within_promise=sum(1 for wait in waits if wait <= promise_hours),
        median_wait_hours=statistics.median(waits) if waits else None,
        p90_wait_hours=nearest_rank(waits, 0.9) if waits else None,
        open_requests=open_requests,
        contacted=len(contacts),
        contact_within_promise=sum(1 for wait in contacts if wait <= promise_hours),
        median_contact_hours=statistics.median(contacts) if contacts else None,
        p90_contact_hours=nearest_rank(contacts, 0.9) if contacts else None,
    )


def clock_records(*, now: dt.datetime, window: dt.timedelta = WINDOW) -> list[RequestRecord]:
    """The requests made in the window, and every open request, however old, each with the
    start of the first consultation the client booked after asking (kept, or since held)."""
    first_consultation = (
        Appointment.objects.filter(client=OuterRef("client_id"), kind=Kind.CONSULTATION,
                                   status__in=(Status.BOOKED, Status.COMPLETED, Status.NO_SHOW),
                                   booked_at__gte=OuterRef("requested_at"))
        .order_by("start").values("start")[:1]
    )
    rows = (
        CareRequest.objects.filter(
            Q(requested_at__gt=now - window, requested_at__lte=now)
            | Q(first_appointment__isnull=True, closed_at__isnull=True)
        )
        .annotate(first_consultation=Subquery(first_consultation))
        .order_by("requested_at", "pk")
        .values_list(
            "pk", "client_id", "client__first_name", "client__last_name", "requested_at", "crisis", "wait_seconds",
            "first_appointment_id", "closed_at", "first_consultation",
        )
    )
    return [
        RequestRecord(
            id=pk, client_name=NOT_SIGNED_UP if first is None else f"{first} {last}", requested_at=requested_at,
            crisis=crisis,
            wait_seconds=wait_seconds if first_appointment_id is not None else None, closed=closed_at is not None,
            client_id=client_id,
            consultation_wait_seconds=None if consultation is None else max(
                0, int((consultation - requested_at).total_seconds())),
        )
        for (pk, client_id, first, last, requested_at, crisis, wait_seconds, first_appointment_id, closed_at,
             consultation) in rows
    ]


# --- Crisis requests: time to the first contact attempt -------------------------------------------


@dataclass(frozen=True)
class CrisisRecord:
    requested_at: dt.datetime
    first_attempt_at: dt.datetime | None
    open: bool


@dataclass(frozen=True)
class CrisisFigures:
    requests: int  # asked to be contacted in the window
    attempted: int  # of those, with a first contact attempt
    median_minutes: float | None  # from asking to the first attempt
    p90_minutes: float | None
    waiting: int  # open now, however old (a "no answer" keeps a request open)
    never_tried: int  # of those, with no attempt at all yet
    longest_untried_minutes: float | None  # how long the oldest untried one has waited


def crisis_figures(records: Iterable[CrisisRecord], *, now: dt.datetime,
                   window: dt.timedelta = WINDOW) -> CrisisFigures:
    since = now - window
    in_window = [r for r in records if since < r.requested_at <= now]
    minutes = [max(0.0, (r.first_attempt_at - r.requested_at).total_seconds() / MINUTE)
               for r in in_window if r.first_attempt_at is not None]
    waiting = [r for r in records if r.open]
    untried = [max(0.0, (now - r.requested_at).total_seconds() / MINUTE)
               for r in waiting if r.first_attempt_at is None]
    return CrisisFigures(
        requests=len(in_window),
        attempted=len(minutes),
        median_minutes=statistics.median(minutes) if minutes else None,
        p90_minutes=nearest_rank(minutes, 0.9) if minutes else None,
        waiting=len(waiting),
        never_tried=len(untried),
        longest_untried_minutes=max(untried) if untried else None,
    )


def crisis_records(*, now: dt.datetime, window: dt.timedelta = WINDOW) -> list[CrisisRecord]:
    """The crisis requests made in the window, and every open one, however old."""
    rows = (
        CrisisRequest.objects.filter(
            Q(requested_at__gt=now - window, requested_at__lte=now) | Q(status=CrisisStatus.OPEN)
        )
        .annotate(first_attempt_at=Min("attempts__at"))
        .order_by("requested_at", "pk")
        .values_list("requested_at", "first_attempt_at", "status")
    )
    return [CrisisRecord(requested_at=requested_at, first_attempt_at=first, open=status == CrisisStatus.OPEN)
            for requested_at, first, status in rows]

"""Clients, holds, appointments, openings and crisis follow-up on the JSON API. Rules live
in services."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field, field_validator, model_validator

from carematch.access import audit, policy
from carematch.access.models import Action
from carematch.accounts import selectors as account_selectors
from carematch.accounts import services as account_services
from carematch.accounts import throttle
from carematch.accounts.http import AuthedHttpRequest, signed_in_user
from carematch.accounts.models import Client, Role
from carematch.api_base import OPTIONAL_TOKEN
from carematch.directory import selectors as directory_selectors
from carematch.directory.models import Provider
from carematch.lib.crisis import crisis_resources
from carematch.lib.errors import Forbidden, InvalidInput, NotFound
from carematch.lib.ids import RecordId
from carematch.lib.sessions import length_of
from carematch.openapi import answered_as, errors

from . import calendar, selectors, services, video
from .access_log import joining_party, visible_appointment
from .models import Appointment, CrisisChannel, CrisisRequest, CrisisStatus
from .schemas import (
    AppointmentIn,
    AppointmentOut,
    AttendanceIn,
    ClientIn,
    ClientOut,
    CrisisFilter,
    CrisisOutcomeIn,
    CrisisRequestCreatedOut,
    CrisisRequestIn,
    CrisisRequestOut,
    CrisisRequestsOut,
    HoldOut,
    JoinOut,
    OpeningsOut,
    RescheduleIn,
    SeriesCancelledOut,
    SeriesIn,
    SeriesOut,
)
from .selectors import crisis_requests, provider_openings

router = Router(tags=["scheduling"])

MAX_OPENINGS_RANGE = dt.timedelta(days=62)


def _client_out(client: Client) -> dict[str, Any]:
    return {
        "id": client.pk, "email": client.user.email, "first_name": client.first_name, "last_name": client.last_name,
        "date_of_birth": client.date_of_birth, "state": client.state, "zip": client.zip, "timezone": client.timezone,
    }


def _hold_out(hold: Appointment) -> dict[str, Any]:
    return {
        "id": hold.pk, "provider_id": hold.provider_id, "client_id": hold.client_id, "start": hold.start,
        "end": hold.end, "format": hold.format, "status": hold.status, "expires_at": hold.hold_expires_at,
        "kind": hold.kind,
    }


def _visible_client(request: AuthedHttpRequest, client_id: int) -> Client:
    """The client's details, the access recorded (carematch.access.audit)."""
    client: Client = audit.clinical_client_or_404(request, client_id, resource_type="client",
                                                  rule=policy.client_visible)
    return client


def _acting_for_client(request: AuthedHttpRequest, client_id: int, resource_type: str) -> Any:
    """A hold or booking for the client, recorded once it has run, with its result."""
    return audit.client_write(
        request, client_id, resource_type=resource_type, action=Action.CREATE, rule=policy.client_visible,
        may=policy.may_act_for_client,
        forbidden="Only the client or a coordinator can book, hold or cancel for this client.",
    )


def _provider(provider_id: int) -> Provider:
    provider = directory_selectors.provider_by_id(provider_id=provider_id)
    if provider is None or not provider.published:
        # An incomplete provider has no openings and cannot be booked (nor has a zone to compute them in).
        raise NotFound("No provider with that id.", fields={"provider_id": "not found"})
    return provider


def _appointment_change(request: AuthedHttpRequest, appointment: Appointment) -> Any:
    return audit.write(request, action=Action.UPDATE, resource_type="appointment", resource_id=appointment.pk,
                       client=appointment.client_id)


# --- Clients ---------------------------------------------------------------------------------

@router.post("/clients", response={201: ClientOut, **errors(403, 409)})
def create_client(request: AuthedHttpRequest, payload: ClientIn) -> Any:
    """Create a client and their account (role client). Coordinators and admins only."""
    policy.require_staff(request.user)
    with audit.write(request, action=Action.CREATE, resource_type="client") as change:
        client = account_services.client_create(
            email=payload.email, first_name=payload.first_name, last_name=payload.last_name,
            date_of_birth=payload.date_of_birth, state=payload.state, zip=payload.zip, timezone_name=payload.timezone,
        )
        change.resource_id, change.client = client.pk, client
    return Status(201, _client_out(client))


@router.get("/clients/{client_id}", response={200: ClientOut, **errors(404)})
def get_client(request: AuthedHttpRequest, client_id: RecordId) -> Any:
    return _client_out(_visible_client(request, client_id))


# --- Holds and appointments ------------------------------------------------------------------

@router.post("/holds", response={201: HoldOut, **errors(403, 404, 409)})
def place_hold(request: AuthedHttpRequest, payload: AppointmentIn) -> Any:
    """Keep an opening for the client for 10 minutes while they finish signing up. One live
    hold per client: a new hold releases the earlier one. 429 too_many_holds (with
    Retry-After) past the holds a client may place in an hour."""
    with _acting_for_client(request, payload.client_id, "hold") as change:
        hold = services.hold_place(
            provider=_provider(payload.provider_id), client=change.client, start=payload.start, format=payload.format,
            by=request.user, address=throttle.client_address(request), kind=payload.kind,
        )
    return Status(201, _hold_out(hold))


@router.post("/appointments", response={201: AppointmentOut, **errors(403, 404, 409)})
def book_appointment(
    request: AuthedHttpRequest, payload: AppointmentIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=255),
) -> Any:
    """Book an opening (or the client's own hold): a session, or with `"kind": "consultation"` a
    free 15-minute call (phone or telehealth, as the provider offers it). 409 slot_taken when someone else has it;
    422 invalid_slot when it is not an opening this client can book. With an Idempotency-Key
    header, repeating the same request returns the first answer and books nothing more."""
    with _acting_for_client(request, payload.client_id, "appointment") as change:
        appointment = services.appointment_book(
            provider=_provider(payload.provider_id), client=change.client, start=payload.start, format=payload.format,
            by=request.user, idempotency_key=idempotency_key or None, kind=payload.kind,
        )
    return Status(201, appointment)


@router.get("/appointments/{appointment_id}", response={200: AppointmentOut, **errors(404)})
def get_appointment(request: AuthedHttpRequest, appointment_id: RecordId) -> Any:
    return visible_appointment(request, appointment_id)


def _may_manage(request: AuthedHttpRequest, appointment: Appointment) -> None:
    # Everyone who sees an appointment may manage it today, so cancel and reschedule declare
    # no 403; a role that sees without acting would make this answer one (and fail the tests
    # until the operations declare it).
    user = request.user
    if policy.has_role(user, Role.PROVIDER) or policy.is_staff_member(user):
        return
    if appointment.client is None or not policy.may_act_for_client(user, appointment.client):
        raise Forbidden("Your account may not change this appointment.")


@router.post("/appointments/{appointment_id}/cancel", response={200: AppointmentOut, **errors(404, 409)})
def cancel_appointment(request: AuthedHttpRequest, appointment_id: RecordId) -> Any:
    """Cancel (client, their provider, or a coordinator). Under 24 hours' notice from the
    client is recorded as a late cancellation. The hour is offered again."""
    appointment = visible_appointment(request, appointment_id, action=Action.UPDATE)
    with _appointment_change(request, appointment):
        _may_manage(request, appointment)
        return services.appointment_cancel(appointment=appointment, by=request.user)


@router.post("/appointments/{appointment_id}/reschedule", response={200: AppointmentOut, **errors(404, 409)})
def reschedule_appointment(request: AuthedHttpRequest, appointment_id: RecordId, payload: RescheduleIn) -> Any:
    """Move a booked session to another opening of the same provider, in one step: it has the
    new time, or (409 slot_taken when the hour was taken meanwhile; 422 invalid_slot when it is
    not an opening) keeps the old one. The client, their provider or a coordinator. Moving it
    less than 24 hours before the start, by the client, is recorded as a late cancellation
    (`late_cancellation`), as cancelling would be."""
    appointment = visible_appointment(request, appointment_id, action=Action.UPDATE)
    with _appointment_change(request, appointment):
        _may_manage(request, appointment)
        return services.appointment_reschedule(
            appointment=appointment, start=payload.start, by=request.user
        )


@router.post("/appointments/{appointment_id}/no-show", response={200: AppointmentOut, **errors(403, 404, 409)})
def mark_no_show(request: AuthedHttpRequest, appointment_id: RecordId) -> Any:
    """The provider (or a coordinator) records that the client did not come."""
    appointment = visible_appointment(request, appointment_id, action=Action.UPDATE)
    with _appointment_change(request, appointment):
        if not (policy.has_role(request.user, Role.PROVIDER) or policy.is_staff_member(request.user)):
            raise Forbidden("Only the provider or a coordinator can mark a no-show.")
        return services.appointment_mark_no_show(appointment=appointment, by=request.user)


@router.get(
    "/appointments/{appointment_id}/ics", response={200: None, **errors(404)},
    openapi_extra=answered_as("text/calendar", headers={"Content-Disposition": "attachment; the file's name"}),
)
def download_appointment_ics(request: AuthedHttpRequest, appointment_id: RecordId) -> HttpResponse:
    """The appointment as an iCalendar file, in the caller's own time zone."""
    appointment = visible_appointment(request, appointment_id)
    viewer_zone = appointment.provider.timezone
    if appointment.client and (policy.has_role(request.user, Role.CLIENT) or policy.is_staff_member(request.user)):
        viewer_zone = appointment.client.timezone
    response = HttpResponse(
        calendar.appointment_ics(appointment, viewer_timezone=viewer_zone), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="carematch-appointment-{appointment.pk}.ics"'
    return response


# --- Openings --------------------------------------------------------------------------------

ISO_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


class OpeningsQuery(Schema):
    from_: dt.datetime | None = Field(None, alias="from", description="ISO 8601 with offset; default now")
    to: dt.datetime | None = Field(None, description="ISO 8601 with offset; default 14 days after from")
    format: str | None = Field(None, pattern="^(telehealth|in_person|phone)$")
    kind: Literal["session", "consultation"] = Field(
        "session", description="session (an hour) or consultation (a free 15-minute call, at 15-minute steps)")

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _iso_only(cls, value: Any) -> Any:
        # Pydantic would also read a bare number as seconds since 1970 ("-1", "1e10"):
        # only the documented ISO 8601 form is taken.
        if isinstance(value, str) and not ISO_DATE_TIME.match(value):
            raise ValueError("must be an ISO 8601 date and time with a UTC offset, e.g. 2027-01-04T09:00:00-07:00")
        return value

    @model_validator(mode="after")
    def _range(self) -> OpeningsQuery:
        for name, value in (("from", self.from_), ("to", self.to)):
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"'{name}' must include a UTC offset")
            if value is not None and not 2 <= value.year <= 9998:  # the calendar's edges overflow
                raise ValueError(f"'{name}' is outside the dates openings can be shown for")
        if self.from_ and self.to and self.to <= self.from_:
            raise ValueError("'to' must be after 'from'")
        if self.from_ and self.to and self.to - self.from_ > MAX_OPENINGS_RANGE:
            raise ValueError("the range may be at most 62 days")
        # In UTC from here on: an offset beyond what a database accepts (PostgreSQL refuses
        # +16:00, which ISO 8601 and Python allow) names the same moment in UTC.
        self.from_ = self.from_.astimezone(dt.UTC) if self.from_ else None
        self.to = self.to.astimezone(dt.UTC) if self.to else None
        return self


@router.get("/providers/{provider_id}/openings", response={200: OpeningsOut, **errors(404)})
def list_openings(request: AuthedHttpRequest, provider_id: RecordId, query: Query[OpeningsQuery]) -> Any:
    """Bookable openings of a `kind` (sessions by default; consultations: free 15-minute calls,
    none when the provider offers none), each offered in every format the provider offers for
    that kind (or only `format`)."""
    provider = directory_selectors.provider_by_id(provider_id=provider_id, licenses=False)
    if provider is None or not provider.published:
        raise Http404("No provider with that id.")  # an incomplete provider has no openings
    start = query.from_ or timezone.now()
    end = query.to or start + dt.timedelta(days=14)
    if end - start > MAX_OPENINGS_RANGE:
        raise InvalidInput("The range may be at most 62 days.", fields={"to": "more than 62 days after from"})
    offered = provider.consultation_formats if query.kind == "consultation" else provider.formats
    formats = [f for f in offered if query.format in (None, f)]
    starts = provider_openings(provider=provider, start=start, end=end, kind=query.kind) if formats else []
    length = length_of(query.kind)
    return {
        "provider_id": provider.pk,
        "timezone": provider.timezone,
        "kind": query.kind,
        "openings": [{"start": s, "end": s + length, "formats": formats} for s in starts],
    }


# --- Crisis follow-up ----------------------------------------------------------------------------


def _crisis_out(found: CrisisRequest, *, now: dt.datetime) -> dict[str, Any]:
    until = now if found.status == CrisisStatus.OPEN or found.closed_at is None else found.closed_at
    return {
        "id": found.pk, "name": found.name, "phone": found.phone, "email": found.email, "state": found.state,
        "channel": found.channel, "status": found.status, "requested_at": found.requested_at,
        "minutes_waiting": max(0, int((until - found.requested_at).total_seconds() // 60)),
        "attempts": getattr(found, "attempt_count", None) or found.attempts.count(),
    }


@router.post("/crisis-requests", auth=OPTIONAL_TOKEN, response={201: CrisisRequestCreatedOut, **errors(429)})
def create_crisis_request(request: HttpRequest, payload: CrisisRequestIn) -> Any:
    """Ask a coordinator to contact a person who is in danger. Anyone may send it, with or
    without a token; at most 5 an hour from one address (then 429 with Retry-After).

    Every coordinator is emailed at once (the email names nobody), and every coordinator and
    admin again if nobody has tried to reach the person within the configured minutes.
    The answer repeats where to get help now: someone in danger must not wait for the call."""
    user = signed_in_user(request)  # the token's user, or None without a token
    client = account_selectors.client_of(user=user) if user is not None and policy.has_role(user, Role.CLIENT) \
        else None
    with audit.write(request, action=Action.CREATE, resource_type="crisis_request", client=client) as attempt:
        crisis = services.crisis_request_create(
            channel=CrisisChannel.API, name=payload.name, phone=payload.phone, state=payload.state,
            message=payload.message, client=client, address=throttle.client_address(request),
        )
        attempt.resource_id, attempt.client = crisis.pk, crisis.client_id
    return Status(201, {
        "id": crisis.pk, "status": crisis.status, "callback_hours": settings.CRISIS_CALLBACK_HOURS,
        "crisis_resources": crisis_resources(),
    })


@router.get("/crisis-requests", response={200: CrisisRequestsOut, **errors(403)})
def list_crisis_requests(request: AuthedHttpRequest, filters: Query[CrisisFilter]) -> Any:
    """Coordinators and admins: the people who asked to be contacted. Open ones oldest first
    (the order to call them in); closed ones most recently closed first."""
    if not audit.checked(request, policy.is_staff_member(request.user), action=Action.VIEW,
                         resource_type="crisis_requests", resource_id=None, client=None):
        raise Forbidden("Crisis requests are for coordinators and admins.")
    now = timezone.now()
    matching = crisis_requests(status=filters.status)
    found = list(matching[:filters.limit])
    # One event per request shown, as on the queue page.
    audit.record_many(request, action=Action.VIEW, resource_type="crisis_request",
                      items=[(item.pk, item.client_id) for item in found])
    return {"items": [_crisis_out(item, now=now) for item in found], "count": matching.count()}


@router.post("/crisis-requests/{crisis_request_id}/outcome", response={200: CrisisRequestOut, **errors(404, 409)})
def record_crisis_outcome(request: AuthedHttpRequest, crisis_request_id: RecordId, payload: CrisisOutcomeIn) -> Any:
    """Coordinators and admins: record a try to reach the person, with a note. reached and
    referred_emergency close the request; no_answer keeps it open and counts the attempt."""
    found = selectors.crisis_request_by_id(crisis_request_id=crisis_request_id)
    if found is None or not policy.is_staff_member(request.user):
        audit.denied(request, action=Action.UPDATE, resource_type="crisis_request", resource_id=crisis_request_id,
                     client=found.client_id if found else None)
        raise NotFound("No crisis request with that id.", fields={"crisis_request_id": "not found"})
    with audit.write(request, action=Action.UPDATE, resource_type="crisis_request", resource_id=found.pk,
                     client=found.client_id):
        services.crisis_attempt_record(crisis_request=found, outcome=payload.outcome, note=payload.note,
                                       by=request.user)
    return _crisis_out(selectors.crisis_request_as_listed(crisis_request_id=found.pk), now=timezone.now())


# --- Video rooms -------------------------------------------------------------------------------


@router.get("/appointments/{appointment_id}/join", response={200: JoinOut, **errors(404, 409)})
def join_appointment(request: AuthedHttpRequest, appointment_id: RecordId, response: HttpResponse) -> Any:
    """The session's video room, for its two parties only (the client and the provider; anyone
    else gets 404, recorded): from 10 minutes before the start to 30 minutes after the end.
    On Jitsi Meet the address carries the caller's own signed token (the provider's makes
    them the room's moderator). Outside the window: 409 `too_early` (with `opens_at` in
    `fields`) or `closed`; a cancelled or in-person session: 409 `cancelled` or `in_person`;
    an online session with no video service nor the provider's own link: 409 `no_video_link`
    (the therapist sends the link themselves). Never cached."""
    response["Cache-Control"] = "no-store"
    appointment, party = joining_party(request, appointment_id)
    join = video.join_for(appointment=appointment, party=party, now=timezone.now(), config=video.jitsi_config())
    refusal = video.join_refusal(join)
    if refusal is not None:
        raise refusal
    return {"url": join.url, "opens_at": join.opens_at, "closes_at": join.closes_at}
# --- Ongoing sessions ------------------------------------------------------------------------


@router.post("/appointments/{appointment_id}/series", response={201: SeriesOut, **errors(403, 404, 409)})
def book_series(request: AuthedHttpRequest, appointment_id: RecordId, payload: SeriesIn) -> Any:
    """After (or at) a booked session, its provider or a coordinator books the same time on the
    provider's clock every week or every two weeks, for `count` dates or until a date (at most
    26). Each date is booked like any booking; the ones that cannot be (a holiday, time off,
    another booking, the client's own session, a licence not in force, outside the provider's
    hours, a time the clocks skip) are listed in `skipped` with the reason."""
    appointment = visible_appointment(request, appointment_id, action=Action.UPDATE)
    with audit.write(request, action=Action.CREATE, resource_type="appointment", resource_id=appointment.pk,
                     client=appointment.client_id):
        result = services.appointment_series_book(
            appointment=appointment, by=request.user, every_weeks=payload.every_weeks, count=payload.count,
            until=payload.until,
        )
    return Status(201, {"series_id": result.series.pk, "booked": result.booked,
                        "skipped": [{"start": skip.start, "reason": skip.reason} for skip in result.skipped]})


@router.post("/appointments/{appointment_id}/cancel-rest", response={200: SeriesCancelledOut, **errors(404, 409)})
def cancel_rest_of_series(request: AuthedHttpRequest, appointment_id: RecordId) -> Any:
    """Cancel this session of a series and every later one still booked (the client, their
    provider or a coordinator). Each is cancelled as if alone: the client cancelling a session
    within the policy's notice is recorded as a late cancellation of that session."""
    appointment = visible_appointment(request, appointment_id, action=Action.UPDATE)
    with _appointment_change(request, appointment):
        _may_manage(request, appointment)
        return {"cancelled": services.series_cancel_rest(appointment=appointment, by=request.user)}


@router.post("/appointments/{appointment_id}/attendance", response={200: AppointmentOut, **errors(403, 404, 409)})
def record_attendance(request: AuthedHttpRequest, appointment_id: RecordId, payload: AttendanceIn) -> Any:
    """The session's provider (or a coordinator) records, once and after the start, whether the
    client came (`completed`) or not (`no_show`; the client gets a kind note)."""
    appointment = visible_appointment(request, appointment_id, action=Action.UPDATE)
    with _appointment_change(request, appointment):
        return services.appointment_attendance_mark(appointment=appointment, attended=payload.attended,
                                                    by=request.user)

"""Clients, holds, appointments and openings on the JSON API. Rules live in services."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field, field_validator, model_validator

from carematch.access import audit, policy
from carematch.access.models import Action
from carematch.accounts import services as account_services
from carematch.accounts import throttle
from carematch.accounts.models import Client, Role
from carematch.directory.models import Provider
from carematch.lib.errors import Forbidden, InvalidInput, NotFound
from carematch.lib.ids import RecordId

from . import calendar, services
from .models import WAS_BOOKED, Appointment
from .openings import SESSION
from .schemas import (
    AppointmentIn,
    AppointmentOut,
    ClientIn,
    ClientOut,
    HoldOut,
    OpeningsOut,
    RescheduleIn,
)
from .selectors import provider_openings

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
    }


def _visible_client(request: HttpRequest, client_id: int) -> Client:
    """The client's details, the access recorded (carematch.access.audit)."""
    client: Client = audit.clinical_client_or_404(request, client_id, resource_type="client",
                                                  rule=policy.client_visible)
    return client


def _acting_client(request: HttpRequest, client_id: int, resource_type: str) -> Client:
    client: Client = audit.clinical_client_or_404(
        request, client_id, resource_type=resource_type, action=Action.CREATE, rule=policy.client_visible,
        may=policy.may_act_for_client,
        forbidden="Only the client or a coordinator can book, hold or cancel for this client.",
    )
    return client


def _provider(provider_id: int) -> Provider:
    provider = Provider.objects.prefetch_related("licenses", "windows").filter(pk=provider_id).first()
    if provider is None:
        raise NotFound("No provider with that id.", fields={"provider_id": "not found"})
    return provider


def _visible_appointment(request: HttpRequest, appointment_id: int, action: str = Action.VIEW) -> Appointment:
    appointment = (
        Appointment.objects.select_related("provider", "client__user")
        .filter(pk=appointment_id, status__in=WAS_BOOKED)
        .first()
    )
    visible = appointment is not None and policy.appointment_visible(request.user, appointment)
    audit.checked(request, visible, action=action, resource_type="appointment", resource_id=appointment_id,
                  client=appointment.client_id if appointment else None)
    if appointment is None or not visible:
        raise NotFound("No appointment with that id.")
    return appointment


# --- Clients ---------------------------------------------------------------------------------

@router.post("/clients", response={201: ClientOut})
def create_client(request: HttpRequest, payload: ClientIn) -> Any:
    """Create a client and their account (role client). Coordinators and admins only."""
    policy.require_staff(request.user)
    client = account_services.client_create(
        email=payload.email, first_name=payload.first_name, last_name=payload.last_name,
        date_of_birth=payload.date_of_birth, state=payload.state, zip=payload.zip, timezone_name=payload.timezone,
    )
    audit.record(request, action=Action.CREATE, resource_type="client", resource_id=client.pk, client=client)
    return Status(201, _client_out(client))


@router.get("/clients/{client_id}", response=ClientOut)
def get_client(request: HttpRequest, client_id: RecordId) -> Any:
    return _client_out(_visible_client(request, client_id))


# --- Holds and appointments ------------------------------------------------------------------

@router.post("/holds", response={201: HoldOut})
def place_hold(request: HttpRequest, payload: AppointmentIn) -> Any:
    """Keep an opening for the client for 10 minutes while they finish signing up. One live
    hold per client: a new hold releases the earlier one. 429 too_many_holds (with
    Retry-After) past the holds a client may place in an hour."""
    client = _acting_client(request, payload.client_id, "hold")
    hold = services.hold_place(
        provider=_provider(payload.provider_id), client=client, start=payload.start, format=payload.format,
        by=request.user, address=throttle.client_address(request),  # type: ignore[arg-type]
    )
    return Status(201, _hold_out(hold))


@router.post("/appointments", response={201: AppointmentOut})
def book_appointment(
    request: HttpRequest, payload: AppointmentIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=255),
) -> Any:
    """Book an opening (or the client's own hold). 409 slot_taken when someone else has it;
    422 invalid_slot when it is not an opening this client can book. With an Idempotency-Key
    header, repeating the same request returns the first answer and books nothing more."""
    client = _acting_client(request, payload.client_id, "appointment")
    appointment = services.appointment_book(
        provider=_provider(payload.provider_id), client=client, start=payload.start, format=payload.format,
        by=request.user, idempotency_key=idempotency_key or None,  # type: ignore[arg-type]
    )
    return Status(201, appointment)


@router.get("/appointments/{appointment_id}", response=AppointmentOut)
def get_appointment(request: HttpRequest, appointment_id: RecordId) -> Any:
    return _visible_appointment(request, appointment_id)


def _may_manage(request: HttpRequest, appointment: Appointment) -> None:
    user = request.user
    if policy.has_role(user, Role.PROVIDER) or policy.is_staff_member(user):
        return
    if not policy.may_act_for_client(user, appointment.client):
        raise Forbidden("Your account may not change this appointment.")


@router.post("/appointments/{appointment_id}/cancel", response=AppointmentOut)
def cancel_appointment(request: HttpRequest, appointment_id: RecordId) -> Any:
    """Cancel (client, their provider, or a coordinator). Under 24 hours' notice from the
    client is recorded as a late cancellation. The hour is offered again."""
    appointment = _visible_appointment(request, appointment_id, Action.UPDATE)
    _may_manage(request, appointment)
    return services.appointment_cancel(appointment=appointment, by=request.user)  # type: ignore[arg-type]


@router.post("/appointments/{appointment_id}/reschedule", response=AppointmentOut)
def reschedule_appointment(request: HttpRequest, appointment_id: RecordId, payload: RescheduleIn) -> Any:
    appointment = _visible_appointment(request, appointment_id, Action.UPDATE)
    _may_manage(request, appointment)
    return services.appointment_reschedule(
        appointment=appointment, start=payload.start, by=request.user  # type: ignore[arg-type]
    )


@router.post("/appointments/{appointment_id}/no-show", response=AppointmentOut)
def mark_no_show(request: HttpRequest, appointment_id: RecordId) -> Any:
    """The provider (or a coordinator) records that the client did not come."""
    appointment = _visible_appointment(request, appointment_id, Action.UPDATE)
    if not (policy.has_role(request.user, Role.PROVIDER) or policy.is_staff_member(request.user)):
        raise Forbidden("Only the provider or a coordinator can mark a no-show.")
    return services.appointment_mark_no_show(appointment=appointment, by=request.user)  # type: ignore[arg-type]


@router.get("/appointments/{appointment_id}/ics", response={200: None})
def appointment_ics(request: HttpRequest, appointment_id: RecordId) -> HttpResponse:
    """The appointment as an iCalendar file, in the caller's own time zone."""
    appointment = _visible_appointment(request, appointment_id)
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
    format: str | None = Field(None, pattern="^(telehealth|in_person)$")

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
        return self


@router.get("/providers/{provider_id}/openings", response=OpeningsOut)
def list_openings(request: HttpRequest, provider_id: RecordId, query: Query[OpeningsQuery]) -> Any:
    """Bookable openings, each offered in every format the provider offers (or only `format`)."""
    provider = get_object_or_404(Provider.objects.prefetch_related("windows"), pk=provider_id)
    start = query.from_ or timezone.now()
    end = query.to or start + dt.timedelta(days=14)
    if end - start > MAX_OPENINGS_RANGE:
        raise InvalidInput("The range may be at most 62 days.", fields={"to": "more than 62 days after from"})
    formats = [f for f in provider.formats if query.format in (None, f)]
    starts = provider_openings(provider=provider, start=start, end=end) if formats else []
    return {
        "provider_id": provider.pk,
        "timezone": provider.timezone,
        "openings": [{"start": s, "end": s + SESSION, "formats": formats} for s in starts],
    }

"""The access log on the JSON API, for coordinators and admins: search it by client, by user and
from a date, as JSON or as a FHIR Bundle of AuditEvents. Reading the log is itself recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Paginator
from django.http import JsonResponse
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from carematch.accounts.http import AuthedHttpRequest
from carematch.lib.errors import Forbidden
from carematch.lib.ids import RecordId
from carematch.openapi import FHIR_BUNDLE, answered_as, errors

from . import audit, fhir, policy
from .models import AccessEvent, Action, Outcome

router = Router(tags=["access log"])

MAX_ID = 2**63 - 1


class AuditFilter(Schema):
    client_id: RecordId | None = Field(None, description="only events about this client")
    user: str | None = Field(None, max_length=254, description="only events by this user: their id or email")
    since: str | None = Field(None, max_length=40, description="from this date (UTC) or ISO 8601 moment on")
    page: int = Field(1, ge=1, le=1_000_000, description="page of 50 events, newest first")

    @field_validator("since")
    @classmethod
    def _since(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            audit.parse_since(value)  # ValueError names the problem; the field name comes from ninja
        return value

    @field_validator("user")
    @classmethod
    def _user(cls, value: str | None) -> str | None:
        if value is not None and value.strip().isdigit() and int(value) > MAX_ID:
            raise ValueError("is not a user id")
        return value

    def since_moment(self) -> dt.datetime | None:
        return audit.parse_since(self.since) if self.since and self.since.strip() else None


class ActorOut(Schema):
    id: int | None
    email: str
    role: str


class AuditEventOut(Schema):
    id: int
    occurred_at: dt.datetime
    actor: ActorOut
    action: str
    resource_type: str
    resource_id: str
    client_id: int | None
    outcome: str = Field(description="allowed or denied")
    result: str = Field(description="for an allowed create, update or delete: succeeded, or rejected (refused by "
                                    "validation, nothing written); empty for reads, exports and denied attempts")
    address: str
    channel: str


class AuditEventsOut(Schema):
    count: int
    page: int
    pages: int
    next_page: int | None
    events: list[AuditEventOut]


def _event_out(event: AccessEvent) -> dict[str, Any]:
    return {
        "id": event.pk, "occurred_at": event.occurred_at,
        "actor": {"id": event.actor_id, "email": event.actor_email, "role": event.actor_role},
        "action": event.action, "resource_type": event.resource_type, "resource_id": event.resource_id,
        "client_id": event.client_id, "outcome": event.outcome, "result": event.result, "address": event.address,
        "channel": event.channel,
    }


def _page(request: AuthedHttpRequest, filters: AuditFilter, action: str) -> Any:
    """The page of events the filters ask for, for staff; anyone else gets 403. Either way the
    reading is recorded."""
    if not policy.is_staff_member(request.user):
        audit.record(request, action=action, resource_type="audit_log", client=filters.client_id,
                     outcome=Outcome.DENIED)
        raise Forbidden("The access log is for coordinators and admins.")
    events = audit.events_matching(client_id=filters.client_id, user=filters.user, since=filters.since_moment())
    paginator = Paginator(events, audit.PAGE_SIZE)
    number = filters.page
    found = list(paginator.page(number).object_list) if number <= paginator.num_pages else []
    # Recorded once the page is read, so that it shows the log as it was when asked.
    audit.record(request, action=action, resource_type="audit_log", client=filters.client_id)
    return paginator, number, found


@router.get("/audit-events", response={200: AuditEventsOut, **errors(403)})
def list_audit_events(request: AuthedHttpRequest, filters: Query[AuditFilter]) -> Any:
    """Access events, newest first, 50 a page: about a client (`client_id`), by a user (`user`:
    their id or email) and from a date or moment on (`since`). Coordinators and admins only."""
    paginator, number, found = _page(request, filters, Action.VIEW)
    return {
        "count": paginator.count, "page": number, "pages": paginator.num_pages,
        "next_page": number + 1 if number < paginator.num_pages else None,
        "events": [_event_out(event) for event in found],
    }


@router.get("/audit-events/fhir", response={200: None, **errors(403)},
            openapi_extra=answered_as("application/fhir+json", schema=FHIR_BUNDLE))
def export_audit_events_fhir(request: AuthedHttpRequest, filters: Query[AuditFilter]) -> Any:
    """The same page of events as a FHIR R4B Bundle (searchset) of AuditEvent resources."""
    paginator, _, found = _page(request, filters, Action.EXPORT)
    bundle = fhir.audit_bundle(found, total=paginator.count)
    return JsonResponse(bundle, content_type="application/fhir+json")

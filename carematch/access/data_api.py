"""A client's own data on the JSON API: download their record, close their account.
Client tokens only; always the token holder's own record."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Query, Router, Schema
from pydantic import Field

from carematch.access import audit, policy
from carematch.accounts import selectors as accounts_selectors
from carematch.accounts.http import AuthedHttpRequest
from carematch.accounts.models import Client, Role
from carematch.lib.errors import Forbidden, NotFound
from carematch.openapi import answered_as, errors

from . import closing, export

router = Router(tags=["your data"])


class ExportQuery(Schema):
    format: Literal["json", "fhir"] = "json"


class CloseIn(Schema):
    password: str = Field(max_length=4096, description="The account's password.")
    confirmation: str = Field(max_length=64, description=f'The words "{closing.CONFIRMATION_PHRASE}".')
    code: str = Field(default="", max_length=32,
                      description="A code from the authenticator app (or a recovery code), when one is set up.")


class ClosedOut(Schema):
    closed_at: dt.datetime
    kept_until: dt.datetime = Field(description="When what is kept for the retention period is erased.")
    cancelled_appointments: int
    released_holds: int


def _own_client(request: AuthedHttpRequest) -> Client:
    if not policy.has_role(request.user, Role.CLIENT):
        raise Forbidden(gettext("Only client accounts have a record to export or close here."))
    client = accounts_selectors.client_of(user=request.user)
    if client is None:
        raise NotFound(gettext("This account has no client details yet, so there is no record to export."))
    return client


@router.get("/me/export", response={200: None, **errors(403, 404)},
            openapi_extra=answered_as("application/json", "application/fhir+json", schema={"type": "object"}))
def export_my_data(request: AuthedHttpRequest, query: Query[ExportQuery]) -> Any:
    """Everything carematch holds about the token's client: `format=json` (every record) or
    `format=fhir` (a FHIR R4B collection Bundle). Providers' private notes are left out unless
    the deployment sets CAREMATCH_EXPORT_PROVIDER_NOTES=1; the JSON's `format.left_out` says
    what is left out. The download is written to the access log."""
    client = _own_client(request)
    now = timezone.now()
    if query.format == "fhir":
        body = export.client_export_fhir(client, now=now).model_dump_json(exclude_none=True)
        content_type = "application/fhir+json"
    else:
        body = json.dumps(export.client_export_json(client, now=now), ensure_ascii=False)
        content_type = "application/json"
    audit.record(request, action="export", resource_type=f"client_export_{query.format}", resource_id=client.pk,
                 client=client)
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@router.post("/me/close", response={200: ClosedOut, **errors(403, 409)})
def close_my_account(request: AuthedHttpRequest, payload: CloseIn) -> Any:
    """Close the token's client account (see /account/data/close/ for what is kept and what
    is removed). Needs the password, the typed confirmation and, when the person set up an
    authenticator app, a code from it. The token stops working."""
    if not policy.has_role(request.user, Role.CLIENT):
        raise Forbidden(gettext("Only client accounts can be closed here."))
    closed = closing.account_close(user=request.user, password=payload.password, confirmation=payload.confirmation,
                                   code=payload.code, request=request)
    return closed

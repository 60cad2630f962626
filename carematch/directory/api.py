"""The directory on the JSON API: search providers, read one, set a license's verification."""

from __future__ import annotations

import math
from typing import Annotated, Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from carematch.access import policy
from carematch.accounts.http import AuthedHttpRequest
from carematch.lib import vocab
from carematch.lib.ids import RecordId
from carematch.openapi import errors

from . import selectors, services
from .models import Provider
from .schemas import LicenseOut, LicenseStatusIn, ProviderOut, ProviderPage

router = Router(tags=["directory"])

PAGE_SIZE = 50


class ProviderFilters(Schema):
    state: str | None = Field(None, description="USPS code; providers with a license there that counts today")
    concern: str | None = Field(None, description="concern slug, e.g. anxiety")
    payer: str | None = Field(None, description="payer slug, e.g. aetna")
    npi: str | None = Field(None, description="10-digit NPI")
    accepting_new: bool | None = None
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1

    @field_validator("state")
    @classmethod
    def _state(cls, value: str | None) -> str | None:
        if value is not None and value.upper() not in vocab.STATES:
            raise ValueError(f"'{value}' is not a US state code (the 50 states and DC)")
        return value.upper() if value else None

    @field_validator("concern")
    @classmethod
    def _concern(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in vocab.CONCERNS:
            raise ValueError(f"unknown concern '{value}'")
        return value.lower() if value else None

    @field_validator("payer")
    @classmethod
    def _payer(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in vocab.PAYERS:
            raise ValueError(f"unknown payer '{value}'")
        return value.lower() if value else None

    @field_validator("npi")
    @classmethod
    def _npi(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 10 and value.isascii() and value.isdigit()):
            raise ValueError("must be 10 digits")
        return value


def provider_out(provider: Provider, *, with_licenses: bool) -> dict[str, Any]:
    data = ProviderOut.model_validate(provider).model_dump(exclude={"licenses"})
    if with_licenses:
        data["licenses"] = [LicenseOut.model_validate(lic).model_dump() for lic in provider.licenses.all()]
    return data


@router.get("/providers", response=ProviderPage, exclude_none=True)
def list_providers(request: AuthedHttpRequest, filters: Query[ProviderFilters]) -> Any:
    """Providers matching every filter given, 50 a page. Coordinators also see licenses."""
    found = selectors.provider_search(
        state=filters.state, concern=filters.concern, payer=filters.payer, npi=filters.npi,
        accepting_new=filters.accepting_new,
    )
    count = found.count()
    offset = (filters.page - 1) * PAGE_SIZE
    staff = policy.is_staff_member(request.user)
    items = [provider_out(p, with_licenses=staff) for p in found[offset : offset + PAGE_SIZE]]
    return {"items": items, "count": count, "page": filters.page, "pages": max(1, math.ceil(count / PAGE_SIZE))}


@router.get("/providers/{provider_id}", response={200: ProviderOut, **errors(404)}, exclude_none=True)
def get_provider(request: AuthedHttpRequest, provider_id: RecordId) -> Any:
    provider = get_object_or_404(selectors.provider_search(), pk=provider_id)
    return provider_out(provider, with_licenses=policy.is_staff_member(request.user))


@router.post("/licenses/{license_id}/status", response={200: LicenseOut, **errors(403, 404)})
def set_license_status(request: AuthedHttpRequest, license_id: RecordId, payload: LicenseStatusIn) -> Any:
    """Mark a license verified, rejected or unverified. Coordinators and admins only."""
    policy.require_staff(request.user)
    license = selectors.license_by_id(license_id=license_id)
    if license is None:
        raise Http404("No license with that id.")
    return services.license_set_status(license=license, status=payload.status, by=request.user)

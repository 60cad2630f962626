"""The directory on the JSON API: search providers, read one, set a license's verification."""

from __future__ import annotations

import math
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import File, Query, Router, Schema, UploadedFile
from pydantic import Field, field_validator

from carematch.access import policy
from carematch.accounts.http import AuthedHttpRequest
from carematch.accounts.models import Role
from carematch.lib import vocab
from carematch.lib.errors import Forbidden
from carematch.lib.ids import RecordId
from carematch.openapi import errors

from . import payers, photos, selectors, services
from .models import LicenseStatus, Provider
from .schemas import (
    LicenseOut,
    LicenseStatusIn,
    PhotoOut,
    ProviderOut,
    ProviderPage,
    ProviderProfileOut,
    VideoLinkIn,
    VideoLinkOut,
)

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
        if value is not None and value.lower() not in payers.KNOWN:
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
    staff = policy.is_staff_member(request.user)
    found = selectors.provider_search(
        state=filters.state, concern=filters.concern, payer=filters.payer, npi=filters.npi,
        accepting_new=filters.accepting_new, unpublished_too=staff,
    )
    count = found.count()
    offset = (filters.page - 1) * PAGE_SIZE
    items = [provider_out(p, with_licenses=staff) for p in found[offset : offset + PAGE_SIZE]]
    return {"items": items, "count": count, "page": filters.page, "pages": max(1, math.ceil(count / PAGE_SIZE))}


def provider_profile_out(provider: Provider, *, request: HttpRequest) -> dict[str, Any]:
    """The public profile: the licences in force today (not rejected, not expired), each
    saying whether it is verified; specialties are the provider's own concerns."""
    today = timezone.localdate()
    has_scale = provider.sliding_scale_min is not None and provider.sliding_scale_max is not None
    return {
        "id": provider.pk,
        "npi": provider.npi,
        "name": f"{provider.first_name} {provider.last_name}",
        "credentials": list(provider.credentials),
        "pronouns": provider.pronouns,
        "photo_url": photos.url(provider.photo, request=request),
        "statement": provider.bio,
        "first_session": provider.first_session,
        "specialties": [slug for slug in provider.specialties if slug in provider.concerns],
        "concerns": list(provider.concerns),
        "approaches": [
            {"slug": slug, "label": vocab.APPROACHES.get(slug, slug),
             "explanation": vocab.APPROACH_EXPLANATIONS.get(slug, "")}
            for slug in provider.approaches
        ],
        "communities": list(provider.communities),
        "languages": list(provider.languages),
        "formats": list(provider.formats),
        "licenses": [
            {"state": lic.state, "type": lic.license_type, "verified": lic.status == LicenseStatus.VERIFIED}
            for lic in provider.licenses.all() if lic.in_force_on(today)
        ],
        "self_pay_rate": provider.self_pay_rate,
        "sliding_scale": {"min": provider.sliding_scale_min, "max": provider.sliding_scale_max} if has_scale
        else None,
        "insurance": list(provider.insurance),
        "accepting_new": provider.accepting_new,
    }


@router.get("/providers/{provider_id}", response={200: ProviderProfileOut, **errors(404)})
def get_provider(request: AuthedHttpRequest, provider_id: RecordId) -> Any:
    """A provider's public profile, as their profile page shows it to anyone. Coordinators
    find license numbers, expiry dates and statuses in `GET /providers`."""
    provider = selectors.provider_by_id(provider_id=provider_id)
    if provider is None or not selectors.provider_shown_to(provider=provider, user=request.user):
        raise Http404("No provider with that id.")
    return provider_profile_out(provider, request=request)


def _provider_to_change(request: AuthedHttpRequest, provider_id: int, *, what: str) -> Provider:
    """The provider whose `what` (photo, video link) the caller may change: their own, or
    anyone's for staff."""
    staff = policy.is_staff_member(request.user)
    if not staff:
        policy.require_role(request.user, Role.PROVIDER)
    provider = selectors.provider_by_id(provider_id=provider_id, licenses=False)
    if provider is None:
        raise Http404("No provider with that id.")
    if not staff and provider.user_id != request.user.pk:
        raise Forbidden(f"You may change only your own {what}.")
    return provider


@router.post("/providers/{provider_id}/photo", response={200: PhotoOut, **errors(403, 404, 422)})
def set_provider_photo(request: AuthedHttpRequest, provider_id: RecordId, photo: File[UploadedFile]) -> Any:
    """Replace a provider's photo (multipart/form-data, field `photo`): the provider
    themself, or a coordinator. The file is decoded to decide what it is (JPEG, PNG, WebP or
    GIF; at most 5 MB and 6,000 pixels a side), stripped of all metadata and stored
    re-encoded at 400 and 96 pixels; anything else is 422 naming `photo`."""
    provider = _provider_to_change(request, provider_id, what="photo")
    saved = services.provider_photo_set(provider=provider, file=photo, size=photo.size, by=request.user)
    return {"photo_url": photos.url(saved.photo, request=request)}


@router.delete("/providers/{provider_id}/photo", response={200: PhotoOut, **errors(403, 404)})
def remove_provider_photo(request: AuthedHttpRequest, provider_id: RecordId) -> Any:
    """Remove a provider's photo (their initials are shown instead): the provider themself,
    or a coordinator. Removing a photo that is not there changes nothing."""
    provider = _provider_to_change(request, provider_id, what="photo")
    services.provider_photo_remove(provider=provider, by=request.user)
    return {"photo_url": None}


@router.post("/licenses/{license_id}/status", response={200: LicenseOut, **errors(403, 404)})
def set_license_status(request: AuthedHttpRequest, license_id: RecordId, payload: LicenseStatusIn) -> Any:
    """Mark a license verified, rejected or unverified. Coordinators and admins only."""
    policy.require_staff(request.user)
    license = selectors.license_by_id(license_id=license_id)
    if license is None:
        raise Http404("No license with that id.")
    return services.license_set_status(license=license, status=payload.status, by=request.user)


@router.put("/providers/{provider_id}/video-link", response={200: VideoLinkOut, **errors(403, 404, 422)})
def set_provider_video_link(request: AuthedHttpRequest, provider_id: RecordId, payload: VideoLinkIn) -> Any:
    """Set (or, with an empty string, remove) a provider's own video link: the provider
    themself, or a coordinator, as on the profile page. Their online sessions' join pages then
    hand over this link, to the session's two parties in its window, instead of a Jitsi Meet
    room. Anything but a real https:// address with a host and no user name or password is
    422 naming `video_link`."""
    provider = _provider_to_change(request, provider_id, what="video link")
    saved = services.provider_profile_update(provider=provider, by=request.user, video_link=payload.video_link)
    return {"video_link": saved.video_link}

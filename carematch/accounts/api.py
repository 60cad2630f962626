"""Accounts on the JSON API: who a token acts for, revoking it, and staff creating accounts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from carematch.access import policy
from carematch.lib.ids import RecordId
from carematch.openapi import errors

from . import services
from .models import ApiToken, User
from .schemas import TokenOut, UserIn, UserOut

router = Router(tags=["accounts"])


@router.get("/me", response=UserOut)
def get_me(request: HttpRequest) -> Any:
    """The account the bearer token acts for."""
    return request.user


@router.post("/tokens/current/revoke", response=TokenOut)
def revoke_current_token(request: HttpRequest) -> Any:
    """Revoke the token this request was made with. It stops working at once."""
    raw = request.headers.get("Authorization", "").partition(" ")[2].strip()
    token = ApiToken.objects.get(digest=services.token_digest(raw), revoked_at__isnull=True)
    return services.api_token_revoke(token=token)


@router.post("/users", response={201: UserOut, **errors(403, 409)})
def create_user(request: HttpRequest, payload: UserIn) -> Any:
    """Create an account without a password (the person sets one through password reset).

    Coordinators create client and provider accounts; admins create any.
    """
    policy.require_may_create_role(request.user, payload.role)
    user = services.user_create(email=payload.email, role=payload.role, preferred_name=payload.preferred_name)
    return Status(201, user)


@router.get("/users/{user_id}", response={200: UserOut, **errors(403, 404)})
def get_user(request: HttpRequest, user_id: RecordId) -> Any:
    """One account. Staff only."""
    policy.require_staff(request.user)
    return User.objects.get(pk=user_id)

"""Accounts on the JSON API: who a token acts for, the caller's own tokens and revoking them,
and staff creating accounts."""

from __future__ import annotations

from typing import Any

from ninja import Router, Status

from carematch.access import policy
from carematch.lib.ids import RecordId
from carematch.openapi import errors

from . import selectors, services
from .http import AuthedHttpRequest
from .schemas import OwnTokenList, TokenOut, UserIn, UserOut

router = Router(tags=["accounts"])


@router.get("/me", response=UserOut)
def get_me(request: AuthedHttpRequest) -> Any:
    """The account the bearer token acts for."""
    return request.user


@router.post("/tokens/current/revoke", response=TokenOut)
def revoke_current_token(request: AuthedHttpRequest) -> Any:
    """Revoke the token this request was made with. It stops working at once."""
    raw = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return services.api_token_revoke(token=selectors.api_token_in_use(raw=raw))


@router.get("/me/tokens", response=OwnTokenList)
def my_tokens(request: AuthedHttpRequest) -> Any:
    """The caller's own API tokens that still work, newest first: name, first characters and
    dates, never the token itself. Revoked tokens are not listed."""
    tokens = list(selectors.api_tokens_live(user=request.user))
    return {"items": tokens, "count": len(tokens)}


@router.delete("/me/tokens/{token_id}", response={204: None, **errors(404)})
def revoke_my_token(request: AuthedHttpRequest, token_id: RecordId) -> Any:
    """Revoke one of the caller's own working tokens (the one in use included: it stops
    working at once). Any other id answers 404 alike: a token of someone else, one already
    revoked (it is no longer among the caller's tokens), or none."""
    services.api_token_revoke_own(user=request.user, token_id=token_id)
    return Status(204, None)


@router.post("/users", response={201: UserOut, **errors(403, 409)})
def create_user(request: AuthedHttpRequest, payload: UserIn) -> Any:
    """Create an account without a password (the person sets one through password reset).

    Coordinators create client and provider accounts; admins create any.
    """
    policy.require_may_create_role(request.user, payload.role)
    user = services.user_create(email=payload.email, role=payload.role, preferred_name=payload.preferred_name)
    return Status(201, user)


@router.get("/users/{user_id}", response={200: UserOut, **errors(403, 404)})
def get_user(request: AuthedHttpRequest, user_id: RecordId) -> Any:
    """One account. Staff only."""
    policy.require_staff(request.user)
    return selectors.user_by_id(user_id=user_id)

"""Reads of accounts for pages and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ApiToken, User


def api_tokens_live(*, user: User) -> QuerySet[ApiToken]:
    """The person's tokens that still work, newest first."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-pk")


def api_token_live_of(*, user: User, token_id: int) -> ApiToken | None:
    """One of the person's working tokens, or None (someone else's, revoked, or no such id)."""
    return api_tokens_live(user=user).filter(pk=token_id).first()

"""Reads of accounts for pages and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from .models import ApiToken, Client, Role, User


def api_tokens_live(*, user: User) -> QuerySet[ApiToken]:
    """The person's tokens that still work, newest first."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-pk")


def api_token_live_of(*, user: User, token_id: int) -> ApiToken | None:
    """One of the person's working tokens, or None (someone else's, revoked, or no such id)."""
    return api_tokens_live(user=user).filter(pk=token_id).first()


def is_client_login(user: Any) -> bool:
    """Whether `user` is a login (not anonymous) with the client role, active or not."""
    return isinstance(user, User) and user.role == Role.CLIENT


def client_of(*, user: User) -> Client | None:
    """The client record of a login, or None (not a client, or no details given yet)."""
    return Client.objects.filter(user=user).first()


def clients_closed_before(*, cutoff: dt.datetime) -> QuerySet[Client]:
    """Clients whose account was closed before `cutoff`, oldest record first."""
    return Client.objects.filter(closed_at__isnull=False, closed_at__lt=cutoff).order_by("pk")

"""Reads of accounts for pages and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet

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


def api_token_in_use(*, raw: str) -> ApiToken:
    """The working token whose secret is `raw` (the one a request was made with); raises
    ApiToken.DoesNotExist when there is none, which the API answers 404."""
    from .services import token_digest

    return ApiToken.objects.get(digest=token_digest(raw), revoked_at__isnull=True)


def user_by_id(*, user_id: int) -> User:
    """The account with this id; raises User.DoesNotExist when there is none (the API answers 404)."""
    return User.objects.get(pk=user_id)


def active_user(*, user_id: int) -> User | None:
    """The account with this id if it may still log in (active), else None."""
    return User.objects.filter(pk=user_id, is_active=True).first()


def active_users_by_role() -> dict[str, int]:
    """How many active accounts each role has (roles with none are left out)."""
    counts = User.objects.filter(is_active=True).values("role").annotate(n=Count("id")).values_list("role", "n")
    return dict(counts)


def client_of(*, user: User) -> Client | None:
    """The client record of a login, with the login, or None (not a client, or no details given yet).

    An API request's login comes with its client record already read, in the token's one
    query (services.api_token_authenticate); only a record found there is reused."""
    cached = user._state.fields_cache.get("client") if user.pk is not None else None
    if isinstance(cached, Client) and cached.user_id == user.pk:
        return cached
    return Client.objects.select_related("user").filter(user__pk=user.pk).first()


def client_by_id(*, client_id: int) -> Client | None:
    """The client with this id, with their login, or None. Who may see them is the access
    policy's to say."""
    return Client.objects.select_related("user").filter(pk=client_id).first()


def client_exists(*, client_id: int) -> bool:
    """Whether a client with this id exists (to name them in a refusal, never to show them)."""
    return Client.objects.filter(pk=client_id).exists()


def clients_closed_before(*, cutoff: dt.datetime) -> QuerySet[Client]:
    """Clients whose account was closed before `cutoff`, oldest record first."""
    return Client.objects.filter(closed_at__isnull=False, closed_at__lt=cutoff).order_by("pk")

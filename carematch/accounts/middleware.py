"""Idle limits for the sessions of people who see other people's records."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse

from .models import IDLE_LIMITED_ROLES


def limit_idle_session(request: HttpRequest) -> None:
    """Staff and providers: the session ends IDLE_SESSION_SECONDS after their last request.
    Setting the expiry saves the session, so each request starts the count again."""
    user = request.user
    if user.is_authenticated and getattr(user, "role", None) in IDLE_LIMITED_ROLES:
        request.session.set_expiry(settings.IDLE_SESSION_SECONDS)


class IdleSessionLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if SESSION_KEY in request.session:  # nobody logged in: no user to load
            limit_idle_session(request)
        return self.get_response(request)

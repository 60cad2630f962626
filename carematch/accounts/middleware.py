"""Idle limits for the sessions of people who see other people's records, and the second
factor they must pass before doing anything."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext

from . import mfa
from .models import IDLE_LIMITED_ROLES, MfaDevice


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


class SecondFactorMiddleware:
    """A logged-in session that has not passed the second factor may do nothing else:

    - a person with an authenticator app whose session did not enter a code (a session
      from before the app was set up elsewhere) is logged out and asked to log in again;
    - providers, coordinators and admins without an app may only set one up, or log out.

    This covers every page, the Django admin included. The JSON API is left alone: it
    authenticates by bearer token, never by session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if SESSION_KEY in request.session and not request.session.get(mfa.SESSION_VERIFIED):
            refused = self._refuse(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refuse(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or _always_allowed(request.path):
            return None
        back = request.get_full_path() if request.method == "GET" else ""
        if MfaDevice.objects.filter(user__pk=user.pk, confirmed_at__isnull=False).exists():
            logout(request)
            messages.info(
                request, gettext("Please log in again with your password and a code from your authenticator app.")
            )
            return redirect(_with_next(reverse("accounts:login"), back))
        if getattr(user, "mfa_required", False):
            if request.path == reverse("accounts:mfa_setup"):
                return None
            return redirect(_with_next(reverse("accounts:mfa_setup"), back))
        return None


def _always_allowed(path: str) -> bool:
    open_paths = (reverse("accounts:logout"), reverse("accounts:logout_everywhere"))
    return path in open_paths or path.startswith(("/api/", "/" + settings.STATIC_URL.lstrip("/")))


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url

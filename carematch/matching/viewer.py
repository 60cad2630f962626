"""Whose clock a page shows times on: the one client's zone, the same on every page.

A signed-in client sees their own zone (their client record's). Someone still finding a
therapist sees the zone of where the intake says they are (their ZIP code's, else their
state's), so the results, a profile, the booking page and the hold all read alike. Anyone
else (a provider, a coordinator, a visitor who has not said where they are) gets None, and
the page shows the provider's own zone and says so."""

from __future__ import annotations

from django.http import HttpRequest

from carematch.access import policy
from carematch.accounts import selectors as account_selectors
from carematch.accounts.http import signed_in_user
from carematch.accounts.models import Role
from carematch.lib.timezones import client_zone

from .intake import SESSION_KEY


def viewer_zone(request: HttpRequest) -> str | None:
    """The client's zone for this visitor, or None when they are not a client (yet)."""
    user = signed_in_user(request)
    if user is not None:
        if not policy.has_role(user, Role.CLIENT):
            return None
        client = account_selectors.client_of(user=user)
        if client is not None:
            return client_zone(chosen=client.timezone)
    answers = request.session.get(SESSION_KEY) or {}
    if answers.get("state"):
        return client_zone(zip=answers.get("zip"), state=answers.get("state"))
    return None

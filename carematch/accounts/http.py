"""Requests whose caller is known to be signed in, typed so.

Django types `request.user` as `User | AnonymousUser`. A page behind `login_required` or a
page decorator that sends anonymous visitors to log in (staff_page, care_page, provider_page,
client_page), and an API operation behind the bearer token (which sets `request.user` to the
token's user, carematch.api_base), only ever run for a signed-in user: they annotate their
request as `AuthedHttpRequest`, and `request.user` is a `User`.
carematch/tests/test_authed_requests.py checks that every one of them turns anonymous callers
away (the authorisation matrix proves that they do)."""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class AuthedHttpRequest(HttpRequest):
    user: User


def signed_in_user(request: HttpRequest) -> User | None:
    """The signed-in user of a request that anyone may make, or None for an anonymous caller:
    a public page, or an API operation whose token is optional (carematch.api_base sets
    `request.user` to the token's user, or to an anonymous user without one)."""
    user = request.user
    return user if user.is_authenticated else None

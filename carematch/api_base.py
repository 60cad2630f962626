"""What the API's modules share without importing the API itself (carematch/api.py imports
every app's router): the bearer-token authentication (the one error shape's schema is carematch.openapi.Error)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.security.apikey import APIKeyCookie
from ninja.security.http import HttpBearer

ANONYMOUS_CALLER = "anonymous"  # request.auth of a caller without a token, where one is optional


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; the token itself is never logged.

    With `optional=True` (operations anyone may call, such as asking to be contacted from the
    crisis line) a request without the header goes on as an anonymous caller; a token that
    is sent must still be valid (401 otherwise)."""

    def __init__(self, *, optional: bool = False) -> None:
        self.optional = optional
        super().__init__()

    def __call__(self, request: HttpRequest) -> Any:
        value = request.headers.get(self.header, "")
        if self.optional and not value.strip():
            # Anonymous, whatever a session cookie says: a cross-site form can send the cookie.
            request.user = AnonymousUser()
            return ANONYMOUS_CALLER
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from carematch.accounts.services import api_token_authenticate

        user = api_token_authenticate(raw=token)
        if user is not None:
            request.user = user
        return user


OPTIONAL_TOKEN = BearerToken(optional=True)


class SessionCookie(APIKeyCookie):
    """A signed-in browser session, for the few read-only operations a page's own script calls
    (a conversation page asking for new messages). Django's middleware has already checked the
    session (and ended a closed or expired one); a cross-site page cannot read the answer."""

    param_name = "sessionid"

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key and user is not None and user.is_authenticated and user.is_active:
            return user
        return None


TOKEN_OR_SESSION = [BearerToken(), SessionCookie()]

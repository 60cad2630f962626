"""A forged POST (no CSRF token) is refused on every page, for every kind of person, and
changes nothing; the API, which answers only to bearer tokens, refuses a POST that brings
just a logged-in session.

The pages come from the URL resolver itself, so a page added later is checked too: each
pattern outside the API gets an address that resolves to it, and a POST without a token
from a browser that is logged in as each role. A 403 from the CSRF check is the answer
expected (a 405 is also fine for a page that only answers GET).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from hypothesis import Phase, find, settings
from hypothesis import strategies as st

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider
from carematch.tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

API_PREFIX = "api/"
URL_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./"
CSRF_REFUSAL = "CSRF verification failed"
FORGED = {"note": "forged", "text": "forged", "bio": "forged", "email": "forged@example.test", "role": "admin"}


def _fragment(pattern: URLPattern | URLResolver) -> str:
    regex = pattern.pattern.regex.pattern
    return regex.removeprefix("^").removesuffix(r"\Z").removesuffix("$")


def url_patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(name, regex of the whole path) for every page pattern, however deeply included."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        regex = prefix + _fragment(pattern)
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, regex)
        else:
            namespace = f"{resolver.namespace}:" if getattr(resolver, "namespace", None) else ""
            yield f"{namespace}{pattern.name or pattern.lookup_str}", regex


def address_for(regex: str) -> str:
    """A path the pattern matches, made of plain URL characters (the same one every run)."""
    example = find(
        st.from_regex(re.compile(regex), fullmatch=True, alphabet=URL_ALPHABET),
        lambda path: True,
        settings=settings(database=None, derandomize=True, phases=[Phase.generate, Phase.shrink]),
    )
    return "/" + example


def page_addresses() -> list[tuple[str, str]]:
    pages = []
    for name, regex in url_patterns():
        if regex.startswith(API_PREFIX):
            continue
        path = address_for(regex)
        try:
            resolve(path)
        except Resolver404:  # pragma: no cover - a pattern no path can reach is itself a defect
            pytest.fail(f"no address resolves to {name} ({regex}): tried {path}")
        pages.append((name, path))
    return pages


@pytest.fixture
def people():
    """Someone of every role, with the records that let each use their pages."""
    provider = weekday_provider(user=UserFactory(role=Role.PROVIDER))
    client_record = ClientFactory()
    return {
        "anonymous": None,
        "client": client_record.user,
        "provider": provider.user,
        "coordinator": UserFactory(role=Role.COORDINATOR),
        "admin": UserFactory(role=Role.ADMIN),
    }


# Rows every refused request may still touch: the session (refreshed on each request by the
# idle-session limit) and the append-only access log (which records refusals, if any).
UNWATCHED = {"sessions", "access"}


def snapshot() -> dict[str, list[tuple]]:
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.app_label not in UNWATCHED and model._meta.managed and not model._meta.proxy
    }


# The one page that takes a POST without a CSRF token, and why. It must still refuse the forged
# post (its address holds no subscriber's token here) and change nothing.
CSRF_EXEMPT = {
    "newsletter:one_click": (
        "RFC 8058 one-click unsubscribe: a mail client POSTs with no session and no CSRF token; the "
        "subscriber's token in the address is the only key, and the page only ever unsubscribes"
    ),
}


def test_every_page_refuses_a_post_without_a_csrf_token_for_every_role(people):
    pages = page_addresses()
    assert len(pages) >= 60, len(pages)
    tried = 0
    for role, user in people.items():
        browser = Client(enforce_csrf_checks=True)
        if user is not None:
            browser.force_login(user)
        before = snapshot()
        for name, path in pages:
            response = browser.post(path, FORGED)
            if name in CSRF_EXEMPT:
                assert response.status_code == 404, (role, name, path, response.status_code)
                tried += 1
                continue
            assert response.status_code in {403, 405}, (role, name, path, response.status_code)
            if response.status_code == 403:
                assert CSRF_REFUSAL in response.content.decode(), (role, name, path)
            tried += 1
        assert snapshot() == before, role
    assert tried == len(pages) * len(people)
    print(f"CSRF: {len(pages)} page patterns x {len(people)} roles = {tried} forged posts refused")  # noqa: T201


def test_the_same_post_with_the_token_gets_through(people):
    """The refusal above is the CSRF check, not something else: with the token, logging out works."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["client"])
    browser.get("/accounts/")
    token = browser.cookies["csrftoken"].value
    forged = browser.post("/accounts/logout/")
    assert forged.status_code == 403
    assert browser.get("/accounts/").status_code == 200
    real = browser.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert real.status_code == 302
    assert browser.get("/accounts/").status_code == 302  # logged out: sent to the log-in page


def api_writes(client) -> Iterator[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").json()
    for path, item in spec["paths"].items():
        for method in item:
            if method.upper() in {"POST", "PUT", "PATCH", "DELETE"}:
                yield method.upper(), re.sub(r"\{[^}]+\}", "1", path)


# Operations anyone may call without a token (asking to be contacted from the crisis line,
# asking for the newsletter):
# a page session that comes with one is ignored, so the caller is anonymous, never the
# signed-in person.
ANYONE_WRITES = {("POST", "/api/v1/crisis-requests"), ("POST", "/api/v1/newsletter/subscriptions")}


def test_the_api_refuses_a_post_that_brings_only_a_logged_in_session(people):
    """The API takes bearer tokens only: a page session (which a forged cross-site request
    would carry) is never enough, with or without a CSRF token."""
    from carematch.access.models import AccessEvent
    from carematch.scheduling.models import CrisisRequest

    browser = Client(enforce_csrf_checks=True)
    writes = [write for write in api_writes(browser) if write not in ANYONE_WRITES]
    assert len(writes) >= 15
    for role in ("client", "provider", "coordinator", "admin"):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(people[role])
        before = snapshot()
        for method, path in writes:
            response = browser.generic(method, path, data='{"email": "forged@example.test", "role": "client"}',
                                       content_type="application/json")
            assert_error_shape(response, 401, "unauthenticated")
        assert snapshot() == before, role
        response = browser.post("/api/v1/crisis-requests", data='{"name": "Ash", "phone": "303 555 0142", '
                                '"state": "CO"}', content_type="application/json")
        assert response.status_code == 201, role
        made = CrisisRequest.objects.get(pk=response.json()["id"])
        assert made.client is None, role
        event = AccessEvent.objects.get(resource_type="crisis_request", resource_id=str(made.pk))
        assert (event.actor_id, event.actor_role) == (None, "anonymous"), role


def test_a_bearer_token_needs_no_csrf_token(people):
    """Tokens are not sent by browsers on their own, so the API does not ask for a CSRF token
    with one (and a forged cross-site request cannot carry it)."""
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/api/v1/users", data='{"email": "made@example.test", "role": "client"}',
                            content_type="application/json", **auth_header(people["coordinator"]))
    assert response.status_code == 201

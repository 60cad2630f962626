"""A revoked API token is refused everywhere at once: revoked through the API itself, with
`carematch revoke_token`, or from the admin, it gets 401 in the one error shape on every
operation of the OpenAPI document that needs a token, and changes nothing."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client

from carematch.accounts.models import ApiToken, Role
from carematch.accounts.tests.factories import UserFactory, token_for
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider
from carematch.tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

# The health check; the library of articles and the newsletter sign-up, which are for anyone.
PUBLIC = {("GET", "/api/v1/health"), ("GET", "/api/v1/articles"), ("POST", "/api/v1/newsletter/subscriptions")}


def authenticated_operations(client) -> list[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").json()
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if (method.upper(), path) in PUBLIC:
                continue
            assert operation.get("security"), f"{method.upper()} {path} takes no token but is not listed as public"
            found.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return found


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def records():
    """Records with id 1 where the paths name one, so a live token would reach them."""
    provider = weekday_provider(user=UserFactory(role=Role.PROVIDER))
    return {"client": ClientFactory(), "provider": provider}


def revoke_through_the_api(client, raw: str, user) -> None:
    response = client.post("/api/v1/tokens/current/revoke", **bearer(raw))
    assert response.status_code == 200, response.content


def revoke_with_the_command(client, raw: str, user) -> None:
    call_command("revoke_token", "--token", raw, stdout=io.StringIO())


def revoke_from_the_admin(client, raw: str, user) -> None:
    admin = Client()
    admin.force_login(UserFactory(role=Role.ADMIN))
    token = ApiToken.objects.get(user=user, revoked_at__isnull=True)
    response = admin.post("/admin/accounts/apitoken/", {
        "action": "revoke", "_selected_action": [token.pk], "index": "0",
    })
    assert response.status_code == 302, response.status_code


REVOCATIONS = [revoke_through_the_api, revoke_with_the_command, revoke_from_the_admin]


@pytest.mark.parametrize("revoke", REVOCATIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN, Role.CLIENT, Role.PROVIDER])
def test_a_revoked_token_is_refused_on_every_operation(client, records, revoke, role):
    user = {Role.CLIENT: records["client"].user, Role.PROVIDER: records["provider"].user}.get(role) \
        or UserFactory(role=role)
    raw = token_for(user)
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200
    revoke(client, raw, user)
    assert ApiToken.objects.get(user=user).revoked_at is not None

    operations = authenticated_operations(client)
    assert len(operations) >= 25
    users_before = sorted(type(user).objects.values_list("pk", "email"))
    for method, path in operations:
        body = json.dumps({"email": "after-revoke@example.test", "role": "client", "note": "x", "text": "x"})
        response = client.generic(method, path, data=body, content_type="application/json", **bearer(raw))
        assert_error_shape(response, 401, "unauthenticated")
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert sorted(type(user).objects.values_list("pk", "email")) == users_before


def test_revoking_one_token_leaves_the_persons_other_tokens_working(client):
    user = UserFactory(role=Role.COORDINATOR)
    kept, revoked = token_for(user), token_for(user)
    revoke_through_the_api(client, revoked, user)
    assert_error_shape(client.get("/api/v1/me", **bearer(revoked)), 401, "unauthenticated")
    assert client.get("/api/v1/me", **bearer(kept)).status_code == 200


def test_a_revoked_token_cannot_revoke_itself_again_or_be_brought_back(client):
    user = UserFactory(role=Role.COORDINATOR)
    raw = token_for(user)
    revoke_through_the_api(client, raw, user)
    revoked_at = ApiToken.objects.get(user=user).revoked_at
    assert_error_shape(client.post("/api/v1/tokens/current/revoke", **bearer(raw)), 401, "unauthenticated")
    assert ApiToken.objects.get(user=user).revoked_at == revoked_at

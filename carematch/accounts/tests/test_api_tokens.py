"""API tokens: issued by command, stored hashed, accepted as bearer tokens, revocable."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from carematch.accounts.models import ApiToken, Role, User

from .factories import UserFactory, token_for

pytestmark = pytest.mark.django_db


def issue(email: str, role: str) -> str:
    out = StringIO()
    call_command("issue_token", "--email", email, "--role", role, stdout=out)
    return out.getvalue()


def test_issue_token_creates_the_user_with_the_role_and_prints_only_the_token(client):
    printed = issue("ops@example.test", "coordinator")
    lines = printed.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cm_") and len(lines[0]) > 40
    user = User.objects.get(email="ops@example.test")
    assert user.role == Role.COORDINATOR
    assert not user.has_usable_password()

    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {lines[0]}")
    assert response.status_code == 200
    assert response.json() == {
        "id": user.id, "email": "ops@example.test", "role": "coordinator", "preferred_name": "", "is_active": True,
    }


def test_tokens_are_stored_only_as_a_digest():
    raw = issue("digest@example.test", "client").strip()
    token = ApiToken.objects.get()
    assert raw not in (token.digest, token.prefix)
    assert len(token.digest) == 64 and raw.startswith(token.prefix)
    assert not ApiToken.objects.filter(digest__contains=raw[11:]).exists()


def test_issuing_again_for_an_existing_user_keeps_them_and_adds_a_token():
    first = issue("again@example.test", "provider").strip()
    second = issue("AGAIN@example.test", "provider").strip()
    assert first != second
    assert User.objects.filter(email="again@example.test").count() == 1
    assert ApiToken.objects.count() == 2


def test_a_token_never_changes_an_existing_users_role():
    UserFactory(email="client@example.test", role=Role.CLIENT)
    with pytest.raises(CommandError, match="already exists with the role client"):
        issue("client@example.test", "admin")
    assert User.objects.get(email="client@example.test").role == Role.CLIENT
    assert not ApiToken.objects.exists()


def test_an_unknown_role_is_refused_by_the_command():
    with pytest.raises(CommandError, match="invalid choice"):
        issue("who@example.test", "superhero")


def test_a_revoked_token_stops_working_at_once(client):
    user = UserFactory()
    raw = token_for(user)
    header = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/me", **header).status_code == 200
    revoked = client.post("/api/v1/tokens/current/revoke", **header)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    after = client.get("/api/v1/me", **header)
    assert after.status_code == 401
    assert after.json()["error"] == "unauthenticated"


def test_revoke_token_command_by_prefix_and_by_user(client):
    user = UserFactory(email="many@example.test")
    one, two, three = token_for(user), token_for(user), token_for(user)
    call_command("revoke_token", "--token", one[:11], stdout=StringIO())
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {one}").status_code == 401
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {two}").status_code == 200
    out = StringIO()
    call_command("revoke_token", "--email", "many@example.test", stdout=out)
    assert "Revoked 2 token(s)" in out.getvalue()
    for raw in (two, three):
        assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_a_deactivated_users_tokens_stop_working(client):
    user = UserFactory()
    raw = token_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Token cm_abc", "Basic dXNlcjpwYXNz", "Bearer cm_" + "x" * 43, "Bearer " + "y" * 5000],
)
def test_missing_malformed_or_unknown_tokens_get_401_in_the_one_shape(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/me", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"error", "detail"}

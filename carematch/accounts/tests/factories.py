from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.hashers import make_password

from carematch.accounts import services
from carematch.accounts.models import ApiToken, Role, User

PASSWORD = "a-calm-test-passphrase"
_HASHED: dict[str, str] = {}


def hashed_password() -> str:
    # Argon2 is slow on purpose; hash the shared test password once per run.
    if PASSWORD not in _HASHED:
        _HASHED[PASSWORD] = make_password(PASSWORD)
    return _HASHED[PASSWORD]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    role = Role.CLIENT
    password = factory.LazyFunction(hashed_password)
    is_superuser = factory.LazyAttribute(lambda o: o.role == Role.ADMIN)


def token_for(user: User) -> str:
    _, raw = services.api_token_issue(user=user)
    return raw


def auth_header(user: User) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_for(user)}"}


__all__ = ["PASSWORD", "ApiToken", "UserFactory", "auth_header", "token_for"]

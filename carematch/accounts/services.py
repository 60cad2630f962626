"""Every write to accounts and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from carematch.lib.errors import Conflict, InvalidInput

from .models import ApiToken, Role, User, normalize_email

TOKEN_PREFIX = "cm_"  # noqa: S105 - a marker, not a secret
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def user_create(
    *, email: str, role: str = Role.CLIENT, password: str | None = None, preferred_name: str = ""
) -> User:
    """Create a user. A password, when given, must pass the password rules."""
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput("Enter a valid email address.", fields={"email": "not a valid email address"}) from None
    if role not in Role.values:
        raise InvalidInput(
            f"Role must be one of: {', '.join(Role.values)}.", fields={"role": "unknown role"}
        )
    if password is not None:
        candidate = User(email=email, preferred_name=preferred_name)
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), fields={"password": " ".join(exc.messages)}) from None
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise Conflict("An account with this email already exists.", fields={"email": "already registered"})
            return User.objects.create_user(
                email, password, role=role, preferred_name=preferred_name
            )
    except IntegrityError:
        raise Conflict("An account with this email already exists.", fields={"email": "already registered"}) from None


def client_sign_up(*, email: str, password: str, preferred_name: str = "") -> User:
    return user_create(email=email, password=password, role=Role.CLIENT, preferred_name=preferred_name)


def token_digest(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_issue(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for `user`. The raw token is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:11], digest=token_digest(raw))
    return token, raw


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_tokens_revoke_for_user(*, user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_issue_for_email(*, email: str, role: str, name: str = "") -> tuple[ApiToken, str]:
    """Issue a token for the user with `email`, creating them with `role` if missing.

    An existing user keeps their role: a token is never a way to change someone's role.
    """
    with transaction.atomic():
        user = User.objects.filter(email__iexact=normalize_email(email)).first()
        if user is None:
            user = user_create(email=email, role=role)
        elif user.role != role:
            raise Conflict(
                f"{user.email} already exists with the role {user.role}; refusing to issue a {role} token.",
                fields={"role": f"user has role {user.role}"},
            )
        if not user.is_active:
            raise Conflict(f"{user.email} is deactivated.", fields={"email": "account deactivated"})
        return api_token_issue(user=user, name=name)


def api_token_authenticate(*, raw: str) -> User | None:
    """The active user a live token belongs to, or None. Notes when the token was last used."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 128:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user

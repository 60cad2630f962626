"""Every write to accounts and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from carematch.lib.errors import Conflict, InvalidInput

from .models import ApiToken, Client, LoginAttempt, Role, User, normalize_email

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


def login_attempt_record(
    *, kind: str, email: str, address: str, succeeded: bool, now: dt.datetime | None = None
) -> LoginAttempt:
    """Note an attempt for throttling. A successful log-in clears that account's failures;
    attempts older than a day are dropped."""
    from .throttle import KEPT_FOR, email_digest

    now = now or timezone.now()
    digest = email_digest(email)
    with transaction.atomic():
        LoginAttempt.objects.filter(attempted_at__lt=now - KEPT_FOR).delete()
        if succeeded and kind == LoginAttempt.Kind.LOG_IN:
            LoginAttempt.objects.filter(kind=kind, email_digest=digest, succeeded=False).delete()
        return LoginAttempt.objects.create(
            kind=kind, email_digest=digest, address=address, attempted_at=now, succeeded=succeeded
        )


def user_sessions_end(*, user: User) -> None:
    """End every session of `user`, on every device. API tokens are not sessions and keep working."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


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


def _clean_client_details(
    *, first_name: str, last_name: str, date_of_birth: dt.date, state: str, zip: str, timezone_name: str,
    today: dt.date,
) -> dict[str, Any]:
    """The client's details, normalised; InvalidInput naming every field that is wrong."""
    from carematch.lib import geo, vocab
    from carematch.lib.timezones import is_time_zone

    problems: dict[str, str] = {}
    first_name, last_name = " ".join(first_name.split()), " ".join(last_name.split())
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        if not value:
            problems[name] = "is required"
        elif len(value) > 100:
            problems[name] = "is longer than 100 characters"
    if date_of_birth > today:
        problems["date_of_birth"] = "is in the future"
    elif today.year - date_of_birth.year > 130:
        problems["date_of_birth"] = "is more than 130 years ago"
    state = state.strip().upper()
    if state not in vocab.STATES:
        problems["state"] = f"'{state}' is not a US state code (the 50 states and DC)"
    zip = zip.strip()
    if zip and geo.zip_location(zip) is None:
        problems["zip"] = f"'{zip}' is not a known 5-digit US ZIP code"
    timezone_name = timezone_name.strip()
    if not is_time_zone(timezone_name):
        problems["timezone"] = f"'{timezone_name}' is not an IANA time zone (e.g. America/New_York)"
    if problems:
        raise InvalidInput(f"Some fields are missing or invalid: {', '.join(sorted(problems))}.", fields=problems)
    return {"first_name": first_name, "last_name": last_name, "date_of_birth": date_of_birth, "state": state,
            "zip": zip, "timezone": timezone_name}


def client_create(
    *, email: str, first_name: str, last_name: str, date_of_birth: dt.date, state: str, zip: str = "",
    timezone_name: str, today: dt.date | None = None,
) -> Client:
    """Create a client and their account (role client). An existing client account without
    client details gets them; any other existing account with that email is a conflict."""
    details = _clean_client_details(
        first_name=first_name, last_name=last_name, date_of_birth=date_of_birth, state=state, zip=zip,
        timezone_name=timezone_name, today=today or timezone.localdate(),
    )
    with transaction.atomic():
        user = User.objects.filter(email__iexact=normalize_email(email)).first()
        if user is None:
            user = user_create(email=email, role=Role.CLIENT)
        elif user.role != Role.CLIENT or Client.objects.filter(user=user).exists():
            raise Conflict("An account with this email already exists.", fields={"email": "already registered"})
        return Client.objects.create(user=user, **details)


def client_details_set(
    *, user: User, first_name: str, last_name: str, date_of_birth: dt.date, state: str, zip: str = "",
    timezone_name: str, today: dt.date | None = None,
) -> Client:
    """Give a signed-up client account its client details (or update them)."""
    if user.role != Role.CLIENT:
        raise InvalidInput("Only client accounts have client details.", fields={"role": "not a client"})
    details = _clean_client_details(
        first_name=first_name, last_name=last_name, date_of_birth=date_of_birth, state=state, zip=zip,
        timezone_name=timezone_name, today=today or timezone.localdate(),
    )
    with transaction.atomic():
        client, _ = Client.objects.update_or_create(user=user, defaults=details)
        return client


def client_register(
    *, email: str, password: str, first_name: str, last_name: str, date_of_birth: dt.date, state: str,
    zip: str = "", timezone_name: str, today: dt.date | None = None,
) -> Client:
    """Sign up a client with their details in one step: every problem is reported at once,
    and the account and the client record are created together or not at all."""
    problems: dict[str, str] = {}
    details: dict[str, Any] = {}
    try:
        details = _clean_client_details(
            first_name=first_name, last_name=last_name, date_of_birth=date_of_birth, state=state, zip=zip,
            timezone_name=timezone_name, today=today or timezone.localdate(),
        )
    except InvalidInput as exc:
        problems.update(exc.fields)
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        problems["email"] = "not a valid email address"
    try:
        validate_password(password, user=User(email=email, preferred_name=first_name))
    except ValidationError as exc:
        problems["password"] = " ".join(exc.messages)
    if problems:
        raise InvalidInput(f"Some fields are missing or invalid: {', '.join(sorted(problems))}.", fields=problems)
    with transaction.atomic():
        user = user_create(email=email, password=password, role=Role.CLIENT, preferred_name=details["first_name"])
        return Client.objects.create(user=user, **details)

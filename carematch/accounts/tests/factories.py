from __future__ import annotations

import datetime as dt
from typing import Any

import factory
import pyotp
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from carematch.accounts import mfa, services
from carematch.accounts.models import ApiToken, MfaDevice, Role, User

PASSWORD = "a-calm-test-passphrase"
_HASHED: dict[str, str] = {}


def hashed_password() -> str:
    # Argon2 is slow on purpose; hash the shared test password once per run.
    if PASSWORD not in _HASHED:
        _HASHED[PASSWORD] = make_password(PASSWORD)
    return _HASHED[PASSWORD]


class UserFactory(factory.django.DjangoModelFactory[User]):
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


# A synthetic authenticator secret for tests; any base32 text of 32 characters works.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def authenticator_give(user: User, *, secret: str = TEST_TOTP_SECRET) -> MfaDevice:
    """A confirmed authenticator app with a known secret, as if the person had set it up."""
    device, _ = MfaDevice.objects.update_or_create(
        user=user, defaults={"secret": secret, "confirmed_at": timezone.now(), "last_used_step": None}
    )
    return device


def authenticator_of(email: str) -> MfaDevice | None:
    return MfaDevice.objects.filter(user__email__iexact=email, confirmed_at__isnull=False).first()


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * mfa.STEP_SECONDS)


def authenticator_code(email: str) -> str:
    """The code the person's app would show now, for a time step not used yet: a second
    log-in within the same 30 seconds takes the next step's code (accepted, as clocks
    drift). A third would wait for the app's next code; the suite's clock is moved forward
    to it instead of sleeping (carematch.tests.plugin.clock_advance)."""
    from carematch.tests.plugin import clock_advance

    device = authenticator_of(email)
    assert device is not None, f"{email} has no authenticator app"
    now = timezone.now()
    step = mfa.time_step(now)
    wanted = max(step, (device.last_used_step if device.last_used_step is not None else step - 1) + 1)
    if wanted > step + mfa.VALID_WINDOW:
        # To the start of the first step at which `wanted` is accepted, so the code stays
        # good for the whole window after it.
        first_accepted = (wanted - mfa.VALID_WINDOW) * mfa.STEP_SECONDS
        clock_advance(dt.timedelta(seconds=first_accepted - now.timestamp()))
    return code_at(device.secret, wanted)


__all__ = [
    "PASSWORD", "TEST_TOTP_SECRET", "ApiToken", "UserFactory", "auth_header", "authenticator_code",
    "authenticator_give", "authenticator_of", "code_at", "token_for",
]

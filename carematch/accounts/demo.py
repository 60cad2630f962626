"""Synthetic demo accounts. Nobody here is a real person."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import MfaDevice, Role, User
from .services import user_create

DEMO_PASSWORD = "carematch-demo-2026"  # noqa: S105 - published on purpose; demo data only
# Providers, coordinators and admins log in with a code from an authenticator app. The demo
# accounts share this published secret (base32), so anyone trying the demo can add it to
# an app; like the password, it exists only in demo data.
DEMO_TOTP_SECRET = "CAREMATCHDEMOSECRETFORTESTINGAAA"  # noqa: S105 - published on purpose; demo data only

DEMO_ACCOUNTS = [
    ("admin@demo.carematch.test", Role.ADMIN, "Avery (admin)"),
    ("coordinator@demo.carematch.test", Role.COORDINATOR, "Casey (coordinator)"),
    ("provider@demo.carematch.test", Role.PROVIDER, "Dr. Rowan Example"),
    ("client@demo.carematch.test", Role.CLIENT, "Sam"),
]


@transaction.atomic
def seed_demo_accounts() -> list[tuple[User, bool]]:
    result = []
    for email, role, name in DEMO_ACCOUNTS:
        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        if user is None:
            user = user_create(email=email, role=role, password=DEMO_PASSWORD, preferred_name=name)
        if user.mfa_required and not MfaDevice.objects.filter(user=user).exists():
            MfaDevice.objects.create(user=user, secret=DEMO_TOTP_SECRET, confirmed_at=timezone.now())
        result.append((user, created))
    return result

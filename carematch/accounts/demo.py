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
    # Renamed after the profile the demo network links to it (directory/demo.py): one name everywhere.
    ("provider@demo.carematch.test", Role.PROVIDER, "Demo provider"),
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


# What each demo role should try first, as `make demo` prints it.
FIRST_STEPS: dict[str, str] = {
    Role.CLIENT: "Find a therapist: say what you want help with, compare who fits, book a first session.",
    Role.PROVIDER: "Caseload: a client with an open safety alert, score charts, goals; Alerts to acknowledge one.",
    Role.COORDINATOR: "Staff home: the crisis request, people near 48 hours, the waitlist, the 48-hour clock.",
    Role.ADMIN: "Staff home and Administration: every record, the access log, the API documentation.",
}


def demo_logins_summary(accounts: list[tuple[User, bool]]) -> str:
    created = sum(1 for _, new in accounts if new)
    if created == len(accounts):
        return f"Demo logins: {created} created."
    if not created:
        return f"Demo logins: {len(accounts)} already present; left as they are."
    return f"Demo logins: {created} created, {len(accounts) - created} already present."


def demo_welcome(accounts: list[tuple[User, bool]]) -> str:
    """The short block `make demo` ends with: who to log in as, what to try first, the key."""
    rule = "-" * 78
    lines = [rule, f"Demo logins (password for all: {DEMO_PASSWORD})", ""]
    for user, _ in sorted(accounts, key=lambda pair: list(Role.values).index(pair[0].role)):
        lines.append(f"  {user.get_role_display():<14} {user.email}  ({user.get_short_name()})")
        lines.append(f"  {'':<14} first: {FIRST_STEPS.get(user.role, '')}")
    lines += [
        "",
        "Provider, coordinator and admin also give a 6-digit code from an authenticator app",
        f"set up with the demo key {DEMO_TOTP_SECRET} (time-based), or print the current code:",
        f"  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{DEMO_TOTP_SECRET}').now())\"",
        rule,
    ]
    return "\n".join(lines)

"""Time-based one-time codes (RFC 6238: 30-second steps, 6 digits, SHA-1, as every
authenticator app expects) and recovery codes: plain functions over plain values.

The writes that use them (enrolment, verification with replay protection, recovery codes)
are in accounts.services; the session markers of the two-step log-in are here so the
views, the middleware and the test plugin agree on them.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets

import pyotp
import segno
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

STEP_SECONDS = 30
DIGITS = 6
# A code of the step before or after the current one is accepted too, for clocks that drift.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
ISSUER = "carematch"

# Session entries. PENDING: the password was right and the second factor is awaited (the
# person is not logged in yet). VERIFIED: this session passed the second factor, or enrolled.
SESSION_PENDING = "carematch_mfa_pending"
SESSION_VERIFIED = "carematch_mfa_verified"
PENDING_FOR = dt.timedelta(minutes=5)

_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_CODE_RE = re.compile(r"^\d{6}$")


def secret_new() -> str:
    """A fresh base32 secret of 160 bits, the length RFC 4226 recommends."""
    return pyotp.random_base32(length=32)


def secret_for_display(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(*, secret: str, email: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth address as an inline SVG QR code: no script, no style attribute."""
    qr = segno.make(uri, error="m")
    title = gettext("QR code for your authenticator app")
    return str(qr.svg_inline(scale=5, border=4, dark="#000", light="#fff", title=title))


def time_step(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def looks_like_totp(code: str) -> bool:
    return bool(_CODE_RE.match(normalize_code(code)))


def normalize_code(code: str) -> str:
    """What a person typed, without spaces and hyphens, in lower case."""
    return re.sub(r"[\s-]", "", code).lower()


def matching_step(*, secret: str, code: str, now: dt.datetime, after_step: int | None) -> int | None:
    """The time step within the window whose code is `code` and that is later than
    `after_step` (the last step already used: a code is good once), or None."""
    code = normalize_code(code)
    if not _CODE_RE.match(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = time_step(now)
    found = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        # Compare every candidate in constant time; remember the latest that matches.
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code) and (after_step is None or step > after_step):
            found = step
    return found


def recovery_code_new() -> str:
    """Ten characters from a 31-letter alphabet (about 50 bits), shown as xxxxx-xxxxx."""
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def recovery_code_digest(code: str) -> str:
    """Recovery codes are stored only as this keyed digest. The codes are random and long
    enough that a fast keyed hash suffices; the key keeps a copied table useless."""
    return salted_hmac("carematch.accounts.recovery_code", normalize_code(code), algorithm="sha256").hexdigest()

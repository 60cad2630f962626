"""Private questionnaire links.

A link's token is an HMAC-SHA256, under the server's secret key, of the request's random
salt: 256 bits nobody can guess. The database keeps the salt and the token's SHA-256
digest only, so a copy of the database alone opens no questionnaire; the server can write
the same link into the booking confirmation and into the reminder a day before the session
without ever storing it. Changing the secret key retires every link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings
from django.urls import reverse

from carematch.accounts.services import token_digest

TOKEN_PREFIX = "q_"  # noqa: S105 - a marker, not a secret
TOKEN_PATTERN = r"q_[A-Za-z0-9_-]{43}"  # noqa: S105 - the shape of a token, not a secret


def new_salt() -> str:
    return secrets.token_hex(16)


def token_for_salt(salt: str) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"carematch.questionnaire-link|{salt}".encode(), hashlib.sha256)
    return TOKEN_PREFIX + base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def digest_for_salt(salt: str) -> str:
    return token_digest(token_for_salt(salt))


def looks_like_token(raw: str) -> bool:
    return raw.startswith(TOKEN_PREFIX) and len(raw) == len(TOKEN_PREFIX) + 43


def questionnaire_path(salt: str) -> str:
    return reverse("measures:questionnaire_link", kwargs={"token": token_for_salt(salt)})


def questionnaire_url(salt: str) -> str:
    return settings.SITE_URL + questionnaire_path(salt)

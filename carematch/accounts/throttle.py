"""Refusing repeated log-in, second-factor and sign-up attempts.

Failed log-ins are counted per account (by a keyed digest of the normalised email, never
the email itself) and per address, in the database so every process sees the same count.
Once an account or an address reaches its limit within the window, further attempts are
refused for the lock-out period without checking the password, with one message whether
or not the account exists.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_noop

from carematch.lib.addresses import forwarded_address

from .models import LoginAttempt, normalize_email

WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)
ACCOUNT_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 20
ADDRESS_SIGN_UP_LIMIT = 10
KEPT_FOR = dt.timedelta(days=1)

TOO_MANY_LOG_INS = gettext_noop("Too many attempts. Please wait 15 minutes or reset your password.")
TOO_MANY_SIGN_UPS = gettext_noop("Too many attempts. Please wait 15 minutes and try again.")
TOO_MANY_CODES = gettext_noop("Too many wrong codes. Please wait 15 minutes and try again.")

# Requests to be contacted from the crisis page and API, per address: enough for a person
# to correct a number or ask again, few enough that nobody floods the coordinators' queue
# and inboxes.
CRISIS_REQUEST_LIMIT = 5
CRISIS_REQUEST_WINDOW = dt.timedelta(hours=1)


def email_digest(email: str) -> str:
    """A digest keyed with the secret key, so stored attempts do not reveal who tried."""
    return salted_hmac("carematch.accounts.throttle", normalize_email(email), algorithm="sha256").hexdigest()


def client_address(request: HttpRequest) -> str:
    """The address a request came from: what throttling, the access log and everything else use.

    Without CAREMATCH_BEHIND_TLS_PROXY this is REMOTE_ADDR and X-Forwarded-For is ignored.
    Behind the proxy, it is the X-Forwarded-For entry added by the outermost of the
    CAREMATCH_TRUSTED_PROXIES proxies, counted from the right; entries the client wrote
    itself are never used (carematch.lib.addresses explains the rule and its fallbacks).
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if settings.BEHIND_TLS_PROXY else ""
    return forwarded_address(peer=str(request.META.get("REMOTE_ADDR", "")), forwarded_for=str(forwarded),
                             trusted_proxies=settings.TRUSTED_PROXIES)


def locked_until(attempts: Iterable[dt.datetime], *, limit: int) -> dt.datetime | None:
    """The end of the lock-out that `attempts` earn: LOCKOUT after the latest attempt that
    completes `limit` attempts within WINDOW; None when no run of attempts is that dense."""
    times = sorted(attempts)
    until = None
    for i in range(limit - 1, len(times)):
        if times[i] - times[i - limit + 1] <= WINDOW:
            until = times[i] + LOCKOUT
    return until


def _locked(times: Iterable[dt.datetime], *, limit: int, now: dt.datetime) -> bool:
    until = locked_until(times, limit=limit)
    return until is not None and until > now


def log_in_refused(*, email: str, address: str, now: dt.datetime | None = None) -> bool:
    """Whether a log-in as `email` from `address` is refused now, before any password check."""
    return _failures_refused(kind=LoginAttempt.Kind.LOG_IN, email=email, address=address, now=now)


def second_factor_refused(*, email: str, address: str, now: dt.datetime | None = None) -> bool:
    """Whether a code (authenticator or recovery) for the account `email` from `address` is
    refused now, before it is checked: five wrong codes lock the account's second factor."""
    return _failures_refused(kind=LoginAttempt.Kind.SECOND_FACTOR, email=email, address=address, now=now)


def _failures_refused(*, kind: str, email: str, address: str, now: dt.datetime | None) -> bool:
    now = now or timezone.now()
    recent = LoginAttempt.objects.filter(kind=kind, succeeded=False, attempted_at__gt=now - WINDOW - LOCKOUT)
    by_account = recent.filter(email_digest=email_digest(email)).values_list("attempted_at", flat=True)
    by_address = recent.filter(address=address).values_list("attempted_at", flat=True)
    return _locked(by_account, limit=ACCOUNT_FAILURE_LIMIT, now=now) or _locked(
        by_address, limit=ADDRESS_FAILURE_LIMIT, now=now
    )


def _sign_up_times(*, address: str, now: dt.datetime) -> list[dt.datetime]:
    return list(LoginAttempt.objects.filter(
        kind=LoginAttempt.Kind.SIGN_UP, address=address, attempted_at__gt=now - WINDOW - LOCKOUT
    ).values_list("attempted_at", flat=True))


def sign_up_refused(*, address: str, now: dt.datetime | None = None) -> bool:
    """Whether a sign-up from `address` is refused now. Every sign-up the form accepts
    counts, whether or not an account was created."""
    now = now or timezone.now()
    return _locked(_sign_up_times(address=address, now=now), limit=ADDRESS_SIGN_UP_LIMIT, now=now)


def sign_up_retry_after(*, address: str, now: dt.datetime | None = None) -> int:
    """Whole seconds until a refused sign-up from `address` may be tried again (the whole
    lock-out when no lock-out is running, so that a refusal never says "at once")."""
    now = now or timezone.now()
    until = locked_until(_sign_up_times(address=address, now=now), limit=ADDRESS_SIGN_UP_LIMIT)
    left = (until - now).total_seconds() if until is not None and until > now else LOCKOUT.total_seconds()
    return max(1, math.ceil(left))


def crisis_request_retry_after(*, address: str, now: dt.datetime | None = None) -> int | None:
    """None when a request to be contacted from `address` is accepted now; otherwise the
    whole seconds until the oldest of the last CRISIS_REQUEST_LIMIT leaves the window."""
    now = now or timezone.now()
    times = LoginAttempt.objects.filter(
        kind=LoginAttempt.Kind.CRISIS_REQUEST, address=address, attempted_at__gt=now - CRISIS_REQUEST_WINDOW,
    ).values_list("attempted_at", flat=True)
    return window_retry_after(times, limit=CRISIS_REQUEST_LIMIT, window=CRISIS_REQUEST_WINDOW, now=now)


def window_retry_after(times: Iterable[dt.datetime], *, limit: int, window: dt.timedelta,
                       now: dt.datetime) -> int | None:
    """A sliding-window limit of `limit` actions per `window`: None when one more action is
    accepted now, given the times of earlier ones; otherwise the whole seconds until the
    oldest of the last `limit` leaves the window. Used by the crisis requests and by the
    messages a person may send an hour (carematch.messaging)."""
    recent = sorted(moment for moment in times if moment > now - window)
    if len(recent) < limit:
        return None
    free_at = recent[-limit] + window
    return max(1, math.ceil((free_at - now).total_seconds()))


# The public FHIR directory (/fhir/): requests per address and minute, counted in Django's cache
# (a fixed window a minute long). Reads are too frequent to be a row each in the database; with
# several server processes, configure a shared cache (CACHES) so they count together.
FHIR_WINDOW_SECONDS = 60


def fhir_request_retry_after(*, address: str, now: dt.datetime | None = None) -> int | None:
    """Counts a request to the public FHIR API from `address`: None when it is answered, else the
    whole seconds until the address's minute is over (settings.FHIR_REQUESTS_PER_MINUTE)."""
    now = now or timezone.now()
    second = int(now.timestamp())
    window = second // FHIR_WINDOW_SECONDS
    key = f"carematch:fhir-requests:{window}:{salted_hmac('carematch.fhir.throttle', address).hexdigest()}"
    cache.add(key, 0, timeout=FHIR_WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=FHIR_WINDOW_SECONDS * 2)
        count = 1
    if count <= settings.FHIR_REQUESTS_PER_MINUTE:
        return None
    return max(1, FHIR_WINDOW_SECONDS - second % FHIR_WINDOW_SECONDS)

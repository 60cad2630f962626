"""Every write to accounts and API tokens, including accounts' part of closing a client's
account and of erasing it once the retention period has ended (carematch.access.closing)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, gettext_lazy, gettext_noop

from carematch.lib.compiled import CompiledRead
from carematch.lib.errors import Conflict, DomainError, InvalidInput, NotFound, TooManyRequests
from carematch.lib.language import language_of, speaking

from . import mfa, throttle
from .models import (
    AccessEndReason,
    ApiToken,
    Client,
    LoginAttempt,
    MfaDevice,
    RecoveryCode,
    Role,
    SignUpRequest,
    User,
    normalize_email,
)

logger = logging.getLogger("carematch.accounts")

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
        raise InvalidInput(
            gettext("Enter a valid email address."), fields={"email": gettext("not a valid email address")}
        ) from None
    if role not in Role.values:
        raise InvalidInput(f"Role must be one of: {', '.join(Role.values)}.", fields={"role": gettext("unknown role")})
    if password is not None:
        candidate = User(email=email, preferred_name=preferred_name)
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), fields={"password": " ".join(exc.messages)}) from None
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise Conflict(
                    gettext("An account with this email already exists."),
                    fields={"email": gettext("already registered")},
                )
            return User.objects.create_user(email, password, role=role, preferred_name=preferred_name)
    except IntegrityError:
        raise Conflict(
            gettext("An account with this email already exists."), fields={"email": gettext("already registered")}
        ) from None


def user_preferred_name_set(*, user: User, preferred_name: str) -> User:
    """Set the name a person is greeted by (at most 80 characters, surrounding spaces dropped)."""
    name = preferred_name.strip()
    if len(name) > 80:  # the column's length
        raise InvalidInput(
            gettext("A name has at most 80 characters."), fields={"preferred_name": gettext("at most 80 characters")}
        )
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(preferred_name=name)
    user.preferred_name = name
    return user


def user_language_set(*, user: User, language: str) -> User:
    """Set the language of a person's pages and emails: one of the languages offered."""
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput(gettext("This language is not offered."), fields={"language": gettext("not offered")})
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return user


# --- Sign-up by confirmed email ------------------------------------------------------------
# The answer to a sign-up never tells whether the address has an account: both get the same
# page, and the email decides. A new address gets a link that creates the account; an
# address with an account gets a note offering log-in and password reset.

SIGN_UP_LINK_VALID_FOR = timedelta(hours=24)
LINK_NO_LONGER_WORKS = gettext_noop(
    "This link no longer works: it has been used already or is more than 24 hours old. Sign up again to get a new one."
)


def sign_up_request(
    *,
    email: str,
    password: str,
    preferred_name: str = "",
    client_details: dict[str, Any] | None = None,
    next_url: str = "",
    carry: dict[str, Any] | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    language: str = "",
) -> None:
    """Check what was typed (every problem at once), then send the email that fits: a link
    to confirm the address and create the account, or, when the address already has an
    account, a note saying someone tried to sign up with it. Nothing in the return value or
    the errors depends on whether the account exists.

    `carry` holds session entries (such as the secret that owns a held opening) to put back
    into the session of whichever browser follows the link, so the journey continues there
    too. It waits encrypted with the details.

    `language` is the language of the page the person signed up on (the current one when not
    given): the email is written in it and the account keeps it."""
    now = now or timezone.now()
    language = language_of(language or get_language())
    problems: dict[str, str] = {}
    details: dict[str, Any] = {}
    if client_details is not None:
        try:
            details = _clean_client_details(**client_details, today=today or timezone.localdate())
        except InvalidInput as exc:
            problems.update(exc.fields)
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        problems["email"] = "not a valid email address"
    try:
        validate_password(password, user=User(email=email, preferred_name=preferred_name))
    except ValidationError as exc:
        problems["password"] = " ".join(exc.messages)
    if problems:
        if set(problems) == {"password"}:
            raise InvalidInput(problems["password"], fields=problems)
        if set(problems) == {"email"}:
            raise InvalidInput(gettext("Enter a valid email address."), fields=problems)
        raise InvalidInput(
            gettext("Some fields are missing or invalid: %(fields)s.") % {"fields": ", ".join(sorted(problems))},
            fields=problems,
        )
    # Hash in both cases, so the answer takes as long whether or not the account exists.
    password_hash = make_password(password)
    existing = User.objects.filter(email__iexact=email).exists()
    if existing:
        _send("sign_up_existing", to=email, context={}, language=language)
        return
    raw = secrets.token_urlsafe(32)
    if details:
        details = details | {"date_of_birth": details["date_of_birth"].isoformat()}
    if carry:
        details = details | {_CARRY: carry}
    details = details | {_LANGUAGE: language}
    with transaction.atomic():
        SignUpRequest.objects.filter(expires_at__lt=now - SIGN_UP_LINK_VALID_FOR).delete()
        SignUpRequest.objects.create(
            email=email,
            token_digest=token_digest(raw),
            password_hash=password_hash,
            preferred_name=preferred_name,
            details=json.dumps(details) if details else "",
            next_url=next_url[:500],
            created_at=now,
            expires_at=now + SIGN_UP_LINK_VALID_FOR,
        )
    _send(
        "sign_up_confirm", to=email, context={"path": reverse("accounts:signup_confirm", args=[raw])}, language=language
    )


def sign_up_start(
    *,
    email: str,
    password: str,
    address: str,
    preferred_name: str = "",
    client_details: dict[str, Any] | None = None,
    next_url: str = "",
    carry: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
    language: str = "",
) -> None:
    """A sign-up from either front door (the sign-up page, or signing up while booking or
    joining the waitlist): refused with TooManyRequests when `address` has made too many
    (accounts.throttle), otherwise `sign_up_request`, and the attempt noted for the throttle
    whether it succeeded or was refused for what was typed. A refusal for too many is not
    noted: it would lengthen the lock-out it answers."""
    if throttle.sign_up_refused(address=address, now=now):
        raise TooManyRequests(
            gettext(throttle.TOO_MANY_SIGN_UPS),
            code="too_many_sign_ups",
            retry_after=throttle.sign_up_retry_after(address=address, now=now),
        )
    try:
        sign_up_request(
            email=email,
            password=password,
            preferred_name=preferred_name,
            client_details=client_details,
            next_url=next_url,
            carry=carry,
            now=now,
            language=language,
        )
    except DomainError:
        login_attempt_record(kind=LoginAttempt.Kind.SIGN_UP, email=email, address=address, succeeded=False, now=now)
        raise
    login_attempt_record(kind=LoginAttempt.Kind.SIGN_UP, email=email, address=address, succeeded=True, now=now)


_CARRY = "_carry"  # the key under which session entries wait with a sign-up's details
_LANGUAGE = "_language"  # the language of the page the person signed up on


def sign_up_request_find(*, raw_token: str, now: dt.datetime | None = None) -> SignUpRequest | None:
    """The unused, unexpired sign-up request of an emailed link, or None."""
    now = now or timezone.now()
    if len(raw_token) > 100:
        return None
    return SignUpRequest.objects.filter(
        token_digest=token_digest(raw_token), used_at__isnull=True, expires_at__gt=now
    ).first()


def sign_up_confirm(*, raw_token: str, now: dt.datetime | None = None) -> tuple[User, str, dict[str, Any]]:
    """Create the account of a confirmed sign-up (and the client record, when details were
    given) and use the link up. Returns the account, where the person was going and the
    session entries to carry into this browser's session."""
    now = now or timezone.now()
    with transaction.atomic():
        found = sign_up_request_find(raw_token=raw_token, now=now)
        claimed = (
            found is not None
            and SignUpRequest.objects.filter(pk=found.pk, used_at__isnull=True).update(used_at=now) == 1
        )
        if found is None or not claimed:
            raise InvalidInput(gettext(LINK_NO_LONGER_WORKS), fields={"token": gettext("used or expired")})
        if User.objects.filter(email__iexact=found.email).exists():
            raise Conflict(
                gettext("An account already uses this email address. Log in, or reset your password if you forgot it."),
                fields={"email": gettext("already registered")},
            )
        details = json.loads(found.details) if found.details else {}
        carry = details.pop(_CARRY, None) or {}
        language = language_of(details.pop(_LANGUAGE, None))
        user = User.objects.create_user(
            found.email, None, role=Role.CLIENT, preferred_name=found.preferred_name, language=language
        )
        user.password = found.password_hash
        user.save(update_fields=["password"])
        if details:
            details["date_of_birth"] = dt.date.fromisoformat(details["date_of_birth"])
            Client.objects.create(user=user, **details)
        # The pending details and password hash are not needed any more.
        SignUpRequest.objects.filter(pk=found.pk).update(password_hash="", details="")
        return user, found.next_url, carry


def _send(template: str, *, to: str, context: dict[str, Any], language: str | User) -> None:
    """An email in its reader's language (an account's, or the page's they signed up on)."""
    context = context | {"site_url": settings.SITE_URL}
    with speaking(language):
        subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"accounts/email/{template}.txt", context)
    send_mail(subject, body, None, [to])


def password_check(*, user: User, password: str, address: str, now: dt.datetime | None = None) -> bool:
    """Whether `password` is the person's own, asked again before something that cannot be
    undone (closing their account). A wrong one is noted as a failed log-in, so guessing here
    is throttled like guessing at the log-in page."""
    if password and user.check_password(password):
        return True
    login_attempt_record(kind=LoginAttempt.Kind.LOG_IN, email=user.email, address=address, succeeded=False, now=now)
    return False


def login_attempt_record(
    *, kind: str, email: str, address: str, succeeded: bool, now: dt.datetime | None = None
) -> LoginAttempt:
    """Note an attempt for throttling. A successful log-in clears that account's failures;
    attempts older than a day are dropped."""
    now = now or timezone.now()
    digest = throttle.email_digest(email)
    with transaction.atomic():
        LoginAttempt.objects.filter(attempted_at__lt=now - throttle.KEPT_FOR).delete()
        if succeeded and kind in (LoginAttempt.Kind.LOG_IN, LoginAttempt.Kind.SECOND_FACTOR):
            LoginAttempt.objects.filter(kind=kind, email_digest=digest, succeeded=False).delete()
        return LoginAttempt.objects.create(
            kind=kind, email_digest=digest, address=address, attempted_at=now, succeeded=succeeded
        )


# --- The second factor ---------------------------------------------------------------------

WRONG_CODE = gettext_noop("That code did not work. Enter the newest code your authenticator app shows for carematch.")
WRONG_CODE_OR_RECOVERY = gettext_noop(
    "That code did not work. Enter the newest code your authenticator app shows for carematch, "
    "or one of your unused recovery codes."
)


def mfa_device_of(user: User) -> MfaDevice | None:
    """The person's confirmed authenticator app, or None."""
    return MfaDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def mfa_device_start(*, user: User) -> MfaDevice:
    """The authenticator app being set up: a new secret, or the one already shown (so a QR
    code scanned a moment ago stays good). Refused while a confirmed app exists."""
    with transaction.atomic():
        device = MfaDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.is_confirmed:
            raise Conflict(
                gettext("An authenticator app is already set up for this account."),
                fields={"code": gettext("already set up")},
            )
        if device is None:
            device = MfaDevice.objects.create(user=user, secret=mfa.secret_new())
        return device


def _second_factor_refused(*, user: User, address: str, now: dt.datetime) -> None:
    from .throttle import TOO_MANY_CODES, second_factor_refused

    if second_factor_refused(email=user.email, address=address, now=now):
        raise InvalidInput(gettext(TOO_MANY_CODES), fields={"code": gettext("too many attempts")}, code="throttled")


def _note_code(*, user: User, address: str, succeeded: bool, now: dt.datetime) -> None:
    login_attempt_record(
        kind=LoginAttempt.Kind.SECOND_FACTOR, email=user.email, address=address, succeeded=succeeded, now=now
    )


def _use_totp(*, device: MfaDevice, code: str, now: dt.datetime) -> bool:
    """Accept `code` for `device` once: the step is claimed by a conditional update, so two
    requests racing with the same code cannot both succeed."""
    step = mfa.matching_step(secret=device.secret, code=code, now=now, after_step=device.last_used_step)
    if step is None:
        return False
    unused = Q(last_used_step__isnull=True) | Q(last_used_step__lt=step)
    claimed = MfaDevice.objects.filter(unused, pk=device.pk).update(last_used_step=step)
    device.last_used_step = step
    return claimed == 1


def _use_recovery_code(*, user: User, code: str, now: dt.datetime) -> bool:
    digest = mfa.recovery_code_digest(code)
    return RecoveryCode.objects.filter(user=user, digest=digest, used_at__isnull=True).update(used_at=now) == 1


def mfa_code_check(
    *, user: User, code: str, address: str, allow_recovery: bool = True, now: dt.datetime | None = None
) -> str:
    """Check a code from the person's confirmed app (or, when allowed, an unused recovery
    code) and use it up. Returns "totp" or "recovery"; raises InvalidInput with one
    message for any wrong code, and a throttled one after too many wrong codes."""
    now = now or timezone.now()
    _second_factor_refused(user=user, address=address, now=now)
    device = mfa_device_of(user)
    used = ""
    if device is not None:
        if mfa.looks_like_totp(code):
            used = "totp" if _use_totp(device=device, code=code, now=now) else ""
        elif allow_recovery and _use_recovery_code(user=user, code=code, now=now):
            used = "recovery"
    _note_code(user=user, address=address, succeeded=bool(used), now=now)
    if not used:
        message = gettext(WRONG_CODE_OR_RECOVERY if allow_recovery else WRONG_CODE)
        raise InvalidInput(message, fields={"code": gettext("wrong code")})
    return used


def _recovery_codes_issue(*, user: User, now: dt.datetime) -> list[str]:
    codes = [mfa.recovery_code_new() for _ in range(mfa.RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=mfa.recovery_code_digest(code), created_at=now) for code in codes
    )
    return codes


def mfa_device_confirm(*, user: User, code: str, address: str, now: dt.datetime | None = None) -> list[str]:
    """Confirm the app being set up with a code from it. Returns the new recovery codes,
    to be shown once: only their digests are kept."""
    now = now or timezone.now()
    _second_factor_refused(user=user, address=address, now=now)
    with transaction.atomic():
        device = MfaDevice.objects.select_for_update().filter(user=user).first()
        if device is None or device.is_confirmed:
            raise Conflict(
                gettext("There is no authenticator app being set up. Start again."),
                fields={"code": gettext("not started")},
            )
        accepted = _use_totp(device=device, code=code, now=now)
        if accepted:
            MfaDevice.objects.filter(pk=device.pk).update(confirmed_at=now)
            codes = _recovery_codes_issue(user=user, now=now)
    _note_code(user=user, address=address, succeeded=accepted, now=now)
    if not accepted:
        raise InvalidInput(gettext(WRONG_CODE), fields={"code": gettext("wrong code")})
    _security_notice(user, gettext_lazy("An authenticator app was set up for your account."))
    return codes


def _security_notice(user: User, what: str | Promise) -> None:
    """Tell the person by email whenever their second factor changes, so a change they did
    not make (someone who knows their password enrolling their own app) does not go unseen."""
    _send("security_notice", to=user.email, context={"what": what}, language=user)


def mfa_device_remove(*, user: User, code: str, address: str, now: dt.datetime | None = None) -> None:
    """Turn the second factor off (or start replacing the app), proven with a current code
    or a recovery code. Roles that require it are asked to set up an app again at once."""
    mfa_code_check(user=user, code=code, address=address, now=now)
    with transaction.atomic():
        MfaDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
    _security_notice(user, gettext_lazy("The authenticator app of your account was removed."))


def recovery_codes_regenerate(*, user: User, code: str, address: str, now: dt.datetime | None = None) -> list[str]:
    """New recovery codes for old ones, proven with a current code from the app."""
    now = now or timezone.now()
    mfa_code_check(user=user, code=code, address=address, allow_recovery=False, now=now)
    with transaction.atomic():
        codes = _recovery_codes_issue(user=user, now=now)
    _security_notice(user, gettext_lazy("New recovery codes were made for your account; the old ones no longer work."))
    return codes


def recovery_codes_left(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def user_sessions_end(*, user: User) -> None:
    """End every session of `user`, on every device. Only this: to end everything that acts
    for the person (API tokens and the calendar address too), use `user_access_end`."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


# --- Ending everything that acts for a person -------------------------------------------------
# A password reset or change means the old password may be known to someone else; "log out
# everywhere" means the person fears a device they no longer hold. Either way, whatever
# someone could have taken away with the old password (a session, an API token, the private
# calendar address) must stop working at once. Every such path calls `user_access_end`.


@dataclass(frozen=True)
class AccessEnded:
    reason: str
    at: dt.datetime
    api_tokens: int  # how many live tokens were revoked
    calendar_address: bool  # whether a live calendar address was turned off


def user_access_end(*, user: User, reason: str, now: dt.datetime | None = None) -> AccessEnded:
    """End every session of `user`, revoke every API token of theirs and turn off their
    private calendar address, all in one transaction, then tell them by email (once the
    transaction is committed) what ended, when, and what to do if it was not them.
    `reason` is an AccessEndReason value."""
    if reason not in AccessEndReason.values:
        raise ValueError(f"reason must be one of {', '.join(AccessEndReason.values)}")
    now = now or timezone.now()
    with transaction.atomic():
        tokens, feeds_off = _access_revoke(user=user, feed_reason=reason, now=now)
        ended = AccessEnded(reason=reason, at=now, api_tokens=tokens, calendar_address=feeds_off > 0)
        transaction.on_commit(lambda: _access_ended_notice(user, ended))
    logger.info(
        "all access of user %s ended (%s): every session, %s API token(s), %s calendar address(es)",
        user.pk,
        reason,
        tokens,
        feeds_off,
    )
    return ended


def _access_revoke(*, user: User, feed_reason: str, now: dt.datetime) -> tuple[int, int]:
    """Revoke every live API token of `user`, turn off their calendar address (noting
    `feed_reason`, a scheduling FeedRevoked value) and end every session of theirs, inside the
    caller's transaction. Telling the person is the caller's part. How many tokens and
    addresses were ended."""
    from carematch.scheduling import services as scheduling  # scheduling's services import these

    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    feeds_off = scheduling.calendar_feed_revoke(user=user, now=now, reason=feed_reason)
    user_sessions_end(user=user)
    return tokens, feeds_off


def user_password_set(*, user: User, password: str | None, reason: str, now: dt.datetime | None = None) -> User:
    """Give `user` a new password (None: no usable password, as the admin may choose) and end
    all their access (`user_access_end`), in one transaction. The password rules were checked
    by the form that asked for it. Password reset and password change both come here."""
    with transaction.atomic():
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password"])
        user_access_end(user=user, reason=reason, now=now)
    return user


def _zone_of(user: User) -> str:
    """The zone the person's times are shown in: their client or provider record's, else UTC."""
    client = Client.objects.filter(user=user).only("timezone").first()
    if client is not None:
        return client.timezone
    provider = getattr(user, "provider", None) if user.role == Role.PROVIDER else None
    return str(getattr(provider, "timezone", "") or "UTC")


def _access_ended_notice(user: User, ended: AccessEnded) -> None:
    from carematch.lib.timezones import in_zone, moment_label

    _send(
        "access_ended",
        language=user,
        to=user.email,
        context={
            "reason": ended.reason,
            "why": AccessEndReason(ended.reason).label,
            "when": moment_label(in_zone(ended.at, _zone_of(user))),
            "api_tokens": ended.api_tokens,
            "calendar_address": ended.calendar_address,
        },
    )


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
        logger.info("API token %s of user %s revoked", token.pk, token.user_id)
    return token


NO_SUCH_TOKEN = gettext_noop("You have no API token with this id that still works.")


def api_token_revoke_own(*, user: User, token_id: int, now: dt.datetime | None = None) -> ApiToken:
    """Revoke one of the person's own live tokens (the one in use included). Any other id (a
    token of someone else, one already revoked, none at all) is NotFound, alike."""
    now = now or timezone.now()
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(revoked_at=now)
        if revoked != 1:
            raise NotFound(gettext(NO_SUCH_TOKEN))
    logger.info("API token %s of user %s revoked by its owner", token_id, user.pk)
    return ApiToken.objects.get(pk=token_id)


def api_tokens_revoke_for_user(*, user: User, now: dt.datetime | None = None) -> int:
    """Revoke every live token of `user`; how many were revoked."""
    count = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now or timezone.now())
    logger.info("%s API token(s) of user %s revoked", count, user.pk)
    return count


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
            raise Conflict(f"{user.email} is deactivated.", fields={"email": gettext("account deactivated")})
        return api_token_issue(user=user, name=name)


# Read on every API request: its SQL is built once (carematch.lib.compiled).
_LIVE_TOKEN = CompiledRead(
    lambda digest: ApiToken.objects.select_related("user", "user__client")
    .filter(digest=digest, revoked_at__isnull=True, user__is_active=True).order_by()[:1],
    digest="compiled-read:digest",
)


def api_token_authenticate(*, raw: str) -> User | None:
    """The active user a live token belongs to, or None, in one query by the digest's unique
    index (with the user's client record, which most API calls read next). Notes when the
    token was last used, at most once a minute (_LAST_USED_RESOLUTION), so that a request
    writes nothing only to say it came."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 128:
        return None
    token = _LIVE_TOKEN.first(digest=token_digest(raw))
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def _clean_client_details(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    state: str,
    zip: str,
    timezone_name: str,
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
        problems["timezone"] = gettext("'%(zone)s' is not an IANA time zone (e.g. America/New_York)") % {
            "zone": timezone_name
        }
    if problems:
        raise InvalidInput(
            gettext("Some fields are missing or invalid: %(fields)s.") % {"fields": ", ".join(sorted(problems))},
            fields=problems,
        )
    return {
        "first_name": first_name,
        "last_name": last_name,
        "date_of_birth": date_of_birth,
        "state": state,
        "zip": zip,
        "timezone": timezone_name,
    }


def client_create(
    *,
    email: str,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    state: str,
    zip: str = "",
    timezone_name: str,
    today: dt.date | None = None,
) -> Client:
    """Create a client and their account (role client). An existing client account without
    client details gets them; any other existing account with that email is a conflict."""
    details = _clean_client_details(
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        state=state,
        zip=zip,
        timezone_name=timezone_name,
        today=today or timezone.localdate(),
    )
    with transaction.atomic():
        user = User.objects.filter(email__iexact=normalize_email(email)).first()
        if user is None:
            user = user_create(email=email, role=Role.CLIENT)
        elif user.role != Role.CLIENT or Client.objects.filter(user=user).exists():
            raise Conflict(
                gettext("An account with this email already exists."), fields={"email": gettext("already registered")}
            )
        return Client.objects.create(user=user, **details)


def client_details_set(
    *,
    user: User,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    state: str,
    zip: str = "",
    timezone_name: str,
    today: dt.date | None = None,
) -> Client:
    """Give a signed-up client account its client details (or update them)."""
    if user.role != Role.CLIENT:
        raise InvalidInput(
            gettext("Only client accounts have client details."), fields={"role": gettext("not a client")}
        )
    details = _clean_client_details(
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        state=state,
        zip=zip,
        timezone_name=timezone_name,
        today=today or timezone.localdate(),
    )
    with transaction.atomic():
        client, _ = Client.objects.update_or_create(user=user, defaults=details)
        return client


# --- A client closing their account, and erasing it once the retention period ends ---------------
# carematch.access.closing runs both; these are accounts' parts.

CLOSED_EMAIL_DOMAIN = "closed.carematch.invalid"


def closed_email(user: User) -> str:
    """A unique address that can never receive mail (RFC 2606 reserves `.invalid`)."""
    return f"closed-{user.pk}-{secrets.token_hex(6)}@{CLOSED_EMAIL_DOMAIN}"


def client_account_lock(*, user: User) -> tuple[User, Client | None]:
    """The login and client record of `user`, locked until the caller's transaction ends (so
    that two closings of one account cannot both run)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    return locked, Client.objects.select_for_update().filter(user=locked).first()


def user_close(*, user: User, now: dt.datetime | None = None) -> None:
    """Close a client's login for good: every API token, the calendar address (turned off) and
    every session end as in `user_access_end`, but nobody is emailed (the address is being
    removed); the authenticator app and recovery codes are removed; the login becomes unusable
    (inactive, no usable password) and its address is replaced by one under `.invalid`, so the
    person may sign up again with theirs; their preferred name is cleared."""
    from carematch.scheduling.models import FeedRevoked

    now = now or timezone.now()
    with transaction.atomic():
        tokens, feeds_off = _access_revoke(user=user, feed_reason=FeedRevoked.TURNED_OFF, now=now)
        MfaDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        user.is_active = False
        user.set_unusable_password()
        user.email = closed_email(user)
        user.preferred_name = ""
        user.save(update_fields=["is_active", "password", "email", "preferred_name"])
    logger.info(
        "login of user %s closed: every session, %s API token(s), %s calendar address(es) ended",
        user.pk,
        tokens,
        feeds_off,
    )


def client_close(*, client: Client, now: dt.datetime | None = None) -> Client:
    """Mark the client record closed (its retention period starts) and clear their ZIP code.
    The name, date of birth, state and time zone are kept with the legal record."""
    client.zip = ""
    client.closed_at = now or timezone.now()
    with transaction.atomic():
        client.save(update_fields=["zip", "closed_at"])
    return client


def client_lock(*, client_id: int) -> Client:
    """The client record, locked until the caller's transaction ends."""
    return Client.objects.select_for_update().get(pk=client_id)


def account_purge_for_client(*, client_id: int) -> Counter[str]:
    """Erase the client record and its login (the retention period of the closed account has
    ended), with the rows that go with the login (tokens, calendar addresses, second factor).
    Every other app's rows that protect the client must have been erased first. Rows erased,
    by model label."""
    deleted: Counter[str] = Counter()
    with transaction.atomic():
        user_id = Client.objects.filter(pk=client_id).values_list("user_id", flat=True).get()
        for rows in (Client.objects.filter(pk=client_id), User.objects.filter(pk=user_id)):
            deleted.update({label: n for label, n in rows.delete()[1].items() if n})
    return deleted

"""Closing a client's account, and erasing closed accounts and removed entries once the
retention period has passed.

Closing (`account_close`, used by the page and the API alike) happens in one transaction:

- future sessions are cancelled and holds released through the scheduling services, so the
  provider is told by the usual cancellation email (the client, whose address is gone, is not);
- waitlist entries are removed (they hold what the person asked for, and are no part of the
  care record);
- API tokens, calendar addresses and open questionnaire links stop working, and every-2-weeks
  questionnaires stop;
- every session of the person ends, their authenticator app and recovery codes are removed;
- the login becomes unusable (inactive, no usable password) and the email address is replaced
  by a unique address under `.invalid` that can never receive mail, so the person may sign
  up again with their address;
- their preferred name and their ZIP code are cleared, and so are the contact details they gave
  when asking a coordinator to call them back, once that request is closed (a request still
  open keeps them until a coordinator closes it: closing an account does not take back a
  request to be called by someone in danger);
- `Client.closed_at` is set, and the closing is written to the access log.

Kept until the retention period ends (`closed_at` + RECORD_RETENTION_DAYS, seven years by
default, as health records must be kept): the name and date of birth (needed to identify a
legal record), the state (which licence the sessions were held under) and time zone,
appointments, questionnaires and scores, alerts, session ratings, goals, the plan and its
check-ins, provider notes, care requests, and crisis requests (without contact details) with
their contact attempts. The access log is
never erased: it holds no content, only who looked at what and when.

`purge_expired` then erases each client whose retention has ended, with every record of
theirs, all or nothing per client; and rows of any model with a `deleted_at` older than the
retention period.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models.deletion import ProtectedError
from django.http import HttpRequest
from django.utils import timezone

from carematch.accounts.models import Client, Role, User
from carematch.lib.errors import Conflict, Forbidden, InvalidInput

logger = logging.getLogger("carematch.access.closing")

CONFIRMATION_PHRASE = "close my account"
CLOSED_EMAIL_DOMAIN = "closed.carematch.invalid"
DEFAULT_RETENTION_DAYS = 2557  # seven years


def retention_period() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "RECORD_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))


def kept_until(closed_at: dt.datetime) -> dt.datetime:
    """When a record closed (or removed) at `closed_at` may be erased."""
    return closed_at + retention_period()


def closed_email(user: User) -> str:
    """A unique address that can never receive mail (RFC 2606 reserves `.invalid`)."""
    return f"closed-{user.pk}-{secrets.token_hex(6)}@{CLOSED_EMAIL_DOMAIN}"


# --- Closing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Closed:
    closed_at: dt.datetime
    kept_until: dt.datetime
    cancelled_appointments: int
    released_holds: int


def _check_identity(*, user: User, password: str, code: str, confirmation: str, address: str,
                    now: dt.datetime) -> None:
    """The person proves it is them (password, and a code when they use an authenticator app)
    and types the confirmation. Checked before the closing transaction, so that wrong
    passwords and codes are remembered for throttling even though nothing else is written."""
    from carematch.accounts import services, throttle
    from carematch.accounts.models import LoginAttempt

    if throttle.log_in_refused(email=user.email, address=address, now=now):
        raise InvalidInput(throttle.TOO_MANY_LOG_INS, fields={"password": "too many attempts"}, code="throttled")
    problems: dict[str, str] = {}
    if " ".join(str(confirmation or "").lower().split()) != CONFIRMATION_PHRASE:
        problems["confirmation"] = f'type "{CONFIRMATION_PHRASE}" to confirm'
    if not password or not user.check_password(password):
        services.login_attempt_record(kind=LoginAttempt.Kind.LOG_IN, email=user.email, address=address,
                                      succeeded=False, now=now)
        problems["password"] = "that is not your password"  # noqa: S105 - a message, not a password
    if problems:
        raise InvalidInput(_sentence(problems), fields=problems)
    if services.mfa_device_of(user) is not None:
        if not str(code or "").strip():
            raise InvalidInput("Enter a code from your authenticator app, or a recovery code.",
                               fields={"code": "a code from your authenticator app is required"})
        services.mfa_code_check(user=user, code=str(code), address=address, now=now)


def _sentence(problems: dict[str, str]) -> str:
    text = "; ".join(problems.values())
    return text[:1].upper() + text[1:] + "."


def account_close(
    *, user: Any, password: str, confirmation: str, code: str = "", request: HttpRequest | None = None,
    address: str = "", now: dt.datetime | None = None,
) -> Closed:
    """Close the client account of `user` (see the module's description). Refused for other
    roles, for an account already closed, and without the password, the authenticator code
    (when the person set one up) and the typed confirmation."""
    from carematch.accounts import throttle

    now = now or timezone.now()
    if not isinstance(user, User) or user.role != Role.CLIENT:
        raise Forbidden("Only clients can close their account here. Staff and provider accounts are closed by an "
                        "administrator.")
    client = Client.objects.filter(user=user).first()
    if (client is not None and client.closed_at is not None) or not user.is_active:
        raise Conflict("This account is already closed.", fields={"account": "already closed"})
    if request is not None and not address:
        address = throttle.client_address(request)
    _check_identity(user=user, password=password, code=code, confirmation=confirmation, address=address, now=now)
    from carematch.access import audit

    # Recorded in the access log with its result, in the same transaction as the closing.
    with audit.write(request, action="delete", resource_type="client_account",
                     resource_id=client.pk if client is not None else f"user:{user.pk}", client=client, actor=user):
        locked = User.objects.select_for_update().get(pk=user.pk)
        client = Client.objects.select_for_update().filter(user=locked).first()
        if not locked.is_active or (client is not None and client.closed_at is not None):
            raise Conflict("This account is already closed.", fields={"account": "already closed"})
        cancelled = released = 0
        if client is not None:
            cancelled, released = _end_care_links(client=client, user=locked, now=now)
        _end_access(user=locked, now=now)
        if client is not None:
            client.zip = ""
            client.closed_at = now
            client.save(update_fields=["zip", "closed_at"])
    logger.info("client account of user %s closed", user.pk)
    return Closed(closed_at=now, kept_until=kept_until(now), cancelled_appointments=cancelled,
                  released_holds=released)


def _end_care_links(*, client: Client, user: User, now: dt.datetime) -> tuple[int, int]:
    from carematch.matching.models import WaitlistEntry
    from carematch.measures.models import FortnightlyPlan, QuestionnaireRequest
    from carematch.scheduling import services as scheduling
    from carematch.scheduling.models import Appointment, CareRequest, Status

    cancelled = 0
    for appointment in Appointment.objects.filter(client=client, status=Status.BOOKED, start__gt=now).order_by(
        "start"
    ):
        # Closing an account is never held against the person as a late cancellation.
        scheduling.appointment_cancel(appointment=appointment, by=user, now=now, may_count_late=False)
        cancelled += 1
    # Holds are released (or lapse), never cancelled: a hold never makes anyone their provider.
    released = scheduling.holds_release(client=client, by=user, now=now)
    WaitlistEntry.objects.filter(client=client).delete()
    QuestionnaireRequest.objects.filter(client=client, completed_at__isnull=True, withdrawn_at__isnull=True).update(
        withdrawn_at=now
    )
    FortnightlyPlan.objects.filter(client=client).update(next_due_at=None)
    # Contact details given when asking to be called back: erased now from closed requests; an
    # open one keeps them until a coordinator has closed it (see crisis_contacts_erase).
    scheduling.crisis_contacts_erase(client=client, now=now)
    CareRequest.objects.filter(client=client, closed_at__isnull=True, first_appointment__isnull=True).update(
        closed_at=now
    )
    return cancelled, released


def _end_access(*, user: User, now: dt.datetime) -> None:
    from carematch.accounts import services
    from carematch.accounts.models import MfaDevice, RecoveryCode
    from carematch.scheduling.feeds import calendar_feed_revoke

    services.api_tokens_revoke_for_user(user=user)
    calendar_feed_revoke(user=user, now=now)
    MfaDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    services.user_sessions_end(user=user)
    user.is_active = False
    user.set_unusable_password()
    user.email = closed_email(user)
    user.preferred_name = ""
    user.save(update_fields=["is_active", "password", "email", "preferred_name"])


# --- Erasing what the retention period no longer requires ---------------------------------------


@dataclass
class PurgeReport:
    clients: int = 0
    deleted: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    failed: list[int] = field(default_factory=list)


class _DryRun(Exception):
    """Raised to roll back a dry run once everything has been counted."""


def purge_expired(*, now: dt.datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Erase clients whose retention ended (closed_at + retention before `now`) with every
    record of theirs, and rows removed (`deleted_at`) before `now` - retention. With
    `dry_run`, count exactly what would be erased and erase nothing. Running it again erases
    nothing more."""
    now = now or timezone.now()
    cutoff = now - retention_period()
    report = PurgeReport()
    try:
        with transaction.atomic():
            for client in Client.objects.filter(closed_at__isnull=False, closed_at__lt=cutoff).order_by("pk"):
                try:
                    counts = _purge_client(client=client, now=now)
                except Exception:  # this client is kept whole; the others go on
                    logger.exception("could not erase the record of client %s; it is kept whole", client.pk)
                    report.failed.append(client.pk)
                    continue
                report.clients += 1
                report.deleted.update(counts)
            _purge_removed(cutoff=cutoff, report=report)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def _delete_order() -> list[tuple[type[models.Model], str]]:
    """The client's models in an order that deletes a row before any row it protects (a
    PROTECT or RESTRICT foreign key): referring rows first. The access log is never erased."""
    from carematch.access.export import client_models

    found = {
        model: lookup for model, lookup in client_models().items()
        if model._meta.managed and model._meta.label_lower != "access.accessevent"
    }
    referrers: dict[type[models.Model], set[type[models.Model]]] = {model: set() for model in found}
    for model in found:
        for fk in model._meta.concrete_fields:
            target = fk.related_model if fk.is_relation else None
            on_delete = getattr(fk.remote_field, "on_delete", None)
            protects = fk.is_relation and on_delete in (models.PROTECT, models.RESTRICT)
            if protects and isinstance(target, type) and target in found and target is not model:
                referrers[target].add(model)
    order: list[type[models.Model]] = []
    remaining = set(found)
    while remaining:
        ready = sorted((m for m in remaining if not (referrers[m] & remaining)), key=lambda m: m._meta.label_lower)
        if not ready:
            raise RuntimeError("protecting foreign keys between client records form a cycle")
        order.extend(ready)
        remaining.difference_update(ready)
    return [(model, found[model]) for model in order]


def _purge_client(*, client: Client, now: dt.datetime) -> Counter[str]:
    """Erase one client and every record of theirs, in one savepoint: all or nothing."""
    from carematch.access import audit

    counts: Counter[str] = Counter()
    # Recorded with its result: erased, or rejected (and kept whole) when something failed.
    with audit.write(None, action="delete", resource_type="client_record", resource_id=client.pk, client=client.pk):
        client = Client.objects.select_for_update().get(pk=client.pk)
        for model, lookup in _delete_order():
            _unlink_cycles(model=model, client=client, lookup=lookup)
            _, by_model = model._base_manager.filter(**{lookup: client.pk}).delete()
            counts.update({label: n for label, n in by_model.items() if n})
        user = client.user
        _, by_model = Client.objects.filter(pk=client.pk).delete()
        counts.update({label: n for label, n in by_model.items() if n})
        _, by_model = User.objects.filter(pk=user.pk).delete()
        counts.update({label: n for label, n in by_model.items() if n})
    logger.info("erased the record of client %s after its retention period", client.pk)
    return counts


def _unlink_cycles(*, model: type[models.Model], client: Client, lookup: str) -> None:
    """Appointments and care requests point at each other (both nullable): clear the care
    request's link first so either can go."""
    if model._meta.label_lower == "scheduling.appointment":
        from carematch.scheduling.models import CareRequest

        CareRequest.objects.filter(first_appointment__client_id=client.pk).update(first_appointment=None)


def _purge_removed(*, cutoff: dt.datetime, report: PurgeReport) -> None:
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        if not any(f.name == "deleted_at" for f in model._meta.concrete_fields):
            continue
        expired = model._base_manager.filter(deleted_at__isnull=False, deleted_at__lt=cutoff)
        try:
            with transaction.atomic():
                _, by_model = expired.delete()
            report.deleted.update({label: n for label, n in by_model.items() if n})
        except ProtectedError:
            # Something still kept refers to some of these rows: erase the others, one by one.
            for pk in list(expired.values_list("pk", flat=True)):
                try:
                    with transaction.atomic():
                        _, by_model = model._base_manager.filter(pk=pk).delete()
                    report.deleted.update({label: n for label, n in by_model.items() if n})
                except ProtectedError:
                    report.skipped[model._meta.label] += 1

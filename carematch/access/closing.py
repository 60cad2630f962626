"""Closing a client's account, and erasing closed accounts and removed entries once the
retention period has passed.

Closing (`account_close`, used by the page and the API alike) happens in one transaction:

- future sessions are cancelled and holds released through the scheduling services, so the
  provider is told by the usual cancellation email (the client, whose address is gone, is not);
- waitlist entries are removed (they hold what the person asked for, and are no part of the
  care record);
- API tokens, calendar addresses and open questionnaire links stop working, and every-2-weeks
  questionnaires stop;
- conversations with providers and the care team close: read-only for everyone, kept with the record;
- journal entries the client shared with a provider become private again;
- a newsletter subscription of their address ends (they may sign up again);
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
check-ins, provider notes, the journal, conversations and their messages, care requests, crisis requests
(without contact details) with their contact attempts, and eligibility checks (figures and
sentences; the insurance coverage itself, member id and subscriber, is erased at closing).
The access log is never erased: it holds no content, only who looked at what and when.

`purge_expired` then erases each client whose retention has ended, with every record of
theirs, all or nothing per client; and removed entries (a `deleted_at`) older than the
retention period.

Each app writes its own tables: this module decides what closing and erasing mean and in
which order, and asks each app's services for its part (`client_purges()` lists who erases
what, in the order the foreign keys need). It imports no other app's models.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from carematch.access import audit
from carematch.accounts import selectors as accounts_selectors
from carematch.accounts import services as accounts
from carematch.accounts import throttle
from carematch.care import services as care
from carematch.coverage import services as coverage
from carematch.lib.errors import Conflict, Forbidden, InvalidInput
from carematch.matching import services as matching
from carematch.measures import services as measures
from carematch.messaging import services as messaging
from carematch.newsletter import services as newsletter
from carematch.scheduling import services as scheduling

if TYPE_CHECKING:  # annotations only
    from carematch.accounts.models import Client, User

logger = logging.getLogger("carematch.access.closing")

CONFIRMATION_PHRASE = "close my account"
DEFAULT_RETENTION_DAYS = 2557  # seven years


def retention_period() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "RECORD_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))


def kept_until(closed_at: dt.datetime) -> dt.datetime:
    """When a record closed (or removed) at `closed_at` may be erased."""
    return closed_at + retention_period()


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
    if throttle.log_in_refused(email=user.email, address=address, now=now):
        raise InvalidInput(
            gettext(throttle.TOO_MANY_LOG_INS), fields={"password": gettext("too many attempts")}, code="throttled"
        )
    problems: dict[str, str] = {}
    if " ".join(str(confirmation or "").lower().split()) != CONFIRMATION_PHRASE:
        problems["confirmation"] = f'type "{CONFIRMATION_PHRASE}" to confirm'
    if not accounts.password_check(user=user, password=password, address=address, now=now):
        problems["password"] = "that is not your password"  # noqa: S105 - a message, not a password
    if problems:
        raise InvalidInput.for_fields(problems)
    if accounts.mfa_device_of(user) is not None:
        if not str(code or "").strip():
            raise InvalidInput(
                gettext("Enter a code from your authenticator app, or a recovery code."),
                fields={"code": gettext("a code from your authenticator app is required")},
            )
        accounts.mfa_code_check(user=user, code=str(code), address=address, now=now)


def account_close(
    *,
    user: Any,
    password: str,
    confirmation: str,
    code: str = "",
    request: HttpRequest | None = None,
    address: str = "",
    now: dt.datetime | None = None,
) -> Closed:
    """Close the client account of `user` (see the module's description). Refused for other
    roles, for an account already closed, and without the password, the authenticator code
    (when the person set one up) and the typed confirmation."""
    now = now or timezone.now()
    if not accounts_selectors.is_client_login(user):
        raise Forbidden(
            gettext(
                "Only clients can close their account here. Staff and provider accounts are closed by an administrator."
            )
        )
    client = accounts_selectors.client_of(user=user)
    if (client is not None and client.closed_at is not None) or not user.is_active:
        raise Conflict(gettext("This account is already closed."), fields={"account": gettext("already closed")})
    if request is not None and not address:
        address = throttle.client_address(request)
    _check_identity(user=user, password=password, code=code, confirmation=confirmation, address=address, now=now)

    # Recorded in the access log with its result, in the same transaction as the closing.
    with audit.write(
        request,
        action="delete",
        resource_type="client_account",
        resource_id=client.pk if client is not None else f"user:{user.pk}",
        client=client,
        actor=user,
    ):
        locked, client = accounts.client_account_lock(user=user)
        if not locked.is_active or (client is not None and client.closed_at is not None):
            raise Conflict(gettext("This account is already closed."), fields={"account": gettext("already closed")})
        cancelled = released = 0
        if client is not None:
            cancelled, released = _end_care_links(client=client, user=locked, now=now)
        accounts.user_close(user=locked, now=now)
        if client is not None:
            accounts.client_close(client=client, now=now)
    logger.info("client account of user %s closed", user.pk)
    return Closed(closed_at=now, kept_until=kept_until(now), cancelled_appointments=cancelled, released_holds=released)


def _end_care_links(*, client: Client, user: User, now: dt.datetime) -> tuple[int, int]:
    """Everything that would go on happening for the client stops; the record itself is kept.
    The sessions cancelled and the holds released."""
    cancelled = scheduling.upcoming_appointments_cancel(client=client, by=user, now=now)
    # Holds are released (or lapse), never cancelled: a hold never makes anyone their provider.
    released = scheduling.holds_release(client=client, by=user, now=now)
    matching.waitlist_leave(client=client)
    measures.questionnaires_end_for_client(client=client, now=now)
    # Conversations become read-only; their messages are kept with the record.
    messaging.conversations_close_for_client(client=client, now=now)
    # Contact details given when asking to be called back: erased now from closed requests; an
    # open one keeps them until a coordinator has closed it (see crisis_contacts_erase).
    scheduling.crisis_contacts_erase(client=client, now=now)
    scheduling.care_requests_close(client=client, now=now)
    # What they wrote for a therapist was for care that is no longer wanted: erased now.
    scheduling.care_request_notes_erase(client=client)
    # The member id and subscriber identify them to their insurer and serve only future checks:
    # erased now (the checks made keep their figures and sentences until the retention ends).
    coverage.coverage_erase_for_client(client=client)
    # Journal entries they shared become private again: the journal is kept, read by nobody.
    care.journal_sharing_end_for_client(client=client)
    # No more newsletters to the address of a closed account (they may sign up again).
    newsletter.subscription_end_for_account(email=user.email, now=now)
    return cancelled, released


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
            for client in accounts_selectors.clients_closed_before(cutoff=cutoff):
                try:
                    counts = _purge_client(client_id=client.pk)
                except Exception:  # this client is kept whole; the others go on
                    logger.exception("could not erase the record of client %s; it is kept whole", client.pk)
                    report.failed.append(client.pk)
                    continue
                report.clients += 1
                report.deleted.update(counts)
            _purge_removed(cutoff=cutoff, report=report)
            # Newsletter addresses that never confirmed, and old sign-up counts.
            report.deleted.update(newsletter.unconfirmed_purge(now=now))
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def client_purges() -> list[Callable[..., Counter[str]]]:
    """Who erases a client's rows, each app its own, in an order that erases a row before any
    row it protects (a PROTECT foreign key): the care record and the waitlist first, then
    measures (alerts protect answers and ratings; session ratings protect appointments), then
    scheduling (appointments, care and crisis requests), and the client and their login last.
    Messages go before the logins that sent them.
    The access log is never erased. Looked up when called, so each is the app's current one."""
    return [
        coverage.coverage_purge_for_client,
        care.care_records_purge_for_client,
        matching.waitlist_purge_for_client,
        messaging.messages_purge_for_client,
        measures.measures_purge_for_client,
        scheduling.appointments_purge_for_client,
        accounts.account_purge_for_client,
    ]


def _purge_client(*, client_id: int) -> Counter[str]:
    """Erase one client and every record of theirs, in one savepoint: all or nothing."""
    counts: Counter[str] = Counter()
    # Recorded with its result: erased, or rejected (and kept whole) when something failed.
    with audit.write(None, action="delete", resource_type="client_record", resource_id=client_id, client=client_id):
        accounts.client_lock(client_id=client_id)
        for purge in client_purges():
            counts.update(purge(client_id=client_id))
    logger.info("erased the record of client %s after its retention period", client_id)
    return counts


def _purge_removed(*, cutoff: dt.datetime, report: PurgeReport) -> None:
    deleted, kept = care.removed_entries_purge(before=cutoff)
    report.deleted.update(deleted)
    report.skipped.update(kept)

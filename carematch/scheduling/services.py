"""Every write to holds, appointments, requests for care, crisis follow-up and private
calendar addresses. Pages, the API and waitlists all book (and ask to be contacted) through
here; closing an account and erasing it after the retention period ask here for scheduling's
part."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import math
import secrets
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, gettext_lazy, ngettext

from carematch.accounts.models import STAFF_ROLES, Client, LoginAttempt, Role, User
from carematch.accounts.services import token_digest
from carematch.directory.models import Provider
from carematch.lib import vocab
from carematch.lib.compiled import CompiledRead
from carematch.lib.errors import Conflict, DomainError, Forbidden, InvalidInput, TooManyRequests
from carematch.lib.phones import NotAPhoneNumber, phone_e164
from carematch.lib.sessions import LENGTHS, SESSION, session_dates
from carematch.lib.timezones import zone

from . import cancellation_policy
from .feeds import FEED_TOKEN_PREFIX, feed_owner
from .models import (
    ACTIVE,
    CLOSING_OUTCOMES,
    HOLD_STATUSES,
    Appointment,
    CalendarFeed,
    CareRequest,
    CrisisAttempt,
    CrisisChannel,
    CrisisOutcome,
    CrisisRequest,
    CrisisStatus,
    FeedRevoked,
    IdempotencyRecord,
    Kind,
    Series,
    Status,
)
from .reminders import reminder_after, reminder_due
from .selectors import active_claims, provider_openings
from .series import series_dates

logger = logging.getLogger("carematch.scheduling.services")

HOLD_FOR = dt.timedelta(minutes=10)
HOLD_RATE_WINDOW = dt.timedelta(hours=1)


class SlotTaken(Conflict):
    code = "slot_taken"


class InvalidSlot(InvalidInput):
    code = "invalid_slot"


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"


class TooManyHolds(TooManyRequests):
    code = "too_many_holds"


def slot_taken_detail() -> str:
    """What a person is told when the time they chose was just taken, in their language."""
    return gettext("Someone else has just booked or is holding that time. Please choose another opening.")


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidSlot("Give the start time with its UTC offset, e.g. 2027-01-04T09:00:00-07:00.",
                          fields={"start": "must include a UTC offset"})
    # A time at the very edge of the calendar (year 1 or 9999) cannot be moved into UTC or a
    # provider's zone, nor have a session added to it: refuse it rather than overflow.
    if not 2 <= moment.year <= 9998:
        raise InvalidSlot("Give a start time in the coming months.", fields={"start": "is not a bookable date"})
    return moment.astimezone(dt.UTC)


def _length(kind: str) -> dt.timedelta:
    """The length of a kind of appointment; InvalidSlot naming `kind` for an unknown one."""
    if kind not in LENGTHS:
        raise InvalidSlot("An appointment is a session or a consultation.",
                          fields={"kind": "must be session or consultation"})
    return LENGTHS[kind]


def _check_kind_and_format(*, provider: Provider, kind: str, format: str) -> None:
    if kind == Kind.CONSULTATION:
        if not provider.offers_consultations:
            raise InvalidSlot(gettext("This provider does not offer a free consultation call."),
                              fields={"kind": "no consultations offered by this provider"})
        if format not in provider.consultation_formats:
            offered = gettext(" or ").join(provider.consultation_formats)
            raise InvalidSlot(gettext("This provider's consultation call is %(offered)s, not %(format)s.")
                              % {"offered": offered, "format": format},
                              fields={"format": "not offered for a consultation"})
    elif format not in provider.formats:
        offered = gettext(" or ").join(provider.formats) or gettext("no format")
        raise InvalidSlot(gettext("This provider offers %(offered)s, not %(format)s.")
                          % {"offered": offered, "format": format}, fields={"format": "not offered"})


def check_bookable(
    *, provider: Provider, client: Client | None, start: dt.datetime, format: str, now: dt.datetime,
    exclude_ids: tuple[int, ...] = (), kind: str = Kind.SESSION,
) -> None:
    """Raise InvalidSlot when this is not an opening the client can book, SlotTaken when
    someone else has it. The rules:
    - the provider's profile is published (complete, licences verified by a coordinator);
    - the provider offers the format;
    - the provider holds a license in the client's state that counts on every date the
      session touches (in either party's zone), so a license expiring that day is not
      stretched across midnight; a license counts only once verified, unless the deployment
      lets unverified ones count (License.counts_on, carematch/lib/licenses.py);
    - a provider not accepting new clients can only be booked by their existing clients;
    (the two client rules are checked when the client is known: a hold placed before sign-up
    is checked again, in full, when it is booked;)
    - the start is one of the provider's openings of that kind (inside a weekly window,
      aligned, not on a federal holiday they do not work, not in time off, not sooner than
      their notice);
    - a consultation (15 minutes) only with a provider who offers them, by phone or video
      as they offer it; nothing overlaps another active claim of the provider, nor of the
      client (the database refuses it too: overlap.py).
    """
    length = _length(kind)
    # Read from the database, not the caller's copy: no door books an unpublished provider.
    if not Provider.objects.filter(pk=provider.pk, published=True).exists():
        raise InvalidSlot(gettext("This provider's profile is not complete yet, so they cannot be booked."),
                          fields={"provider_id": "profile not yet published"})
    _check_kind_and_format(provider=provider, kind=kind, format=format)
    if client is not None:
        _check_client_rules(provider=provider, client=client, start=start, exclude_ids=exclude_ids, length=length)
    free = provider_openings(provider=provider, start=start, end=start + length, now=now, include_claimed=True,
                             kind=kind)
    if start not in free:
        raise InvalidSlot(
            gettext("That time is not an opening of this provider: it may be outside their hours, in the past, "
                    "or sooner than their %(hours)s-hour notice.") % {"hours": provider.min_notice_hours},
            fields={"start": "not an opening"},
        )
    if client is not None and Appointment.objects.claiming(now=now).filter(
        client=client, start__lt=start + length, end__gt=start
    ).exclude(pk__in=exclude_ids).exists():
        raise InvalidSlot(gettext("You already have a session at that time."), fields={"start": "you are busy"})
    if active_claims(provider=provider, start=start, end=start + length, now=now, exclude_ids=exclude_ids).exists():
        raise SlotTaken(slot_taken_detail())


def _check_client_rules(
    *, provider: Provider, client: Client, start: dt.datetime, exclude_ids: tuple[int, ...], length: dt.timedelta
) -> None:
    days = session_dates(start, (provider.timezone, client.timezone), length)
    licenses = [lic for lic in provider.licenses.all() if lic.state == client.state]
    if not any(all(lic.counts_on(day) for day in days) for lic in licenses):
        if any(lic.awaiting_verification and all(lic.in_force_on(day) for day in days) for lic in licenses):
            raise InvalidSlot(
                f"This provider's license in {client.state} has not been verified yet, so they cannot be "
                "booked there until it is.",
                fields={"provider_id": f"license in {client.state} not yet verified"},
            )
        raise InvalidSlot(
            f"This provider has no current license in {client.state} for {days[-1]:%B %-d, %Y}, "
            "so they cannot see you there on that date.",
            fields={"provider_id": f"not licensed in {client.state} on that date"},
        )
    if not provider.accepting_new and not Appointment.objects.filter(
        provider=provider, client=client, status__in=(Status.BOOKED, Status.COMPLETED)
    ).exclude(pk__in=exclude_ids).exists():
        raise InvalidSlot(
            "This provider is not taking new clients.", fields={"provider_id": "not accepting new clients"}
        )


def _lapse_holds(
    *, provider: Provider, client: Client | None, start: dt.datetime, now: dt.datetime, kind: str = Kind.SESSION
) -> None:
    """Mark lapsed the expired holds (of the provider or the client) that would stand in the
    way of a new claim of this kind at `start`."""
    expired = Appointment.objects.filter(status=Status.HELD, hold_expires_at__lte=now,
                                         start__lt=start + _length(kind), end__gt=start)
    expired.filter(provider=provider).update(status=Status.LAPSED)
    if client is not None:
        expired.filter(client=client).update(status=Status.LAPSED)


def _end_holds(holds: QuerySet[Appointment], *, now: dt.datetime, by: User | None) -> int:
    """End these holds the one way a hold ends: an expired hold lapses, a live one is
    released. Neither is ever an appointment (nor cancelled). The number released."""
    holds = holds.filter(status=Status.HELD)
    holds.filter(hold_expires_at__lte=now).update(status=Status.LAPSED)
    return holds.filter(hold_expires_at__gt=now).update(
        status=Status.RELEASED, cancelled_at=now, cancelled_by=by, cancelled_by_role=by.role if by else ""
    )


def holds_release(*, client: Client, by: User | None, now: dt.datetime | None = None) -> int:
    """Release every hold of `client` (e.g. when they close their account); the number released."""
    now = now or timezone.now()
    with transaction.atomic():
        return _end_holds(Appointment.objects.filter(client=client), now=now, by=by)


def session_digest(session_key: str) -> str:
    """Holds placed before sign-up belong to a browser session; only its digest is stored."""
    return hashlib.sha256(("hold-session|" + session_key).encode()).hexdigest()


def address_digest(address: str) -> str:
    """Holds placed before sign-up are counted per network address, of which only a digest
    keyed with the secret key is stored. An IPv6 address counts as its /64 network, which
    one household (or one attacker) has whole; an IPv4-mapped one as its IPv4 address."""
    text = str(address or "").strip()[:45]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        key = text
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            key = str(ip.ipv4_mapped)
        elif isinstance(ip, ipaddress.IPv6Address):
            key = str(ipaddress.IPv6Network((ip, 64), strict=False))
        else:
            key = str(ip)
    return salted_hmac("carematch.scheduling.hold_address", key, algorithm="sha256").hexdigest()


def _lock_address(digest: str) -> None:
    """Holds from one address are counted and written one at a time (a transaction-scoped
    advisory lock on PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(digest[:15], 16)])


def _lock_client(client: Client) -> None:
    """A client's holds are counted and written one at a time."""
    Client.objects.select_for_update().filter(pk=client.pk).values_list("pk", flat=True).first()


def _lock_provider(provider: Provider) -> None:
    """Claims on one provider's calendar are written one at a time. PostgreSQL takes a row
    lock (concurrent booking and rescheduling would otherwise wait on each other's index
    entries and deadlock); SQLite's IMMEDIATE transactions already serialise writers."""
    Provider.objects.select_for_update().filter(pk=provider.pk).values_list("pk", flat=True).first()


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def _insert_claim(**fields: Any) -> Appointment:
    try:
        with transaction.atomic():
            return Appointment.objects.create(**fields)
    except IntegrityError:
        raise SlotTaken(slot_taken_detail()) \
            from None


def _wait(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return gettext("a minute") if minutes == 1 else ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}


def _expiries(holds: QuerySet[Appointment]) -> list[dt.datetime]:
    """When each of these holds expires (or expired), soonest first."""
    return sorted(expiry for expiry in holds.values_list("hold_expires_at", flat=True) if expiry is not None)


def _placed_since(holds: QuerySet[Appointment], *, now: dt.datetime) -> list[dt.datetime]:
    """When each of these holds was placed within the last HOLD_RATE_WINDOW, oldest first. A
    hold expires HOLD_FOR after it is placed (a booked one has no expiry and is not counted)."""
    recent = holds.filter(hold_expires_at__gt=now - HOLD_RATE_WINDOW + HOLD_FOR)
    return [expiry - HOLD_FOR for expiry in _expiries(recent)]


def _refuse_over_rate(placed: list[dt.datetime], *, limit: int, now: dt.datetime, detail: str) -> None:
    if len(placed) >= limit:
        # Free again once enough of them are older than the window.
        retry_after = (placed[len(placed) - limit] + HOLD_RATE_WINDOW - now).total_seconds()
        raise TooManyHolds(detail.format(wait=_wait(retry_after)), retry_after=retry_after)


def _check_anonymous_hold_limits(*, provider: Provider, digest: str, now: dt.datetime, signed_in: bool = False) -> None:
    """Before sign-up, holds are limited per network address (live at once, one of them with
    any one provider, and placed in an hour) and per provider (live at once), so that nobody
    can empty a calendar with fresh browser sessions. Signed-in clients are not limited by these."""
    # Someone signed in whose client details are not given yet holds as before sign-up: never
    # tell them to log in.
    suffix = (gettext(" Please try again in {wait}, or finish booking the time you are already holding.") if signed_in
              else gettext(" Please try again in {wait}, or log in (or create an account) first and book as a "
                           "signed-in client."))
    from_address = Appointment.objects.filter(hold_address=digest, status=Status.HELD, hold_expires_at__gt=now)
    live = _expiries(from_address)
    limit = settings.HOLDS_PER_ADDRESS_LIVE
    if len(live) >= limit:
        retry_after = (live[len(live) - limit] - now).total_seconds()
        raise TooManyHolds(
            ngettext("%(n)s opening is already being held from your internet connection, the most at one time.",
                     "%(n)s openings are already being held from your internet connection, the most at one time.",
                     limit) % {"n": limit}
            + suffix.format(wait=_wait(retry_after)), retry_after=retry_after,
        )
    same_provider = _expiries(from_address.filter(provider=provider))
    if same_provider:
        retry_after = (same_provider[0] - now).total_seconds()
        raise TooManyHolds(
            gettext("An opening with this provider is already being held from your internet connection.")
            + suffix.format(wait=_wait(retry_after)), retry_after=retry_after,
        )
    limit = settings.HOLDS_PER_ADDRESS_HOUR
    _refuse_over_rate(
        _placed_since(Appointment.objects.filter(hold_address=digest), now=now), limit=limit, now=now,
        detail=ngettext("%(n)s opening has been held from your internet connection in the last hour, the most in "
                        "an hour.",
                        "%(n)s openings have been held from your internet connection in the last hour, the most in "
                        "an hour.", limit) % {"n": limit} + suffix,
    )
    held = _expiries(Appointment.objects.filter(
        provider=provider, client__isnull=True, status=Status.HELD, hold_expires_at__gt=now,
    ))
    limit = settings.HOLDS_PER_PROVIDER_ANONYMOUS
    if len(held) >= limit:
        retry_after = (held[len(held) - limit] - now).total_seconds()
        raise TooManyHolds(
            gettext("Several people are holding openings with this provider before signing up, the most at one time.")
            + suffix.format(wait=_wait(retry_after)), retry_after=retry_after,
        )


def _check_client_hold_rate(*, client: Client, now: dt.datetime) -> None:
    limit = settings.HOLDS_PER_CLIENT_HOUR
    _refuse_over_rate(
        _placed_since(Appointment.objects.filter(client=client), now=now), limit=limit, now=now,
        detail=ngettext("%(n)s opening has been held for you in the last hour, the most in an hour.",
                        "%(n)s openings have been held for you in the last hour, the most in an hour.", limit)
        % {"n": limit} + gettext(" Please try again in {wait}."),
    )


def hold_place(
    *, provider: Provider, client: Client | None, start: dt.datetime, format: str, by: User | None,
    session_key: str = "", address: str = "", now: dt.datetime | None = None, kind: str = Kind.SESSION,
) -> Appointment:
    """Keep an opening for 10 minutes while the person finishes signing up.

    The hold belongs to the client, or, before sign-up, to the browser session. One live
    hold each: a new hold releases the holder's earlier holds. Holds before sign-up are
    also limited per network `address` (the caller passes the request's address; only a
    digest is stored) and per provider; a client's holds per hour. Over a limit, TooManyHolds
    (429) says when to try again."""
    now = now or timezone.now()
    start = _utc(start)
    if client is None and not session_key:
        raise InvalidInput("A hold needs a client.", fields={"client_id": "is required"})
    digest = "" if client is not None else address_digest(address)
    length = _length(kind)
    with transaction.atomic():
        if client is not None:
            _lock_client(client)
            mine = Appointment.objects.filter(client=client)
        else:
            _lock_address(digest)
            mine = Appointment.objects.filter(client__isnull=True, hold_session=session_digest(session_key))
        _lock_provider(provider)
        _lapse_holds(provider=provider, client=client, start=start, now=now, kind=kind)
        _end_holds(mine, now=now, by=by)
        if client is not None:
            _check_client_hold_rate(client=client, now=now)
        else:
            _check_anonymous_hold_limits(provider=provider, digest=digest, now=now,
                                         signed_in=by is not None and by.is_authenticated)
        check_bookable(provider=provider, client=client, start=start, format=format, now=now, kind=kind)
        return _insert_claim(
            provider=provider, client=client, start=start, end=start + length, format=format, status=Status.HELD,
            kind=kind,
            hold_expires_at=now + HOLD_FOR, created_by=by,
            hold_session=session_digest(session_key) if client is None else "", hold_address=digest,
        )


def session_hold(*, hold_id: int, session_key: str, now: dt.datetime | None = None) -> Appointment | None:
    """The session's hold with that id, live or ended, or None when it is not theirs."""
    if not session_key:
        return None
    return (
        Appointment.objects.select_related("provider")
        .filter(pk=hold_id, hold_session=session_digest(session_key), status__in=HOLD_STATUSES)
        .first()
    )


def appointment_book(
    *, provider: Provider, client: Client, start: dt.datetime, format: str, by: User,
    idempotency_key: str | None = None, hold: Appointment | None = None, now: dt.datetime | None = None,
    notify: bool = True,
    kind: str = Kind.SESSION,
) -> Appointment:
    """Book an opening of this kind (a session, or a free 15-minute consultation), or turn
    the client's own live hold on it into an appointment.

    `notify` False leaves the emails and the reminders to the caller (a series tells both
    parties once about all its sessions).

    `hold` is a hold the caller has shown is theirs (e.g. placed by their browser session
    before they signed up); it becomes the client's appointment.

    With an idempotency key, the same key and the same booking return the first
    appointment again and book nothing more; the same key with another booking is refused."""
    now = now or timezone.now()
    start = _utc(start)
    length = _length(kind)
    # A session keeps the fingerprint it always had, so keys sent before kinds existed still match.
    fingerprint = _fingerprint(provider.pk, client.pk, start.isoformat(), format,
                               *((kind,) if kind != Kind.SESSION else ()))
    with transaction.atomic():
        if idempotency_key:
            earlier = IdempotencyRecord.objects.filter(user=by, key=idempotency_key).select_related("appointment")
            record = earlier.first()
            if record is not None:
                if record.fingerprint != fingerprint:
                    raise IdempotencyKeyReused(
                        "This Idempotency-Key was already used for a different booking. Use a new key.",
                        fields={"Idempotency-Key": "already used for another request"},
                    )
                return record.appointment
        _lock_provider(provider)
        _lapse_holds(provider=provider, client=client, start=start, now=now, kind=kind)
        own = Appointment.objects.filter(provider=provider, start=start, status=Status.HELD, hold_expires_at__gt=now,
                                         kind=kind)
        own_hold = own.filter(pk=hold.pk).first() if hold is not None else own.filter(client=client).first()
        check_bookable(provider=provider, client=client, start=start, format=format, now=now,
                       exclude_ids=(own_hold.pk,) if own_hold else (), kind=kind)
        if own_hold is not None:
            own_hold.status, own_hold.format, own_hold.hold_expires_at, own_hold.booked_at = (
                Status.BOOKED, format, None, now,
            )
            own_hold.client, own_hold.hold_session, own_hold.hold_address = client, "", ""
            own_hold.reminder_due_at = reminder_due(start=start, now=now)
            try:
                with transaction.atomic():
                    own_hold.save(update_fields=["status", "format", "hold_expires_at", "booked_at", "client",
                                                 "hold_session", "hold_address", "reminder_due_at"])
            except IntegrityError:  # the client already has another session at that hour
                raise InvalidSlot(gettext("You already have a session at that time."),
                                  fields={"start": "you are busy"}) \
                    from None
            appointment = own_hold
        else:
            appointment = _insert_claim(
                provider=provider, client=client, start=start, end=start + length, format=format, kind=kind,
                status=Status.BOOKED, booked_at=now, created_by=by, reminder_due_at=reminder_due(start=start, now=now),
            )
        if kind == Kind.SESSION:  # a consultation is a first contact, not the first session the clock waits for
            _start_clock(appointment=appointment)
        if idempotency_key:
            IdempotencyRecord.objects.create(
                user=by, key=idempotency_key, fingerprint=fingerprint, appointment=appointment
            )
        if notify:
            transaction.on_commit(lambda: _notify("booked", appointment.pk))
    return appointment


def _start_clock(*, appointment: Appointment) -> None:
    """The client's oldest open request for care is answered by their first booking."""
    request = (
        CareRequest.objects.select_for_update()
        .filter(client=appointment.client, first_appointment__isnull=True, closed_at__isnull=True)
        .order_by("requested_at")
        .first()
    )
    if request is None:
        return
    request.first_appointment = appointment
    request.first_start = appointment.start
    request.wait_seconds = max(0, int((appointment.start - request.requested_at).total_seconds()))
    request.save(update_fields=["first_appointment", "first_start", "wait_seconds"])


def counts_as_late(*, appointment: Appointment, by: User, now: dt.datetime) -> bool:
    """Whether giving up this session's hour now (cancelling it or moving it) counts as a late
    cancellation under the practice's policy: the client does it less than the policy's notice
    (CAREMATCH_CANCELLATION_NOTICE_HOURS, 24 by default) before the start. Providers and
    coordinators are never held to it. The pages ask this before the person confirms, and the
    services record the same answer."""
    return by.role == Role.CLIENT and appointment.start - now < cancellation_policy.notice()


def appointment_cancel(
    *, appointment: Appointment, by: User, now: dt.datetime | None = None, may_count_late: bool = True
) -> Appointment:
    """Cancel a booking. A client cancelling less than 24 hours before the start is recorded
    as a late cancellation (`counts_as_late`). The hour is offered again at once, and calendars
    are told (the iCalendar SEQUENCE goes up).

    A hold is not a booking: given one, this releases it (or records that it lapsed), and
    nobody is told."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.status == Status.HELD:
            _end_holds(Appointment.objects.filter(pk=appointment.pk), now=now, by=by)
            appointment.refresh_from_db()
            return appointment
        if appointment.status not in ACTIVE:
            raise Conflict(gettext("This appointment is already %(status)s.")
                           % {"status": str(appointment.get_status_display()).lower()},
                           fields={"status": appointment.status})
        if appointment.start <= now:
            raise Conflict(gettext("This appointment has already started; mark it as a no-show or completed instead."),
                           fields={"start": "already started"})
        appointment.status = Status.CANCELLED
        appointment.cancelled_at = now
        appointment.cancelled_by = by
        appointment.cancelled_by_role = by.role
        # A late move of this session, recorded earlier, stays recorded.
        appointment.late_cancellation = appointment.late_cancellation or (
            may_count_late and counts_as_late(appointment=appointment, by=by, now=now)
        )
        appointment.sequence += 1
        appointment.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancelled_by_role",
                                        "late_cancellation", "sequence"])
        CareRequest.objects.filter(first_appointment=appointment).update(
            first_appointment=None, first_start=None, wait_seconds=None
        )
        transaction.on_commit(lambda: _notify("cancelled", appointment.pk))
    return appointment


def appointment_reschedule(
    *, appointment: Appointment, start: dt.datetime, by: User, now: dt.datetime | None = None
) -> Appointment:
    """Move a future booking to another opening of the same provider, in one step: the one
    appointment takes the new hour and gives up the old one in the same transaction and the
    same row, so the client never has both hours nor neither, whatever else happens at once.
    When the new hour was taken meanwhile (SlotTaken) or is no opening (InvalidSlot), nothing
    changes and the session keeps its time.

    Giving up the old hour follows the cancellation policy: a client moving a session less
    than 24 hours before it starts is recorded as a late cancellation (`counts_as_late`).
    The reminder is planned again for the new time, and calendars are told (SEQUENCE)."""
    now = now or timezone.now()
    start = _utc(start)
    with transaction.atomic():
        _lock_provider(appointment.provider)
        appointment = Appointment.objects.select_for_update(of=("self",)).select_related("provider", "client").get(
            pk=appointment.pk
        )
        if appointment.status != Status.BOOKED:
            raise Conflict(gettext("Only a booked appointment can be rescheduled."),
                           fields={"status": appointment.status})
        if appointment.start <= now:
            raise Conflict(gettext("This appointment has already started."), fields={"start": "already started"})
        if start == appointment.start:
            return appointment
        _lapse_holds(provider=appointment.provider, client=appointment.client, start=start, now=now,
                     kind=appointment.kind)
        check_bookable(provider=appointment.provider, client=appointment.client, start=start,
                       format=appointment.format, now=now, exclude_ids=(appointment.pk,), kind=appointment.kind)
        late = counts_as_late(appointment=appointment, by=by, now=now)
        appointment.rescheduled_from = appointment.start
        appointment.start, appointment.end = start, start + _length(appointment.kind)
        appointment.reminder_sent_at = None
        appointment.reminder_due_at = reminder_due(start=start, now=now)
        appointment.late_cancellation = appointment.late_cancellation or late
        appointment.sequence += 1
        try:
            with transaction.atomic():
                appointment.save(update_fields=["rescheduled_from", "start", "end", "reminder_sent_at",
                                                "reminder_due_at", "late_cancellation", "sequence"])
        except IntegrityError:
            raise SlotTaken(slot_taken_detail()) \
                from None
        CareRequest.objects.filter(first_appointment=appointment).update(
            first_start=start,
        )
        for request in CareRequest.objects.filter(first_appointment=appointment):
            request.wait_seconds = max(0, int((start - request.requested_at).total_seconds()))
            request.save(update_fields=["wait_seconds"])
        transaction.on_commit(lambda: _notify("rescheduled", appointment.pk))
    return appointment


def appointment_mark_no_show(*, appointment: Appointment, by: User, now: dt.datetime | None = None) -> Appointment:
    now = now or timezone.now()
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.status != Status.BOOKED:
            raise Conflict(
                "Only a booked appointment can be marked as a no-show.", fields={"status": appointment.status}
            )
        if appointment.start > now:
            raise Conflict("An appointment can be marked as a no-show only once it has started.",
                           fields={"start": "not started yet"})
        appointment.status = Status.NO_SHOW
        appointment.attendance_marked_at = now
        appointment.save(update_fields=["status", "attendance_marked_at"])
        marked = appointment.pk
        transaction.on_commit(lambda: _no_show_note(marked))
    return appointment


# Read on every match a client asks for: its SQL is built once (carematch.lib.compiled).
_OPEN_CARE_REQUEST = CompiledRead(
    lambda client_id: CareRequest.objects.filter(
        client_id=client_id, first_appointment__isnull=True, closed_at__isnull=True).order_by("requested_at", "pk")[:1],
    client_id=-7_000_000_001,
)


def care_request_open(
    *, client: Client | None, crisis: bool = False, now: dt.datetime | None = None
) -> CareRequest:
    """Record that someone asked for care now; the 48-hour clock starts. A client who already
    has an open request keeps it (asking again does not restart their clock)."""
    if client is not None:
        # A client searching again (the usual case) changes nothing: one read, no transaction.
        kept = _OPEN_CARE_REQUEST.first(client_id=client.pk)
        if kept is not None and (kept.crisis or not crisis):
            return kept
    with transaction.atomic():
        if client is not None:
            existing = _OPEN_CARE_REQUEST.first(client_id=client.pk)  # again, now inside the transaction
            if existing is not None:
                if crisis and not existing.crisis:
                    existing.crisis = True
                    existing.save(update_fields=["crisis"])
                return existing
        return CareRequest.objects.create(client=client, requested_at=now or timezone.now(), crisis=crisis)


def care_request_flag_crisis(*, request_id: int) -> CareRequest:
    """Someone said they are in danger: the request is flagged for a coordinator at once.
    Only the fact is kept, not what else they answered."""
    with transaction.atomic():
        request = CareRequest.objects.select_for_update().get(pk=request_id)
        if not request.crisis:
            request.crisis = True
            request.save(update_fields=["crisis"])
        return request


def care_request_attach_client(*, request_id: int, client: Client) -> CareRequest | None:
    """A request made before sign-up becomes the new client's (their clock keeps its start)."""
    with transaction.atomic():
        request = CareRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or (request.client_id not in (None, client.pk)):
            return None
        if request.client_id is None:
            earlier = CareRequest.objects.filter(
                client=client, first_appointment__isnull=True, closed_at__isnull=True
            ).exclude(pk=request.pk).order_by("requested_at").first()
            # Crisis requests made before sign-up are the new client's too.
            CrisisRequest.objects.filter(care_request=request, client__isnull=True).update(client=client)
            if earlier is not None:  # they were already waiting: keep the older clock, carry the flag over
                if request.crisis and not earlier.crisis:
                    earlier.crisis = True
                    earlier.save(update_fields=["crisis"])
                _carry_note_for_therapist(source=request, target=earlier)
                request.closed_at = timezone.now()
                request.save(update_fields=["closed_at"])
                return earlier
            request.client = client
            request.save(update_fields=["client"])
        return request


def _notify(event: str, appointment_id: int) -> None:
    """Hand the event to the notifications module after the transaction has committed."""
    from . import notifications

    notifications.appointment_event(event=event, appointment_id=appointment_id)


# --- Crisis follow-up ----------------------------------------------------------------------------
# A person who said they are in danger may ask a coordinator to contact them. Every door (the
# crisis page, POST /api/v1/crisis-requests, POST /api/v1/match with a contact) creates the
# request here, and every outcome a coordinator records goes through here: the rules below
# are the only ones. Logs name requests by id only: never a name, number or message.

NAME_MAX = 100
MESSAGE_MAX = 2000
NOTE_MAX = 2000
TOO_MANY_CRISIS_REQUESTS = gettext_lazy(
    "You have asked to be contacted several times in the last hour; a coordinator has your request. "
    "If you are in danger now, call or text 988 or call 911."
)


def crisis_request_create(
    *, channel: str, name: str = "", phone: str = "", email: str = "", state: str = "", message: str = "",
    client: Client | None = None, care_request_id: int | None = None, address: str | None = None,
    now: dt.datetime | None = None,
) -> CrisisRequest:
    """Someone asked a coordinator to contact them: the request joins the open queue and every
    coordinator is emailed once the request has committed (an escalation follows if nobody has
    tried to reach them within CAREMATCH_CRISIS_ESCALATE_MINUTES).

    A way to reach them is required: a phone number (checked, stored in E.164) or an email
    address (for someone who cannot safely take a call); and the state they are in. `address`
    is where the request came from: requests from one address are limited to
    `throttle.CRISIS_REQUEST_LIMIT` an hour (TooManyRequests after that); None for callers who are
    not limited. `care_request_id` is the intake's or match's request for care, which is
    flagged as a crisis and whose client, if any, the request belongs to."""
    from carematch.accounts import services as account_services
    from carematch.accounts import throttle

    if channel not in CrisisChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    now = now or timezone.now()
    name, email, message = name.strip(), email.strip(), message.strip()
    state = state.strip().upper()
    problems: dict[str, str] = {}
    if len(name) > NAME_MAX:
        problems["name"] = f"a name has at most {NAME_MAX} characters"
    e164 = ""
    if phone.strip():
        try:
            e164 = phone_e164(phone)
        except NotAPhoneNumber as exc:
            problems["phone"] = str(exc)
    elif not email:
        problems["phone"] = "give a phone number (or an email address) so a coordinator can reach you"
    if email:
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError:
            problems["email"] = "not an email address"
    if not state:
        problems["state"] = "choose the state you are in"
    elif state not in vocab.STATES:
        problems["state"] = "not a US state code (the 50 states and DC)"
    if len(message) > MESSAGE_MAX:
        problems["message"] = f"a message has at most {MESSAGE_MAX} characters"
    if problems:
        raise InvalidInput.for_fields(problems)
    with transaction.atomic():
        if address is not None:
            retry_after = throttle.crisis_request_retry_after(address=address, now=now)
            if retry_after is not None:
                raise TooManyRequests(str(TOO_MANY_CRISIS_REQUESTS), retry_after=retry_after)
            account_services.login_attempt_record(
                kind=LoginAttempt.Kind.CRISIS_REQUEST, email="", address=address, succeeded=True, now=now,
            )
        care_request = None
        if care_request_id is not None:
            care_request = CareRequest.objects.select_for_update().filter(pk=care_request_id).first()
            if care_request is not None and not care_request.crisis:
                care_request.crisis = True
                care_request.save(update_fields=["crisis"])
        crisis = CrisisRequest.objects.create(
            care_request=care_request, client=client or (care_request.client if care_request else None),
            requested_at=now, channel=channel, name=name, phone=e164, email=email, state=state, message=message,
        )
        transaction.on_commit(lambda: _crisis_arrived(crisis.pk, crisis.requested_at))
    logger.info("crisis request %s arrived (%s)", crisis.pk, channel)
    return crisis


def crisis_attempt_record(
    *, crisis_request: CrisisRequest, outcome: str, note: str, by: User, now: dt.datetime | None = None
) -> CrisisAttempt:
    """A coordinator tried to reach the person: the attempt is kept as a row of its own (never
    changed). `reached` and `referred_emergency` close the request; `no_answer` keeps it open
    for another try. Only coordinators and admins record attempts, and only on open requests."""
    now = now or timezone.now()
    if not (by.is_active and by.role in STAFF_ROLES):
        raise Forbidden("Only coordinators and admins record contact attempts.")
    note = note.strip()
    problems: dict[str, str] = {}
    if outcome not in CrisisOutcome.values:
        problems["outcome"] = f"must be one of {', '.join(CrisisOutcome.values)}"
    if not note:
        problems["note"] = "write what was done"
    elif len(note) > NOTE_MAX:
        problems["note"] = f"a note has at most {NOTE_MAX} characters"
    if problems:
        raise InvalidInput.for_fields(problems)
    with transaction.atomic():
        request = CrisisRequest.objects.select_for_update(of=("self",)).select_related("client").get(
            pk=crisis_request.pk
        )
        if not request.is_open:
            raise Conflict("This request is already closed: nothing more can be recorded on it.",
                           fields={"status": CrisisStatus.CLOSED})
        attempt = CrisisAttempt.objects.create(crisis_request=request, outcome=outcome, note=note, by=by, at=now)
        if outcome in CLOSING_OUTCOMES:
            request.status, request.closed_at = CrisisStatus.CLOSED, now
            changed = ["status", "closed_at"]
            if request.client is not None and request.client.closed_at is not None:
                # The person closed their account while waiting: their contact details were
                # kept only until this request was closed.
                _erase_contact(request, now)
                changed += ["name", "phone", "email", "contact_erased_at"]
            request.save(update_fields=changed)
    logger.info("crisis request %s: attempt %s recorded", request.pk, attempt.pk)
    return attempt


def _erase_contact(request: CrisisRequest, now: dt.datetime) -> None:
    request.name = request.phone = request.email = ""
    request.contact_erased_at = now


def crisis_contacts_erase(*, client: Client, now: dt.datetime | None = None) -> int:
    """A client closed their account: the contact details of their closed crisis requests are
    erased. An open request keeps them until a coordinator closes it (the person asked to be
    called; closing an account does not take that back). How many were erased."""
    now = now or timezone.now()
    return CrisisRequest.objects.filter(
        client=client, status=CrisisStatus.CLOSED, contact_erased_at__isnull=True
    ).update(name="", phone="", email="", contact_erased_at=now)


def crisis_escalation_mark(*, crisis_request_id: int, now: dt.datetime | None = None) -> bool:
    """Whether the request is still open with no contact attempt at all and not yet
    escalated; if so it is marked escalated (inside the caller's transaction, which sends)."""
    now = now or timezone.now()
    request = CrisisRequest.objects.select_for_update().filter(pk=crisis_request_id).first()
    if request is None or not request.is_open or request.escalated_at is not None or request.attempts.exists():
        return False
    request.escalated_at = now
    request.save(update_fields=["escalated_at"])
    return True


def _crisis_arrived(crisis_request_id: int, requested_at: dt.datetime) -> None:
    from . import notifications

    notifications.crisis_request_arrived(crisis_request_id=crisis_request_id, requested_at=requested_at)


# --- Reminders -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderClaim:
    due: dt.datetime  # the reminder being sent
    earlier: dt.datetime | None  # when the reminder before it was sent, if one was


def appointment_reminder_claim(
    *, appointment_id: int, start: dt.datetime, now: dt.datetime, due: dt.datetime | None = None
) -> ReminderClaim | None:
    """Note that the reminder due at `due` of a session still booked at `start`, not yet begun,
    is being sent now, and make the next planned reminder the one due; None when nothing is to
    be sent (cancelled, moved, begun, or this reminder already sent). Noted before sending, so
    that it is never sent twice. `due` None (a reminder queued before there were several)
    stands for the reminder due now, if any."""
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().filter(pk=appointment_id).first()
        if (
            appointment is None
            or appointment.client_id is None
            or appointment.status != Status.BOOKED
            or appointment.start != start
            or appointment.start <= now
            or appointment.reminder_due_at is None
        ):
            return None
        planned = appointment.reminder_due_at
        if (due is not None and planned != due) or (due is None and planned > now):
            return None
        claim = ReminderClaim(due=planned, earlier=appointment.reminder_sent_at)
        appointment.reminder_sent_at = now
        appointment.reminder_due_at = reminder_after(start=appointment.start, sent_due=planned)
        appointment.save(update_fields=["reminder_sent_at", "reminder_due_at"])
    return claim


def appointment_reminder_unclaim(*, appointment_id: int, claimed_at: dt.datetime, claim: ReminderClaim) -> None:
    """Sending the reminder claimed at `claimed_at` failed: take the claim back so that a retry
    can send it."""
    with transaction.atomic():
        Appointment.objects.filter(pk=appointment_id, reminder_sent_at=claimed_at).update(
            reminder_sent_at=claim.earlier, reminder_due_at=claim.due
        )


# --- Private calendar addresses ------------------------------------------------------------------
# The token in the address is a bearer secret: only its SHA-256 digest is stored (see feeds.py).


def calendar_feed_issue(*, user: User, now: dt.datetime | None = None) -> tuple[CalendarFeed, str]:
    """A new private address for `user`; any earlier one stops working. The raw token is
    returned once and never stored."""
    if feed_owner(user) is None:
        raise Forbidden("Calendar feeds are for clients and providers with a carematch record.")
    now = now or timezone.now()
    raw = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
                revoked_at=now, revoked_reason=FeedRevoked.REPLACED
            )
            feed = CalendarFeed.objects.create(user=user, prefix=raw[:11], digest=token_digest(raw), created_at=now)
    except IntegrityError:
        raise Conflict(gettext("A new calendar address was just made for you. Reload the page.")) from None
    return feed, raw


def calendar_feed_revoke(
    *, user: User, now: dt.datetime | None = None, reason: str = FeedRevoked.TURNED_OFF
) -> int:
    """Turn off the person's calendar address, noting why (a FeedRevoked value); the number
    of addresses turned off."""
    if reason not in FeedRevoked.values:
        raise ValueError(f"reason must be one of {', '.join(FeedRevoked.values)}")
    with transaction.atomic():
        return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=now or timezone.now(), revoked_reason=reason
        )


_FEED_LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def calendar_feed_find(*, raw: str, now: dt.datetime | None = None) -> CalendarFeed | None:
    """The live feed of an active person with this token, or None. Notes when it was last read."""
    if not raw.startswith(FEED_TOKEN_PREFIX) or len(raw) > 64:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is None:
        return None
    now = now or timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > _FEED_LAST_USED_RESOLUTION:
        with transaction.atomic():
            CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed


# --- A client closing their account, and erasing it once the retention period ends ---------------


def upcoming_appointments_cancel(*, client: Client, by: User, now: dt.datetime | None = None) -> int:
    """Cancel every booked session of `client` still to come, because their account is closing:
    each through `appointment_cancel`, so their provider is told as usual. Closing an account is
    never held against the person as a late cancellation. How many were cancelled."""
    now = now or timezone.now()
    cancelled = 0
    with transaction.atomic():
        upcoming = Appointment.objects.filter(client=client, status=Status.BOOKED, start__gt=now).order_by("start")
        for appointment in upcoming:
            appointment_cancel(appointment=appointment, by=by, now=now, may_count_late=False)
            cancelled += 1
    return cancelled


def care_requests_close(*, client: Client, now: dt.datetime | None = None) -> int:
    """Close the client's requests for care still waiting for a first session (their account is
    closing: nobody is waiting any more). How many were closed."""
    now = now or timezone.now()
    with transaction.atomic():
        return CareRequest.objects.filter(
            client=client, closed_at__isnull=True, first_appointment__isnull=True
        ).update(closed_at=now)


def _deleted(by_model: dict[str, int]) -> Counter[str]:
    return Counter({label: n for label, n in by_model.items() if n})


def appointments_purge_for_client(*, client_id: int) -> Counter[str]:
    """Erase the client's appointments and the series they were booked in, requests for care,
    crisis requests with their contact attempts, and booking replay records (the retention
    period of their closed account has ended). Rows of other apps that protect an appointment
    (session ratings) must be erased first. Rows erased, by model label."""
    deleted: Counter[str] = Counter()
    with transaction.atomic():
        # Appointments and care requests point at each other (both nullable): clear the care
        # request's link first so either can go.
        CareRequest.objects.filter(first_appointment__client_id=client_id).update(first_appointment=None)
        for rows in (
            CareRequest.objects.filter(client_id=client_id),
            CrisisAttempt.objects.filter(crisis_request__client_id=client_id),
            IdempotencyRecord.objects.filter(appointment__client_id=client_id),
            CrisisRequest.objects.filter(client_id=client_id),
            Appointment.objects.filter(client_id=client_id),
            Series.objects.filter(client_id=client_id),
        ):
            deleted.update(_deleted(rows.delete()[1]))
    return deleted


# --- A note for the therapist: the person's own words, for the provider they book -----------------

NOTE_FOR_THERAPIST_MAX = 1000


def care_request_coverage_set(*, request_id: int, payer: str | None, plan_id: str | None,
                              deductible_left_usd: Decimal | None, oop_left_usd: Decimal | None) -> CareRequest:
    """Keep what the person said about their insurance plan on their request for care (for the
    cost estimates of their matches), or clear it. InvalidInput names each field that is wrong
    (coverage.selectors.plan_choice_problems): a plan of another payer, a plan without
    insurance, a negative amount, an amount without a plan."""
    from carematch.coverage.selectors import plan_choice_check

    plan_choice_check(payer=payer, plan_id=plan_id, deductible_left_usd=deductible_left_usd,
                      oop_left_usd=oop_left_usd)
    with transaction.atomic():
        request = CareRequest.objects.select_for_update().get(pk=request_id)
        request.payer, request.plan_id = payer or "", plan_id or ""
        request.deductible_left_usd, request.oop_left_usd = deductible_left_usd, oop_left_usd
        request.save(update_fields=["payer", "plan_id", "deductible_left_usd", "oop_left_usd"])
        return request


def care_request_note_set(*, request_id: int, note: str) -> CareRequest:
    """Keep what the person wrote for their therapist on their request for care (encrypted at
    rest); an empty note removes it. Only a request not yet answered by a booking takes one:
    the therapist booked has been told already."""
    note = note.strip()
    if len(note) > NOTE_FOR_THERAPIST_MAX:
        raise InvalidInput(gettext("Keep it to %(most)s characters.") % {"most": f"{NOTE_FOR_THERAPIST_MAX:,}"},
                           fields={"note_for_therapist": f"at most {NOTE_FOR_THERAPIST_MAX} characters"})
    with transaction.atomic():
        request = CareRequest.objects.select_for_update().get(pk=request_id)
        if request.first_appointment_id is not None or request.closed_at is not None:
            raise Conflict(gettext("This request for care has been answered; tell your therapist in your session."),
                           fields={"note_for_therapist": "the request is no longer open"})
        request.note_for_therapist = note
        request.save(update_fields=["note_for_therapist"])
        return request


def _carry_note_for_therapist(*, source: CareRequest, target: CareRequest) -> None:
    """A request made before logging in gives way to the client's older open one: its note goes with it."""
    if source.note_for_therapist:
        target.note_for_therapist = source.note_for_therapist
        target.save(update_fields=["note_for_therapist"])
        source.note_for_therapist = ""
        source.save(update_fields=["note_for_therapist"])


def care_request_notes_erase(*, client: Client) -> int:
    """Erase every note the client wrote for a therapist (their account is closing). How many."""
    with transaction.atomic():
        return CareRequest.objects.filter(client=client).exclude(note_for_therapist="").update(note_for_therapist="")


# --- Ongoing sessions: a standing series, cancelling the rest, attendance -------------------------


@dataclass(frozen=True)
class SeriesSkip:
    start: dt.datetime
    reason: str


@dataclass(frozen=True)
class SeriesBooking:
    series: Series
    booked: list[Appointment]
    skipped: list[SeriesSkip]


def acts_as_provider_of(*, appointment: Appointment, by: User) -> bool:
    if not by.is_active:
        return False
    if by.role in STAFF_ROLES:
        return True
    provider = getattr(by, "provider", None) if by.role == Role.PROVIDER else None
    return provider is not None and provider.pk == appointment.provider_id


def may_book_series(*, appointment: Appointment, by: User) -> bool:
    """The session's provider, a coordinator or an admin; and the session's own client when
    their provider lets clients book a series themselves (Provider.clients_book_series)."""
    if acts_as_provider_of(appointment=appointment, by=by):
        return True
    client = appointment.client
    return (by.is_active and by.role == Role.CLIENT and client is not None and client.user_id == by.pk
            and appointment.provider.clients_book_series)


def _series_terms(*, every_weeks: Any, count: Any, until: Any, first_day: dt.date) -> None:
    problems: dict[str, str] = {}
    most = settings.SERIES_MAX_SESSIONS
    if every_weeks not in (1, 2):
        problems["every_weeks"] = "must be 1 (weekly) or 2 (every two weeks)"
    if count is None and until is None:
        problems["count"] = "give how many sessions, or an until date"
    if count is not None and not (isinstance(count, int) and 1 <= count <= most):
        problems["count"] = f"must be a whole number from 1 to {most}"
    if until is not None and until <= first_day:
        problems["until"] = "must be after the session's date"
    elif until is not None and count is None and every_weeks in (1, 2) and (
        (until - first_day).days // (7 * every_weeks) > most
    ):
        last = first_day + dt.timedelta(weeks=every_weeks * most)
        problems["until"] = f"a series has at most {most} sessions: choose {last.isoformat()} or sooner, or a count"
    if problems:
        raise InvalidInput.for_fields(problems)


def _skip_reason(*, provider: Provider, start: dt.datetime, error: DomainError) -> str:
    """Why the booking service refused a date of a series, in words the provider can act on."""
    from carematch.lib.holidays_us import is_federal_holiday

    if isinstance(error, SlotTaken):
        return "Another booking or hold already has that hour."
    if isinstance(error, InvalidSlot) and (error.fields or {}).get("start") == "not an opening":
        local_day = start.astimezone(zone(provider.timezone)).date()
        if not provider.works_holidays and is_federal_holiday(local_day):
            return "A federal holiday, which the provider does not work."
        if provider.time_off.filter(start__lt=start + SESSION, end__gt=start).exists():
            return "The provider is away then (time off)."
        return "Not one of the provider's openings (outside their weekly hours, or sooner than their notice)."
    return error.detail


def appointment_series_book(
    *, appointment: Appointment, by: User, every_weeks: int, count: int | None = None,
    until: dt.date | None = None, now: dt.datetime | None = None,
) -> SeriesBooking:
    """Book a standing series after a session: the same time on the provider's clock every
    `every_weeks` weeks (1 or 2), `count` dates or up to `until` (the provider's date), at most
    CAREMATCH_SERIES_MAX_SESSIONS dates. Every date is booked through `appointment_book`, with
    every rule of any booking; a date it refuses (a holiday, time off, another booking, a licence
    not in force, outside the provider's hours, the client's own session then, a time the clocks
    skip) is skipped and reported with the reason, never dropped. Only the session's provider
    and coordinators or admins book a series, and the session's client when the provider lets
    clients do so (may_book_series); other clients ask their provider. Both parties get one
    email about the whole series (what was booked and what was not), and each session its
    reminders."""
    now = now or timezone.now()
    if not may_book_series(appointment=appointment, by=by):
        raise Forbidden("Only the session's provider or a coordinator can book a series (or the client, where "
                        "the provider allows it).")
    provider = appointment.provider
    first_day = appointment.start.astimezone(zone(provider.timezone)).date()
    _series_terms(every_weeks=every_weeks, count=count, until=until, first_day=first_day)
    with transaction.atomic():
        origin = Appointment.objects.select_for_update(of=("self",)).select_related("provider", "client").get(
            pk=appointment.pk
        )
        if origin.client is None or origin.status not in (Status.BOOKED, Status.COMPLETED):
            raise Conflict("A series follows a booked or attended session; this one is "
                           f"{origin.get_status_display().lower()}.", fields={"status": origin.status})
        client = origin.client
        local = origin.start.astimezone(zone(provider.timezone))
        series = Series.objects.create(
            provider=provider, client=client, origin=origin, every_weeks=every_weeks,
            local_time=local.time().replace(tzinfo=None), timezone=provider.timezone, count=count, until=until,
            created_at=now, created_by=by,
        )
        dates = series_dates(first=origin.start, tz_name=provider.timezone, every_weeks=every_weeks, count=count,
                             until=until, after=now, most=settings.SERIES_MAX_SESSIONS)
        booked: list[Appointment] = []
        skipped: list[SeriesSkip] = []
        for date in dates:
            if date.problem:
                skipped.append(SeriesSkip(date.start, date.problem))
                continue
            if Appointment.objects.claiming(now=now).filter(
                client=client, start__lt=date.start + SESSION, end__gt=date.start
            ).exists():
                skipped.append(SeriesSkip(date.start, "The client already has a session at that time."))
                continue
            try:
                session = appointment_book(provider=provider, client=client, start=date.start, format=origin.format,
                                           by=by, now=now, notify=False)
            except DomainError as exc:
                skipped.append(SeriesSkip(date.start, _skip_reason(provider=provider, start=date.start, error=exc)))
                continue
            session.series = series
            session.save(update_fields=["series"])
            booked.append(session)
        series.skipped = [{"start": skip.start.isoformat(), "reason": skip.reason} for skip in skipped]
        series.save(update_fields=["skipped"])
        series_id = series.pk
        transaction.on_commit(lambda: _series_booked(series_id))
    logger.info("series %s of appointment %s: %s booked, %s skipped", series.pk, origin.pk, len(booked),
                len(skipped))
    return SeriesBooking(series=series, booked=booked, skipped=skipped)


def series_cancel_rest(*, appointment: Appointment, by: User, now: dt.datetime | None = None) -> list[Appointment]:
    """Cancel this session of a series and every later one still booked, each through
    `appointment_cancel` (so each is recorded, emailed and its calendar SEQUENCE raised, with
    the cancellation policy applied to each as if cancelled alone). The sessions cancelled."""
    now = now or timezone.now()
    with transaction.atomic():
        found = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
        if found.series_id is None:
            raise Conflict("This session is not part of a series.", fields={"series": "none"})
        rest = list(Appointment.objects.filter(series_id=found.series_id, status=Status.BOOKED,
                                               start__gte=found.start, start__gt=now).order_by("start"))
        if not rest:
            raise Conflict("No session of this series from here on is still to come.",
                           fields={"series": "nothing left to cancel"})
        return [appointment_cancel(appointment=session, by=by, now=now) for session in rest]


def appointment_attendance_mark(
    *, appointment: Appointment, attended: bool, by: User, now: dt.datetime | None = None
) -> Appointment:
    """The session's provider (or a coordinator or admin) records, once and only after the
    start, that the client came (completed) or did not (no-show). After a no-show the client is
    sent a kind note with a link to book again with the same provider."""
    now = now or timezone.now()
    if not acts_as_provider_of(appointment=appointment, by=by):
        raise Forbidden("Only the session's provider or a coordinator can record attendance.")
    with transaction.atomic():
        found = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if found.status != Status.BOOKED:
            raise Conflict(f"This session is {found.get_status_display().lower()}: attendance is recorded once, "
                           "for a booked session.", fields={"status": found.status})
        if found.start > now:
            raise Conflict("Attendance can be recorded once the session has started.",
                           fields={"start": "not started yet"})
        found.status = Status.COMPLETED if attended else Status.NO_SHOW
        found.attendance_marked_at = now
        found.save(update_fields=["status", "attendance_marked_at"])
        if not attended:
            transaction.on_commit(lambda: _no_show_note(found.pk))
    logger.info("appointment %s marked %s", found.pk, found.status)
    return found


def _no_show_note(appointment_id: int) -> None:
    from . import notifications

    notifications.no_show_note_queue(appointment_id=appointment_id)


def _series_booked(series_id: int) -> None:
    from . import notifications

    notifications.series_booked(series_id=series_id)

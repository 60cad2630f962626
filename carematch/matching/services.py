"""Matching: finding providers for a request, and every write to the waitlist (joining it,
placing everyone waiting into openings and booking them, leaving it when an account closes,
and erasing a client's entries once the retention period ends)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from django.db import transaction
from django.utils import timezone

from carematch.accounts.models import Client
from carematch.directory import payers
from carematch.directory.models import Provider
from carematch.lib.errors import Conflict, DomainError, InvalidInput
from carematch.scheduling import services as scheduling

from .assignment import assign_greedy, assign_optimal
from .busy import busy_lookup
from .engine.match import find_matches
from .engine.request import check_request
from .engine.types import MatchAnswer, MatchRequest
from .models import WaitlistEntry
from .snapshot import directory_snapshot
from .waitlist import WaitlistRun, fit_matrix, outcome_of, request_to_json


def match_find(*, request: MatchRequest, now: dt.datetime | None = None, asking: bool = False) -> MatchAnswer:
    """The providers who fit `request` best (at most `request.limit`), each with up to three
    of their soonest openings, and, when there are fewer, the single changes to the request
    that would find more. Bad input raises InvalidInput naming each field that is wrong;
    `asking` (a person asking now) holds the request to what a person is asked for
    (engine.request.check_request)."""
    now = now or timezone.now()
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput("The time of the request must say its time zone.", fields={"now": "must be aware"})
    request = match_request_check(request, now=now, asking=asking)
    return find_matches(directory_snapshot(), request, now=now, busy=busy_lookup(now=now))


def match_request_check(request: MatchRequest, *, now: dt.datetime, asking: bool = False) -> MatchRequest:
    """engine.request.check_request, and the payer asked for among this deployment's payers
    (they are data: directory.models.Payer). Returns the request with the payer's name for
    the reasons; InvalidInput names every field that is wrong, the payer's among them."""
    name = None
    if request.insurance is not None and isinstance(request.insurance, str):
        name = payers.KNOWN.get(request.insurance)
    unknown = {"insurance": f"unknown payer '{request.insurance}'"} if request.insurance and name is None else {}
    try:
        check_request(request, now=now, asking=asking)
    except InvalidInput as exc:
        if unknown:
            raise InvalidInput(exc.detail, fields={**exc.fields, **unknown}) from None
        raise
    if unknown:
        raise InvalidInput("Some of what was asked for cannot be used to find a match.", fields=unknown)
    return dataclasses.replace(request, insurance_name=name) if name else request


# --- The waitlist --------------------------------------------------------------------------------


def waitlist_join(*, client: Client, request: MatchRequest, care_request_id: int | None = None,
                  now: dt.datetime | None = None) -> WaitlistEntry:
    """Put the client on the waitlist with what they asked for. One waiting entry each:
    joining again updates what they asked for and keeps their place."""
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().filter(
            client=client, status=WaitlistEntry.Status.WAITING
        ).first()
        if entry is not None:
            entry.request = request_to_json(request)
            entry.save(update_fields=["request"])
            return entry
        return WaitlistEntry.objects.create(
            client=client, request=request_to_json(request), care_request_id=care_request_id,
            created_at=now or timezone.now(),
        )


def waitlist_assign(*, now: dt.datetime | None = None, within_hours: int = 48, compare: bool = False,
                    book: bool = True) -> WaitlistRun:
    """Place waiting entries into openings (optimal assignment) and book them.

    With `compare`, the same input is also placed first-come-first-served, for comparison
    only. Each booking goes through the same booking service as everyone else's, so an
    opening taken meanwhile is simply not booked (and counted as failed)."""
    now = now or timezone.now()
    entries = list(WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).select_related("client"))
    fit, keys = fit_matrix(entries, now=now, within_hours=within_hours, find=match_find)
    optimal = assign_optimal(fit)
    greedy = outcome_of("first come, first served", assign_greedy(fit), keys, now) if compare else None
    booked = failed = 0
    if book:
        providers = Provider.objects.prefetch_related("licenses", "windows").in_bulk(
            {keys[col][0] for col in optimal.columns if col is not None}
        )
        for entry, col in zip(entries, optimal.columns, strict=True):
            if col is None:
                continue
            provider_id, start, formats = keys[col]
            try:
                _waitlist_entry_book(entry=entry, provider=providers[provider_id], start=start, format=formats[0],
                                     now=now)
            except DomainError:
                failed += 1
            else:
                booked += 1
    return WaitlistRun(
        waiting=len(entries), openings=len(keys), optimal=outcome_of("optimal", optimal, keys, now), greedy=greedy,
        booked=booked, failed=failed,
    )


def _waitlist_entry_book(*, entry: WaitlistEntry, provider: Provider, start: dt.datetime, format: str,
                         now: dt.datetime) -> None:
    """Book the opening for the entry and mark it placed, or neither (a DomainError when the
    entry is no longer waiting or the opening cannot be booked)."""
    with transaction.atomic():
        locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status != WaitlistEntry.Status.WAITING:
            raise Conflict("This entry is no longer waiting.")
        appointment = scheduling.appointment_book(
            provider=provider, client=entry.client, start=start, format=format, by=entry.client.user, now=now,
        )
        locked.status, locked.placed_at, locked.appointment = WaitlistEntry.Status.PLACED, now, appointment
        locked.save(update_fields=["status", "placed_at", "appointment"])


def waitlist_leave(*, client: Client) -> int:
    """Take the client off the waitlist (their account is closing): their entries hold what
    they asked for and are no part of the care record. How many entries were removed."""
    with transaction.atomic():
        return WaitlistEntry.objects.filter(client=client).delete()[0]


def waitlist_purge_for_client(*, client_id: int) -> Counter[str]:
    """Erase every waitlist entry of the client (the retention period of their closed account
    has ended). Rows erased, by model label."""
    with transaction.atomic():
        _, by_model = WaitlistEntry.objects.filter(client_id=client_id).delete()
    return Counter({label: n for label, n in by_model.items() if n})

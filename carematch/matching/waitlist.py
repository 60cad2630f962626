"""The waitlist: people for whom nothing fitted yet, placed all at once into open
first-session openings so that as many as possible are seen within 48 hours and, among
those placements, the total fit is as high as possible (see assignment.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from carematch.accounts.models import Client
from carematch.directory.models import Provider
from carematch.lib.errors import Conflict, DomainError
from carematch.scheduling import services as scheduling

from .assignment import Assignment, assign_greedy, assign_optimal
from .engine.types import FormatChoice, MatchRequest
from .models import WaitlistEntry

CANDIDATES_PER_ENTRY = 20  # the most one match request returns
FORMAT_CHOICES: list[FormatChoice] = ["telehealth", "any", "in_person"]


def request_to_json(request: MatchRequest) -> dict[str, Any]:
    data = dataclasses.asdict(request)
    data.pop("earliest")
    return data


def request_from_json(data: dict[str, Any], *, earliest: dt.datetime, within_hours: int,
                      limit: int) -> MatchRequest:
    fields = {f.name for f in dataclasses.fields(MatchRequest)}
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in fields}
    values |= {"earliest": earliest, "within_hours": within_hours, "limit": limit}
    return MatchRequest(**values)


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


@dataclass(frozen=True)
class Outcome:
    name: str
    placed: int
    placed_within_48h: int
    total_fit: float


@dataclass(frozen=True)
class WaitlistRun:
    waiting: int
    openings: int
    optimal: Outcome
    greedy: Outcome | None
    booked: int
    failed: int


def _fit_matrix(entries: list[WaitlistEntry], *, now: dt.datetime, within_hours: int
                ) -> tuple[np.ndarray, list[tuple[int, dt.datetime, tuple[str, ...]]]]:
    from .services import match_find

    columns: dict[tuple[int, dt.datetime], int] = {}
    keys: list[tuple[int, dt.datetime, tuple[str, ...]]] = []
    cells: list[tuple[int, int, float]] = []
    for row, entry in enumerate(entries):
        request = request_from_json(entry.request, earliest=now, within_hours=within_hours,
                                    limit=CANDIDATES_PER_ENTRY)
        for found in match_find(request=request, now=now).matches:
            for rank, opening in enumerate(found.openings):
                key = (found.provider_id, opening.start)
                if key not in columns:
                    columns[key] = len(keys)
                    keys.append((found.provider_id, opening.start, opening.formats))
                # The match's fit, a touch more for its sooner openings.
                cells.append((row, columns[key], max(0.0, found.score - 0.001 * rank)))
    fit = np.full((len(entries), len(keys)), np.nan)
    for row, col, value in cells:
        fit[row, col] = value
    return fit, keys


def _outcome(name: str, result: Assignment, keys: list[tuple[int, dt.datetime, tuple[str, ...]]],
             now: dt.datetime) -> Outcome:
    within = sum(
        1 for col in result.columns if col is not None and keys[col][1] < now + dt.timedelta(hours=48)
    )
    return Outcome(name, result.placed, within, round(result.total_fit, 4))


def waitlist_assign(*, now: dt.datetime | None = None, within_hours: int = 48, compare: bool = False,
                    book: bool = True) -> WaitlistRun:
    """Place waiting entries into openings (optimal assignment) and book them.

    With `compare`, the same input is also placed first-come-first-served, for comparison
    only. Each booking goes through the same booking service as everyone else's, so an
    opening taken meanwhile is simply not booked (and counted as failed)."""
    now = now or timezone.now()
    entries = list(WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).select_related("client"))
    fit, keys = _fit_matrix(entries, now=now, within_hours=within_hours)
    optimal = assign_optimal(fit)
    greedy = _outcome("first come, first served", assign_greedy(fit), keys, now) if compare else None
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
                _book_entry(entry=entry, provider=providers[provider_id], start=start, format=formats[0], now=now)
            except DomainError:
                failed += 1
            else:
                booked += 1
    return WaitlistRun(
        waiting=len(entries), openings=len(keys), optimal=_outcome("optimal", optimal, keys, now), greedy=greedy,
        booked=booked, failed=failed,
    )


def _book_entry(*, entry: WaitlistEntry, provider: Provider, start: dt.datetime, format: str,
                now: dt.datetime) -> None:
    with transaction.atomic():
        locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status != WaitlistEntry.Status.WAITING:
            raise Conflict("This entry is no longer waiting.")
        appointment = scheduling.appointment_book(
            provider=provider, client=entry.client, start=start, format=format, by=entry.client.user, now=now,
        )
        locked.status, locked.placed_at, locked.appointment = WaitlistEntry.Status.PLACED, now, appointment
        locked.save(update_fields=["status", "placed_at", "appointment"])


def demo_backlog(*, count: int, seed: int, now: dt.datetime) -> int:
    """Synthetic people waiting (demo data only): realistic requests across the states,
    weighted like the demo network. Returns how many entries were created."""
    import random

    from faker import Faker

    from carematch.accounts import services as accounts
    from carematch.directory.demo import CONCERN_WEIGHTS, PAYER_WEIGHTS, STATE_POPULATION
    from carematch.lib import geo
    from carematch.lib.timezones import STATE_ZONE

    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, reproducible on purpose
    fake = Faker("en_US")
    fake.seed_instance(seed)
    states, weights = list(STATE_POPULATION), list(STATE_POPULATION.values())
    zips: dict[str, list[str]] = {}
    for zip_code, (_, _, state) in sorted(geo._centroids().items()):
        zips.setdefault(state, []).append(zip_code)
    created = 0
    for i in range(count):
        email = f"waiting{seed}-{i}@demo.carematch.test"
        if Client.objects.filter(user__email=email).exists():
            continue
        state = rng.choices(states, weights)[0]
        zip_code = rng.choice(zips[state])
        age = rng.randint(19, 70)
        client = accounts.client_create(
            email=email, first_name=fake.first_name(), last_name=fake.last_name(),
            date_of_birth=dt.date(now.year - age, rng.randint(1, 12), rng.randint(1, 28)), state=state, zip=zip_code,
            timezone_name=STATE_ZONE[state],
        )
        names, values = list(CONCERN_WEIGHTS), list(CONCERN_WEIGHTS.values())
        concerns = tuple(dict.fromkeys(rng.choices(names, values, k=rng.randint(1, 3))))
        insured = rng.random() < 0.7
        request = MatchRequest(
            state=state, zip=zip_code, age=age, concerns=concerns, earliest=now,
            format=rng.choices(FORMAT_CHOICES, [60, 30, 10])[0],
            languages=("en", "es") if rng.random() < 0.15 else ("en",),
            insurance=rng.choices(list(PAYER_WEIGHTS), list(PAYER_WEIGHTS.values()))[0] if insured else None,
            self_pay_max=None if insured else rng.choice([80, 100, 120, 150, 200]),
            client_timezone=STATE_ZONE[state],
        )
        waitlist_join(client=client, request=request, now=now - dt.timedelta(minutes=count - i))
        created += 1
    return created

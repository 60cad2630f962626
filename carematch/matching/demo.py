"""Demo data of matching: a synthetic backlog of people waiting (`carematch seed_waitlist`).
Everything here is synthetic; entries are made through the same services as real ones."""

from __future__ import annotations

import datetime as dt

from carematch.accounts.models import Client

from .engine.types import FormatChoice, MatchRequest
from .services import waitlist_join

FORMAT_CHOICES: list[FormatChoice] = ["telehealth", "any", "in_person"]


def demo_backlog(*, count: int, seed: int, now: dt.datetime) -> int:
    """Synthetic people waiting (demo data only): realistic requests across the states,
    weighted like the demo network. Returns how many entries were created."""
    import random

    from carematch.accounts import services as accounts
    from carematch.directory.demo import CONCERN_WEIGHTS, PAYER_WEIGHTS, STATE_POPULATION, demo_faker
    from carematch.lib import geo
    from carematch.lib.timezones import STATE_ZONE

    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, reproducible on purpose
    fake = demo_faker(seed)
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

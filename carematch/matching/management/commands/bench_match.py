"""Match speed on a large synthetic directory, held to the reference matcher.

    carematch bench_match --providers 100000 --queries 200

Builds a synthetic network of that size (`bulk_records`: the deterministic demo network,
recombined in bulk above 100,000 providers), with bookings, holds, time off and recent new
clients, in a throwaway SQLite database, and publishes the matching snapshot as the deploy
step does (`snapshot_build_and_write_s`); then answers seeded, realistic requests with
`match_find` and the first `--reference-queries` of them (a sample: the count is printed)
with the reference matcher as well, checks that both give the same answers, and prints one
JSON line of figures.

The work runs in two child processes of this command, each with the throwaway database
set in its environment before Django reads its settings: one loads the directory and
writes the snapshot, the other measures as a further worker of the machine would: it maps
the snapshot (`snapshot_map_s`) and answers. `worker_rss_mb` and `worker_private_mb` are
its memory after the engine's queries (the private part excludes the mapped snapshot's
pages, which every process of the machine shares); `peak_rss_mb` also covers the reference
matcher, which reads the whole directory into Python objects. The database and its folder
are removed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from carematch.lib import geo
from carematch.matching.engine.types import FormatChoice, TimeOfDay

_PLACE = "CAREMATCH_BENCH_DIR"
FORMATS: list[FormatChoice] = ["any", "telehealth", "in_person"]
TIMES: list[TimeOfDay] = ["morning", "afternoon", "evening"]
_RECORDS_PER_SEED = 100_000  # demo NPIs have five digits for the provider's number


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Time match_find on a synthetic directory against the reference matcher; prints one JSON line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--providers", type=int, default=100_000)
        parser.add_argument("--queries", type=int, default=200)
        parser.add_argument("--reference-queries", type=int, default=None,
                            help="how many of the queries the reference matcher answers too (it is slow: about "
                                 "2 s a query at 100,000 providers, 2 minutes at 1,000,000); by default 20 up to "
                                 "100,000 providers and a sample of 3 above")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--stage", choices=["load", "measure"], help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reference_queries"] is None:
            options["reference_queries"] = 20 if options["providers"] <= 100_000 else 3
        if options["providers"] < 1 or options["queries"] < 1 or options["reference_queries"] < 0:
            raise CommandError("--providers and --queries must be at least 1, --reference-queries at least 0.")
        stage = options["stage"]
        if stage is None:
            self._run(options)
            return
        place = os.environ.get(_PLACE, "")
        if not place or not str(settings.DATABASES["default"]["NAME"]).startswith(place):
            raise CommandError("The bench's stages run only in the throwaway database that bench_match sets up.")
        if stage == "load":
            _load(providers=options["providers"], seed=options["seed"])
        else:
            figures = _measure(queries=options["queries"], reference_queries=options["reference_queries"],
                               seed=options["seed"])
            self.stdout.write(json.dumps(figures))

    def _run(self, options: dict[str, Any]) -> None:
        place = Path(tempfile.mkdtemp(prefix="carematch-bench-"))
        env = {
            **os.environ,
            "CAREMATCH_DEBUG": "1",
            "CAREMATCH_VAR_DIR": str(place),
            "CAREMATCH_DATABASE_URL": f"sqlite:///{place / 'bench.sqlite3'}",
            "CAREMATCH_LOG_LEVEL": "WARNING",
            "CAREMATCH_MATCH_SNAPSHOT_REFRESH": "background",  # as deployed: one mapped snapshot on disk
            "DJANGO_SETTINGS_MODULE": "carematch.settings",
            _PLACE: str(place),
        }
        common = ["--providers", str(options["providers"]), "--queries", str(options["queries"]),
                  "--reference-queries", str(options["reference_queries"]), "--seed", str(options["seed"])]
        try:
            began = time.perf_counter()
            subprocess.run(  # noqa: S603 - this interpreter running this command
                [sys.executable, "-m", "carematch", "bench_match", "--stage", "load", *common],
                env=env, check=True, stdout=sys.stderr,
            )
            load_s = time.perf_counter() - began
            measured = subprocess.run(  # noqa: S603
                [sys.executable, "-m", "carematch", "bench_match", "--stage", "measure", *common],
                env=env, check=True, capture_output=True, text=True,
            )
        except subprocess.CalledProcessError as exc:
            raise CommandError(f"The bench stopped: {exc}\n{exc.stderr or ''}") from None
        finally:
            shutil.rmtree(place, ignore_errors=True)
        figures = json.loads(measured.stdout.strip().splitlines()[-1])
        figures["load_s"] = round(load_s, 1)
        self.stdout.write(json.dumps(figures))


def _load(*, providers: int, seed: int) -> None:
    """Migrate the throwaway database and fill it: the demo network, and around it the
    bookings, live holds, time off and recent first sessions a busy week has."""
    from carematch.accounts.models import Client, Role, User
    from carematch.directory.models import Provider, TimeOff
    from carematch.directory.services import providers_upsert
    from carematch.lib.sessions import SESSION
    from carematch.scheduling.models import Appointment, CareRequest, Status
    from carematch.scheduling.openings import Window, opening_starts

    call_command("migrate", verbosity=0)
    now, today = timezone.now(), timezone.localdate()
    for records in bulk_records(providers=providers, seed=seed, today=today):
        providers_upsert(records=records)
        del records

    rng = random.Random(seed)  # noqa: S311 - synthetic bench data, reproducible on purpose
    User.objects.bulk_create(
        [User(email=f"bench-client-{n}@bench.carematch.test", role=Role.CLIENT) for n in range(300)]
    )
    users = list(User.objects.filter(email__endswith="@bench.carematch.test").order_by("pk"))
    Client.objects.bulk_create([
        Client(user=user, first_name="Bench", last_name=f"Client {n}", date_of_birth=dt.date(1990, 1, 1),
               state="CO", timezone="America/Denver")
        for n, user in enumerate(users)
    ])
    clients = list(Client.objects.filter(user__in=users).order_by("pk"))
    claims, time_off, first_sessions = [], [], []
    taken: set[tuple[int, dt.datetime]] = set()
    rows = Provider.objects.matchable().prefetch_related("windows").order_by("pk")
    for provider in rows.iterator(chunk_size=2000):
        draw = rng.random()
        if draw < 0.12:  # booked sessions and live holds on their soonest openings
            starts = opening_starts(
                windows=[Window(w.weekday, w.start, w.end) for w in provider.windows.all()],
                tz_name=provider.timezone, start=now, end=now + dt.timedelta(hours=72), now=now,
                min_notice=dt.timedelta(hours=provider.min_notice_hours), works_holidays=provider.works_holidays,
            )
            for start in starts[: rng.randint(1, 3)]:
                client = rng.choice(clients)
                if (client.pk, start) in taken:
                    continue
                taken.add((client.pk, start))
                held = rng.random() < 0.3
                claims.append(Appointment(
                    provider=provider, client=client, start=start, end=start + SESSION,
                    format=provider.formats[0], status=Status.HELD if held else Status.BOOKED,
                    hold_expires_at=now + dt.timedelta(days=1) if held else None,
                    booked_at=None if held else now,
                ))
        elif draw < 0.15:
            away = now + dt.timedelta(hours=rng.randint(0, 48))
            time_off.append(TimeOff(provider=provider, start=away, end=away + dt.timedelta(hours=rng.randint(4, 72))))
        if rng.random() < 0.1:  # new clients seen in the last two weeks
            for _ in range(rng.randint(1, 3)):
                past = now - dt.timedelta(days=rng.randint(1, 13), hours=rng.randint(0, 23))
                past = past.replace(minute=0, second=0, microsecond=0)
                client = rng.choice(clients)
                if (client.pk, past) in taken:
                    continue
                taken.add((client.pk, past))
                first_sessions.append(Appointment(
                    provider=provider, client=client, start=past, end=past + SESSION,
                    format=provider.formats[0], status=Status.COMPLETED, booked_at=past - dt.timedelta(days=1),
                ))
    Appointment.objects.bulk_create(claims, batch_size=500)
    TimeOff.objects.bulk_create(time_off, batch_size=500)
    saved = Appointment.objects.bulk_create(first_sessions, batch_size=500)
    CareRequest.objects.bulk_create([
        CareRequest(client=session.client, requested_at=session.start - dt.timedelta(days=2),
                    first_appointment=session, first_start=session.start)
        for session in saved
    ], batch_size=500)
    from carematch.matching.snapshot import snapshot_refresh

    began = time.perf_counter()
    snapshot_refresh()  # as the deploy step (carematch match_snapshot): built and written once per machine
    publish_s = time.perf_counter() - began
    (Path(os.environ[_PLACE]) / "publish_s").write_text(f"{publish_s:.2f}")
    print(  # noqa: T201 - progress of the bench, on its own stream
        f"snapshot built and written in {publish_s:.1f} s; "
        f"loaded {Provider.objects.count()} providers, {len(claims)} bookings and holds, {len(time_off)} "
        f"time off, {len(saved)} recent first sessions; peak {_peak_rss_mb():.0f} MB",
        file=sys.stderr,
    )


def bulk_records(*, providers: int, seed: int, today: dt.date) -> Iterator[list[Any]]:
    """`providers` synthetic provider records, in parts of at most 100,000, generated in bulk: the
    first part is the demo network (carematch.directory.demo, about 45 s for 100,000 on this
    machine), each further part recombines its records (where they practise with their
    licenses, names, concerns and approaches, weekly windows, payers, each drawn from another
    record) under new NPIs, so that a million providers take seconds more, not eight minutes."""
    import dataclasses

    from carematch.directory.demo import demo_records
    from carematch.lib.npi import make_npi

    base = demo_records(count=min(_RECORDS_PER_SEED, providers), seed=seed, today=today)
    yield base
    rng = np.random.default_rng(seed)
    for part, first in enumerate(range(_RECORDS_PER_SEED, providers, _RECORDS_PER_SEED), start=1):
        count = min(_RECORDS_PER_SEED, providers - first)
        place, name, care, week, pay = (rng.integers(0, len(base), count).tolist() for _ in range(5))
        records = []
        for i in range(count):
            where, who, what, when, paid = base[place[i]], base[name[i]], base[care[i]], base[week[i]], base[pay[i]]
            records.append(dataclasses.replace(
                where,
                npi=make_npi(f"1{(seed + part) % 1000:03d}{i:05d}"),
                first_name=who.first_name, last_name=who.last_name, gender=who.gender,
                concerns=what.concerns, approaches=what.approaches, populations=what.populations,
                windows=when.windows, min_notice_hours=when.min_notice_hours, accepting_new=when.accepting_new,
                insurance=paid.insurance,
                licenses=tuple(dataclasses.replace(lic, number=f"{lic.number}-{part}") for lic in where.licenses),
                email=f"provider{part}-{i}@demo.carematch.test",
            ))
        yield records


def _requests(count: int, *, seed: int, now: dt.datetime) -> list[Any]:
    """Seeded requests shaped like real ones: where people live, what they ask about."""
    from carematch.directory.demo import APPROACH_WEIGHTS, CONCERN_WEIGHTS, PAYER_WEIGHTS, STATE_POPULATION, STATE_ZONE
    from carematch.matching.engine.types import MatchRequest

    rng = random.Random(seed + 1)  # noqa: S311 - synthetic bench data, reproducible on purpose
    states, weights = list(STATE_POPULATION), list(STATE_POPULATION.values())
    zips: dict[str, list[str]] = {}

    def pick(table: dict[str, int], k: int) -> tuple[str, ...]:
        chosen: list[str] = []
        while len(chosen) < k:
            item = rng.choices(list(table), list(table.values()))[0]
            if item not in chosen:
                chosen.append(item)
        return tuple(chosen)

    requests = []
    for _ in range(count):
        state = rng.choices(states, weights)[0]
        if state not in zips:
            zips[state] = sorted(geo.zips_in_state(state))  # the located ZIP codes of the state
        age = rng.choices([rng.randint(8, 12), rng.randint(13, 17), rng.randint(18, 64), rng.randint(65, 90)],
                          [4, 12, 70, 14])[0]
        insurance = rng.choice(list(PAYER_WEIGHTS)) if rng.random() < 0.5 else None
        languages = rng.choices([("en",), ("es",), ("es", "en")], [80, 10, 10])[0]
        requests.append(MatchRequest(
            state=state,
            zip=rng.choice(zips[state]),
            age=age,
            concerns=pick(CONCERN_WEIGHTS, rng.randint(1, 3)),
            approaches=pick(APPROACH_WEIGHTS, rng.randint(0, 2)),
            format=rng.choices(FORMATS, [60, 25, 15])[0],
            max_distance_miles=rng.choice([10, 25, 25, 50]),
            languages=languages,
            provider_gender=rng.choice(["female", "male"]) if rng.random() < 0.3 else None,
            insurance=insurance,
            self_pay_max=rng.randrange(80, 260, 10) if insurance is None and rng.random() < 0.6 else None,
            earliest=now,
            within_hours=rng.choices([48, 72, 168], [80, 15, 5])[0],
            limit=5,
            times_of_day=tuple(t for t in TIMES if rng.random() < 0.2),
            client_timezone=STATE_ZONE[state],
        ))
    return requests


def _same(engine: Any, reference: Any) -> bool:
    if engine.suggestions != reference.suggestions or len(engine.matches) != len(reference.matches):
        return False
    for mine, theirs in zip(engine.matches, reference.matches, strict=True):
        if (mine.provider_id, mine.openings, mine.reasons, mine.name, mine.npi) != (
            theirs.provider_id, theirs.openings, theirs.reasons, theirs.name, theirs.npi
        ) or abs(mine.score - theirs.score) > 1e-9:
            return False
    return True


def _measure(*, queries: int, reference_queries: int, seed: int) -> dict[str, Any]:
    from carematch.matching.reference import reference_match
    from carematch.matching.services import match_find
    from carematch.matching.snapshot import directory_snapshot

    now = timezone.now()
    began = time.perf_counter()
    directory = directory_snapshot()  # mapped from the files the load stage wrote, as a further worker does
    map_s = time.perf_counter() - began
    requests = _requests(queries, seed=seed, now=now)
    for request in requests[:3]:  # warm the caches of zones and holidays
        match_find(request=request, now=now)
    timings, answers = [], []
    for request in requests:
        began = time.perf_counter()
        answers.append(match_find(request=request, now=now))
        timings.append((time.perf_counter() - began) * 1000)
    worker_rss_mb, worker_private_mb = _memory_mb()
    reference_timings, agree = [], True
    for request, answer in list(zip(requests, answers, strict=True))[:reference_queries]:
        began = time.perf_counter()
        expected = reference_match(request=request, now=now)
        reference_timings.append((time.perf_counter() - began) * 1000)
        agree = agree and _same(answer, expected)
    p50 = float(np.percentile(timings, 50))
    reference_p50 = float(np.percentile(reference_timings, 50)) if reference_timings else None
    engine_on_reference = float(np.percentile(timings[:reference_queries], 50)) if reference_timings else None
    return {
        "providers": directory.size + _not_accepting(),
        "bookable_providers": directory.size,
        "queries": queries,
        "p50_ms": round(p50, 2),
        "p99_ms": round(float(np.percentile(timings, 99)), 2),
        "max_ms": round(max(timings), 2),
        "reference_queries": len(reference_timings),
        "reference_p50_ms": round(reference_p50, 1) if reference_p50 is not None else None,
        "speedup": round(reference_p50 / engine_on_reference, 1) if reference_p50 and engine_on_reference else None,
        "agree": agree,
        "mean_matches": round(sum(len(a.matches) for a in answers) / len(answers), 2),
        "snapshot_mb": round(directory.nbytes() / 2**20, 1),
        "snapshot_build_and_write_s": float((Path(os.environ[_PLACE]) / "publish_s").read_text()),
        "snapshot_map_s": round(map_s, 3),
        "worker_rss_mb": worker_rss_mb,
        "worker_private_mb": worker_private_mb,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def _memory_mb() -> tuple[float, float]:
    """This process's resident memory now, and the part of it that is its own (not pages of files
    it shares with the machine's other processes, such as the mapped snapshot), in MB."""
    fields: dict[str, int] = {}
    with open("/proc/self/smaps_rollup") as rollup:
        for line in rollup:
            name, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                fields[name] = int(rest.split()[0])
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return round(fields.get("Rss", 0) / 1024, 1), round(private / 1024, 1)


def _not_accepting() -> int:
    from carematch.directory.models import Provider

    return Provider.objects.filter(accepting_new=False).count()

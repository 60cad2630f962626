"""Roster import speed: 100,000 synthetic providers into a throwaway SQLite database.

Runs `carematch import_roster` three times on the same database and prints rows, seconds
and rows per second for each: a first import into an empty directory, a re-import of the
same file (which must find nothing to change), and an import in which every tenth row
changed. The roster is generated from a fixed seed, so every run imports the same file.

    .venv/bin/python benches/bench_roster_import.py [ROWS]

With CAREMATCH_BENCH_POSTGRES_URL (a role that may create databases, e.g.
postgres://carematch:carematch@127.0.0.1:5432/postgres) it runs on a throwaway PostgreSQL
database, carematch_bench_roster (or CAREMATCH_BENCH_DATABASE), dropped at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
POSTGRES = os.environ.get("CAREMATCH_BENCH_POSTGRES_URL", "")
POSTGRES_DATABASE = os.environ.get("CAREMATCH_BENCH_DATABASE", "carematch_bench_roster")
SEED = 20_261_126

FIRST_NAMES = ("Alex", "Jordan", "Sam", "Riley", "Casey", "Morgan", "Taylor", "Jamie", "Avery", "Quinn", "Rowan",
               "Harper", "Emerson", "Finley", "Dakota", "Reese", "Skyler", "Parker", "Hayden", "Sage")
LAST_NAMES = ("Rivera", "Okafor", "Chen", "Nakamura", "Example", "Sample", "Lindqvist", "Moreau", "Haddad", "Novak",
              "Adeyemi", "Kowalski", "Tanaka", "Fischer", "Duarte", "Brennan", "Osei", "Varga", "Ibarra", "Sato")
CREDENTIALS = (("LPC",), ("LCSW",), ("LMFT",), ("PsyD", "LP"), ("PhD",), ("LMHC",), ("PMHNP-BC",), ("LPCC", "LAC"))
ZONES_BY_STATE = {"CO": "America/Denver", "NY": "America/New_York", "CA": "America/Los_Angeles",
                  "IL": "America/Chicago", "TX": "America/Chicago", "WA": "America/Los_Angeles",
                  "MA": "America/New_York", "AZ": "America/Phoenix", "GA": "America/New_York",
                  "MN": "America/Chicago"}
AREA_CODES = ("303", "212", "415", "312", "512", "206", "617", "602", "404", "612")


def configure(workdir: Path) -> None:
    os.environ["CAREMATCH_DEBUG"] = "1"
    os.environ["CAREMATCH_VAR_DIR"] = str(workdir)
    os.environ["CAREMATCH_DATABASE_URL"] = (
        urlunsplit(urlsplit(POSTGRES)._replace(path=f"/{POSTGRES_DATABASE}")) if POSTGRES
        else f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("CAREMATCH_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "carematch.settings"
    import django

    django.setup()


def generate(rows: int, *, seed: int, changed_every: int = 0) -> list:
    """`rows` valid provider records; with `changed_every`, every n-th one differs a little."""
    import zipcodes

    from carematch.directory.payers import seeded
    from carematch.directory.records import LicenseRecord, ProviderRecord, WindowRecord
    from carematch.lib import geo, vocab
    from carematch.lib.npi import make_npi

    rng = random.Random(seed)
    zips = {
        state: sorted(z["zip_code"] for z in zipcodes.filter_by(state=state) if geo.zip_location(z["zip_code"]))[:200]
        for state in ZONES_BY_STATE
    }
    states = sorted(ZONES_BY_STATE)
    concerns, approaches = sorted(vocab.CONCERNS), sorted(vocab.APPROACHES)
    populations, payers = sorted(vocab.POPULATIONS), sorted(seeded())
    taxonomy = sorted(vocab.TAXONOMY)
    today = dt.date(2026, 11, 1)
    records = []
    for n in range(rows):
        state = rng.choice(states)
        second = rng.choice([s for s in states if s != state]) if rng.random() < 0.3 else None
        licenses = [LicenseRecord(state, "LPC", f"{state}-{n:07d}", today + dt.timedelta(days=rng.randint(-400, 1500)))]
        if second:
            licenses.append(LicenseRecord(second, "LPC", f"{second}-{n:07d}", today + dt.timedelta(days=1000)))
        windows = []
        for weekday in sorted(rng.sample(range(6), rng.randint(1, 4))):
            start = rng.randint(7, 12)
            windows.append(WindowRecord(weekday, dt.time(start), dt.time(start + rng.randint(2, 6))))
        formats = rng.choice((("telehealth",), ("telehealth", "in_person"), ("in_person",)))
        changed = changed_every and n % changed_every == 0
        records.append(ProviderRecord(
            npi=make_npi(f"1{n:08d}"),
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            credentials=rng.choice(CREDENTIALS),
            taxonomy=rng.choice(taxonomy),
            gender=rng.choice(sorted(vocab.GENDERS)),
            languages=("en", "es") if rng.random() < 0.2 else ("en",),
            concerns=tuple(rng.sample(concerns, rng.randint(1, 5))),
            approaches=tuple(rng.sample(approaches, rng.randint(0, 3))),
            populations=tuple(rng.sample(populations, rng.randint(1, 3))),
            formats=formats,
            insurance=tuple(rng.sample(payers, rng.randint(0, 4))),
            self_pay_rate=rng.randrange(60, 250, 5) + (5 if changed else 0),
            accepting_new=rng.random() < 0.8,
            timezone=ZONES_BY_STATE[state],
            licenses=tuple(licenses),
            windows=tuple(windows[:-1] if changed and len(windows) > 1 else windows),
            zip=rng.choice(zips[state]),
            email=f"provider{n}@example.test",
            phone=f"+1{rng.choice(AREA_CODES)}55501{rng.randint(0, 99):02d}",
        ))
    return records


def write(records: list, path: Path) -> None:
    from carematch.directory.roster import roster_write

    with path.open("w", encoding="utf-8", newline="") as stream:
        roster_write(records=records, stream=stream)


def timed_import(path: Path) -> tuple[float, float, str]:
    """Wall-clock and CPU seconds of one `carematch import_roster PATH`, and its summary line."""
    from django.core.management import call_command

    out, err = StringIO(), StringIO()
    started, cpu = time.perf_counter(), time.process_time()
    call_command("import_roster", str(path), stdout=out, stderr=err)
    return time.perf_counter() - started, time.process_time() - cpu, out.getvalue().strip()


def postgres_database(*, create: bool) -> None:
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)')
        if create:
            admin.execute(f'CREATE DATABASE "{POSTGRES_DATABASE}"')


def main() -> None:
    if POSTGRES:
        postgres_database(create=True)
    try:
        run()
    finally:
        if POSTGRES:
            from django.db import connections

            connections.close_all()
            postgres_database(create=False)


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="carematch-bench-") as tmp:
        workdir = Path(tmp)
        configure(workdir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        roster, changed = workdir / "roster.csv", workdir / "roster_changed.csv"
        write(generate(ROWS, seed=SEED), roster)
        write(generate(ROWS, seed=SEED, changed_every=10), changed)
        print(f"cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.1f}; rows: {ROWS}; "
              f"roster: {roster.stat().st_size / 1e6:.1f} MB; database: {'PostgreSQL' if POSTGRES else 'SQLite'}")
        runs = (
            ("first import", roster, f"created {ROWS}, updated 0, unchanged 0, rejected 0"),
            ("re-import, same file", roster, f"created 0, updated 0, unchanged {ROWS}, rejected 0"),
            ("import, every 10th row changed", changed,
             f"created 0, updated {(ROWS + 9) // 10}, unchanged {ROWS - (ROWS + 9) // 10}, rejected 0"),
        )
        for label, path, expected in runs:
            seconds, cpu, summary = timed_import(path)
            print(f"{label:31} {ROWS} rows in {seconds:5.1f} s = {ROWS / seconds:6.0f} rows/s "
                  f"(CPU {cpu:5.1f} s; {summary})")
            if summary != expected:
                raise SystemExit(f"{label}: expected '{expected}'")


if __name__ == "__main__":
    main()

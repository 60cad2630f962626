"""A process killed in the middle of a write leaves all of it or none of it.

Each test runs carematch in processes of its own, on a database of its own (a SQLite file,
or a fresh PostgreSQL database in the PostgreSQL pass, copied from one migrated template),
and kills a writer with SIGKILL while its transaction is open. The moment is found from
the database itself, never by sleeping: SQLite's write lock is held (another connection
cannot begin a write) and PostgreSQL shows the writer's backend inside a transaction that
has already written (it has a transaction id). The writer is first stopped (SIGSTOP) and
the transaction checked to be still open, so the kill lands before the commit. Then the
next start must see either everything the process meant to write or nothing, an intact
database, and the interrupted work must succeed when done again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from carematch.directory.demo import demo_records
from carematch.directory.roster import roster_write
from carematch.tests.plugin import ON_POSTGRES, POSTGRES_URL

ROSTER_PROVIDERS = 2000
WAIT = 120  # seconds any one step may take on a slow machine before the test gives up


@dataclass
class Database:
    """A database of the test's own, and the environment that points carematch at it."""

    url: str
    env: dict[str, str]
    path: Path | None = None  # the SQLite file
    name: str = ""  # the PostgreSQL database

    def carematch(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - the project's own command, arguments from the test
            [sys.executable, "-m", "carematch", *args], env=self.env, capture_output=True, text=True,
            timeout=WAIT, check=check,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "carematch", *args], env=self.env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )

    def shell(self, script: str) -> dict:
        return json.loads(self.carematch("shell", "--no-imports", "-c", script).stdout.strip().splitlines()[-1])

    def write_in_progress(self, *, pages_written: bool) -> bool:
        """Whether a write transaction is open on this database.

        SQLite: the write lock is held and, with `pages_written`, the write-ahead log holds
        frames beyond its 32-byte header (pages the open transaction has already written
        out). PostgreSQL: a session is inside a transaction that has a transaction id, which
        it gets with its first write or row lock."""
        if self.path is not None:
            wal = self.path.with_name(self.path.name + "-wal")
            return _sqlite_write_locked(self.path) and (
                not pages_written or (wal.exists() and wal.stat().st_size > 32)
            )
        import psycopg

        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            return conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_xid IS NOT NULL"
                " AND state IN ('active', 'idle in transaction')", (self.name,),
            ).fetchone()[0] > 0

    def wait_until_no_sessions(self) -> None:
        """PostgreSQL rolls back a dead client's transaction when it notices the closed
        connection; wait for that, as the next start would."""
        if self.path is not None:
            return
        import psycopg

        deadline = time.monotonic() + WAIT
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            while conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                               (self.name,)).fetchone()[0]:
                assert time.monotonic() < deadline, "the killed process's session never ended"
                time.sleep(0.05)

    def rows(self, sql: str, *params: object) -> list[tuple]:
        """The rows of one query, read straight from the database (`%s` placeholders)."""
        if self.path is not None:
            with sqlite3.connect(self.path) as conn:
                return [tuple(row) for row in conn.execute(sql.replace("%s", "?"), params)]
        import psycopg

        with psycopg.connect(self.url) as conn:
            return [tuple(row) for row in conn.execute(sql, params)]

    def integrity_problems(self) -> list[str]:
        if self.path is not None:
            with sqlite3.connect(self.path) as conn:
                # Check constraints written by Django may use REGEXP, which Django defines per connection.
                conn.create_function("REGEXP", 2, _regexp, deterministic=True)
                rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
                rows += [f"foreign key: {row}" for row in conn.execute("PRAGMA foreign_key_check")]
            return [] if rows == ["ok"] else rows
        return []  # PostgreSQL's WAL recovery is its own; the row checks below are what matter


def _regexp(pattern: str | None, value: object) -> bool | None:
    if pattern is None or value is None:
        return None
    return re.search(pattern, str(value)) is not None


def _sqlite_write_locked(path: Path) -> bool:
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            return True
        raise
    else:
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()


def _env(var_dir: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREMATCH_", "DJANGO_"))}
    return env | {
        "CAREMATCH_DATABASE_URL": database_url, "CAREMATCH_DEBUG": "1", "CAREMATCH_VAR_DIR": str(var_dir),
        "CAREMATCH_SECRET_KEY": secrets.token_urlsafe(50), "CAREMATCH_LOG_LEVEL": "WARNING",
    }


def _postgres_url(name: str) -> str:
    return urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))


def _postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """One migrated database that each test copies."""
    var_dir = tmp_path_factory.mktemp("crash")
    if ON_POSTGRES:
        name = f"carematch_crash_{uuid.uuid4().hex[:10]}"
        _postgres(f'CREATE DATABASE "{name}"')
        database = Database(_postgres_url(name), _env(var_dir, _postgres_url(name)), name=name)
    else:
        path = var_dir / "template.sqlite3"
        database = Database(f"sqlite:///{path}", _env(var_dir, f"sqlite:///{path}"), path=path)
    try:
        database.carematch("migrate", "-v", "0")
        yield database
    finally:
        if ON_POSTGRES:
            _postgres(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


@pytest.fixture
def database(template, tmp_path):
    if not ON_POSTGRES:
        path = tmp_path / "carematch.sqlite3"
        shutil.copyfile(template.path, path)
        url = f"sqlite:///{path}"
        yield Database(url, template.env | {"CAREMATCH_DATABASE_URL": url}, path=path)
        return
    name = f"{template.name}_{uuid.uuid4().hex[:6]}"
    _postgres(f'CREATE DATABASE "{name}" TEMPLATE "{template.name}"')
    url = _postgres_url(name)
    try:
        yield Database(url, template.env | {"CAREMATCH_DATABASE_URL": url}, name=name)
    finally:
        _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def kill_while_writing(database: Database, process: subprocess.Popen[str], *, ready: Path | None = None) -> None:
    """SIGKILL `process` while its write transaction is open: once it has written pages,
    or, with `ready`, once it has created that file from inside the transaction."""
    deadline = time.monotonic() + WAIT
    while True:
        assert process.poll() is None, ("the writer finished before it could be caught", process.communicate())
        assert time.monotonic() < deadline, "the writer never started writing"
        if (ready is None or ready.exists()) and database.write_in_progress(pages_written=ready is None):
            os.kill(process.pid, signal.SIGSTOP)
            if database.write_in_progress(pages_written=ready is None):
                break  # stopped with its transaction open: the kill lands before the commit
            os.kill(process.pid, signal.SIGCONT)
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=WAIT)
    assert process.returncode == -signal.SIGKILL
    database.wait_until_no_sessions()


# --- A roster import -------------------------------------------------------------------------

def directory_counts(database: Database) -> dict[str, int]:
    tables = {"providers": "directory_provider", "licenses": "directory_license",
              "windows": "directory_availabilitywindow"}
    return {name: database.rows(f"SELECT count(*) FROM {table}")[0][0] for name, table in tables.items()}  # noqa: S608


def test_a_roster_import_killed_while_writing_leaves_all_its_providers_or_none(database, tmp_path):
    records = demo_records(count=ROSTER_PROVIDERS, seed=11, today=dt.date(2026, 1, 5))
    everything = {"providers": len(records), "licenses": sum(len(r.licenses) for r in records),
                  "windows": sum(len(r.windows) for r in records)}
    nothing = dict.fromkeys(everything, 0)
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as stream:
        roster_write(records=records, stream=stream)

    kill_while_writing(database, database.start("import_roster", str(roster)))

    after_crash = directory_counts(database)
    assert after_crash in (nothing, everything), after_crash
    assert database.integrity_problems() == []
    again = database.carematch("import_roster", str(roster))
    done = "created 0, updated 0, unchanged" if after_crash == everything else f"created {len(records)}, updated 0"
    assert again.stdout.startswith(done), again.stdout
    assert directory_counts(database) == everything


# --- A booking -------------------------------------------------------------------------------

SEED = """
import datetime as dt, json
from django.utils import timezone
from carematch.accounts import services as accounts
from carematch.directory.models import AvailabilityWindow, License, Provider
from carematch.lib.npi import make_npi
from carematch.scheduling import services
from carematch.scheduling.selectors import provider_openings
provider = Provider.objects.create(
    npi=make_npi("223456789"), first_name="Kit", last_name="Crash", credentials=["LPC"], taxonomy="101YP2500X",
    languages=["en"], concerns=["anxiety"], populations=["adults"], formats=["telehealth"], self_pay_rate=100,
    timezone="America/Denver", min_notice_hours=0)
License.objects.create(provider=provider, state="CO", license_type="LPC", number="7", expires=dt.date(2099, 1, 1),
                       status="verified", verified_at=timezone.now(), verification_source="roster")
for day in range(7):
    AvailabilityWindow.objects.create(provider=provider, weekday=day, start=dt.time(6), end=dt.time(22))
clients = [accounts.client_create(email=f"crash{i}@example.test", first_name="Crash", last_name=f"Tester{i}",
                                  date_of_birth=dt.date(1991, 3, 9), state="CO", zip="80202",
                                  timezone_name="America/Denver") for i in range(2)]
now = timezone.now()
start = provider_openings(provider=provider, start=now + dt.timedelta(days=2), end=now + dt.timedelta(days=4))[0]
services.care_request_open(client=clients[0])
hold = services.hold_place(provider=provider, client=clients[0], start=start, format="telehealth", by=clients[0].user)
print(json.dumps({"provider": provider.pk, "clients": [c.pk for c in clients], "hold": hold.pk,
                  "start": start.isoformat(), "expires": hold.hold_expires_at.isoformat()}))
"""

# Books the held opening through the one booking service, and stops inside its transaction
# at the point named: the file it creates tells the test it is there.
BOOK = """
import datetime as dt, pathlib, time
from carematch.accounts.models import Client
from carematch.directory.models import Provider
from carematch.scheduling import services
from carematch.scheduling.models import Appointment
point, ready = {point!r}, pathlib.Path({ready!r})

def stop_here():
    ready.touch()
    time.sleep(600)

def after(function):
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        stop_here()
        return result
    return wrapper

def before(function):
    def wrapper(*args, **kwargs):
        stop_here()
        return function(*args, **kwargs)
    return wrapper

if point == "checked":
    services.check_bookable = after(services.check_bookable)
elif point == "hold_converted":
    services._start_clock = before(services._start_clock)
elif point == "clock_started":
    services._start_clock = after(services._start_clock)
client = Client.objects.get(pk={client})
services.appointment_book(provider=Provider.objects.get(pk={provider}), client=client,
                          start=dt.datetime.fromisoformat({start!r}), format="telehealth", by=client.user,
                          hold=Appointment.objects.get(pk={hold}), idempotency_key="first-booking")
"""

BOOK_LATER = """
import datetime as dt, json
from carematch.accounts.models import Client
from carematch.directory.models import Provider
from carematch.scheduling import services
client = Client.objects.get(pk={client})
appointment = services.appointment_book(
    provider=Provider.objects.get(pk={provider}), client=client, start=dt.datetime.fromisoformat({start!r}),
    format="telehealth", by=client.user, now=dt.datetime.fromisoformat({expires!r}) + dt.timedelta(minutes=1))
print(json.dumps({{"id": appointment.pk, "status": appointment.status, "client": appointment.client_id}}))
"""


def booking_state(database: Database, provider: int) -> dict[str, object]:
    return {
        "claims": database.rows(
            "SELECT id, status, client_id FROM scheduling_appointment WHERE provider_id = %s ORDER BY id", provider),
        "clock": database.rows("SELECT client_id, first_appointment_id, first_start, wait_seconds"
                               " FROM scheduling_carerequest ORDER BY id"),
        "idempotency": database.rows("SELECT count(*) FROM scheduling_idempotencyrecord")[0][0],
    }


def test_a_booking_killed_inside_its_transaction_leaves_the_hold_as_it_was_and_the_opening_bookable(
    database, tmp_path
):
    seeded = database.shell(SEED)
    holder, other = seeded["clients"]
    before = booking_state(database, seeded["provider"])
    assert before == {"claims": [(seeded["hold"], "held", holder)], "clock": [(holder, None, None, None)],
                      "idempotency": 0}

    for point in ("checked", "hold_converted", "clock_started"):
        ready = tmp_path / f"{point}.ready"
        booking = database.start("shell", "--no-imports", "-c",
                                 BOOK.format(point=point, ready=str(ready), client=holder, **seeded))
        kill_while_writing(database, booking, ready=ready)
        assert booking_state(database, seeded["provider"]) == before, point
        assert database.integrity_problems() == [], point

    # Nothing half-written stands in the way: once the hold has run out, someone else books the opening.
    later = database.shell(BOOK_LATER.format(client=other, **seeded))
    assert later["status"] == "booked" and later["client"] == other
    after = booking_state(database, seeded["provider"])
    assert after["claims"] == [(seeded["hold"], "lapsed", holder), (later["id"], "booked", other)]

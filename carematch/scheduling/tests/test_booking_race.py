"""Two bookings of one provider at one time can never both exist.

These tests run a real carematch server in its own process, on a database of its own
(a SQLite file, or a fresh PostgreSQL database in the PostgreSQL pass), and fire
concurrent requests at it through HTTP, as clients would.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import IntegrityError, transaction

from carematch.scheduling.models import Appointment, Status
from carematch.tests.plugin import ON_POSTGRES, POSTGRES_URL

from .factories import ClientFactory, weekday_provider

SEED = """
import datetime as dt, json
from django.utils import timezone
from carematch.accounts import services as accounts
from carematch.directory.models import AvailabilityWindow, License, Provider
from carematch.lib.npi import make_npi
from carematch.scheduling import services as scheduling
from carematch.scheduling.selectors import provider_openings
provider = Provider.objects.create(
    npi=make_npi("123456789"), first_name="Rae", last_name="Race", credentials=["LPC"], taxonomy="101YP2500X",
    languages=["en"], concerns=["anxiety"], populations=["adults"], formats=["telehealth"], self_pay_rate=100,
    timezone="America/Denver", min_notice_hours=0)
License.objects.create(provider=provider, state="CO", license_type="LPC", number="1", expires=dt.date(2099, 1, 1),
                       status="verified", verified_at=timezone.now(), verification_source="roster")
for day in range(7):
    AvailabilityWindow.objects.create(provider=provider, weekday=day, start=dt.time(6), end=dt.time(22))
tokens, clients = [], []
for i in range(40):
    client = accounts.client_create(email=f"racer{i}@example.test", first_name="Racer", last_name=str(i),
        date_of_birth=dt.date(1990, 1, 1), state="CO", zip="80202", timezone_name="America/Denver")
    clients.append(client.pk)
    tokens.append(accounts.api_token_issue(user=client.user)[1])
now = timezone.now()
openings = provider_openings(provider=provider, start=now + dt.timedelta(days=2), end=now + dt.timedelta(days=9))
print(json.dumps({"provider": provider.pk, "clients": clients, "tokens": tokens,
                  "openings": [o.isoformat() for o in openings]}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """A migrated, seeded carematch server on 127.0.0.1, on its own database."""
    created_db = None
    if ON_POSTGRES:
        import psycopg

        created_db = f"carematch_race_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{created_db}"')
        parts = urlsplit(POSTGRES_URL)
        database_url = urlunsplit(parts._replace(path=f"/{created_db}"))
    else:
        database_url = f"sqlite:///{tmp_path}/race.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREMATCH_", "DJANGO_"))}
    env |= {"CAREMATCH_DATABASE_URL": database_url, "CAREMATCH_DEBUG": "1", "CAREMATCH_VAR_DIR": str(tmp_path),
            "CAREMATCH_SECRET_KEY": secrets.token_urlsafe(50), "CAREMATCH_LOG_LEVEL": "WARNING"}

    def carematch(*args):
        return subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-m", "carematch", *args], env=env, capture_output=True, text=True, timeout=300,
            check=True,
        )

    carematch("migrate", "-v", "0")
    seeded = json.loads(carematch("shell", "--no-imports", "-c", SEED).stdout)
    port = _free_port()
    # Two worker processes with sixteen threads each: requests really run at the same time.
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "carematch.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "16", "--backlog", "256", "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "server.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the carematch server did not start") from None
                time.sleep(0.2)
        yield {"base": base, "run": carematch, "log": tmp_path / "server.log", **seeded}
    finally:
        process.terminate()
        process.wait(timeout=20)
        if created_db:
            import psycopg

            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{created_db}" WITH (FORCE)')


def call(base, path, token, body):
    request = urllib.request.Request(  # noqa: S310
        f"{base}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def all_at_once(calls):
    barrier = threading.Barrier(len(calls))

    def run(fn):
        barrier.wait()
        return fn()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def active_count(server, start):
    script = (
        "from carematch.scheduling.models import Appointment;"
        f"print(Appointment.objects.filter(provider_id={server['provider']}, start='{start}',"
        " status__in=['held', 'booked']).count())"
    )
    return int(server["run"]("shell", "--no-imports", "-c", script).stdout.strip())


def sessions_of(server, client_id):
    """The starts (ISO 8601, UTC) of the client's active sessions."""
    script = (
        "from carematch.scheduling.models import Appointment;"
        f"print(*[a.start.isoformat() for a in Appointment.objects.filter(client_id={client_id},"
        " status__in=['held', 'booked'])])"
    )
    return server["run"]("shell", "--no-imports", "-c", script).stdout.split()


@pytest.mark.django_db
def test_32_concurrent_bookings_of_one_opening_give_exactly_one_appointment(server):
    start = server["openings"][0]
    calls = [
        (lambda i=i: call(server["base"], "/appointments", server["tokens"][i], {
            "provider_id": server["provider"], "client_id": server["clients"][i], "start": start,
            "format": "telehealth"}))
        for i in range(32)
    ]
    answers = all_at_once(calls)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * 31, statuses
    assert all(body["error"] == "slot_taken" for status, body in answers if status == 409)
    assert active_count(server, start) == 1


@pytest.mark.django_db
def test_a_booking_racing_a_reschedule_into_the_same_hour_lets_exactly_one_win(server):
    openings = server["openings"]
    mover, booker = 32, 33
    first = call(server["base"], "/appointments", server["tokens"][mover], {
        "provider_id": server["provider"], "client_id": server["clients"][mover], "start": openings[1],
        "format": "telehealth"})
    assert first[0] == 201
    appointment_id = first[1]["id"]
    before = openings[1]
    wins = []
    for target in openings[2:10]:
        answers = all_at_once([
            lambda t=target: call(server["base"], f"/appointments/{appointment_id}/reschedule",
                                  server["tokens"][mover], {"start": t}),
            lambda t=target: call(server["base"], "/appointments", server["tokens"][booker], {
                "provider_id": server["provider"], "client_id": server["clients"][booker], "start": t,
                "format": "telehealth"}),
        ])
        statuses = sorted(status for status, _ in answers)
        assert statuses in ([200, 409], [201, 409]), (answers, server["log"].read_text()[-3000:])
        assert active_count(server, target) == 1
        wins.append("reschedule" if statuses[0] == 200 else "booking")
        # The mover never has both hours nor neither: one session, at the new hour only if the move won.
        assert sessions_of(server, server["clients"][mover]) == [target if statuses[0] == 200 else before]
        before = sessions_of(server, server["clients"][mover])[0]
        if statuses[0] == 201:  # free the booker for the next round
            booked = next(body for status, body in answers if status == 201)
            assert call(server["base"], f"/appointments/{booked['id']}/cancel", server["tokens"][booker], {})[0] == 200
    assert len(wins) == 8


@pytest.mark.django_db
def test_the_database_itself_refuses_a_second_active_claim_on_one_hour():
    provider = weekday_provider()
    one, two = ClientFactory(), ClientFactory()
    start = __import__("datetime").datetime(2030, 1, 7, 16, tzinfo=__import__("datetime").UTC)
    end = start + __import__("datetime").timedelta(hours=1)
    Appointment.objects.create(provider=provider, client=one, start=start, end=end, format="telehealth",
                               status=Status.BOOKED, booked_at=start - __import__("datetime").timedelta(days=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(provider=provider, client=two, start=start, end=end, format="telehealth",
                                   status=Status.BOOKED)
    # A cancelled appointment does not stand in the way.
    Appointment.objects.filter(client=one).update(status=Status.CANCELLED)
    Appointment.objects.create(provider=provider, client=two, start=start, end=end, format="telehealth",
                               status=Status.BOOKED)


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_postgresql_also_refuses_overlapping_active_claims():
    import datetime as dt

    provider = weekday_provider()
    start = dt.datetime(2030, 1, 7, 16, tzinfo=dt.UTC)
    Appointment.objects.create(provider=provider, client=ClientFactory(), start=start,
                               end=start + dt.timedelta(hours=1), format="telehealth", status=Status.BOOKED)
    half_past = start + dt.timedelta(minutes=30)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(provider=provider, client=ClientFactory(), start=half_past,
                                   end=half_past + dt.timedelta(hours=1), format="telehealth", status=Status.BOOKED)

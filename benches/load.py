"""Load over HTTP: two app servers (gunicorn, gunicorn.conf.py) on one PostgreSQL database.

Creates a throwaway database, migrates it and seeds a synthetic network (seed_demo), makes
client accounts with API tokens, starts the app servers on free ports as production runs
them (debug off, collected static files, behind a TLS proxy: the benchmark sends the
proxy's X-Forwarded-Proto), then drives them with concurrent clients spread over both:

1. matches only (POST /api/v1/match, varied states, ZIP codes, concerns, formats, times);
2. a mix: matches, a provider's openings (GET /api/v1/providers/{id}/openings) and
   bookings of an opening a match offered (POST /api/v1/appointments; 409 when someone
   else took it first is an answer, not an error);
3. a booking race: many clients book the same opening at once through both servers;
   exactly one must win, every other must be told 409.

The matches phase is driven by `wrk` (Debian's package) when it is installed: the load
generator shares the machine's cores with the servers and the database, and wrk, written in C,
takes a tenth of the CPU this script's own client does (each phase prints the CPU it used).
Without wrk, or with --driver python, the script's own asyncio client drives it.

For each phase it prints requests/s, p50 and p99 latency, and errors (a 5xx, a refused
connection, or an answer other than the expected ones) per endpoint, and the machine's
load average. The database is dropped at the end unless --keep (then --reuse skips seeding).

    .venv/bin/python benches/load.py [--providers 20000] [--servers 2] [--workers 1]
        [--clients 32] [--seconds 30] [--postgres postgres://carematch:carematch@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CONCERNS = ("anxiety", "depression", "trauma", "relationships", "grief", "stress", "adhd", "life_transitions")
FORMATS = ("telehealth", "telehealth", "any", "in_person")
TIMES = ((), (), ("morning",), ("afternoon",), ("evening",), ("morning", "afternoon"))


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--providers", type=int, default=20_000)
    parser.add_argument("--servers", type=int, default=2, help="app servers (gunicorn instances)")
    parser.add_argument("--workers", type=int, default=1, help="workers per app server")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each timed phase")
    parser.add_argument("--racers", type=int, default=16, help="clients booking the same opening at once")
    parser.add_argument("--postgres", default=os.environ.get(
        "CAREMATCH_BENCH_POSTGRES_URL", "postgres://carematch:carematch@127.0.0.1:5432/postgres"),
        help="a PostgreSQL URL whose role may create databases")
    parser.add_argument("--database", default="carematch_http_load", help="the throwaway database's name")
    parser.add_argument("--driver", choices=("auto", "wrk", "python"), default="auto",
                        help="what drives the matches phase: wrk when installed (auto), or this script's client")
    parser.add_argument("--keep", action="store_true", help="keep the database (and its var folder) afterwards")
    parser.add_argument("--reuse", action="store_true", help="use a database kept by --keep as it is")
    return parser.parse_args()


def database_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def app_environment(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    """Production settings (debug off) with keys kept in the var folder, so --reuse works."""
    keys = var_dir / "bench-keys.json"
    if not keys.exists():
        keys.write_text(json.dumps({
            "secret": secrets.token_urlsafe(60),
            "fernet": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii"),
        }))
    saved = json.loads(keys.read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREMATCH_")}
    env.update({
        "CAREMATCH_DATABASE_URL": database_url(args.postgres, args.database),
        "CAREMATCH_SECRET_KEY": saved["secret"],
        "CAREMATCH_ENCRYPTION_KEYS": saved["fernet"],
        "CAREMATCH_VAR_DIR": str(var_dir),
        "CAREMATCH_BEHIND_TLS_PROXY": "1",
        "CAREMATCH_LOG_LEVEL": "WARNING",
        "CAREMATCH_ACCESS_LOG": "0",
        "CAREMATCH_GUNICORN_LOG_LEVEL": "warning",
        "PYTHONPATH": str(ROOT),
    })
    return env


def carematch(env: dict[str, str], *command: str) -> None:
    subprocess.run([PYTHON, "-m", "carematch", *command], cwd=ROOT, env=env, check=True,  # noqa: S603 - our own command
                   stdout=subprocess.DEVNULL)


def database_create(args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(args.postgres, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.database}"')


def database_drop(args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(args.postgres, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


@dataclass
class Fixture:
    client_tokens: list[tuple[int, str, tuple[str, str]]]  # (client id, token, (state, zip))
    places: list[tuple[str, str]]  # (state, zip) where providers practise
    provider_ids: list[int]
    racers: int  # tokens 1..racers are kept for the booking race


def prepare(env: dict[str, str], clients: int, racers: int) -> Fixture:
    """Client accounts with tokens, and where the seeded providers are (synthetic data only)."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "carematch.settings"
    sys.path.insert(0, str(ROOT))
    import datetime as dt

    import django

    django.setup()
    from carematch.accounts import services as accounts
    from carematch.accounts.models import Client
    from carematch.directory.models import Provider

    rng = random.Random(2026)
    from carematch.lib import geo

    located = Provider.objects.matchable().exclude(zip="").values_list("licenses__state", "zip")[:20000]
    places = sorted({(state, zip_code) for state, zip_code in located if zip_code in geo.zips_in_state(state)})
    provider_ids = list(Provider.objects.matchable().values_list("pk", flat=True)[:5000])
    tokens = []
    race_place = rng.choice(places)
    for n in range(clients):
        email = f"load-client-{n}@bench.carematch.test"
        client = Client.objects.filter(user__email=email).first()
        if client is None:
            # The racers (the first racers + 1) live in one place, so that they can book the same opening.
            state, zip_code = race_place if n <= racers else rng.choice(places)
            client = accounts.client_create(
                email=email, first_name="Load", last_name=f"Client{n}", date_of_birth=dt.date(1990, 1, 1),
                state=state, zip=zip_code, timezone_name="America/Denver")
        _, raw = accounts.api_token_issue(user=client.user, name="load bench")
        tokens.append((client.pk, raw, (client.state, client.zip)))
    from django.db import connections

    connections.close_all()
    return Fixture(client_tokens=tokens, places=places, provider_ids=provider_ids, racers=racers)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def servers_start(env: dict[str, str], count: int, workers: int, var_dir: Path) -> list[tuple[subprocess.Popen, int]]:
    started = []
    for n in range(count):
        port = free_port()
        server_env = env | {"CAREMATCH_BIND": f"127.0.0.1:{port}", "CAREMATCH_WORKERS": str(workers),
                            "CAREMATCH_CONTROL_SOCKET": str(var_dir / f"gunicorn-{n}.ctl")}
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and config
            [PYTHON, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "carematch.wsgi:application"],
            cwd=ROOT, env=server_env, start_new_session=True)
        started.append((process, port))
    for process, port in started:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the app server on port {port} stopped at start (exit {process.returncode})")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"the app server on port {port} did not start within 60 s") from None
                time.sleep(0.2)
    return started


def servers_stop(started: list[tuple[subprocess.Popen, int]]) -> None:
    for process, _ in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process, _ in started:
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()


# --- The HTTP client: one connection a request, as gunicorn's sync workers answer -----------------


async def http(port: int, method: str, path: str, token: str, body: object | None = None) -> tuple[int, bytes]:
    payload = json.dumps(body).encode() if body is not None else b""
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Authorization: Bearer {token}\r\nX-Forwarded-Proto: https\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode() + payload)
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, content = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), content


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    # The first answer of each kind that is not a success: its error code and sentence, for the report.
    samples: dict[tuple[str, int], bytes] = field(default_factory=dict)
    # Figures measured elsewhere (wrk): requests, p50 and p99 in seconds, used instead of `latencies`.
    measured: dict[str, tuple[int, float, float]] = field(default_factory=dict)

    async def call(self, name: str, expected: set[int], port: int, method: str, path: str, token: str,
                   body: object | None = None) -> tuple[int, bytes]:
        began = time.perf_counter()
        try:
            status, content = await http(port, method, path, token, body)
        except (OSError, IndexError, ValueError):
            status, content = 0, b""
        self.latencies[name].append(time.perf_counter() - began)
        self.statuses[name][status] += 1
        if status >= 300 and (name, status) not in self.samples:
            self.samples[name, status] = content[:300]
        if status not in expected:
            self.errors[name] += 1
        return status, content


def match_body(rng: random.Random, place: tuple[str, str]) -> dict[str, object]:
    state, zip_code = place
    return {
        "state": state, "zip": zip_code, "age": rng.randint(18, 80),
        "concerns": rng.sample(CONCERNS, rng.randint(1, 2)), "format": rng.choice(FORMATS),
        "times_of_day": list(rng.choice(TIMES)), "within_hours": rng.choice((48, 72, 168)),
    }


async def drive(*, ports: list[int], fixture: Fixture, clients: int, seconds: float, mixed: bool) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds

    async def one_client(n: int) -> None:
        rng = random.Random(n)
        # The racers (tokens 1..racers) book nothing before the race: a session they booked in
        # the mix could fall at the race's time and be refused as "you already have a session".
        drivers = [fixture.client_tokens[0], *fixture.client_tokens[fixture.racers + 1:]]
        client_id, token, home = drivers[n % len(drivers)]
        port = ports[n % len(ports)]
        offered: list[tuple[int, str, str]] = []
        while time.monotonic() < deadline:
            roll = rng.random() if mixed else 0.0
            if roll < 0.7 or (roll >= 0.9 and not offered):
                # Matches from anywhere; in the mix, a client asks where they live, so they can book.
                place = home if mixed else rng.choice(fixture.places)
                status, content = await tally.call("match", {200}, port, "POST", "/api/v1/match", token,
                                                   match_body(rng, place))
                if status == 200:
                    for match in json.loads(content)["matches"]:
                        for opening in match["openings"][:1]:
                            fmt = "telehealth" if "telehealth" in opening["formats"] else opening["formats"][0]
                            offered.append((match["provider"]["id"], opening["start"], fmt))
                    offered = offered[-10:]
            elif roll < 0.9:
                provider_id = rng.choice(fixture.provider_ids)
                await tally.call("openings", {200}, port, "GET", f"/api/v1/providers/{provider_id}/openings", token)
            else:
                provider_id, start, fmt = offered.pop(rng.randrange(len(offered)))
                # 409: someone else booked it first, or this client already holds that hour elsewhere;
                # 422: the opening went (the time passed, or it no longer fits). Answers, not errors.
                await tally.call("book", {201, 409, 422}, port, "POST", "/api/v1/appointments", token,
                                 {"provider_id": provider_id, "client_id": client_id, "start": start, "format": fmt})

    began = time.monotonic()
    await asyncio.gather(*(one_client(n) for n in range(clients)))
    tally.elapsed = time.monotonic() - began  # type: ignore[attr-defined]
    return tally


def _process_table() -> dict[int, tuple[int, str, float]]:
    """Every process on the machine: pid -> (parent pid, name, CPU seconds used so far by it
    and by its children that have ended, such as a database connection's closed backend)."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        table[int(entry.name)] = (int(fields[1]), name, sum(int(x) for x in fields[11:15]) / ticks)
    return table


def cpu_use(server_pids: list[int]) -> dict[str, float]:
    """CPU seconds used so far by the app servers (with their workers), the database server's
    processes and this load generator, to show where a phase's CPU went."""
    table = _process_table()

    def tree(root: int) -> float:
        total, stack = 0.0, [root]
        while stack:
            pid = stack.pop()
            if pid in table:
                total += table[pid][2]
                stack.extend(child for child, (parent, _, _) in table.items() if parent == pid)
        return total

    return {
        "app servers": sum(tree(pid) for pid in server_pids),
        "database": sum(used for _, name, used in table.values() if name.startswith("postgres")),
        # This process only: the app servers are its children (and wrk's, counted apart).
        "load generator": sum(os.times()[:2]),
    }


# Each wrk thread sends the prepared requests in turn, from a different place in the list.
WRK_SCRIPT = r"""
local prepared = {}
local at = 0
init = function(args)
  for line in io.lines(args[1]) do
    local token, body = line:match("^([^\t]+)\t(.*)$")
    prepared[#prepared + 1] = wrk.format("POST", "/api/v1/match", {
      ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json",
      ["X-Forwarded-Proto"] = "https", ["Host"] = "127.0.0.1"}, body)
  end
  at = tonumber(args[2]) % #prepared
end
request = function()
  at = at % #prepared + 1
  return prepared[at]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("carematch-wrk %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def drive_wrk(*, ports: list[int], fixture: Fixture, clients: int, seconds: float, var_dir: Path) -> Tally:
    """The matches phase through wrk: one wrk process a server, the clients shared between them.
    Each server's p50 and p99 come from wrk; the phase's p99 is the higher of the servers'
    (an upper bound), its p50 the servers' middle weighted by requests."""
    rng = random.Random(11)
    drivers = [fixture.client_tokens[0], *fixture.client_tokens[fixture.racers + 1:]]
    lines = [f"{token}\t{json.dumps(match_body(rng, rng.choice(fixture.places)))}"
             for _, token, _ in drivers for _ in range(60)]
    rng.shuffle(lines)
    requests_file, script = var_dir / "wrk-requests.tsv", var_dir / "wrk-match.lua"
    requests_file.write_text("\n".join(lines) + "\n")
    script.write_text(WRK_SCRIPT)
    running = [
        subprocess.Popen(  # noqa: S603 - wrk with our own script
            [shutil.which("wrk") or "wrk", "-t1", f"-c{max(1, clients // len(ports) + (n < clients % len(ports)))}",
             f"-d{int(seconds)}s",
             "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}/api/v1/match", "--",
             str(requests_file), str(n * 997)],
            stdout=subprocess.PIPE, text=True)
        for n, port in enumerate(ports)]
    tally = Tally()
    parts = []
    for process in running:
        out, _ = process.communicate()
        line = next((x for x in out.splitlines() if x.startswith("carematch-wrk ")), None)
        if process.returncode != 0 or line is None:
            raise SystemExit(f"wrk failed (exit {process.returncode}): {out[-500:]}")
        parts.append([int(x) for x in line.split()[1:]])
    count = sum(p[0] for p in parts)
    p50 = sum(p[2] * p[0] for p in parts) / max(count, 1) / 1e6
    p99 = max(p[3] for p in parts) / 1e6
    tally.measured["match"] = (count, p50, p99)
    failed = sum(p[4] + p[5] for p in parts)
    tally.statuses["match"][200] = count - failed
    if failed:
        tally.statuses["match"][0] = failed
        tally.errors["match"] = failed
    tally.elapsed = max(p[1] for p in parts) / 1e6  # type: ignore[attr-defined]
    return tally


def report(title: str, tally: Tally, cpu: dict[str, float] | None = None) -> None:
    elapsed = tally.elapsed  # type: ignore[attr-defined]
    print(f"\n{title}  ({elapsed:.1f} s, load average {os.getloadavg()[0]:.2f})")
    print(f"  {'endpoint':<10} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}  answers")
    total = 0
    for name in sorted(set(tally.latencies) | set(tally.measured)):
        if name in tally.measured:
            count, p50, p99 = tally.measured[name]
        else:
            ordered = sorted(tally.latencies[name])
            count, p50 = len(ordered), statistics.median(ordered)
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        total += count
        answers = ", ".join(f"{status}: {n}" for status, n in sorted(tally.statuses[name].items()))
        print(f"  {name:<10} {count:>9} {count / elapsed:>8.1f} {p50 * 1000:>8.1f}"
              f" {p99 * 1000:>8.1f} {tally.errors[name]:>7}  {answers}")
    print(f"  {'all':<10} {total:>9} {total / elapsed:>8.1f}")
    for (name, status), content in sorted(tally.samples.items()):
        print(f"  {name} {status}: {content.decode(errors='replace')}")
    if cpu is not None and total:
        shares = ", ".join(f"{who} {seconds * 1000 / total:.1f}" for who, seconds in cpu.items())
        print(f"  CPU per request (ms): {shares}; {sum(cpu.values()) / elapsed:.2f} of {os.cpu_count()} cores busy")


async def race(*, ports: list[int], fixture: Fixture, racers: int) -> tuple[int, dict[int, int]]:
    """Everyone books the same opening at once, alternately through each server."""
    rng = random.Random(7)
    _, token, home = fixture.client_tokens[0]
    for _attempt in range(50):
        status, content = await http(ports[0], "POST", "/api/v1/match", token, match_body(rng, home))
        matches = json.loads(content)["matches"] if status == 200 else []
        openings = [(m["provider"]["id"], o) for m in matches for o in m["openings"]]
        if openings:
            break
    else:
        raise SystemExit("no opening found for the race")
    provider_id, opening = openings[-1]
    fmt = "telehealth" if "telehealth" in opening["formats"] else opening["formats"][0]
    racing = fixture.client_tokens[1:racers + 1]
    answers = await asyncio.gather(*(
        http(ports[n % len(ports)], "POST", "/api/v1/appointments", token,
             {"provider_id": provider_id, "client_id": client_id, "start": opening["start"], "format": fmt})
        for n, (client_id, token, _) in enumerate(racing)))
    statuses: dict[int, int] = defaultdict(int)
    for status, content in answers:
        if status not in statuses and status not in (201, 409):
            print(f"  race {status}: {content[:300].decode(errors='replace')}")
        statuses[status] += 1
    return statuses[201], dict(statuses)


def postgres_reachable(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5):
            return True
    except psycopg.OperationalError:
        return False


def main() -> None:
    args = arguments()
    if not postgres_reachable(args.postgres):
        # `make bench` runs every benchmark; this one needs a PostgreSQL server.
        print(f"skipped: no PostgreSQL answers at {urlsplit(args.postgres).hostname}:{urlsplit(args.postgres).port} "
              f"(set CAREMATCH_BENCH_POSTGRES_URL or --postgres to a role that may create databases)")
        return
    var_dir = ROOT / "var" / f"bench-{args.database}"
    var_dir.mkdir(parents=True, exist_ok=True)
    env = app_environment(args, var_dir)
    if not args.reuse:
        began = time.monotonic()
        database_create(args)
        carematch(env, "migrate", "--no-input", "-v", "0")
        carematch(env, "seed_demo", "--providers", str(args.providers), "--force")
        print(f"database {args.database}: migrated and seeded with {args.providers} providers in "
              f"{time.monotonic() - began:.0f} s")
    carematch(env, "collectstatic", "--no-input", "-v", "0")
    fixture = prepare(env, max(args.clients, args.racers + 1) * 2, args.racers)
    started = servers_start(env, args.servers, args.workers, var_dir)
    ports = [port for _, port in started]
    server_pids = [process.pid for process, _ in started]
    try:
        print(f"{args.servers} app server(s) x {args.workers} worker(s) on one PostgreSQL database; "
              f"{args.clients} concurrent clients; {len(fixture.places)} places asked from")
        # Each worker builds its snapshot on its first match: that is not what is measured.
        warm = asyncio.run(drive(ports=ports, fixture=fixture, clients=args.servers * args.workers * 4,
                                 seconds=5, mixed=False))
        report("warm-up (snapshot builds)", warm)
        use_wrk = args.driver == "wrk" or (args.driver == "auto" and shutil.which("wrk") is not None)
        for title, mixed in (("matches", False), ("mixed: 70% matches, 20% openings, 10% bookings", True)):
            before, children = cpu_use(server_pids), resource.getrusage(resource.RUSAGE_CHILDREN)
            if use_wrk and not mixed:
                title += " (driven by wrk)"
                tally = drive_wrk(ports=ports, fixture=fixture, clients=args.clients, seconds=args.seconds,
                                  var_dir=var_dir)
            else:
                tally = asyncio.run(drive(ports=ports, fixture=fixture, clients=args.clients, seconds=args.seconds,
                                          mixed=mixed))
            after, waited = cpu_use(server_pids), resource.getrusage(resource.RUSAGE_CHILDREN)
            used = {who: after[who] - before[who] for who in after}
            # wrk's processes have ended and been waited for: their CPU is the generator's.
            used["load generator"] += (waited.ru_utime + waited.ru_stime) - (children.ru_utime + children.ru_stime)
            report(title, tally, used)
        winners, statuses = asyncio.run(race(ports=ports, fixture=fixture, racers=args.racers))
        verdict = "exactly one winner" if winners == 1 and set(statuses) <= {201, 409} else "WRONG"
        print(f"\nbooking race: {args.racers} clients book one opening through {len(ports)} servers at once: "
              f"{winners} booked; answers {statuses}: {verdict}")
    finally:
        servers_stop(started)
        if not args.keep:
            database_drop(args)
    if verdict != "exactly one winner":
        raise SystemExit(1)


if __name__ == "__main__":
    main()

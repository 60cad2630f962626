"""Test set-up shared by every test, loaded as a pytest plugin (`-p carematch.tests.plugin`
in pyproject.toml) so the environment is set before Django reads its settings.

Databases. The suite runs once on SQLite and, with CAREMATCH_TEST_DATABASE=postgres, once
on PostgreSQL (CAREMATCH_TEST_POSTGRES_URL). Tests marked `postgres_only` need PostgreSQL
features; browser tests need Debian's Chromium. Either kind is skipped with its reason
when its part is missing, and with CAREMATCH_TEST_STRICT=1 such a skip is a failure.

The clock. The whole session runs on time-machine's clock, which ticks with the real one:
from the real now, or from the moment in CAREMATCH_TEST_NOW (ISO 8601 with a UTC offset),
so the suite can be run as if it were any date, e.g.

    CAREMATCH_TEST_NOW=2027-12-23T14:00:00-05:00 python -m pytest

runs it on the afternoon before two federal holidays in a row. What the moved clock reaches:
- Python's clock in this process, in every thread: `time.time()`, `datetime.now()`,
  `date.today()`, so `django.utils.timezone.now()` and the live server's threads too, and
  django-tasks' `run_after` (enqueued and picked up by `timezone.now()`).
- Not the databases' own clocks (SQLite's CURRENT_TIMESTAMP, PostgreSQL's now()): carematch
  writes and compares every timestamp from Python and never asks the database for the time;
  code that did would see the real date and fail under a moved clock.
- Not processes the suite starts (commands, servers, the inner pytest session of the
  log-leak test): they run on the real clock, and tests that start them give them the
  moments they need (e.g. `purge_expired --now`).
- Not Chromium: its cookies expire by Max-Age, counted on its own clock, so a moved server
  clock does not log the browser out; no page script reads the date.
- Not the monotonic clocks (`time.monotonic`, `time.perf_counter`): Hypothesis' deadlines,
  timeouts and Playwright's waits keep measuring real durations.
Tests that need one fixed moment say so with time-machine's `time_machine` fixture (or
pass `now=` to the service they call). `clock_advance` moves the session's clock forward
(e.g. to the next authenticator-app code) instead of sleeping; it never moves backwards.

Patches. A few framework methods and services are wrapped for the whole session, each by
one fixture below that names what it wraps and why, and each fails the run at once when
the wrapped name no longer exists, so a rename cannot silently turn a check off.

The log-leak check. Every record logged at the level production logs at is searched at the
end of the session for every sensitive value and secret the session wrote (see
`LogLeakCheck`); one found fails the session.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
import time_machine

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

os.environ.setdefault("CAREMATCH_DEBUG", "1")
os.environ.setdefault("CAREMATCH_SECRET_KEY", "test-only-key-" + "x7Rq2" * 10)
# A fixed Fernet key for tests only (32 bytes, url-safe base64); never a deployment's key.
os.environ.setdefault("CAREMATCH_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWZlcm5ldC1rZXktMzItYnl0ZXMhISE=")
# Uploaded photos go to a folder of this session's own, removed when it ends.
_MEDIA_ROOT = tempfile.mkdtemp(prefix="carematch-test-media-")
os.environ["CAREMATCH_MEDIA_ROOT"] = _MEDIA_ROOT
# Each process keeps its own matching snapshot, built in the request: a test's writes are never
# committed, so no builder on another connection could read them (tests of the background
# refresh set it back, on committed data).
os.environ.setdefault("CAREMATCH_MATCH_SNAPSHOT_REFRESH", "inline")
POSTGRES_URL = os.environ.get("CAREMATCH_TEST_POSTGRES_URL", "")
ON_POSTGRES = os.environ.get("CAREMATCH_TEST_DATABASE") == "postgres"
STRICT = os.environ.get("CAREMATCH_TEST_STRICT") == "1"
CHROMIUM = os.environ.get("CAREMATCH_TEST_CHROMIUM", "/usr/bin/chromium")

if ON_POSTGRES:
    if not POSTGRES_URL:
        raise pytest.UsageError("CAREMATCH_TEST_DATABASE=postgres needs CAREMATCH_TEST_POSTGRES_URL.")
    os.environ["CAREMATCH_DATABASE_URL"] = POSTGRES_URL
else:
    os.environ.pop("CAREMATCH_DATABASE_URL", None)


def skip_or_fail(reason: str) -> None:
    """Skip with `reason`, or fail when CAREMATCH_TEST_STRICT=1 demands every test run."""
    if STRICT:
        pytest.fail(f"CAREMATCH_TEST_STRICT=1 and a required part is missing: {reason}", pytrace=False)
    pytest.skip(reason)


# --- The clock ----------------------------------------------------------------------------------


def _test_now(raw: str) -> dt.datetime | None:
    """The moment in CAREMATCH_TEST_NOW, or None to start at the real now."""
    if not raw.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise pytest.UsageError(
            f"CAREMATCH_TEST_NOW={raw!r} is not an ISO 8601 date and time (e.g. 2027-12-23T14:00:00-05:00)."
        ) from None
    if moment.tzinfo is None:
        raise pytest.UsageError(f"CAREMATCH_TEST_NOW={raw!r} needs a UTC offset (e.g. -05:00 or Z).")
    return moment


TEST_NOW = _test_now(os.environ.get("CAREMATCH_TEST_NOW", ""))
_travel: time_machine.travel | None = None
_clock: time_machine.Traveller | None = None


def clock_advance(delta: dt.timedelta) -> None:
    """Move the session's clock forward by `delta`, as if that much time had passed, instead
    of sleeping through it. Fails when a test holds the clock with a travel of its own
    (time-machine's `time_machine` fixture): move that one instead."""
    if delta < dt.timedelta(0):
        raise ValueError("the suite's clock only moves forward")
    if _clock is None:
        raise RuntimeError("the suite's clock starts with the test session (pytest_configure)")
    before = time.time()
    _clock.shift(delta)
    if time.time() < before + delta.total_seconds():
        raise RuntimeError("a test's own time-machine travel holds the clock; move that travel instead")


def pytest_configure(config: pytest.Config) -> None:
    global _travel, _clock
    _travel = time_machine.travel(TEST_NOW or dt.datetime.now(dt.UTC), tick=True)
    _clock = _travel.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _travel, _clock
    shutil.rmtree(_MEDIA_ROOT, ignore_errors=True)
    if _travel is not None:
        _travel.stop()
    _travel = _clock = None


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = "PostgreSQL" if ON_POSTGRES else "SQLite"
    browser = CHROMIUM if shutil.which(CHROMIUM) else "none (browser tests skip)"
    clock = f"moved to {TEST_NOW.isoformat()} (CAREMATCH_TEST_NOW), ticking" if TEST_NOW else "the real one"
    return [f"carematch: database {db}; browser {browser}; strict {'on' if STRICT else 'off'}; clock {clock}"]


# --- Which tests run where ------------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ON_POSTGRES:
        return
    postgres_items = [item for item in items if item.get_closest_marker("postgres_only")]
    if POSTGRES_URL:
        # The PostgreSQL pass that follows runs these; nothing to skip here.
        config.hook.pytest_deselected(items=postgres_items)
        items[:] = [item for item in items if not item.get_closest_marker("postgres_only")]


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres_only") and not ON_POSTGRES:
        skip_or_fail("needs PostgreSQL: set CAREMATCH_TEST_POSTGRES_URL (make test then runs a PostgreSQL pass)")


@pytest.fixture(autouse=True)
def _site_language() -> Iterator[None]:
    """Each test starts, and ends, in the site's default language. A page requested in
    Spanish leaves Spanish active on the test's thread (LocaleMiddleware activates a request's
    language and nothing deactivates it), and dates, reasons and emails made outside a
    request would otherwise follow whichever test ran before."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


# --- Patches, each explicit and checked --------------------------------------------------------------


def _original(owner: object, name: str, why: str) -> Callable[..., Any]:
    """`owner.name`, which a fixture is about to wrap; a failure naming it when it is gone."""
    found = getattr(owner, name, None)
    if not callable(found):
        label = owner.__name__ if isinstance(owner, type | ModuleType) else repr(owner)
        pytest.fail(
            f"carematch/tests/plugin.py wraps {label}.{name} ({why}), and it no longer exists: "
            "update the fixture that wraps it, or the check it serves is off.",
            pytrace=False,
        )
    return found


def _wrap_function_everywhere(
    patch: pytest.MonkeyPatch, module_name: str, name: str, why: str, make: Callable[[Callable[..., Any]], Any]
) -> None:
    """Replace the function `module_name.name` with `make(original)`, in its module and in
    every module loaded so far that imported it by name, so that how a caller imported it
    does not decide whether the wrapper sees the call."""
    module = importlib.import_module(module_name)
    original = _original(module, name, why)
    wrapper = make(original)
    for loaded in list(sys.modules.values()):
        namespace = getattr(loaded, "__dict__", None)
        if not isinstance(loaded, ModuleType) or namespace is None:
            continue
        for attribute, value in list(namespace.items()):
            if value is original:
                patch.setattr(loaded, attribute, wrapper)


@pytest.fixture(scope="session", autouse=True)
def _flush_empties_the_access_log() -> Iterator[None]:
    """The database refuses to delete access events (carematch/access/audit.py). Django's flush,
    which empties the whole test database after each transactional test, is the one exception."""
    from django.core.management.commands import flush

    from carematch.access.audit import whole_log_erasure

    original = _original(flush.Command, "handle", "flush may empty the access log")

    def handle(self: Any, *args: Any, **options: Any) -> Any:
        from carematch.directory.services import payers_seed_restore

        using = options.get("database") or "default"
        with whole_log_erasure(using):
            result = original(self, *args, **options)
        # The payers are data seeded by a migration: a flush must not leave the next test without them.
        payers_seed_restore(using=using)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flush.Command, "handle", handle)
        yield


@pytest.fixture(scope="session", autouse=True)
def _force_login_passes_the_second_factor() -> Iterator[None]:
    """`client.force_login(user)` is the test equivalent of logging in without typing the
    password; it skips the second factor the same way, marking the session as having passed
    it (accounts.mfa.SESSION_VERIFIED). Tests of the two-step log-in use the real log-in form."""
    from django.test import Client

    from carematch.accounts import mfa

    original = _original(Client, "force_login", "force_login passes the second factor")

    def force_login(self: Client, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        session = self.session
        session[mfa.SESSION_VERIFIED] = True
        session.save()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "force_login", force_login)
        yield


# --- Browser ------------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright, never a downloaded browser; one for each module
    of browser tests.

    While Playwright's synchronous API is running it marks its event loop as running on this
    thread (between its calls too), and Django then refuses the ORM calls the tests make around
    the browser (SynchronousOnlyOperation), although they are ordinary synchronous calls.
    DJANGO_ALLOW_ASYNC_UNSAFE allows them for exactly as long as Playwright runs: it is set
    here and restored when the module's browser stops, so no other test runs with it."""
    if not shutil.which(CHROMIUM):
        skip_or_fail(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    pytest.fail("Playwright stopped but left its event loop marked as running on the test thread", pytrace=False)


@pytest.fixture
def browser_page(chromium: Browser, live_server: Any) -> Iterator[Page]:
    """A fresh desktop-sized page; `page.base_url` is the live server."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(chromium: Browser, live_server: Any) -> Iterator[Page]:
    """A fresh page the size of a small phone (375 x 667 CSS pixels, touch)."""
    context = chromium.new_context(
        viewport={"width": 375, "height": 667}, device_scale_factor=2, is_mobile=True, has_touch=True,
        base_url=live_server.url,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# --- No secrets or health information in the log --------------------------------------------
# Every record logged in this process at the level production logs at (CAREMATCH_LOG_LEVEL,
# INFO by default) is kept, formatted with its exception, and at the end of the session it
# is searched for every sensitive value the session wrote (names, birth dates and emails of
# people, the free text of care records, contact details) and every secret it used (the
# secret and encryption keys, passwords, API tokens, calendar addresses, TOTP secrets and
# recovery codes). One found fails the session; the report names the logger, the level and
# the kind of value, never the value. Processes the suite starts (servers, commands) log to
# their own stderr, which this check does not read.

LEAK_MIN_LENGTH = 6
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
# Sensitive fields of the rows saved during the session, by model: field -> kind of value.
LEAK_FIELDS = {
    "accounts.Client": {"first_name": "client name", "last_name": "client name",
                        "date_of_birth": "client date of birth"},
    "accounts.User": {"email": "email address", "preferred_name": "preferred name"},
    "accounts.SignUpRequest": {"details": "sign-up details", "email": "email address"},
    "care.GoalVersion": {"text": "goal text"},
    "care.Activity": {"text": "activity text"},
    "care.CheckIn": {"note": "check-in note"},
    "care.ProviderNoteVersion": {"body": "provider note"},
    "measures.Alert": {"note": "alert note"},
    "scheduling.CrisisRequest": {"name": "contact name", "phone": "contact phone", "email": "email address",
                                 "message": "crisis request message"},
    "scheduling.CrisisAttempt": {"note": "crisis attempt note"},
    "scheduling.CareRequest": {"note_for_therapist": "note for the therapist"},
}
# Functions that issue a secret: module, function, kind. The value is what they return (the
# second item of a pair, e.g. `(token_row, raw_token)`).
LEAK_ISSUERS = [
    ("carematch.accounts.services", "api_token_issue", "API token"),
    ("carematch.scheduling.services", "calendar_feed_issue", "calendar address token"),
    ("carematch.accounts.mfa", "secret_new", "TOTP secret"),
    ("carematch.accounts.mfa", "recovery_code_new", "recovery code"),
]


class LogLeakCheck:
    """The records logged and the values that must never appear in them."""

    def __init__(self, level: int) -> None:
        self.level = level
        self.records: list[tuple[str, str, str]] = []  # (logger, level name, formatted text)
        self.canaries: dict[str, str] = {}  # lower-cased value -> kind
        self.leaks: list[tuple[str, str, str]] = []  # (logger, level name, kind)
        self._common: set[str] | None = None

    def add(self, kind: str, value: Any) -> None:
        if value is None:
            return
        text = (value.isoformat() if hasattr(value, "isoformat") else str(value)).strip().lower()
        if len(text) >= LEAK_MIN_LENGTH and not self._is_common(text):
            self.canaries.setdefault(text, kind)

    def _is_common(self, text: str) -> bool:
        """A single word or identifier that the project's own code or pages use (e.g. a last
        name such as "Client", a vocabulary slug, a field name such as "client_id" typed into
        a free-text field by a generated request) is not something only a person's record
        holds: tracebacks quote the code."""
        if not _IDENTIFIER.fullmatch(text):
            return False
        if self._common is None:
            root = Path(__file__).resolve().parents[2]
            words: set[str] = set()
            for pattern in ("carematch/**/*.py", "templates/**/*.html", "templates/**/*.txt"):
                for path in root.glob(pattern):
                    if "tests" not in path.relative_to(root).parts:
                        source = path.read_text(errors="ignore").lower()
                        words.update(re.findall(r"[a-z]+", source))
                        words.update(_IDENTIFIER.findall(source))
            self._common = words
        return text in self._common

    def scan(self) -> None:
        texts = {text.lower() for _, _, text in self.records}
        everything = "\n".join(texts)
        for canary, kind in self.canaries.items():
            if canary in everything:
                self.leaks.extend(
                    (name, level, kind) for name, level, text in self.records if canary in text.lower()
                )


class _KeepRecords(logging.Handler):
    def __init__(self, check: LogLeakCheck) -> None:
        super().__init__(level=check.level)
        self.check = check
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is kept as it came
            text = f"{record.msg} {record.args}"
        self.check.records.append((record.name, record.levelname, text))


_leak_stash: pytest.StashKey[tuple[LogLeakCheck, _KeepRecords]] = pytest.StashKey()


def _loggers_with_own_handlers() -> list[logging.Logger]:
    """The root logger, and the loggers whose records never reach it."""
    loggers = [logging.getLogger()]
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and not logger.propagate:
            loggers.append(logger)
    return loggers


def pytest_sessionstart(session: pytest.Session) -> None:
    from django.conf import settings

    from carematch.accounts.tests import factories

    level = logging.getLevelName(os.environ.get("CAREMATCH_LOG_LEVEL", "INFO").upper())
    check = LogLeakCheck(level if isinstance(level, int) else logging.INFO)
    handler = _KeepRecords(check)
    for logger in _loggers_with_own_handlers():
        logger.addHandler(handler)
    session.config.stash[_leak_stash] = (check, handler)
    check.add("password", factories.PASSWORD)
    check.add("secret key", settings.SECRET_KEY)
    for key in [*getattr(settings, "ENCRYPTION_KEYS", ()),
                *os.environ.get("CAREMATCH_ENCRYPTION_KEYS", "").split(",")]:
        check.add("encryption key", key)


@pytest.fixture(scope="session", autouse=True)
def _log_leak_notes_passwords(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every password set in the session is a value the log must never hold."""
    from django.contrib.auth.base_user import AbstractBaseUser

    check, _ = request.config.stash[_leak_stash]
    original = _original(AbstractBaseUser, "set_password", "the log-leak check notes every password")

    def set_password(self: AbstractBaseUser, raw_password: str | None) -> None:
        check.add("password", raw_password)
        original(self, raw_password)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AbstractBaseUser, "set_password", set_password)
        yield


@pytest.fixture(scope="session", autouse=True)
def _log_leak_notes_issued_secrets(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every secret issued in the session (LEAK_ISSUERS) is a value the log must never hold."""
    check, _ = request.config.stash[_leak_stash]

    def noting(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def make(original: Callable[..., Any]) -> Callable[..., Any]:
            def issue(*args: Any, **kwargs: Any) -> Any:
                result = original(*args, **kwargs)
                check.add(kind, result[1] if isinstance(result, tuple) else result)
                return result

            return issue

        return make

    with pytest.MonkeyPatch.context() as patch:
        for module_name, name, kind in LEAK_ISSUERS:
            _wrap_function_everywhere(patch, module_name, name, f"the log-leak check notes every {kind}", noting(kind))
        yield


@pytest.fixture(scope="session", autouse=True)
def _log_leak_notes_saved_rows(request: pytest.FixtureRequest) -> Iterator[None]:
    """The sensitive fields of every row saved in the session (LEAK_FIELDS)."""
    from django.apps import apps
    from django.db.models.signals import post_save

    check, _ = request.config.stash[_leak_stash]
    for label, fields in LEAK_FIELDS.items():
        model = apps.get_model(label)
        missing = sorted(set(fields) - {field.name for field in model._meta.get_fields()})
        if missing:
            pytest.fail(f"LEAK_FIELDS names fields {label} no longer has: {', '.join(missing)}", pytrace=False)

    def noting(sender: Any, instance: Any, **kwargs: Any) -> None:
        for name, kind in LEAK_FIELDS.get(sender._meta.label, {}).items():
            check.add(kind, getattr(instance, name, None))

    uid = "carematch.tests.plugin.log_leak_check"
    post_save.connect(noting, weak=False, dispatch_uid=uid)
    yield
    post_save.disconnect(dispatch_uid=uid)


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Reconfiguring logging replaces the root logger's handlers; keep listening.
    _, handler = item.config.stash[_leak_stash]
    root = logging.getLogger()
    if handler not in root.handlers:
        root.addHandler(handler)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    check, _ = session.config.stash[_leak_stash]
    check.scan()
    if check.leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    check, _ = terminalreporter.config.stash[_leak_stash]
    if check.leaks:
        terminalreporter.section("log-leak check: sensitive values found in the log", red=True)
        for (name, level, kind), count in sorted(Counter(check.leaks).items()):
            terminalreporter.write_line(f"logger {name}, level {level}: {kind} ({count} record{'s' * (count != 1)})")
    found = f"{len(check.leaks):,} record(s) with one" if check.leaks else "none found"
    terminalreporter.write_line(
        f"log-leak check: {len(check.records):,} log records scanned for {len(check.canaries):,} seeded values: "
        f"{found}"
    )

"""Test set-up shared by every test, loaded as a pytest plugin (`-p carematch.testing`)
so the environment is set before Django reads its settings.

The suite runs once on SQLite and, with CAREMATCH_TEST_DATABASE=postgres, once on
PostgreSQL (CAREMATCH_TEST_POSTGRES_URL). Tests marked `postgres_only` need PostgreSQL
features; browser tests need Debian's Chromium. Either kind is skipped with its reason
when its part is missing, and with CAREMATCH_TEST_STRICT=1 such a skip is a failure.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("CAREMATCH_DEBUG", "1")
os.environ.setdefault("CAREMATCH_SECRET_KEY", "test-only-key-" + "x7Rq2" * 10)
# A fixed Fernet key for tests only (32 bytes, url-safe base64); never a deployment's key.
os.environ.setdefault("CAREMATCH_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWZlcm5ldC1rZXktMzItYnl0ZXMhISE=")
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


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = "PostgreSQL" if ON_POSTGRES else "SQLite"
    browser = CHROMIUM if shutil.which(CHROMIUM) else "none (browser tests skip)"
    return [f"carematch: database {db}; browser {browser}; strict {'on' if STRICT else 'off'}"]


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


@pytest.fixture(scope="session", autouse=True)
def _flush_empties_the_access_log() -> Any:
    """The database refuses to delete access events (carematch/access/audit.py). Django's flush,
    which empties the whole test database after each transactional test, is the one exception."""
    from django.core.management.commands import flush

    from carematch.access.audit import whole_log_erasure

    original = flush.Command.handle

    def handle(self: Any, *args: Any, **options: Any) -> Any:
        with whole_log_erasure(options.get("database") or "default"):
            return original(self, *args, **options)

    flush.Command.handle = handle  # type: ignore[method-assign]
    yield
    flush.Command.handle = original  # type: ignore[method-assign]


# --- Logging in -------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _force_login_passes_the_second_factor() -> Any:
    """`client.force_login(user)` is the test equivalent of logging in without typing the
    password; it skips the second factor the same way, marking the session as having passed
    it (accounts.mfa.SESSION_VERIFIED). Tests of the two-step log-in use the real log-in form."""
    from django.test import Client

    from carematch.accounts import mfa

    original = Client.force_login

    def force_login(self: Any, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        session = self.session
        session[mfa.SESSION_VERIFIED] = True
        session.save()

    Client.force_login = force_login  # type: ignore[method-assign]
    yield
    Client.force_login = original  # type: ignore[method-assign]


def browser_log_in(page: Any, *, email: str, password: str) -> None:
    """Log in through the log-in form, with the second step when the account has an
    authenticator app. Providers, coordinators and admins must have one: one with the test
    secret (accounts.tests.factories.authenticator_give) is given to them if they have none."""
    from carematch.accounts.models import User
    from carematch.accounts.tests.factories import authenticator_code, authenticator_give, authenticator_of

    user = User.objects.get(email__iexact=email)
    if user.mfa_required and authenticator_of(email) is None:
        authenticator_give(user)
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if authenticator_of(email) is not None:
        page.get_by_label("Authentication code").fill(authenticator_code(email))
        page.get_by_role("button", name="Log in").click()


# --- Browser --------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> Any:
    """Debian's Chromium driven by Playwright; never a downloaded browser."""
    if not shutil.which(CHROMIUM):
        skip_or_fail(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    # Playwright's synchronous API keeps an event loop on this thread; the ORM calls the
    # tests make around it are ordinary synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def browser_page(chromium: Any, live_server: Any) -> Any:
    """A fresh desktop-sized page; `page.base_url` is the live server."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(chromium: Any, live_server: Any) -> Any:
    """A fresh page the size of a small phone (375 x 667 CSS pixels, touch)."""
    context = chromium.new_context(
        viewport={"width": 375, "height": 667}, device_scale_factor=2, is_mobile=True, has_touch=True,
        base_url=live_server.url,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# --- Assertions shared by API tests ------------------------------------------------------------


def assert_error_shape(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is `status` with the one JSON error shape (and `code`, when given)."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"error", "detail", "fields"} and {"error", "detail"} <= set(body), body
    assert isinstance(body["error"], str) and body["error"].replace("_", "").isalpha()
    assert isinstance(body["detail"], str) and body["detail"].strip()
    if "fields" in body:
        assert body["fields"] and all(isinstance(k, str) and isinstance(v, str) for k, v in body["fields"].items())
    if code is not None:
        assert body["error"] == code, body
    return body


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
}


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
        """A single word that the project's own code or pages use (e.g. a last name such as
        "Client", a vocabulary slug) is not something only a person's record holds."""
        if not text.isalpha():
            return False
        if self._common is None:
            root = Path(__file__).resolve().parent
            words: set[str] = set()
            for pattern in ("carematch/**/*.py", "templates/**/*.html", "templates/**/*.txt"):
                for path in root.parent.glob(pattern):
                    if "tests" not in path.parts and path.name != "testing.py":
                        words.update(re.findall(r"[a-z]+", path.read_text(errors="ignore").lower()))
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


def _observe_secrets(check: LogLeakCheck) -> None:
    """Note every secret the session issues or uses, as it is issued."""
    from django.conf import settings
    from django.contrib.auth.base_user import AbstractBaseUser

    check.add("secret key", settings.SECRET_KEY)
    for key in [*getattr(settings, "ENCRYPTION_KEYS", ()),
                *os.environ.get("CAREMATCH_ENCRYPTION_KEYS", "").split(",")]:
        check.add("encryption key", key)

    set_password = AbstractBaseUser.set_password

    def noting_set_password(self: Any, raw_password: str | None) -> None:
        check.add("password", raw_password)
        set_password(self, raw_password)

    AbstractBaseUser.set_password = noting_set_password  # type: ignore[method-assign]

    def observe(module_name: str, function_name: str, kind: str) -> None:
        import importlib

        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return
        original = getattr(module, function_name, None)
        if original is None:
            return

        def noting(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            check.add(kind, result[1] if isinstance(result, tuple) else result)
            return result

        setattr(module, function_name, noting)

    observe("carematch.accounts.services", "api_token_issue", "API token")
    observe("carematch.scheduling.services", "calendar_feed_issue", "calendar address token")
    observe("carematch.accounts.mfa", "secret_new", "TOTP secret")
    observe("carematch.accounts.mfa", "recovery_code_new", "recovery code")


def _observe_saved_rows(check: LogLeakCheck) -> None:
    from django.db.models.signals import post_save

    def noting(sender: Any, instance: Any, **kwargs: Any) -> None:
        for name, kind in LEAK_FIELDS.get(sender._meta.label, {}).items():
            check.add(kind, getattr(instance, name, None))

    post_save.connect(noting, weak=False, dispatch_uid="carematch.testing.log_leak_check")


def pytest_sessionstart(session: pytest.Session) -> None:
    level = logging.getLevelName(os.environ.get("CAREMATCH_LOG_LEVEL", "INFO").upper())
    check = LogLeakCheck(level if isinstance(level, int) else logging.INFO)
    handler = _KeepRecords(check)
    for logger in _loggers_with_own_handlers():
        logger.addHandler(handler)
    session.config.stash[_leak_stash] = (check, handler)
    from carematch.accounts.tests import factories

    check.add("password", factories.PASSWORD)
    _observe_secrets(check)
    _observe_saved_rows(check)


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

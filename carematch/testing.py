"""Test set-up shared by every test, loaded as a pytest plugin (`-p carematch.testing`)
so the environment is set before Django reads its settings.

The suite runs once on SQLite and, with CAREMATCH_TEST_DATABASE=postgres, once on
PostgreSQL (CAREMATCH_TEST_POSTGRES_URL). Tests marked `postgres_only` need PostgreSQL
features; browser tests need Debian's Chromium. Either kind is skipped with its reason
when its part is missing, and with CAREMATCH_TEST_STRICT=1 such a skip is a failure.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

os.environ.setdefault("CAREMATCH_DEBUG", "1")
os.environ.setdefault("CAREMATCH_SECRET_KEY", "test-only-key-" + "x7Rq2" * 10)
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

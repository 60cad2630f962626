"""In a real browser, the main pages, the API docs and the admin work under the
Content-Security-Policy: nothing on them is refused (Chromium reports each refusal as a
console error "Refused to ...") and no script fails."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.scheduling.tests.factories import weekday_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Watch:
    """Collects what the page reports: console errors (each refusal by the policy is one),
    uncaught script errors, and sub-resources that failed to load. Browsers ask for
    /favicon.ico on their own; carematch serves none, so its 404 is left out."""

    def __init__(self, page):
        self.problems: list[str] = []
        self.missing: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.missing.append(f"{response.status} {response.url}")

    def violations(self) -> list[str]:
        return [p for p in self.problems if "Refused to" in p or "Content Security Policy" in p]

    def assert_clean(self) -> None:
        assert self.problems == [], self.problems
        assert self.missing == [], self.missing


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert "script-src 'self'" in (response.header_value("content-security-policy") or ""), url
    page.wait_for_load_state("networkidle")


def sign_in(page, user) -> None:
    """The browser takes over a signed-in session (made as the test client makes one)."""
    django_client = Client()
    django_client.force_login(user)
    cookie = django_client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": page.url or "http://127.0.0.1"}])


def test_the_public_pages_and_the_intake_run_without_a_refusal(browser_page):
    page = browser_page
    watch = Watch(page)
    provider = weekday_provider(first_name="Robin", last_name="Vale")

    for url in ["/", "/find/", "/accounts/login/", "/accounts/signup/", f"/providers/{provider.pk}/"]:
        visit(page, url)
    # A couple of intake steps, answered as a person would.
    visit(page, "/find/")
    page.get_by_label("No").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What you would like help with")
    page.get_by_label("Anxiety").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How you would like to meet")
    # The stylesheet really applies (a policy that blocked it would leave the page unstyled).
    assert page.evaluate("getComputedStyle(document.querySelector('.crisis')).display") != "inline"
    watch.assert_clean()


def test_the_api_docs_render_under_the_policy(browser_page):
    page = browser_page
    watch = Watch(page)
    visit(page, "/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("carematch API")
    operation = page.locator(".opblock-summary").first
    operation.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    watch.assert_clean()


def test_the_admin_log_in_and_its_pages_run_without_a_refusal(browser_page):
    page = browser_page
    watch = Watch(page)
    visit(page, "/admin/login/")
    expect(page.get_by_label("Email address")).to_be_visible()
    sign_in(page, UserFactory(role=Role.ADMIN, is_superuser=True))
    for url in ["/admin/", "/admin/accounts/user/", "/admin/accounts/user/add/", "/admin/accounts/apitoken/"]:
        visit(page, url)
    watch.assert_clean()


def test_the_watch_sees_a_refused_inline_script(browser_page):
    """The check above can fail: an inline script on a carematch page is refused and reported."""
    page = browser_page
    watch = Watch(page)
    visit(page, "/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.appendChild(s); const p = document.createElement('div');"
        " p.setAttribute('style', 'color: red'); document.body.appendChild(p); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran") is None
    assert any("inline script" in v and "script-src" in v for v in watch.violations()), watch.problems
    assert any("inline style" in v and "style-src" in v for v in watch.violations()), watch.problems

"""Helpers that tests of several apps share: the API's one error shape, logging in through
the browser."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpResponse
    from playwright.sync_api import Page


def assert_error_shape(response: HttpResponse, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is `status` with the one JSON error shape (and `code`, when given)."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()  # type: ignore[attr-defined]
    assert set(body) <= {"error", "detail", "fields"} and {"error", "detail"} <= set(body), body
    assert isinstance(body["error"], str) and body["error"].replace("_", "").isalpha()
    assert isinstance(body["detail"], str) and body["detail"].strip()
    if "fields" in body:
        assert body["fields"] and all(isinstance(k, str) and isinstance(v, str) for k, v in body["fields"].items())
    if code is not None:
        assert body["error"] == code, body
    return body


def browser_log_in(page: Page, *, email: str, password: str) -> None:
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


def inline_scripts(html: str) -> list[str]:
    """The <script> tags of a page that carry code of their own (no `src`): what the strict
    Content-Security-Policy would refuse. The site's own script files are allowed."""
    import re

    return re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html, flags=re.I)


def error_summary(html: str) -> str:
    """The first error summary of a page (templates/includes/error_summary.html), or "" when
    the page has none."""
    start = html.find('class="error-summary"')
    return "" if start < 0 else html[start:html.index("</ul>", start)]

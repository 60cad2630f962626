"""Every page and every API answer carries a strict Content-Security-Policy: scripts and
styles only from carematch's own static files, nothing inline, no plugins, no framing.
The templates keep to it (no inline scripts, event handlers, javascript: links or styles)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from carematch import checks
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.scheduling.tests.factories import weekday_provider

EXPECTED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def policy_of(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.status_code} {response.get('Content-Type')}"
    assert "unsafe-inline" not in header and "unsafe-eval" not in header, header
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.mark.django_db
def test_pages_carry_the_strict_policy(client):
    provider = weekday_provider()
    pages = ["/", "/find/", "/find/help/", "/accounts/login/", "/accounts/signup/", f"/providers/{provider.pk}/",
             "/admin/login/", "/api/v1/docs"]
    for url in pages:
        response = client.get(url)
        assert response.status_code in {200, 302}, url  # the admin's log-in may send to the site's
        assert policy_of(response) == EXPECTED, url


@pytest.mark.django_db
def test_pages_of_signed_in_people_and_error_pages_carry_it_too(client):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    for url in ["/staff/", "/staff/directory/", "/accounts/", "/no-such-page/"]:
        response = client.get(url)
        assert response.status_code in {200, 404}, url
        assert policy_of(response) == EXPECTED, url


@pytest.mark.django_db
def test_api_answers_and_api_errors_carry_it(client):
    coordinator = UserFactory(role=Role.COORDINATOR)
    answers = [
        client.get("/api/v1/health"),
        client.get("/api/v1/openapi.json"),
        client.get("/api/v1/me", **auth_header(coordinator)),
        client.get("/api/v1/me"),  # 401
        client.get("/api/v1/no-such-thing"),  # 404, reshaped by the API's error middleware
        client.delete("/api/v1/health"),  # 405
        client.post("/api/v1/users", data="{oops", content_type="application/json", **auth_header(coordinator)),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 401, 404, 405, 400]
    for answer in answers:
        assert policy_of(answer) == EXPECTED


TEMPLATE_DIRS = [
    Path(settings.BASE_DIR) / "templates", *sorted(Path(settings.BASE_DIR, "carematch").glob("*/templates")),
]
# What the policy refuses to run or apply: inline scripts (a <script> without src), inline
# event handlers, javascript: addresses, style attributes and <style> blocks.
FORBIDDEN = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I),
    "event handler attribute": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "javascript: address": re.compile(r"javascript:", re.I),
    "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
    "style block": re.compile(r"<style[\s>]", re.I),
}


def test_no_template_needs_inline_script_or_style():
    templates = [path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html")]
    assert len(templates) > 40
    found = [
        f"{path.relative_to(settings.BASE_DIR)}: {what}"
        for path in templates
        for what, pattern in FORBIDDEN.items()
        if pattern.search(path.read_text())
    ]
    assert found == []


@pytest.mark.parametrize("html", [
    "<script>alert(1)</script>", "<button onclick=\"go()\">", "<a href=\"javascript:go()\">",
    "<p style=\"color: red\">", "<style>p { color: red }</style>", "<SCRIPT type=\"module\">",
])
def test_the_template_scan_catches_each_kind_of_inline_code(html):
    assert any(pattern.search(html) for pattern in FORBIDDEN.values())


def test_the_template_scan_allows_external_scripts_and_json_data():
    for html in ['<script src="/static/x.js"></script>', '<script type="application/json" id="d">{}</script>',
                 '<a href="/find/" class="button">']:
        assert not any(pattern.search(html) for pattern in FORBIDDEN.values())


def test_the_deploy_check_accepts_the_configured_policy():
    assert checks.content_security_policy_check() == []


@pytest.mark.parametrize("change", [
    {"script-src": ["'self'", "'unsafe-inline'"]},
    {"style-src": ["'self'", "'unsafe-inline'"]},
    {"script-src": ["'self'", "'unsafe-eval'"]},
    {"script-src": ["*"]},
    {"object-src": None},
    {"frame-ancestors": ["'self'"]},
])
def test_the_deploy_check_refuses_a_weakened_policy(change):
    directives = {k: v for k, v in {**EXPECTED, **change}.items() if v is not None}
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": directives}):
        problems = checks.content_security_policy_check()
    assert problems and all(p.id == "carematch.E002" for p in problems)


def test_the_deploy_check_refuses_a_missing_middleware():
    without = [m for m in settings.MIDDLEWARE if m != "csp.middleware.CSPMiddleware"]
    with override_settings(MIDDLEWARE=without):
        problems = checks.content_security_policy_check()
    assert any("MIDDLEWARE" in p.msg for p in problems)


def test_check_deploy_runs_the_policy_check():
    from django.core.checks.registry import registry

    assert checks.content_security_policy_check in registry.get_checks(include_deployment_checks=True)
    assert checks.content_security_policy_check not in registry.get_checks(include_deployment_checks=False)

"""The access log fits the window: no sideways scrolling at 1280 px, where its columns wrap
their long values, nor on a 390 px phone, where each event is a card with its column names."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from playwright.sync_api import expect

from carematch.access import audit
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.scheduling.tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_access_log_never_scrolls_sideways(chromium, live_server, width):
    provider = UserFactory(role=Role.PROVIDER, email="a.provider.with.a.rather-long-address@clinic.example.test")
    person = ClientFactory()
    for action, outcome, result in [("view", "allowed", ""), ("update", "allowed", "rejected"),
                                    ("export", "denied", "")]:
        audit.record(None, action=action, resource_type="questionnaire_requests", resource_id=person.pk,
                     client=person, outcome=outcome, result=result, actor=provider)
    coordinator = UserFactory(role=Role.COORDINATOR)
    django_client = DjangoClient()
    django_client.force_login(coordinator)

    context = chromium.new_context(viewport={"width": width, "height": 900}, base_url=live_server.url)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                          "value": django_client.cookies[settings.SESSION_COOKIE_NAME].value}])
    page = context.new_page()
    page.goto("/staff/audit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Access log")
    expect(page.get_by_role("table")).to_contain_text("a.provider.with.a.rather-long-address@clinic.example.test")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    context.close()

"""A provider sets up two-step log-in on a phone, with the keyboard, and logs in with a code."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from carematch.accounts import mfa
from carematch.accounts.models import MfaDevice, RecoveryCode, Role

from .factories import PASSWORD, UserFactory, authenticator_code, code_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def type_into(page, locator, text):
    locator.focus()
    page.keyboard.type(text)


def test_a_provider_sets_up_an_authenticator_app_and_logs_in_with_a_code_at_phone_width(phone_page):
    page = phone_page
    UserFactory(email="robin@example.test", role=Role.PROVIDER, preferred_name="Robin")
    page.goto("/accounts/login/")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type("robin@example.test")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    # Nothing else is possible until an app is set up.
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step log-in")
    page.goto("/accounts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step log-in")
    qr = page.get_by_role("figure").locator("svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, "the QR code fits the screen"
    secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
    assert len(secret) == 32

    code_field = page.get_by_label("6-digit code from your authenticator app")
    type_into(page, code_field, code_at(secret, mfa.time_step(timezone.now())))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    assert RecoveryCode.objects.filter(user__email="robin@example.test").count() == 10
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the recovery codes scroll sideways by {overflow}px"
    page.get_by_role("link", name="I have saved my recovery codes").click()
    # On to where the provider was going: their account page.
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Robin")
    expect(page.get_by_text("On: logging in needs your password")).to_be_visible()

    log_out = page.get_by_role("button", name="Log out")
    log_out.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("You have logged out.")).to_be_visible()

    page.goto("/accounts/login/")
    type_into(page, page.get_by_label("Email address"), "robin@example.test")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    expect(page.get_by_label("Authentication code")).to_be_focused()
    page.keyboard.type("000000" if authenticator_code("robin@example.test") != "000000" else "111111")
    page.keyboard.press("Enter")
    expect(page.locator("#id_code_error")).to_contain_text("That code did not work.")
    expect(page.get_by_label("Authentication code")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Authentication code").fill("")
    type_into(page, page.get_by_label("Authentication code"), authenticator_code("robin@example.test"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Robin")
    assert MfaDevice.objects.get(user__email="robin@example.test").last_used_step is not None
    small = page.evaluate(
        """[...document.querySelectorAll('nav a, button, input:not([type=hidden]), a.button')]
             .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 24)
             .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert small == []

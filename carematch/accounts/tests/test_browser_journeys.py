"""Journeys a person walks through account pages, in a real browser."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from carematch.accounts.models import Role, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CRISIS_LINE = "If you are in crisis, call or text 988 (Suicide & Crisis Lifeline) or call 911."
LINK = re.compile(r"http://127\.0\.0\.1:8000(/accounts/signup/confirm/\S+/)")


def follow_confirmation_link(page, email, *, keyboard=False):
    """Open the emailed link in the same browser and confirm (the live server runs in this
    process, so the email is in mail.outbox)."""
    message = next(m for m in reversed(mail.outbox) if m.to == [email])
    page.goto(LINK.search(message.body).group(1))
    confirm = page.get_by_role("button", name="Confirm and continue")
    if keyboard:
        confirm.focus()
        page.keyboard.press("Enter")
    else:
        confirm.click()


def test_a_client_signs_up_logs_out_logs_back_in_and_sees_the_crisis_line(browser_page):
    page = browser_page
    page.goto("/")
    expect(page.get_by_role("complementary", name="Help in a crisis")).to_contain_text(CRISIS_LINE)
    page.get_by_role("link", name="Sign up").click()

    page.get_by_label("Email address").fill("river@example.test")
    page.get_by_label("What should we call you? (optional)").fill("River")
    page.get_by_label("Password", exact=True).fill("a-quiet-morning-walk")
    page.get_by_label("Password again").fill("a-quiet-morning-walk")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    follow_confirmation_link(page, "river@example.test")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, River")
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
    assert User.objects.get(email="river@example.test").role == Role.CLIENT

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Log in")).to_be_visible()

    menu.get_by_role("link", name="Log in").click()
    page.get_by_label("Email address").fill("River@Example.test")
    page.get_by_label("Password").fill("a-quiet-morning-walk")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, River")
    expect(page.get_by_role("complementary", name="Help in a crisis")).to_contain_text(CRISIS_LINE)


def test_sign_up_mistakes_are_named_next_to_their_fields(browser_page):
    page = browser_page
    page.goto("/accounts/signup/")
    page.get_by_label("Email address").fill("kit@example.test")
    page.get_by_label("Password", exact=True).fill("a-quiet-morning-walk")
    page.get_by_label("Password again").fill("a-different-walk")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_role("alert").get_by_role("link")).to_have_count(1)
    expect(page.locator("[data-error-summary]")).to_be_focused()
    again = page.get_by_label("Password again")
    expect(again).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_password2_error")).to_have_text(re.compile("The two passwords do not match."))
    expect(page.get_by_label("Email address")).to_have_value("kit@example.test")
    assert not User.objects.exists()


def test_sign_up_and_log_in_work_with_the_keyboard_alone(browser_page):
    page = browser_page
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()

    page.goto("/accounts/signup/")
    page.get_by_label("Email address").focus()
    page.keyboard.type("keys@example.test")
    page.keyboard.press("Tab")
    page.keyboard.type("Jo")
    page.keyboard.press("Tab")
    page.keyboard.type("typing-all-the-way")
    page.keyboard.press("Tab")
    page.keyboard.type("typing-all-the-way")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Create account")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    follow_confirmation_link(page, "keys@example.test", keyboard=True)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Jo")

    log_out = page.get_by_role("button", name="Log out")
    log_out.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("You have logged out.")).to_be_visible()

    page.goto("/accounts/login/")
    expect(page.get_by_label("Email address")).to_be_focused()  # autofocus puts the cursor where typing starts
    page.keyboard.type("keys@example.test")
    page.keyboard.press("Tab")
    page.keyboard.type("typing-all-the-way")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Jo")


@pytest.mark.parametrize("path", ["/", "/find/", "/accounts/signup/", "/accounts/login/", "/accounts/password-reset/"])
def test_pages_fit_a_phone_screen_with_the_crisis_line_first(phone_page, path):
    page = phone_page
    page.goto(path)
    crisis = page.get_by_role("complementary", name="Help in a crisis")
    expect(crisis).to_contain_text(CRISIS_LINE)
    box = crisis.bounding_box()
    assert box is not None and box["y"] < 10, "the crisis line is the first thing on the screen"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    # Touch targets: buttons, fields and menu links are at least 24px tall (WCAG 2.2 AA, 2.5.8;
    # links inside sentences are exempt).
    small = page.evaluate(
        """[...document.querySelectorAll('nav a, button, input:not([type=hidden]), a.button')]
             .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 24)
             .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert small == []

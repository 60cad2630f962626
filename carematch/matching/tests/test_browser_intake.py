"""The intake in a real browser: the crisis answer comes first, and the whole journey books."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from carematch.scheduling.models import CareRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_saying_you_are_in_danger_shows_how_to_reach_help_before_anything_else(phone_page):
    page = phone_page
    page.goto("/")
    page.get_by_role("link", name="Find a therapist").first.click()
    expect(page.get_by_text("Step 1 of 8")).to_be_visible()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You deserve help right now")
    call = page.get_by_role("link", name="Call 988")
    expect(call).to_have_attribute("href", "tel:988")
    expect(page.get_by_role("link", name="Text HOME to 741741")).to_be_visible()
    expect(page.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    box = call.bounding_box()
    assert box is not None and box["y"] < page.viewport_size["height"], "help is on the first screen"
    assert CareRequest.objects.get().crisis

    page.get_by_label("Your first name (optional)").fill("Ash")
    page.get_by_label("A phone number we can call or text").fill("303 555 0142")
    page.get_by_role("button", name="Ask a coordinator to reach out").click()
    expect(page.get_by_role("status")).to_contain_text("A coordinator will contact you")
    assert CareRequest.objects.get().contact_phone == "+13035550142"

    page.get_by_role("link", name="Continue to find a therapist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What you would like help with")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

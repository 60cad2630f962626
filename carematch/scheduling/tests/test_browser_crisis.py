"""In a real browser: a person says they are in danger and asks, using only the keyboard, to
be called back; a coordinator, in a browser of their own, finds the request first in their
navigation and records what happened; the coordinators' email went out through the task
worker and names nobody."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import PASSWORD, UserFactory
from carematch.scheduling.models import CrisisRequest
from carematch.tests.helpers import browser_log_in

from .test_emails import run_due_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOURS = "weekdays 8 am\u20138 pm Mountain time"  # shown exactly as configured, en dash and all


def test_a_person_asks_to_be_called_back_and_a_coordinator_records_the_outcome(chromium, live_server, phone_page,
                                                                            settings):
    settings.CRISIS_CALLBACK_HOURS = HOURS
    coordinator = UserFactory(role=Role.COORDINATOR, email="casey.coordinator@example.test", preferred_name="Casey")

    refused: list[str] = []  # what the Content-Security-Policy refused, on either browser

    def watch(console_message) -> None:
        if console_message.type == "error" and "Refused to" in console_message.text:
            refused.append(console_message.text)

    # The person, on a phone.
    page = phone_page
    page.on("console", watch)
    page.goto("/find/")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You deserve help right now")
    expect(page.get_by_text(f"Coordinators call back {HOURS}.")).to_be_visible()
    main = page.locator("main").inner_text()
    assert main.index("Call 988") < main.index("Call 911") < main.index("Coordinators call back")

    # Sent with nothing filled in, from the keyboard: each error is named at its field.
    page.get_by_label("Your first name (optional)").focus()
    page.keyboard.press("Enter")
    phone = page.get_by_label("A phone number we can call or text")
    state = page.get_by_label("Which state are you in?")
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_role("alert").get_by_role("link")).to_have_count(2)
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(
        "Give a phone number (or an email address) so a coordinator can reach you.")
    expect(state).to_have_accessible_description(
        "So the coordinator knows your time zone and the services near you. Choose the state you are in.")

    page.get_by_label("Your first name (optional)").focus()
    page.keyboard.type("Ash")
    phone.focus()
    page.keyboard.type("303 555 0142")
    state.focus()
    page.keyboard.type("Colorado")
    expect(state).to_have_value("CO")
    page.get_by_label("Anything you would like the coordinator to know (optional)").focus()
    page.keyboard.type("I am at home alone tonight")
    page.keyboard.press("Tab")  # to the button
    page.keyboard.press("Enter")
    status = page.get_by_role("status")
    expect(status).to_contain_text(f"A coordinator will call you back {HOURS}.")
    expect(status).to_contain_text("If you are in danger before then, call or text 988 or call 911.")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    request = CrisisRequest.objects.get()
    assert (request.phone, request.state, request.channel) == ("+13035550142", "CO", "page")

    # The coordinators' email, sent by the task worker: it names nobody.
    run_due_tasks()
    [email] = mail.outbox
    assert email.to == ["casey.coordinator@example.test"]
    assert email.subject == "A person asked to be contacted"
    assert "/staff/crisis/" in email.body
    for detail in ("Ash", "303", "555", "0142", "Colorado", "alone"):
        assert detail not in email.body and detail not in email.subject

    # The coordinator, in a browser of their own.
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    try:
        staff = context.new_page()
        staff.set_default_timeout(10_000)
        staff.on("console", watch)
        browser_log_in(staff, email=coordinator.email, password=PASSWORD)
        nav = staff.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link").nth(1)).to_have_text("Crisis requests 1 open")
        nav.get_by_role("link", name="Crisis requests 1 open").click()
        expect(staff.get_by_role("heading", level=1)).to_have_text("Crisis follow-up")
        item = staff.locator(f"#crisis-{request.pk}")
        expect(item.get_by_role("heading", level=3)).to_contain_text("Ash")
        expect(item.get_by_role("link", name="(303) 555-0142")).to_have_attribute("href", "tel:+13035550142")
        expect(item).to_contain_text("Colorado")
        expect(item).to_contain_text("Web page")
        expect(item).to_contain_text("I am at home alone tonight")

        # A try with no answer keeps the request waiting ...
        item.get_by_label("No answer (stays open)").focus()
        staff.keyboard.press("Space")
        item.get_by_label("Note").fill("Rang at once, no answer; trying again in ten minutes")
        item.get_by_role("button", name="Record the outcome for Ash").click()
        expect(staff.get_by_role("status")).to_contain_text("The request stays open for another try.")
        item = staff.locator(f"#crisis-{request.pk}")
        expect(item).to_contain_text("Rang at once, no answer")
        # The queue fits a phone too (a coordinator on call).
        staff.set_viewport_size({"width": 375, "height": 667})
        assert staff.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        staff.set_viewport_size({"width": 1280, "height": 900})

        # ... and reaching them closes it.
        item.get_by_label("Reached the person").check()
        item.get_by_label("Note").fill("Reached; safety plan agreed, first session booked for tomorrow")
        item.get_by_role("button", name="Record the outcome for Ash").click()
        expect(staff.get_by_role("status")).to_contain_text("The request is closed.")
        expect(staff.get_by_text("Nobody is waiting.")).to_be_visible()
        expect(staff.get_by_role("navigation", name="Main").get_by_role("link").nth(1)).to_have_text(
            "Crisis requests 0 open")
    finally:
        context.close()
    assert refused == []
    request.refresh_from_db()
    assert request.status == "closed"
    assert list(request.attempts.values_list("outcome", flat=True)) == ["no_answer", "reached"]

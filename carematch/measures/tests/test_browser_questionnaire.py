"""In a real browser: a client answers a PHQ-9 from the reminder's private link and sees
their result; with item 9 above 0 crisis resources come first, their provider's alerts
page shows the open alert, and their progress page charts the score."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import PASSWORD, UserFactory
from carematch.measures import services
from carematch.measures.instruments import PHQ9
from carematch.measures.models import Alert
from carematch.tests.helpers import browser_log_in

from .factories import ClientFactory, appointment, at, provider_user, run_due_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"http://127\.0\.0\.1:8000(/questionnaires/link/q_[A-Za-z0-9_-]{43}/)")


def log_in(page, email):
    # Staff and providers enter a code from an authenticator app too (carematch.tests.helpers).
    browser_log_in(page, email=email, password=PASSWORD)


def reminder_link(person, provider):
    """The provider sends a PHQ-9; three days later the client is reminded. The reminder's link."""
    now = timezone.now()
    services.questionnaire_send_now(client=person, instruments=["phq9"], by=provider.user, provider=provider, now=now)
    run_due_tasks()
    with at(now + dt.timedelta(days=3, minutes=1)):
        run_due_tasks()
    (reminder,) = [m for m in mail.outbox if m.subject == "Reminder: your carematch questionnaire"]
    return LINK.search(reminder.body).group(1)


def answer_phq9(page, values):
    for item, value in zip(PHQ9.items, values, strict=True):
        group = page.get_by_role("group", name=f"{item.number}. {item.text}")
        group.get_by_label(["Not at all", "Several days", "More than half the days", "Nearly every day"][value],
                           exact=True).check()
    page.get_by_role("group", name=PHQ9.difficulty.text).get_by_label("Somewhat difficult").check()
    page.get_by_role("button", name="Send my answers").click()


def test_item9_from_the_reminder_link_shows_crisis_resources_first_and_opens_the_providers_alert(browser_page):
    page = browser_page
    person = ClientFactory(first_name="Noor", last_name="Hale", user=UserFactory(role=Role.CLIENT))
    provider = provider_user(first_name="Robin", user=UserFactory(role=Role.PROVIDER))
    appointment(provider, person, start=timezone.now() - dt.timedelta(days=7))
    path = reminder_link(person, provider)

    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("How you have been feeling")
    answer_phq9(page, [2, 2, 1, 2, 1, 2, 1, 0, 1])

    headings = page.locator("main h1, main h2, main h3")
    expect(headings.first).to_have_text("You deserve support right now")
    expect(page.get_by_role("link", name="Call 988")).to_be_visible()
    expect(page.get_by_role("link", name="Text HOME to 741741")).to_be_visible()
    expect(page.get_by_role("link", name="Call 911")).to_be_visible()
    expect(page.get_by_text("We have let your provider know")).to_be_visible()
    expect(page.get_by_text("Your score is 12 out of 27.")).to_be_visible()
    assert Alert.objects.get().kind == "suicidal_ideation"

    page.get_by_role("link", name="See your progress").click()
    page.get_by_label("Email address").fill(person.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/progress/$"))
    expect(page.get_by_role("img", name="PHQ-9 scores over time, shaded by severity")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    log_in(page, provider.user.email)
    page.goto("/provider/alerts/")
    expect(page.get_by_role("heading", name="Noor Hale")).to_be_visible()
    expect(page.get_by_text("answered “several days”")).to_be_visible()
    page.get_by_label("What did you do?").fill("Called Noor the same hour; safety plan reviewed together.")
    page.get_by_role("button", name="Acknowledge the alert about Noor Hale").click()
    expect(page.get_by_text("No open alerts.")).to_be_visible()
    assert not Alert.objects.get().is_open


def test_the_questionnaire_and_its_result_fit_a_phone_and_work_from_the_keyboard(phone_page):
    page = phone_page
    person = ClientFactory(user=UserFactory(role=Role.CLIENT))
    provider = provider_user(user=UserFactory(role=Role.PROVIDER))
    appointment(provider, person, start=timezone.now() - dt.timedelta(days=7))
    page.goto(reminder_link(person, provider))
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    # Tab to each question's first answer and choose it with the space bar.
    first = page.get_by_role("group", name=f"1. {PHQ9.items[0].text}").get_by_label("Not at all", exact=True)
    first.focus()
    page.keyboard.press("Space")
    for _ in PHQ9.items[1:]:
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
    page.get_by_role("button", name="Send my answers").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: your answers are saved")
    expect(page.get_by_text("Your score is 0 out of 27.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert not Alert.objects.exists()


def test_the_alerts_and_outcome_pages_fit_a_phone(phone_page):
    page = phone_page
    person = ClientFactory(first_name="Maximiliana", last_name="Longname-Worthington")
    provider = provider_user(first_name="Bartholomew", last_name="Featherstonehaugh")
    appointment(provider, person, start=timezone.now() - dt.timedelta(days=7))
    services.assessments_record(client=person, responses=[services.Response("phq9", [1] * 9)], by=person.user,
                                now=timezone.now() - dt.timedelta(days=6))
    services.assessments_record(client=person, responses=[services.Response("phq9", [0] * 9)], by=person.user)
    staff = UserFactory(role=Role.COORDINATOR)
    log_in(page, staff.email)
    for path, heading in (("/provider/alerts/", "Alerts"), ("/staff/outcomes/", "Outcome estimates")):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, path
    expect(page.get_by_text("Bartholomew Featherstonehaugh, LPC")).to_be_visible()

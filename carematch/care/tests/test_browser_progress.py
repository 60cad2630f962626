"""A client builds their plan on a phone, with the keyboard, in a real browser."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from carematch.accounts.tests.factories import PASSWORD
from carematch.care import services
from carematch.care.models import CheckIn, GoalVersion

from .factories import ClientFactory, assessment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scrolling(page):
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def press(page, locator, key="Enter"):
    locator.focus()
    page.keyboard.press(key)


def test_a_client_adds_a_goal_and_an_activity_checks_in_and_sees_them_at_phone_width(phone_page):
    page = phone_page
    me = ClientFactory()
    assessment(me, "phq9", 14, timezone.now() - dt.timedelta(days=20))
    assessment(me, "phq9", 9, timezone.now() - dt.timedelta(days=2))
    target = services.client_today(me) + dt.timedelta(days=60)

    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(me.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    press(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Your progress"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your progress")
    expect(page.get_by_role("img", name="PHQ-9 scores over time, shaded by severity")).to_be_visible()
    no_sideways_scrolling(page)

    # A goal, in their own words, measured by a self-rating.
    press(page, page.get_by_role("link", name="Add a goal"))
    page.get_by_label("The goal, in your own words").focus()
    page.keyboard.type("Talk about hard things without shutting down")
    press(page, page.get_by_label("A 0-10 self-rating at each session"), "Space")
    page.get_by_label("Rating to reach, out of 10").focus()
    page.keyboard.type("8")
    page.get_by_label("By when?").focus()
    page.keyboard.type(f"{target:%m%d%Y}")  # a date field takes month, day, year as typed digits
    no_sideways_scrolling(page)
    press(page, page.get_by_role("button", name="Add this goal"))
    expect(page.get_by_text("The goal is added.")).to_be_visible()

    # A coping activity, three times a week.
    press(page, page.get_by_role("link", name="Add a coping activity"))
    press(page, page.get_by_label("Exercise"), "Space")
    page.get_by_label("In your words").focus()
    page.keyboard.type("a walk after lunch")
    page.keyboard.press("Tab")
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # Per: from Day to Week
    no_sideways_scrolling(page)
    press(page, page.get_by_role("button", name="Add to the plan"))
    expect(page.get_by_text("The activity is added to the plan.")).to_be_visible()

    # A check-in: a mood out of range first, then a good one.
    press(page, page.get_by_role("link", name="Record a check-in for Exercise: a walk after lunch"))
    page.get_by_label("How did you feel afterwards, from 0 to 10?").focus()
    page.keyboard.type("11")
    press(page, page.get_by_role("button", name="Record this check-in"))
    expect(page.locator("#id_mood_error")).to_have_text("Must be from 0 to 10.")
    expect(page.locator("[data-error-summary]")).to_be_focused()
    mood = page.get_by_label("How did you feel afterwards, from 0 to 10?")
    mood.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("7")
    page.get_by_label("A note (optional)").focus()
    page.keyboard.type("Felt lighter afterwards.")
    press(page, page.get_by_role("button", name="Record this check-in"))

    expect(page.get_by_text("Your check-in is recorded.")).to_be_visible()
    goals = page.locator("#goals")
    goal_heading = goals.get_by_role("heading", name="Talk about hard things without shutting down", exact=True)
    expect(goal_heading).to_be_visible()
    expect(goals.get_by_text("In progress")).to_be_visible()
    plan = page.locator("#plan")
    expect(plan.get_by_role("heading", name="Exercise: a walk after lunch", exact=True)).to_be_visible()
    expect(plan.get_by_text("3 times a week: done 1 time this week.")).to_be_visible()
    expect(plan.get_by_text("mood 7 out of 10")).to_be_visible()
    expect(plan.get_by_text("Felt lighter afterwards.")).to_be_visible()
    no_sideways_scrolling(page)

    assert GoalVersion.objects.get().target_date == target
    assert CheckIn.objects.get().mood == 7

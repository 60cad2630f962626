"""Forms in a real browser, with a keyboard: after a failed submit focus is on the error
summary, the title says there was an error, and a link in the summary takes focus to its
field; a step of the intake is answered and sent with the keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED = "document.activeElement"


def focused(page, expression: str):
    return page.evaluate(f"(() => {{ const e = {FOCUSED}; return {expression}; }})()")


@pytest.mark.parametrize("size", ["browser_page", "phone_page"])
def test_an_empty_first_step_focuses_the_summary_whose_link_focuses_the_question(size, request):
    page = request.getfixturevalue(size)
    page.goto("/find/")
    expect(page).to_have_title("First, your safety · Find a therapist · carematch")
    page.get_by_role("button", name="Continue").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("alert")).to_contain_text("Please choose yes or no.")
    assert page.title().startswith("Error: ")

    summary.get_by_role("link", name="Please choose yes or no.").click()
    yes = page.get_by_role("radio", name="Yes")
    expect(yes).to_be_focused()
    assert focused(page, "e.id") == "id_in_danger_0"
    expect(yes).to_have_attribute("aria-invalid", "true")
    # The question is on screen with the answer, not scrolled away above it.
    legend = page.get_by_role("group", name="Are you in danger right now").locator("legend")
    expect(legend).to_be_in_viewport()
    # The group is announced by its question and its error.
    expect(page.get_by_role("group", name="Are you in danger right now")).to_have_accessible_description(
        "Please choose yes or no.")


def test_a_step_is_answered_and_sent_with_the_keyboard_alone(browser_page):
    page = browser_page
    page.goto("/find/")
    for _ in range(30):  # past the skip link, the crisis numbers and the menu
        page.keyboard.press("Tab")
        if focused(page, "e.name") == "in_danger":
            break
    else:
        pytest.fail("Tab never reached the safety question")
    assert focused(page, "e.id") == "id_in_danger_0"
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name="Yes")).to_be_checked()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="No")).to_be_checked()
    expect(page.get_by_role("radio", name="No")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("What you would like help with")
    # A checkbox group: Tab to its first answer, Space ticks it, Enter sends the step.
    for _ in range(30):
        page.keyboard.press("Tab")
        if focused(page, "e.name") == "concerns":
            break
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox", name="Anxiety")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("How you would like to meet")

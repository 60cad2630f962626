"""Steps the browser tests share: an anxious client in Colorado, online, paying with Aetna,
walks the intake to the results."""

from __future__ import annotations

from typing import Any

CBT = "Cognitive behavioural therapy (CBT)"


def walk_the_intake(page: Any, *, approach: str | None = None, note: str | None = None, zip: str | None = "80202",
                    evenings: bool = False, plan: str | None = None, deductible_left: str | None = None) -> None:
    """Answer every intake step (not in danger; anxiety; online; Colorado; born 17 May 1990;
    English; Aetna) and open the results. `approach`, `note`, `zip` and `evenings` add those
    answers; `plan` (a plan's name) and `deductible_left` answer the plan step, asked when
    Aetna has plans loaded."""
    page.goto("/find/")
    page.get_by_label("No").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Anxiety").check()
    if approach:
        page.get_by_label(approach).check()
    if note:
        page.get_by_label("Anything you would like your therapist to know? (optional)").fill(note)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Online (video)").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Which state will you be in during sessions?").select_option("CO")
    if zip:
        page.get_by_label("Your ZIP code (optional)").fill(zip)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Your date of birth").fill("1990-05-17")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("How will you pay?").select_option("aetna")
    page.get_by_role("button", name="Continue").click()
    if plan:
        page.get_by_label("Which Aetna plan do you have? (optional)").select_option(label=plan)
        if deductible_left:
            page.get_by_label("How much of your deductible is left this year, in dollars? (optional)").fill(
                deductible_left)
        page.get_by_role("button", name="Continue").click()
    if evenings:
        page.get_by_label("Evenings (after 5 PM)").check()
    page.get_by_role("button", name="See who fits").click()

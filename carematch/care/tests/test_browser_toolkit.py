"""The coping toolkit and the journal in a real browser: a new client finishes the intake, reads
an article suggested for what they came for, books, practises breathing on a phone, logs it
with one tap and finds it on their progress page; the breathing guide by keyboard alone, and
still for people who ask for less motion; axe-core on the toolkit's pages and the journal."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from carematch.accounts.tests.factories import PASSWORD
from carematch.care.models import ActivityKind, CheckIn
from carematch.learn.demo import seed_demo_articles
from carematch.tests.axe import assert_no_serious_axe_violations
from carematch.tests.helpers import browser_log_in

from .factories import ClientFactory, provider_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOOLKIT_PAGES = ["/toolkit/", "/toolkit/breathing/", "/toolkit/grounding/", "/toolkit/meditation/"]


def no_sideways_scrolling(page):
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def watch_for_refusals(page) -> list[str]:
    """Refusals by the Content-Security-Policy (Chromium reports each as a console error
    "Refused to ..."), script errors, and sub-resources that failed (but the favicon, which
    browsers ask for on their own and carematch does not serve)."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error"
            and message.text.startswith("Refused") else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.resource_type != "document"
            and not response.url.endswith("/favicon.ico") else None)
    return problems


def bookable_provider():
    from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory

    provider = ProviderFactory(first_name="Robin", last_name="Vale", concerns=["anxiety"], insurance=["aetna"],
                               formats=["telehealth"], min_notice_hours=0, timezone="America/Denver")
    LicenseFactory(provider=provider, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=provider, weekday=day, start=dt.time(0), end=dt.time(23))
    return provider


def test_a_new_client_breathes_on_a_phone_logs_it_and_sees_it_on_their_progress_page(phone_page):
    from carematch.matching.tests.browser_steps import walk_the_intake

    page = phone_page
    problems = watch_for_refusals(page)
    bookable_provider()
    # The intake, a first session and a new account, as a person finding carematch would.
    seed_demo_articles()  # the library's reviewed example articles
    walk_the_intake(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Therapists who can see you soon")
    # Reading a suggested article: the results suggest reading for the concerns given (anxiety),
    # below the crisis line, and the person comes back to the results to choose.
    reading = page.locator("section.suggested-reading")
    expect(reading.get_by_role("heading", level=2)).to_have_text("Reading while you choose")
    suggested = reading.get_by_role("link", name="What to expect in your first session")
    suggested.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("What to expect in your first session")
    expect(page.locator("main")).to_contain_text("Last reviewed")
    # The crisis line stays alone and first, above the article.
    crisis, heading = page.locator("aside.crisis"), page.get_by_role("heading", level=1)
    assert crisis.bounding_box()["y"] < heading.bounding_box()["y"]
    no_sideways_scrolling(page)
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Therapists who can see you soon")
    page.locator("a.opening-link").first.click()
    page.get_by_role("button", name="Hold this time and continue").click()
    page.get_by_label("Email address").fill("wren@example.test")
    page.get_by_label("Choose a password").fill("a-long-quiet-walk")
    page.get_by_label("Password again").fill("a-long-quiet-walk")
    page.get_by_label("First name").fill("Wren")
    page.get_by_label("Last name").fill("Example")
    page.get_by_role("button", name="Book this session").click()
    link_in_email = re.search(r"http://127\.0\.0\.1:8000(/accounts/signup/confirm/\S+/)",
                              mail.outbox[-1].body).group(1)
    page.goto(link_in_email)
    page.get_by_role("button", name="Confirm and continue").click()
    page.get_by_role("button", name="Book this session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are booked")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Toolkit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coping toolkit")
    page.get_by_role("link", name="Guided breathing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Guided breathing")
    no_sideways_scrolling(page)

    guide = page.locator("[data-breathing]")
    page.get_by_role("radio", name="Box breathing (4-4-4-4)").check()
    guide.get_by_role("button", name="Start").tap()
    expect(guide.locator("[data-phase]")).to_have_text("Breathe in")
    expect(guide.locator("[data-announce]")).to_have_text("Breathe in for 4, round 1")
    expect(guide.locator("[data-phase]")).to_have_text("Hold", timeout=8_000)
    guide.get_by_role("button", name="Stop").tap()
    expect(guide.locator("[data-phase]")).to_have_text("Stopped. Start again whenever you like.")

    # One tap logs it, in place.
    page.get_by_role("button", name="I did this, feeling 7 out of 10").tap()
    expect(page.locator("[data-log-status]")).to_contain_text("Logged: Deep breathing, feeling 7 out of 10.")
    check_in = CheckIn.objects.select_related("activity").get()
    assert check_in.activity.kind == ActivityKind.DEEP_BREATHING and check_in.mood == 7
    no_sideways_scrolling(page)

    page.get_by_role("link", name="your progress page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your progress")
    plan = page.locator("#plan")
    expect(plan).to_contain_text("Deep breathing")
    expect(plan).to_contain_text("mood 7 out of 10")
    no_sideways_scrolling(page)
    assert problems == []


def test_the_breathing_guide_works_by_keyboard_alone(browser_page):
    page = browser_page
    problems = watch_for_refusals(page)
    page.goto("/toolkit/breathing/")
    guide = page.locator("[data-breathing]")
    start = guide.get_by_role("button", name="Start")
    # Tab from the 4-7-8 choice reaches Start; arrows choose the pattern.
    page.get_by_role("radio", name="Box breathing (4-4-4-4)").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="4-7-8 breathing")).to_be_checked()
    page.keyboard.press("Tab")
    expect(start).to_be_focused()
    assert problems == []
    outline = start.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "the focused button shows where focus is"
    page.keyboard.press("Enter")
    expect(guide.locator("[data-phase]")).to_have_text("Breathe in through your nose")
    pause = guide.get_by_role("button", name="Pause")
    expect(pause).to_be_focused()
    page.keyboard.press("Enter")
    expect(guide.get_by_role("button", name="Resume")).to_be_visible()
    expect(guide.locator("[data-announce]")).to_have_text("Paused")
    page.keyboard.press("Enter")
    expect(guide.locator("[data-announce]")).to_contain_text("Resumed")
    page.keyboard.press("Tab")
    expect(guide.get_by_role("button", name="Stop")).to_be_focused()
    page.keyboard.press("Enter")
    expect(guide.locator("[data-phase]")).to_have_text("Stopped. Start again whenever you like.")
    expect(start).to_be_focused()


def test_with_reduced_motion_the_circle_stays_still_and_the_words_guide(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, reduced_motion="reduce")
    page = context.new_page()
    try:
        page.goto("/toolkit/breathing/")
        guide = page.locator("[data-breathing]")
        guide.get_by_role("button", name="Start").click()
        expect(guide.locator("[data-phase]")).to_have_text("Breathe in")
        expect(guide).to_have_class(re.compile(r"\bis-still\b"))
        circle = guide.locator("[data-circle]")
        assert circle.evaluate("el => getComputedStyle(el).transform") == "none"
        assert circle.evaluate("el => getComputedStyle(el).transitionDuration") == "0s"
        expect(guide.locator("[data-count]")).not_to_be_empty()
    finally:
        context.close()


def test_the_toolkit_pages_and_the_journal_have_no_serious_axe_violations(browser_page):
    page = browser_page
    problems = watch_for_refusals(page)
    for path in TOOLKIT_PAGES:
        page.goto(path)
        assert_no_serious_axe_violations(page, path)
    me = ClientFactory()
    provider_of(me)
    browser_log_in(page, email=me.user.email, password=PASSWORD)
    page.goto("/journal/")
    page.get_by_label("Write something").fill("Slept badly, but the walk in the morning helped.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_text("Your entry is saved. Only you can read it.")).to_be_visible()
    assert_no_serious_axe_violations(page, "the journal")
    page.get_by_role("button", name=re.compile(r"^Share with ")).click()
    expect(page.get_by_text("This entry is shared.")).to_be_visible()
    assert_no_serious_axe_violations(page, "the journal with a shared entry")
    for path in TOOLKIT_PAGES[1:]:  # signed in: the "I did this" buttons are on the page
        page.goto(path)
        assert_no_serious_axe_violations(page, f"{path} (signed in)")
    page.goto("/toolkit/grounding/")
    page.get_by_role("button", name="Next step").click()
    expect(page.get_by_role("heading", name="4 things you can touch")).to_be_focused()
    assert_no_serious_axe_violations(page, "the grounding exercise, step 2")
    page.goto("/toolkit/meditation/")
    page.get_by_role("radio", name="5 minutes").check()
    expect(page.locator("[data-remaining]")).to_have_text("5:00")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("[data-remaining]")).to_have_text("4:58", timeout=5_000)
    expect(page.locator("[data-announce]")).to_have_text("Started: 5 minutes. Rest your attention on your breath.")
    assert_no_serious_axe_violations(page, "the meditation timer, running")
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("[data-phase]")).to_have_text("Stopped. Start again whenever you like.")
    assert problems == []


def test_in_spanish_the_guides_speak_spanish_in_their_words_and_announcements(chromium, live_server):
    """The script holds no words: each page gives them in its own language (data-words)."""
    context = chromium.new_context(base_url=live_server.url, locale="es-US", extra_http_headers={
        "Accept-Language": "es"})
    page = context.new_page()
    try:
        problems = watch_for_refusals(page)
        page.goto("/toolkit/breathing/")
        expect(page.locator("html")).to_have_attribute("lang", "es")
        guide = page.locator("[data-breathing]")
        guide.get_by_role("button", name="Empezar").click()
        expect(guide.locator("[data-phase]")).to_have_text("Inhale")
        expect(guide.locator("[data-round]")).to_have_text("Ronda 1 de 4")
        expect(guide.locator("[data-announce]")).to_have_text("Inhale durante 4, ronda 1")
        guide.get_by_role("button", name="Pausar").click()
        expect(guide.locator("[data-announce]")).to_have_text("En pausa")
        guide.get_by_role("button", name="Detener").click()
        expect(guide.locator("[data-phase]")).to_have_text("Detenido. Empiece de nuevo cuando quiera.")
        page.goto("/toolkit/grounding/")
        grounding = page.locator("[data-grounding]")
        expect(grounding.locator("[data-progress]")).to_have_text("Paso 1 de 5")
        expect(grounding.locator("[data-announce]")).to_have_text("Paso 1 de 5: 5 cosas que puede ver")
        page.goto("/toolkit/meditation/")
        timer = page.locator("[data-meditation]")
        timer.get_by_role("button", name="Empezar").click()
        expect(timer.locator("[data-announce]")).to_have_text(
            "Empezamos: 3 minutos. Ponga su atención en la respiración.")
        assert problems == []
        assert_no_serious_axe_violations(page, "the meditation timer in Spanish")
    finally:
        context.close()

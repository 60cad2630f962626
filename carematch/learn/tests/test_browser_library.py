"""The library in a real browser, at desktop and phone width: the list, filtering by concern,
an article, and the newsletter form; axe-core finds no serious violation on any of them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from carematch.learn.demo import seed_demo_articles
from carematch.newsletter.models import Subscriber
from carematch.tests.axe import assert_no_serious_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_the_library_and_an_article_read_well_and_pass_axe(chromium, live_server, width):
    seed_demo_articles()
    context = chromium.new_context(viewport={"width": width, "height": 900}, base_url=live_server.url)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        problems: list[str] = []
        # Content-Security-Policy refusals and script errors; and any address of ours that fails
        # (the browser's own favicon request aside).
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "Refused" in m.text else None)
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto("/learn/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Library")
        assert_no_serious_axe_violations(page, f"the library at {width}px")
        page.get_by_label("Show articles about").select_option(label="Grief and loss")
        page.get_by_role("button", name="Show", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Library: Grief and loss")
        page.get_by_role("link", name="It is normal to cry in therapy").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("It is normal to cry in therapy")
        expect(page.get_by_text("Last reviewed")).to_be_visible()
        assert_no_serious_axe_violations(page, f"an article at {width}px")
        # Nothing on the page is wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        # The crisis resources come first, before the article.
        crisis_y = page.locator("aside.crisis").bounding_box()["y"]
        assert crisis_y < page.get_by_role("heading", level=1).bounding_box()["y"]
        page.goto("/learn/")
        page.locator("#newsletter-library-email").fill(f"reader{width}@example.org")
        page.get_by_role("button", name="Subscribe", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
        assert_no_serious_axe_violations(page, f"the newsletter's answer at {width}px")
        assert Subscriber.objects.filter(email=f"reader{width}@example.org").exists()
        assert not problems, problems
    finally:
        context.close()

"""The demo as a newcomer tries it: a database seeded by `seed_demo` (as `make demo` does, with
fewer providers to keep the run short), and each demo role logging in through the browser.
Each home page says what the role can do; the staff home counts what needs attention now; and
every link of the navigation a role is shown answers 200 for that role (none leads to a page
that refuses the person who followed it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from carematch.accounts.demo import DEMO_PASSWORD
from carematch.directory.models import License
from carematch.measures.models import Alert
from carematch.scheduling.models import CareRequest, CrisisRequest
from carematch.tests.helpers import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOMAIN = "demo.carematch.test"


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", providers=12, force=True, verbosity=0)


def log_in(page, role: str) -> None:
    browser_log_in(page, email=f"{role}@{DOMAIN}", password=DEMO_PASSWORD)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def links_of(page, selector: str) -> list[str]:
    hrefs = page.locator(f"{selector} a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return sorted({href for href in hrefs if href.startswith("/")})


def assert_every_link_answers(page, hrefs: list[str]) -> None:
    answers = {href: page.request.get(href, max_redirects=5).status for href in hrefs}
    assert answers and all(status == 200 for status in answers.values()), answers


def test_each_demo_role_sees_a_living_practice_and_no_link_refuses_them(browser_page, demo):
    page = browser_page

    log_in(page, "client")
    expect(page.locator(".lead")).to_contain_text("Start with Find a therapist")
    assert_every_link_answers(page, links_of(page, "nav"))
    page.get_by_role("button", name="Log out").click()

    log_in(page, "provider")
    # One name everywhere: the greeting is the public profile's name.
    heading = page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Your profile").click()
    page.get_by_role("link", name="Your public profile").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading.removeprefix("Hello, "))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    expect(page.locator("main")).to_contain_text("1 open alert")
    assert page.locator("main .care-caseload > li").count() == 7  # six in care, one who booked a consultation
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    expect(page.get_by_role("heading", name="Open (1)")).to_be_visible()
    assert page.url.endswith("/provider/alerts/")
    page.goto("/accounts/")
    expect(page.locator(".lead")).to_contain_text("Start with your Caseload")
    assert_every_link_answers(page, links_of(page, "nav"))
    page.get_by_role("button", name="Log out").click()

    for role in ("coordinator", "admin"):
        log_in(page, role)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
        counts = page.get_by_role("region", name="Needs attention now")
        today = timezone.localdate()
        expiring = License.objects.exclude(status="rejected").filter(
            expires__gte=today, expires__lte=today + dt.timedelta(days=30)).count()
        near = CareRequest.objects.filter(first_appointment__isnull=True, closed_at__isnull=True,
                                          requested_at__lte=timezone.now() - dt.timedelta(hours=36)).count()
        assert (CrisisRequest.objects.filter(status="open").count(), Alert.objects.filter(
            acknowledged_at__isnull=True).count(), near) == (1, 1, 1)
        expect(counts).to_contain_text("1 open crisis request")
        expect(counts).to_contain_text("1 open alert")
        expect(counts).to_contain_text("1 request waiting 36 hours or more without an appointment")
        expect(counts).to_contain_text(f"{expiring} licence{'' if expiring == 1 else 's'} expiring in the next 30 days")
        expect(counts).to_contain_text("1 article past its clinical review date")  # the demo's overdue example
        administration = page.locator("main").get_by_role("link", name="Administration")
        expect(administration).to_have_count(1 if role == "admin" else 0)
        assert_every_link_answers(page, [*links_of(page, "nav"), *links_of(page, "main")])
        counts.get_by_role("link", name="1 open alert").click()
        assert page.url.endswith("/staff/alerts/")
        expect(page.get_by_role("heading", name="Open (1)")).to_be_visible()
        page.goto("/provider/alerts/")  # the old address of coordinators' alerts leads to the new one
        assert page.url.endswith("/staff/alerts/")
        page.get_by_role("button", name="Log out").click()

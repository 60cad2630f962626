"""/staff/capacity/ in a browser: started and read without JavaScript, no serious axe-core
findings, and no sideways scrolling on a 390 px phone or at 1280 px."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from playwright.sync_api import expect

from carematch.capacity.models import CapacityRun
from carematch.measures.tests.factories import coordinator, run_due_tasks
from carematch.scheduling.tests.factories import weekday_provider
from carematch.tests.axe import assert_no_serious_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff_context(chromium, live_server, *, width: int, javascript: bool = True):
    django_client = DjangoClient()
    django_client.force_login(coordinator())
    context = chromium.new_context(viewport={"width": width, "height": 900}, base_url=live_server.url,
                                   java_script_enabled=javascript)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                          "value": django_client.cookies[settings.SESSION_COOKIE_NAME].value}])
    return context


def test_a_coordinator_starts_a_forecast_and_reads_it_without_javascript(chromium, live_server):
    weekday_provider()
    context = staff_context(chromium, live_server, width=390, javascript=False)
    page = context.new_page()
    page.goto("/staff/")
    page.get_by_role("link", name="Capacity forecast").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Can this network keep the 48-hour promise?")
    page.get_by_label("Days to simulate").fill("5")
    page.get_by_label("States (optional)").fill("CO")
    page.get_by_label("Requests a day (optional)").fill("4")
    page.get_by_label("Replications").fill("2")
    page.get_by_role("button", name="Start the forecast").click()
    expect(page.get_by_text("The forecast is running in the background.")).to_be_visible()

    run_due_tasks()
    assert CapacityRun.objects.get().status == CapacityRun.Status.FINISHED
    page.get_by_role("link", name="Reload").click()
    expect(page.get_by_role("heading", name="By state")).to_be_visible()
    expect(page.get_by_role("img", name="Share within 48 hours by state, lowest first")).to_be_visible()
    expect(page.get_by_role("table", name="Share within 48 hours by state")).to_contain_text("CO")
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_capacity_page_has_no_serious_axe_findings_and_never_scrolls_sideways(chromium, live_server, width):
    weekday_provider()
    from carematch.capacity import tasks
    from carematch.capacity.forecast import check_options
    from carematch.capacity.services import capacity_run_create

    options = check_options(days=5, states=["CO", "NY"], arrivals_per_day=6, from_history=False, extra_hours=[],
                            target=0.9, seed=2, replications=2, suggest_states=1)
    run = capacity_run_create(options=options, user=None, now=dt.datetime.now(dt.UTC))
    tasks.run_capacity_forecast.call(run_id=run.pk)
    context = staff_context(chromium, live_server, width=width)
    page = context.new_page()
    for address in ("/staff/capacity/", f"/staff/capacity/{run.pk}/"):
        page.goto(address)
        expect(page.get_by_role("heading", name="By concern")).to_be_visible()
        assert_no_serious_axe_violations(page, address)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]")
    # The form's errors, named by field, are checked too.
    page.goto("/staff/capacity/")
    page.get_by_label("Extra weekly hours (optional)").fill("XX:5")
    page.get_by_role("button", name="Start the forecast").click()
    expect(page.get_by_text("'XX' is not a US state code").first).to_be_visible()
    assert_no_serious_axe_violations(page, "the form with an error")
    context.close()

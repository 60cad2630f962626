"""Sessions that happen, in a real browser: a client books a free 15-minute call from their
results, the therapist books a weekly series after it, and the client's first session page
counts down to its room and then hands over the join link (the clock moved with
time-machine)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import PASSWORD, UserFactory
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.lib.timezones import when_label, zone
from carematch.scheduling.models import Appointment, Status
from carematch.scheduling.tests.factories import ClientFactory
from carematch.tests.helpers import browser_log_in

from .browser_steps import walk_the_intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DENVER = "America/Denver"
# A Tuesday morning in January, ten minutes before the therapist's hours start: the soonest
# free calls are 09:00, 09:15 and 09:30 (no holiday, no daylight-saving change that week).
BEFORE_HOURS = dt.datetime(2027, 1, 12, 8, 50, tzinfo=zone(DENVER))
SECRET = "a-browser-test-secret-of-32-chars"




def test_a_free_call_then_a_weekly_series_then_the_room_opens(chromium, live_server, time_machine, settings):
    settings.JITSI_DOMAIN, settings.JITSI_APP_ID, settings.JITSI_APP_SECRET = (
        "meet.northside-practice.org", "carematch", SECRET)
    time_machine.move_to(BEFORE_HOURS, tick=True)
    provider = ProviderFactory(first_name="Robin", last_name="Vale", concerns=["anxiety"], formats=["telehealth"],
                               insurance=["aetna"], min_notice_hours=0, timezone=DENVER,
                               offers_consultations=True, consultation_formats=["telehealth"],
                               user=UserFactory(role=Role.PROVIDER))
    LicenseFactory(provider=provider, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(5):
        WindowFactory(provider=provider, weekday=day, start=dt.time(9), end=dt.time(17))
    client = ClientFactory(state="CO", zip="80202", timezone=DENVER)

    as_client = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    as_provider = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    try:
        # The client finds Robin, and books the free call from the results in one step.
        page = as_client.new_page()
        page.set_default_timeout(10_000)
        browser_log_in(page, email=client.user.email, password=PASSWORD)
        walk_the_intake(page)
        card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Robin Vale"))
        expect(card.get_by_text("Free 15-minute call", exact=True)).to_be_visible()
        call_start = BEFORE_HOURS.replace(hour=9, minute=0)
        card.get_by_role("link", name="book a free 15-minute call with Robin Vale").first.click()
        expect(page.get_by_text(when_label(call_start, DENVER)).first).to_be_visible()
        page.get_by_role("button", name="Hold this time and continue").click()
        page.get_by_role("button", name="Book this free call").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("You are booked")
        expect(page.get_by_text("Free 15-minute consultation").first).to_be_visible()
        call = Appointment.objects.get(client=client, status=Status.BOOKED)
        assert call.kind == "consultation" and call.start == call_start
        assert call.end - call.start == dt.timedelta(minutes=15)

        # After the call, Robin books a weekly series at the same time.
        time_machine.move_to(call_start + dt.timedelta(minutes=20), tick=True)
        robin = as_provider.new_page()
        robin.set_default_timeout(10_000)
        browser_log_in(robin, email=provider.user.email, password=PASSWORD)
        robin.goto(f"/sessions/{call.pk}/")
        robin.get_by_label("How often").select_option("1")
        robin.get_by_label("How many sessions").fill("4")
        robin.get_by_role("button", name="Book the series").click()
        expect(robin.get_by_role("heading", level=1)).to_have_text("Series booked")
        expect(robin.get_by_role("heading", name="Booked (4)")).to_be_visible()
        sessions = list(Appointment.objects.filter(client=client, kind="session", status=Status.BOOKED)
                        .order_by("start"))
        assert [s.start.astimezone(zone(DENVER)).strftime("%a %H:%M") for s in sessions] == ["Tue 09:00"] * 4
        first = sessions[0]
        assert first.start == call_start + dt.timedelta(weeks=1)

        # Two hours before the room opens, the client's session page counts down to it.
        opens = first.start - dt.timedelta(minutes=10)
        time_machine.move_to(opens - dt.timedelta(hours=2, minutes=5, seconds=30), tick=True)
        page.goto(f"/sessions/{first.pk}/")
        if "/accounts/login/" in page.url:  # a week on, the client's log-in may have ended
            browser_log_in(page, email=client.user.email, password=PASSWORD)
            page.goto(f"/sessions/{first.pk}/")
        page.get_by_role("link", name="Join", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your session room is not open yet")
        expect(page.get_by_text(f"Your session room opens at {when_label(opens, DENVER)}, "
                                "in 2 hours 5 minutes.")).to_be_visible()
        expect(page.get_by_role("link", name="Join the session")).to_have_count(0)

        # Inside the window the page hands over the room, with the client's own token.
        time_machine.move_to(opens + dt.timedelta(seconds=5), tick=True)
        page.goto(f"/sessions/{first.pk}/join/")
        if "/accounts/login/" in page.url:
            browser_log_in(page, email=client.user.email, password=PASSWORD)
            page.goto(f"/sessions/{first.pk}/join/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your session room is open")
        url = page.get_by_role("link", name="Join the session").get_attribute("href")
        assert url.startswith(f"https://meet.northside-practice.org/{first.video_room}?jwt=")
        import jwt

        claims = jwt.decode(parse_qs(urlsplit(url).query)["jwt"][0], SECRET, algorithms=["HS256"],
                            audience="jitsi", options={"verify_nbf": False})
        assert claims["room"] == first.video_room
        assert claims["context"]["user"]["moderator"] is False
    finally:
        as_client.close()
        as_provider.close()

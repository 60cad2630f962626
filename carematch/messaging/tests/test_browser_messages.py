"""Messages in two real browsers: a client writes to their provider, the provider sees the
unread count and answers, and the client sees the answer appear without reloading; then a
message with a self-harm phrase shows the client the crisis resources and alerts the care team."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from carematch.accounts.tests.factories import PASSWORD
from carematch.measures.models import Alert, AlertKind
from carematch.measures.tests.factories import in_care
from carematch.messaging.models import Message
from carematch.tests.helpers import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_client_and_their_provider_write_to_each_other_and_a_crisis_phrase_brings_help(
        chromium, live_server, settings):
    settings.MESSAGE_POLL_SECONDS = 1  # the page's script asks every second here, every 20 by default
    client, provider = in_care(first_name="Avery", last_name="Quill")
    as_client = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    as_provider = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    try:
        page = as_client.new_page()
        page.set_default_timeout(10_000)
        # The script runs under the strict Content-Security-Policy: nothing refused, nothing failing.
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "Refused" in m.text else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        browser_log_in(page, email=client.user.email, password=PASSWORD)
        page.goto("/messages/")
        expect(page.get_by_text("not for emergencies").first).to_be_visible()
        page.get_by_label("Write to", exact=True).select_option(label=provider.display_name)
        page.get_by_role("button", name="Open the conversation").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Messages with {provider.display_name}")
        page.get_by_label("Your message").fill("Can we move Thursday to Friday?")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_text("Your message was sent.")).to_be_visible()

        robin = as_provider.new_page()
        robin.set_default_timeout(10_000)
        browser_log_in(robin, email=provider.user.email, password=PASSWORD)
        robin.goto("/messages/")
        robin.get_by_role("link", name="Messages 1 unread").click()
        robin.get_by_role("link", name="Avery Quill").click()
        expect(robin.get_by_text("Can we move Thursday to Friday?")).to_be_visible()
        expect(robin.get_by_role("link", name="Messages", exact=True)).to_be_visible()  # read now: no count
        robin.get_by_label("Your message").fill("Friday at 4 works. See you then.")
        robin.get_by_role("button", name="Send").click()

        # The client's page, left open, shows the answer and announces it, without a reload.
        expect(page.locator("#message-list").get_by_text("Friday at 4 works. See you then.")).to_be_visible()
        expect(page.locator("#message-live")).to_contain_text("New message from")
        assert page.evaluate("performance.getEntriesByType('navigation')[0].type") != "reload"
        # Seen on screen, so read: the script told the server.
        answer = Message.objects.get(sender=provider.user)
        for _ in range(40):
            answer.refresh_from_db()
            if answer.read_at is not None:
                break
            page.wait_for_timeout(250)
        assert answer.read_at is not None and answer.read_by == client.user

        page.get_by_label("Your message").fill("Honestly I keep thinking I want to kill myself.")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_role("heading", name="You deserve support right now")).to_be_visible()
        expect(page.get_by_role("link", name="Call 988")).to_be_visible()
        expect(page.get_by_text("Messages are not watched around the clock").first).to_be_visible()
        alert = Alert.objects.get(client=client)
        assert alert.kind == AlertKind.MESSAGE_SELF_HARM and alert.provider_id == provider.pk
        assert Message.objects.filter(crisis=True).count() == 1
        assert not problems, problems
    finally:
        as_client.close()
        as_provider.close()

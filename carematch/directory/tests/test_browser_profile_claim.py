"""One journey in a real browser: a counsellor from HL7's Plan-Net examples, imported
incomplete, opens the emailed claim link, sets a password and an authenticator app, completes
her profile, hours and licence; a coordinator verifies the licence; a client walking the intake
is matched with her."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pyotp
import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from carematch.accounts.models import MfaDevice, Role
from carematch.accounts.tests.factories import PASSWORD, UserFactory
from carematch.directory.models import Provider
from carematch.matching.tests.browser_steps import walk_the_intake
from carematch.tests.helpers import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXAMPLES = Path(__file__).parent / "data" / "fhir_plannet_hl7_examples.json"
SUSIE = "1941339123"


def test_an_imported_provider_claims_completes_is_verified_and_is_matched(browser_page, chromium, live_server):
    page = browser_page
    call_command("import_fhir", str(EXAMPLES), stdout=io.StringIO())
    Provider.objects.filter(npi=SUSIE).update(email="susie.smith@practice.example.test",
                                              birth_date=dt.date(1980, 2, 29))
    call_command("invite_providers", "--npi", SUSIE, stdout=io.StringIO())
    link = re.search(r"https?://[^/\s]+(/claim/[^/\s]+/)", mail.outbox[-1].body).group(1)

    # She claims her profile and sets up her authenticator app.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Claim your carematch profile")
    page.get_by_label("Your NPI").fill(SUSIE)
    page.get_by_label("Your date of birth").fill("1980-02-29")
    page.get_by_label("Choose a password").fill("a long pass phrase 42")
    page.get_by_label("The password again").fill("a long pass phrase 42")
    page.get_by_role("button", name="Claim my profile").click()
    page.get_by_label("6-digit code from your authenticator app").fill(
        pyotp.TOTP(MfaDevice.objects.get(user__email="susie.smith@practice.example.test").secret).now())
    page.get_by_role("button", name="Turn on two-step log-in").click()
    page.get_by_role("link", name="I have saved my recovery codes").click()

    # What the payer's directory did not say.
    expect(page.get_by_role("heading", name="Your profile is not published yet")).to_be_visible()
    for name, value in (("concerns", "anxiety"), ("populations", "adults"), ("approaches", "cbt"),
                        ("languages", "en"), ("formats", "telehealth"), ("insurance", "aetna")):
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    page.get_by_label("Self-pay rate").fill("95")
    page.get_by_label("Your time zone").select_option("America/Denver")
    page.get_by_role("button", name="Save your profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    page.goto("/provider/availability/")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        page.get_by_label("Day").select_option(label=day)
        page.get_by_label("Start time").fill("00:00")
        page.get_by_label("End time").fill("23:00")
        page.get_by_role("button", name="Add these hours").click()
    # The Illinois licence her directory listed without a number, and the one she holds in Colorado.
    for state, number in (("IL", "180.004417"), ("CO", "LPC.0019482")):
        page.goto("/provider/licence/")
        page.get_by_label("State").select_option(state)
        page.get_by_label("Licence type").fill("LPC")
        page.get_by_label("Licence number").fill(number)
        page.get_by_label("Expires on").fill("2030-06-30")
        page.get_by_role("button", name="Save the licence").click()
        expect(page.get_by_text("A coordinator verifies it")).to_be_visible()
    assert not Provider.objects.get(npi=SUSIE).published

    # A coordinator verifies the licence.
    coordinator = UserFactory(role=Role.COORDINATOR)
    staff = chromium.new_context(base_url=live_server.url).new_page()
    browser_log_in(staff, email=coordinator.email, password=PASSWORD)
    staff.goto(f"/staff/directory/{Provider.objects.get(npi=SUSIE).pk}/")
    for number in ("LPC.0019482", "180.004417"):
        staff.get_by_role("button", name=re.compile(rf"^Mark verified.*{re.escape(number)}")).click()
        expect(staff.get_by_text(f"license {number} is marked verified")).to_be_visible()
    staff.context.close()
    assert Provider.objects.get(npi=SUSIE).published

    # A client in Colorado, anxious, online, paying with Aetna, is matched with her.
    client = chromium.new_context(base_url=live_server.url).new_page()
    walk_the_intake(client)
    expect(client.get_by_role("heading", name="Susie Smith", exact=True)).to_be_visible()
    client.context.close()

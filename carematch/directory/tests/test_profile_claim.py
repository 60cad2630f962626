"""Providers imported from a payer's directory claim their profile: an emailed single-use link
(14 days, only its digest stored), their NPI and date of birth or licence number, a password and
an authenticator app; then they complete their profile, hours and licence on their own pages, a
coordinator verifies the licence, and they are matched."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pyotp
import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from carematch.accounts.models import LoginAttempt, MfaDevice, Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import ProfileInvitation, Provider
from carematch.matching.engine.types import MatchRequest
from carematch.matching.services import match_find

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).parent / "data" / "fhir_plannet_hl7_examples.json"
SUSIE = "1941339123"


@pytest.fixture
def susie():
    call_command("import_fhir", str(EXAMPLES), stdout=io.StringIO())
    # What a coordinator keeps for her: an email address and her date of birth, to confirm who claims.
    Provider.objects.filter(npi=SUSIE).update(email="susie.smith@practice.example.test",
                                              birth_date=dt.date(1980, 2, 29))
    return Provider.objects.get(npi=SUSIE)


def invite(*args):
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("invite_providers", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue().splitlines(), stderr.getvalue().splitlines()


def claim_link():
    return re.search(r"https?://[^/\s]+(/claim/[^/\s]+/)", mail.outbox[-1].body).group(1)


def claim(client, link, **fields):
    data = {"npi": SUSIE, "birth_date": "1980-02-29", "licence_number": "", "password": "a long pass phrase 42",
            "password_again": "a long pass phrase 42"} | fields
    return client.post(link, data)


def test_the_command_invites_the_incomplete_and_says_whom_it_skipped(susie):
    printed, skipped = invite("--incomplete")

    assert printed == [f"{SUSIE}: invited to claim their profile", "invited 1, sent a profile link 0, skipped 2"]
    assert skipped == ["1941339107: not sent: no email address on file",
                       "1941339115: not sent: no email address on file"]
    (message,) = mail.outbox
    assert message.to == ["susie.smith@practice.example.test"] and "14 days" in message.body
    raw = claim_link().split("/")[2]
    invitation = ProfileInvitation.objects.get()
    assert raw not in invitation.token_digest and len(invitation.token_digest) == 64  # only its digest is kept
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=14)
    assert "invitation" in susie.profile_changes.first().changes
    with pytest.raises(CommandError, match="say whom to invite"):
        invite()


def test_a_provider_with_an_account_gets_a_link_to_their_profile_instead(susie):
    Provider.objects.filter(pk=susie.pk).update(user=UserFactory(role=Role.PROVIDER, email="susie@example.test"))

    printed, _ = invite("--npi", SUSIE)

    assert printed[0] == f"{SUSIE}: has an account; sent a link to their profile"
    assert mail.outbox[-1].to == ["susie@example.test"] and "/provider/profile/" in mail.outbox[-1].body
    assert not ProfileInvitation.objects.exists()


def test_wrong_answers_are_refused_and_counted_until_the_link_is_locked(client, susie):
    invite("--npi", SUSIE)
    link = claim_link()

    wrong = claim(client, link, npi="1941339107")
    assert wrong.status_code == 422 and "do not match what we have on file" in wrong.content.decode()
    for _ in range(4):
        claim(client, link, birth_date="1981-01-01")
    assert LoginAttempt.objects.filter(kind=LoginAttempt.Kind.PROFILE_CLAIM, succeeded=False).count() == 5

    locked = claim(client, link)  # right this time, but too late
    assert locked.status_code == 429 and "Too many attempts" in locked.content.decode()
    assert Provider.objects.get(npi=SUSIE).user is None


def test_a_used_or_expired_or_unknown_link_answers_a_clear_page(client, susie):
    invite("--npi", SUSIE)
    link = claim_link()
    assert claim(client, link).status_code == 302
    client.logout()

    used = client.get(link)
    assert used.status_code == 410 and "has been used already" in used.content.decode()
    invite("--npi", SUSIE)  # she has an account now: a profile link, no new invitation
    Provider.objects.filter(pk=susie.pk).update(user=None)
    invite("--npi", SUSIE)
    ProfileInvitation.objects.filter(used_at__isnull=True).update(
        created_at=timezone.now() - dt.timedelta(days=15), expires_at=timezone.now() - dt.timedelta(days=1))
    expired = client.get(claim_link())
    assert expired.status_code == 410 and "more than 14 days old" in expired.content.decode()
    unknown = client.get("/claim/not-a-link/")
    assert unknown.status_code == 404 and "does not work" in unknown.content.decode()


def test_claiming_completing_and_a_coordinators_verification_make_the_provider_matchable(client, susie):
    invite("--incomplete")
    answer = claim(client, claim_link(), birth_date="", licence_number="")
    assert answer.status_code == 422 and "date of birth or one of your licence numbers" in answer.content.decode()

    answer = claim(client, claim_link())
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/two-step/setup/")
    susie.refresh_from_db()
    assert susie.user.email == "susie.smith@practice.example.test" and susie.user.role == Role.PROVIDER

    # The log-in asks for an authenticator app before anything else.
    assert client.get("/provider/profile/")["Location"].startswith("/accounts/two-step/setup/")
    client.get("/accounts/two-step/setup/")
    secret = MfaDevice.objects.get(user=susie.user).secret
    assert "Two-step log-in is on" in client.post("/accounts/two-step/setup/",
                                                  {"code": pyotp.TOTP(secret).now()}).content.decode()

    page = client.get("/provider/profile/").content.decode()
    assert "Your profile is not published yet" in page and "add the concerns you treat" in page
    saved = client.post("/provider/profile/", {
        "concerns": ["anxiety"], "populations": ["adults"], "approaches": ["cbt"], "languages": ["ru"],
        "formats": ["telehealth"], "self_pay_rate": "95", "min_notice_hours": "2", "timezone": "America/Chicago",
        "accepting_new": "on", "bio": "Counselling in Russian and English.",
    })
    assert saved.status_code == 302, saved.content.decode()
    for day in range(7):
        added = client.post("/provider/availability/windows/",
                            {"window-weekday": day, "window-start": "08:00", "window-end": "20:00"})
        assert added.status_code == 302
    licence = client.post("/provider/licence/", {"state": "IL", "license_type": "LPC", "number": "IL-180.004",
                                                 "expires": "2030-06-30"})
    assert licence.status_code == 302
    susie.refresh_from_db()
    assert not susie.published and susie.pending_qualifications == []

    coordinator = UserFactory(role=Role.COORDINATOR)
    client.force_login(coordinator)
    (lic,) = susie.licenses.all()
    client.post(f"/staff/licenses/{lic.pk}/status/", {"status": "verified"})

    susie.refresh_from_db()
    assert susie.published
    now = timezone.now()
    request = MatchRequest(state="IL", age=34, concerns=("anxiety",), earliest=now, languages=("ru",),
                           client_timezone="America/Chicago", within_hours=72)
    assert SUSIE in [m.npi for m in match_find(request=request, now=now).matches]
    assert {"account", "published"} <= {name for change in susie.profile_changes.all() for name in change.changes}


def test_a_coordinator_records_where_the_link_goes_on_the_staff_page_and_can_then_send_it(client):
    call_command("import_fhir", str(EXAMPLES), stdout=io.StringIO())
    other = Provider.objects.get(npi="1941339107")
    assert other.email == "" and other.birth_date is None
    client.force_login(UserFactory(role=Role.COORDINATOR))
    page = client.get(f"/staff/directory/{other.pk}/")
    assert b"Where the link goes" in page.content and b"Date of birth (optional)" in page.content
    wrong = client.post(f"/staff/directory/{other.pk}/contact/",
                        {"email": "not-an-address", "birth_date": "2020-01-01"})
    assert wrong.status_code == 200
    assert b"not a valid email address" in wrong.content and b"an adult" in wrong.content
    other.refresh_from_db()
    assert other.email == "" and other.birth_date is None  # nothing written
    saved = client.post(f"/staff/directory/{other.pk}/contact/",
                        {"email": "Joe.Smith@Practice.Example.TEST", "birth_date": "1975-06-01"}, follow=True)
    assert b"the link to claim the profile can be sent" in saved.content
    other.refresh_from_db()
    assert (other.email, other.birth_date) == ("joe.smith@practice.example.test", dt.date(1975, 6, 1))
    change = other.profile_changes.first()
    assert set(change.changes) == {"email", "birth_date"}
    assert "1975" not in str(change.changes) and "joe.smith" not in str(change.changes)  # private: no values kept
    client.post(f"/staff/directory/{other.pk}/invite/")
    assert mail.outbox[-1].to == ["joe.smith@practice.example.test"] and "/claim/" in mail.outbox[-1].body

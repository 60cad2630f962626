"""Online sessions on Jitsi Meet: each party's own signed token, handed over on the join page
(and its API twin) to the session's two parties only, inside [start - 10 min, end + 30 min);
a provider's own video link under the same rules; emails and calendar files that link to the
join page and never carry a room or a token; and plain words when no video service is set up."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.core import mail
from django.core.checks import run_checks
from django.test import Client as Browser
from django.test import override_settings
from icalendar import Calendar

from carematch.access.models import AccessEvent, Outcome
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, token_for
from carematch.checks import video_service_check
from carematch.scheduling import emails, feeds, services, video
from carematch.scheduling.models import Appointment, Format, Status
from carematch.tests.helpers import assert_error_shape, inline_scripts

from .factories import ClientFactory, weekday_provider

UTC = dt.UTC
START = dt.datetime(2027, 3, 15, 16, 0, tzinfo=UTC)  # 10:00 MDT in Denver, 12:00 EDT in New York
END = START + dt.timedelta(hours=1)
OPENS = START - dt.timedelta(minutes=10)
CLOSES = END + dt.timedelta(minutes=30)
SECOND = dt.timedelta(seconds=1)
SECRET = "a-test-secret-of-thirty-two-chars!"
JITSI = {"JITSI_DOMAIN": "meet.northside-practice.org", "JITSI_APP_ID": "carematch-test", "JITSI_APP_SECRET": SECRET}
NO_JITSI = {"JITSI_DOMAIN": "", "JITSI_APP_ID": "", "JITSI_APP_SECRET": ""}

pytestmark = pytest.mark.django_db


@pytest.fixture
def session() -> Appointment:
    provider = weekday_provider(user=UserFactory(role=Role.PROVIDER), first_name="Robin", last_name="Birch",
                                credentials=["LPC"])
    client = ClientFactory(first_name="Samantha", user=UserFactory(role=Role.CLIENT, preferred_name="Sam"),
                           timezone="America/New_York")
    return Appointment.objects.create(provider=provider, client=client, start=START, end=END,
                                      format=Format.TELEHEALTH, status=Status.BOOKED,
                                      booked_at=START - dt.timedelta(days=3))


def api_join(appointment: Appointment, user=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(user)}"} if user is not None else {}
    return Browser().get(f"/api/v1/appointments/{appointment.pk}/join", **headers)


def page(appointment: Appointment, user, path: str = "join/"):
    browser = Browser()
    browser.force_login(user)
    return browser.get(f"/sessions/{appointment.pk}/{path}")


def claims_of(url: str) -> dict:
    token = parse_qs(urlsplit(url).query)["jwt"][0]
    return jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi", options={"verify_nbf": False})


# --- The tokens ---------------------------------------------------------------------------------


@override_settings(**JITSI)
def test_each_party_gets_their_own_token_with_every_claim_and_only_the_provider_moderates(session, time_machine):
    time_machine.move_to(START, tick=False)
    urls = {}
    for party, user in (("client", session.client.user), ("provider", session.provider.user)):
        response = api_join(session, user)
        assert response.status_code == 200, response.content
        body = response.json()
        assert dt.datetime.fromisoformat(body["opens_at"]) == OPENS
        assert dt.datetime.fromisoformat(body["closes_at"]) == CLOSES
        assert response["Cache-Control"] == "no-store"
        urls[party] = body["url"]
        parts = urlsplit(body["url"])
        assert (parts.scheme, parts.netloc) == ("https", "meet.northside-practice.org")
        assert parts.path == f"/{session.video_room}"

    client_claims, provider_claims = claims_of(urls["client"]), claims_of(urls["provider"])
    for claims in (client_claims, provider_claims):
        assert claims["aud"] == "jitsi"
        assert claims["iss"] == "carematch-test"
        assert claims["sub"] == "meet.northside-practice.org"
        assert claims["room"] == session.video_room
        assert claims["nbf"] == int(OPENS.timestamp())
        assert claims["exp"] == int(CLOSES.timestamp())
        assert set(claims) == {"aud", "iss", "sub", "room", "nbf", "exp", "context"}
    assert client_claims["context"] == {"user": {"name": "Sam", "moderator": False}}
    assert provider_claims["context"] == {"user": {"name": "Robin Birch, LPC", "moderator": True}}
    # Signed with the app secret: any other key is refused.
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(parse_qs(urlsplit(urls["client"]).query)["jwt"][0], "another secret of thirty-two chars",
                   algorithms=["HS256"], audience="jitsi", options={"verify_nbf": False})


def test_a_client_without_a_preferred_name_is_shown_by_their_first_name(session):
    session.client.user.preferred_name = ""
    assert video.display_name(session, video.Party.CLIENT) == "Samantha"


def test_rooms_are_unguessable_different_for_each_appointment_and_kept_when_the_session_moves(session):
    other = Appointment.objects.create(provider=session.provider, client=session.client, start=START + dt.timedelta(
        days=1), end=END + dt.timedelta(days=1), format=Format.TELEHEALTH, status=Status.BOOKED, booked_at=START)
    assert re.fullmatch(r"[a-z2-7]{32}", session.video_room)
    assert session.video_room != other.video_room
    room = session.video_room
    now = START - dt.timedelta(days=2)
    from carematch.scheduling.selectors import provider_openings

    later = provider_openings(provider=session.provider, start=START + dt.timedelta(days=2),
                              end=START + dt.timedelta(days=6), now=now)[0]
    moved = services.appointment_reschedule(appointment=session, start=later, by=session.client.user, now=now)
    moved.refresh_from_db()
    assert moved.start == later and moved.video_room == room


# --- The window ---------------------------------------------------------------------------------


@override_settings(**JITSI)
@pytest.mark.parametrize(("moment", "status", "code"), [
    (OPENS - SECOND, 409, "too_early"),
    (OPENS, 200, None),
    (CLOSES - SECOND, 200, None),
    (CLOSES, 409, "closed"),
    (CLOSES + SECOND, 409, "closed"),
])
def test_the_room_is_handed_over_only_inside_its_window(session, time_machine, moment, status, code):
    time_machine.move_to(moment, tick=False)
    for user in (session.client.user, session.provider.user):
        response = api_join(session, user)
        if code is None:
            assert response.status_code == 200
            assert "jwt=" in response.json()["url"]
            continue
        body = assert_error_shape(response, status, code)
        assert "jwt" not in response.content.decode() and session.video_room not in response.content.decode()
        if code == "too_early":
            assert dt.datetime.fromisoformat(body["fields"]["opens_at"]) == OPENS
        else:
            assert dt.datetime.fromisoformat(body["fields"]["closes_at"]) == CLOSES


@override_settings(**JITSI)
def test_the_countdown_and_the_words_its_script_keeps_it_true_with_are_in_the_readers_language(session, time_machine):
    time_machine.move_to(OPENS - dt.timedelta(days=1, hours=2, minutes=5), tick=False)
    browser = Browser()
    browser.force_login(session.client.user)
    html = unescape(browser.get(f"/sessions/{session.pk}/join/", HTTP_ACCEPT_LANGUAGE="es").content.decode())
    assert "en 1 día 2 horas." in " ".join(re.sub(r"<[^>]+>", "", html).split())
    words = json.loads(re.search(r'data-words="([^"]*)"', browser.get(
        f"/sessions/{session.pk}/join/", HTTP_ACCEPT_LANGUAGE="es").content.decode()).group(1).replace("&quot;", '"'))
    assert words == {"in": "en {time}", "soon": "en menos de un minuto",
                     "units": {"day": ["{n} día", "{n} días"], "hour": ["{n} hora", "{n} horas"],
                               "minute": ["{n} minuto", "{n} minutos"]}}
    english = unescape(browser.get(f"/sessions/{session.pk}/join/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "in 1 day 2 hours." in " ".join(re.sub(r"<[^>]+>", "", english).split())


@override_settings(**JITSI)
def test_the_join_page_counts_down_then_hands_over_the_link_then_says_the_session_ended(session, time_machine):
    client_user = session.client.user
    time_machine.move_to(OPENS - dt.timedelta(hours=2, minutes=5), tick=False)
    response = page(session, client_user)
    html = unescape(response.content.decode())
    assert response.status_code == 200
    # In the client's own zone (New York), with the time left in words.
    assert "Your session room opens at Mon 15 Mar, 11:50 AM EDT, in 2 hours 5 minutes." in " ".join(
        re.sub(r"<[^>]+>", "", html).split())
    for preparation in ("quiet, private place", "headphones", "camera and microphone"):
        assert preparation in html
    assert "Join the session" not in html and "jwt=" not in html and session.video_room not in html
    assert "join_countdown.js" in html and inline_scripts(response.content.decode()) == []

    time_machine.move_to(OPENS, tick=False)
    response = page(session, client_user)
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"
    link = re.search(r'<a class="button" href="([^"]+)"[^>]*>Join the session</a>', response.content.decode())
    assert link is not None
    url = unescape(link.group(1))
    assert url.startswith(f"https://meet.northside-practice.org/{session.video_room}?jwt=")
    assert claims_of(url)["context"]["user"]["moderator"] is False
    assert "lobby" in response.content.decode()

    time_machine.move_to(CLOSES, tick=False)
    response = page(session, client_user)
    assert response.status_code == 409
    html = response.content.decode()
    assert "This session has ended" in html and "jwt=" not in html and session.video_room not in html


@override_settings(**JITSI)
def test_the_provider_join_page_makes_them_the_moderator(session, time_machine):
    time_machine.move_to(START, tick=False)
    response = page(session, session.provider.user)
    url = unescape(re.search(r'href="(https://meet[^"]+)"', response.content.decode()).group(1))
    assert claims_of(url)["context"]["user"] == {"name": "Robin Birch, LPC", "moderator": True}


# --- Who gets a link ----------------------------------------------------------------------------


@override_settings(**JITSI)
def test_nobody_else_gets_a_link_and_each_refusal_is_logged(session, time_machine):
    time_machine.move_to(START, tick=False)
    others = {
        "another client": ClientFactory().user,
        "another provider": weekday_provider(user=UserFactory(role=Role.PROVIDER)).user,
        "a coordinator": UserFactory(role=Role.COORDINATOR),
        "an admin": UserFactory(role=Role.ADMIN),
    }
    for who, user in others.items():
        before = AccessEvent.objects.filter(actor_id=user.pk, outcome=Outcome.DENIED).count()
        response = api_join(session, user)
        assert_error_shape(response, 404, "not_found")
        shown = page(session, user)
        assert shown.status_code == 404, who
        for answer in (response, shown):
            assert "jwt" not in answer.content.decode() and session.video_room not in answer.content.decode(), who
        denied = AccessEvent.objects.filter(actor_id=user.pk, outcome=Outcome.DENIED, resource_type="appointment",
                                            resource_id=str(session.pk))
        assert denied.count() == before + 2, who
    assert api_join(session).status_code == 401
    anonymous = Browser().get(f"/sessions/{session.pk}/join/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


@override_settings(**JITSI)
def test_a_cancelled_or_in_person_session_never_gives_a_link(session, time_machine):
    time_machine.move_to(START, tick=False)
    in_person = Appointment.objects.create(provider=session.provider, client=session.client,
                                           start=START + dt.timedelta(hours=2), end=END + dt.timedelta(hours=2),
                                           format=Format.IN_PERSON, status=Status.BOOKED, booked_at=START)
    Appointment.objects.filter(pk=session.pk).update(status=Status.CANCELLED, cancelled_at=START)
    session.refresh_from_db()
    assert_error_shape(api_join(session, session.client.user), 409, "cancelled")
    response = page(session, session.client.user)
    assert response.status_code == 409 and "This session was cancelled" in response.content.decode()
    assert "jwt=" not in response.content.decode()

    time_machine.move_to(in_person.start, tick=False)
    assert_error_shape(api_join(in_person, session.client.user), 409, "in_person")
    response = page(in_person, session.client.user)
    assert response.status_code == 409 and "This session is in person" in response.content.decode()


# --- Without Jitsi, or with the provider's own link ----------------------------------------------


@override_settings(**NO_JITSI)
def test_without_a_video_service_online_sessions_say_the_therapist_will_send_a_link(session, time_machine):
    time_machine.move_to(START, tick=False)
    assert_error_shape(api_join(session, session.client.user), 409, "no_video_link")
    for path in ("join/", ""):
        html = unescape(page(session, session.client.user, path).content.decode())
        assert "Your therapist will send you a link." in html
        assert "meet." not in html and ".invalid" not in html
    _, body = emails.render_email(kind="reminder", appointment=session,
                                        recipient=emails.recipients(session)[0])
    assert "Your therapist will send you a link." in body and "https://" not in body.split("Join:")[1].split("\n")[0]
    assert "please send the client the link" in emails.render_email(
        kind="reminder", appointment=session, recipient=emails.recipients(session)[1])[1]


@override_settings(**NO_JITSI)
def test_a_providers_own_link_is_handed_over_on_the_join_page_in_the_window_only(session, time_machine):
    provider = session.provider
    from carematch.directory.services import provider_profile_update

    provider_profile_update(provider=provider, video_link="https://video.example.org/robin-birch")
    session.refresh_from_db()
    time_machine.move_to(OPENS - SECOND, tick=False)
    assert_error_shape(api_join(session, session.client.user), 409, "too_early")
    assert "video.example.org" not in page(session, session.client.user).content.decode()
    time_machine.move_to(OPENS, tick=False)
    for user in (session.client.user, session.provider.user):
        response = api_join(session, user)
        assert response.json()["url"] == "https://video.example.org/robin-birch"
        assert 'href="https://video.example.org/robin-birch"' in page(session, user).content.decode()
    assert_error_shape(api_join(session, UserFactory(role=Role.COORDINATOR)), 404)
    time_machine.move_to(CLOSES, tick=False)
    assert_error_shape(api_join(session, session.client.user), 409, "closed")


# --- Emails and calendar files ------------------------------------------------------------------


@override_settings(**JITSI)
def test_emails_and_calendar_files_link_to_the_join_page_and_carry_no_token_nor_room(session):
    for kind in ("booked", "reminder", "rescheduled"):
        messages = emails.appointment_messages(kind=kind, appointment=session)
        assert len(messages) == 2
        for message in messages:
            texts = [message.body] + [content.decode() if isinstance(content, bytes) else content
                                      for _, content, _ in message.attachments]
            assert f"http://127.0.0.1:8000/sessions/{session.pk}/join/" in message.body
            for text in texts:
                unfolded = text.replace("\r\n ", "")
                assert "jwt" not in unfolded.lower()
                assert session.video_room not in unfolded
                assert "meet.northside-practice.org" not in unfolded
    for for_provider in (False, True):
        ics = feeds.calendar_file([session], viewer_timezone="America/Denver", for_provider=for_provider)
        event = next(iter(Calendar.from_ical(ics).walk("VEVENT")))
        assert str(event["URL"]) == f"http://127.0.0.1:8000/sessions/{session.pk}/join/"
        assert session.video_room not in ics.decode() and "jwt" not in ics.decode().lower()
    assert mail.outbox == []


# --- Staff and deploy checks --------------------------------------------------------------------


def test_check_deploy_warns_without_a_video_service_and_not_with_one():
    with override_settings(**NO_JITSI):
        found = video_service_check()
        assert [warning.id for warning in found] == ["carematch.W020"]
        assert "No video service is configured" in found[0].msg
    with override_settings(**{**JITSI, "JITSI_APP_SECRET": ""}):
        assert "CAREMATCH_JITSI_APP_SECRET missing" in video_service_check()[0].msg
    with override_settings(**JITSI):
        assert video_service_check() == []


@override_settings(**NO_JITSI)
def test_the_warning_is_among_the_deploy_checks():
    assert "carematch.W020" in [message.id for message in run_checks(include_deployment_checks=True)]


def test_staff_home_says_plainly_when_no_video_service_is_configured():
    coordinator = Browser()
    coordinator.force_login(UserFactory(role=Role.COORDINATOR))
    with override_settings(**NO_JITSI):
        assert "No video service is configured" in coordinator.get("/staff/").content.decode()
    with override_settings(**JITSI):
        html = coordinator.get("/staff/").content.decode()
        assert 'id="video-service-notice"' not in html
    with override_settings(**{**JITSI, "JITSI_DOMAIN": "meet.example.test"}):
        assert "will not connect" in coordinator.get("/staff/").content.decode()


@override_settings(**{**JITSI, "JITSI_DOMAIN": "meet.example.test"})
def test_the_demo_example_domain_is_labelled_as_one_that_will_not_connect(session, time_machine):
    time_machine.move_to(START - dt.timedelta(days=1), tick=False)
    html = page(session, session.client.user, "").content.decode()
    assert f'href="/sessions/{session.pk}/join/"' in html and ">Join<" in html
    assert "meet.example.test" in html and "will not connect" in html
    time_machine.move_to(START, tick=False)
    assert "will not connect" in page(session, session.client.user).content.decode()

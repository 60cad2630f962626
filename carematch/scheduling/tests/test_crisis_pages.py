"""Crisis follow-up on the pages: the coordinators' queue (oldest first, minutes waiting, an
outcome form with its errors, every request shown and every outcome in the access log), its
place first in the staff navigation, the crisis page that says truthfully when coordinators
call back, and the clock's figures for time to first contact attempt."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.utils import timezone

from carematch.access.models import AccessEvent
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.matching import intake
from carematch.scheduling import services
from carematch.scheduling.clock import CrisisRecord, crisis_figures
from carematch.scheduling.models import CrisisRequest

from .factories import ClientFactory

pytestmark = pytest.mark.django_db

QUEUE = "/staff/crisis/"
HELP_NOW = "/find/help-now/"
HOURS = "weekdays 8 am\u20138 pm Mountain time"  # shown exactly as configured, en dash and all
MESSAGE = "Please call after six; my phone is off at work"


def waiting(minutes_ago: int, **fields) -> CrisisRequest:
    fields = {"channel": "page", "name": "Rowan", "phone": "(720) 555-0101", "state": "CO"} | fields
    return services.crisis_request_create(now=timezone.now() - dt.timedelta(minutes=minutes_ago), **fields)


@pytest.fixture
def coordinator(client):
    user = UserFactory(role=Role.COORDINATOR, preferred_name="Casey")
    client.force_login(user)
    return user


def main_of(response) -> str:
    html = unescape(response.content.decode())
    return html[html.index("<main"):]


# --- The queue ---------------------------------------------------------------------------------------


def test_the_queue_shows_each_request_oldest_first_with_how_it_came_in_and_minutes_waiting(client, coordinator):
    person = ClientFactory()
    waiting(7, name="Newest", channel="api", client=person)
    waiting(52, name="Oldest", message=MESSAGE)
    waiting(25, name="Middle", phone="", email="middle@example.test", state="NY")

    response = client.get(QUEUE)
    assert response.status_code == 200
    main = main_of(response)
    assert main.index("Oldest") < main.index("Middle") < main.index("Newest")
    assert "Waiting (3)" in main
    oldest = main[main.index("Oldest"):main.index("Middle")]
    assert re.search(r"Waiting (52|53) minutes", oldest)
    assert 'href="tel:+17205550101"' in oldest and "(720) 555-0101" in oldest
    assert "Colorado" in oldest and "Web page" in oldest and MESSAGE in oldest
    middle = main[main.index("Middle"):main.index("Newest")]
    assert "none given" in middle and "middle@example.test" in middle and "New York" in middle
    assert "API" in main[main.index("Newest"):]


def test_every_request_shown_is_one_view_event_with_its_client(client, coordinator):
    person = ClientFactory()
    mine = waiting(3, client=person)
    anonymous = waiting(9)
    closed = waiting(30)
    services.crisis_attempt_record(crisis_request=closed, outcome="reached", note="Reached them", by=coordinator)
    client.get(QUEUE)
    events = AccessEvent.objects.filter(resource_type="crisis_request", action="view")
    assert sorted((e.resource_id, e.client_id, e.actor_id, e.channel) for e in events) == sorted([
        (str(mine.pk), person.pk, coordinator.pk, "page"), (str(anonymous.pk), None, coordinator.pk, "page"),
        (str(closed.pk), None, coordinator.pk, "page")])


def test_recording_no_answer_keeps_the_request_in_the_queue_and_shows_the_attempt(client, coordinator):
    request = waiting(10)
    response = client.post(f"{QUEUE}{request.pk}/outcome/", {
        f"crisis-{request.pk}-outcome": "no_answer", f"crisis-{request.pk}-note": "Rang at 15:10, no voicemail",
    }, follow=True)
    main = main_of(response)
    assert "Recorded: no answer. The request stays open for another try." in main
    assert "Waiting (1)" in main and "Rang at 15:10, no voicemail" in main
    assert "No answer (stays open)" in main and "by Casey" in main
    event = AccessEvent.objects.get(resource_type="crisis_request", action="update")
    assert (event.resource_id, event.outcome, event.actor_id) == (str(request.pk), "allowed", coordinator.pk)


def test_recording_reached_moves_the_request_to_closed(client, coordinator):
    request = waiting(10, name="Quill")
    response = client.post(f"{QUEUE}{request.pk}/outcome/", {
        f"crisis-{request.pk}-outcome": "reached", f"crisis-{request.pk}-note": "Talked; safety plan agreed",
    }, follow=True)
    main = main_of(response)
    assert "Waiting (0)" in main and "Nobody is waiting." in main
    closed = main[main.index("Closed in the last"):]
    assert "Quill" in closed and "Reached the person" in closed and "Talked; safety plan agreed" in closed
    assert CrisisRequest.objects.get(pk=request.pk).status == "closed"


def test_an_outcome_without_a_choice_or_note_shows_errors_linked_to_their_fields(client, coordinator):
    request = waiting(10)
    response = client.post(f"{QUEUE}{request.pk}/outcome/", {f"crisis-{request.pk}-note": ""})
    assert response.status_code == 400
    html = response.content.decode()
    prefix = f"id_crisis-{request.pk}"
    assert f'<p class="field-error" id="{prefix}-outcome_error">Choose what happened.' in html
    assert f'<p class="field-error" id="{prefix}-note_error">Write a note saying what you did.' in html
    radios = re.findall(rf'<input type="radio" name="crisis-{request.pk}-outcome"[^>]*>', html)
    assert len(radios) == 3 and all(f'aria-describedby="{prefix}-outcome_error"' in tag for tag in radios)
    note = re.search(rf'<textarea name="crisis-{request.pk}-note"[^>]*>', html).group(0)
    assert f"{prefix}-note_error" in note and 'aria-invalid="true"' in note
    assert "<legend>What happened?" in html and f'<label for="{prefix}-note">Note</label>' in html
    assert not request.attempts.exists()


def test_an_outcome_on_a_request_already_closed_says_so(client, coordinator):
    request = waiting(10)
    services.crisis_attempt_record(crisis_request=request, outcome="reached", note="Reached", by=coordinator)
    response = client.post(f"{QUEUE}{request.pk}/outcome/", {
        f"crisis-{request.pk}-outcome": "no_answer", f"crisis-{request.pk}-note": "x"}, follow=True)
    assert "This request is already closed" in main_of(response)
    assert request.attempts.count() == 1


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER])
def test_the_queue_is_for_coordinators_and_admins(client, role):
    waiting(3)
    client.force_login(UserFactory(role=role))
    assert client.get(QUEUE).status_code == 403
    assert not AccessEvent.objects.filter(resource_type="crisis_request").exists()


def test_the_queue_comes_first_in_the_staff_navigation_with_the_open_count(client, coordinator):
    waiting(3)
    waiting(4)
    html = client.get("/staff/").content.decode()
    nav = html[html.index('<nav aria-label="Main">'):html.index("</nav>")]
    links = re.findall(r'<a href="([^"]+)"', nav)
    assert links[1] == QUEUE  # after "Find a therapist", before every other staff link
    assert re.search(r"Crisis requests <span[^>]*>2<span class=\"visually-hidden\"> open</span>", nav)
    home = main_of(client.get("/staff/"))
    assert "<strong>2</strong> open crisis requests" in home
    assert home.index("Crisis follow-up") < home.index("The 48-hour clock")


def test_people_who_are_not_staff_see_no_crisis_count(client):
    waiting(3)
    client.force_login(ClientFactory().user)
    assert "Crisis requests" not in client.get("/").content.decode()


# --- The crisis page: what the person is told -------------------------------------------------------


def in_danger(client):
    client.post("/find/safety/", {"in_danger": "yes"})


def test_the_crisis_page_says_988_and_911_first_then_when_coordinators_call_back(client, settings):
    settings.CRISIS_CALLBACK_HOURS = HOURS
    in_danger(client)
    main = main_of(client.get(HELP_NOW))
    assert main.index("Call 988") < main.index("Call 911") < main.index(f"Coordinators call back {HOURS}.")
    assert "If you are in danger now, call or text 988 or call 911. Do not wait for our call." in main


def test_without_configured_hours_the_page_promises_no_hours(client, settings):
    settings.CRISIS_CALLBACK_HOURS = ""
    in_danger(client)
    assert "Coordinators call back during their working hours, not around the clock." in main_of(client.get(HELP_NOW))


def test_after_asking_the_page_repeats_the_hours_and_988_and_911_and_asks_nothing_twice(client, settings):
    settings.CRISIS_CALLBACK_HOURS = HOURS
    in_danger(client)
    response = client.post(HELP_NOW, {"name": "Ash", "phone": "303 555 0142", "state": "CO", "message": MESSAGE})
    assert response.status_code == 302 and response["Location"] == HELP_NOW
    main = main_of(client.get(HELP_NOW))
    status = " ".join(main[main.index('role="status"'):].split())
    assert f"A coordinator will call you back {HOURS}." in status
    assert "If you are in danger before then, call or text 988 or call 911." in status
    assert "Ask a coordinator to reach out" not in main
    # Pressing again (a reload, a second tap) asks nothing twice.
    client.post(HELP_NOW, {"name": "Ash", "phone": "303 555 0142", "state": "CO"})
    request = CrisisRequest.objects.get()
    assert (request.message, request.channel) == (MESSAGE, "page")
    event = AccessEvent.objects.get(resource_type="crisis_request")
    assert (event.action, event.actor_role, event.channel) == ("create", "anonymous", "page")


def test_someone_who_gave_only_an_email_address_is_told_they_will_be_written_to(client):
    in_danger(client)
    client.post(HELP_NOW, {"email": "ash@example.test", "state": "CO"})
    status = " ".join(main_of(client.get(HELP_NOW)).split())
    assert "A coordinator will write to you" in status


def test_the_state_is_asked_and_carried_from_the_intake_answers(client):
    in_danger(client)
    page = client.post(HELP_NOW, {"name": "Ash", "phone": "303 555 0142", "state": ""})
    assert "Choose the state you are in." in page.content.decode()
    session = client.session
    session[intake.SESSION_KEY] = {**session[intake.SESSION_KEY], "state": "NM"}
    session.save()
    form = client.get(HELP_NOW).context["form"]
    assert form.initial["state"] == "NM"


def test_the_page_is_limited_per_address_and_then_points_to_988_and_911(client):
    for minutes in range(5):
        waiting(minutes, address="127.0.0.1")
    in_danger(client)
    page = client.post(HELP_NOW, {"name": "Ash", "phone": "303 555 0142", "state": "CO"})
    html = unescape(page.content.decode())
    assert "You have asked to be contacted several times in the last hour" in html
    assert "call or text 988 or call 911" in html
    assert CrisisRequest.objects.count() == 5


# --- The clock: time to first contact attempt -----------------------------------------------------------

NOW = dt.datetime(2027, 3, 20, 20, 0, tzinfo=dt.UTC)
MINUTES = dt.timedelta(minutes=1)


def crisis(minutes_ago: float, tried_after: float | None = None, open_: bool = False) -> CrisisRecord:
    asked = NOW - minutes_ago * MINUTES
    return CrisisRecord(requested_at=asked, first_attempt_at=None if tried_after is None else asked + tried_after
                        * MINUTES, open=open_)


def test_the_crisis_figures_are_the_median_and_90th_percentile_time_to_first_attempt_and_who_waits():
    records = [
        crisis(600, tried_after=4), crisis(500, tried_after=8), crisis(400, tried_after=10),
        crisis(300, tried_after=12, open_=True),  # no answer: tried, still waiting
        crisis(200, tried_after=30),
        crisis(45, open_=True), crisis(20, open_=True),  # never tried yet
        crisis(60 * 24 * 40, tried_after=500),  # outside the 30 days
    ]
    figures = crisis_figures(records, now=NOW)
    assert (figures.requests, figures.attempted) == (7, 5)
    assert figures.median_minutes == 10 and figures.p90_minutes == 30
    assert (figures.waiting, figures.never_tried, figures.longest_untried_minutes) == (3, 2, 45)


def test_no_requests_give_no_figures():
    figures = crisis_figures([], now=NOW)
    assert (figures.requests, figures.median_minutes, figures.p90_minutes, figures.waiting) == (0, None, None, 0)


def test_the_clock_page_shows_the_crisis_figures(client, coordinator):
    tried = waiting(60)
    services.crisis_attempt_record(crisis_request=tried, outcome="no_answer", note="No answer", by=coordinator,
                                   now=tried.requested_at + dt.timedelta(minutes=12))
    waiting(25)
    main = " ".join(main_of(client.get("/staff/clock/")).split())
    assert "Median time to first attempt</dt> <dd>12 minutes" in main
    assert "90th percentile time to first attempt</dt> <dd>12 minutes" in main
    assert "Still waiting</dt> <dd>2 open, 1 not tried yet (the oldest for 25 minutes)" in main

"""When clients are asked: a baseline with the booking confirmation, then before every
session (with the reminder a day before) or every 2 weeks (by its own email, reminded once),
while the client is in the provider's care; a private link that works once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.measures import services
from carematch.measures.models import Cadence, FortnightlyPlan, QuestionnaireRequest
from carematch.scheduling import services as scheduling
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider

from .factories import at, gad7, phq9, run_due_tasks

UTC = dt.UTC
BOOKED_ON = dt.datetime(2027, 3, 1, 17, 0, tzinfo=UTC)
MONDAY = dt.datetime(2027, 3, 8, 16, 0, tzinfo=UTC)  # 9:00 in Denver
# The clock starts at the booking, whatever today's date; tests move it with `at`.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(BOOKED_ON, tick=True)]
DAY = dt.timedelta(days=1)
LINK = re.compile(r"http://127\.0\.0\.1:8000(/questionnaires/link/q_[A-Za-z0-9_-]{43}/)")
FORTNIGHTLY_TASK = "carematch.measures.tasks.send_fortnightly_questionnaire"


@pytest.fixture
def people():
    provider = weekday_provider(first_name="Robin", user=UserFactory(role=Role.PROVIDER, email="robin@example.test"))
    client = ClientFactory(first_name="Sam", user=UserFactory(role=Role.CLIENT, email="sam@example.test"))
    return provider, client


def book(provider, client, start, capture):
    with at(BOOKED_ON), capture(execute=True):
        return scheduling.appointment_book(provider=provider, client=client, start=start, format="telehealth",
                                           by=client.user, now=BOOKED_ON)


def sent_to(address, subject_start=""):
    return [m for m in mail.outbox if m.to == [address] and m.subject.startswith(subject_start)]


def link_in(message):
    found = LINK.findall(message.body)
    assert len(found) == 1, message.body
    return found[0]


def answer(web, path, *, phq=0, gad=0):
    data = {f"phq9_{i}": v for i, v in enumerate(phq9(phq), start=1)} | {
        f"gad7_{i}": v for i, v in enumerate(gad7(gad), start=1)}
    return web.post(path, data)


def test_the_first_booking_sends_the_baseline_link_with_the_confirmation_and_it_works_once(
    client, people, django_capture_on_commit_callbacks,
):
    provider, person = people
    book(provider, person, MONDAY, django_capture_on_commit_callbacks)
    with at(BOOKED_ON):
        run_due_tasks()
    (confirmation,) = sent_to("sam@example.test")
    path = link_in(confirmation)
    assert "Before your first session, please answer a short questionnaire" in confirmation.body
    assert confirmation.body.rstrip().endswith("or call 911.")  # the crisis line still closes the email
    assert "questionnaires/link" not in sent_to("robin@example.test")[0].body

    request = QuestionnaireRequest.objects.get()
    assert (request.reason, request.instruments, request.provider) == ("baseline", ["phq9", "gad7"], provider)
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert token not in (request.digest, request.salt)  # only a digest is stored

    page = client.get(path)
    assert page.status_code == 200
    assert b"Little interest or pleasure in doing things" in page.content
    assert b"Feeling nervous, anxious or on edge" in page.content
    response = answer(client, path, phq=7, gad=3)
    assert response.status_code == 302 and response["Location"] == "/questionnaires/result/"
    result = client.get("/questionnaires/result/")
    assert b"Your score is <strong>7 out of 27</strong>" in result.content
    assert b"mild symptoms of depression" in result.content
    assert b"minimal or no symptoms of anxiety" in result.content

    again = client.get(path)
    assert again.status_code == 410 and b"already been answered" in again.content
    assert answer(client, path, phq=20).status_code == 410
    assert person.assessments.count() == 2


def test_the_reminder_a_day_before_carries_the_unanswered_link_again_and_the_after_session_question(
    people, django_capture_on_commit_callbacks,
):
    provider, person = people
    appointment = book(provider, person, MONDAY, django_capture_on_commit_callbacks)
    with at(BOOKED_ON):
        run_due_tasks()
    first_link = link_in(sent_to("sam@example.test")[0])
    mail.outbox.clear()
    with at(MONDAY - DAY):
        run_due_tasks()
    (reminder,) = sent_to("sam@example.test", "Reminder")
    assert link_in(reminder) == first_link
    assert f"http://127.0.0.1:8000/questionnaires/sessions/{appointment.pk}/" in reminder.body
    assert "questionnaires/" not in sent_to("robin@example.test", "Reminder")[0].body


def test_before_every_session_a_later_booking_asks_with_that_sessions_reminder_only(
    people, django_capture_on_commit_callbacks,
):
    provider, person = people
    first = book(provider, person, MONDAY, django_capture_on_commit_callbacks)
    baseline = QuestionnaireRequest.objects.get(appointment=first)
    services.assessments_record(client=person, responses=[services.Response("phq9", phq9(12)),
                                                          services.Response("gad7", gad7(9))],
                                by=person.user, request=baseline)
    second = book(provider, person, MONDAY + 7 * DAY, django_capture_on_commit_callbacks)
    with at(BOOKED_ON):
        run_due_tasks()
    assert QuestionnaireRequest.objects.get(appointment=second).reason == "session"
    booked_emails = sent_to("sam@example.test", "Your session is booked")
    assert len(booked_emails) == 2 and all("questionnaires/link" not in m.body for m in booked_emails)
    mail.outbox.clear()
    with at(MONDAY + 6 * DAY):
        run_due_tasks()
    (reminder,) = sent_to("sam@example.test", "Reminder")
    assert "Before this session, please answer a short questionnaire" in reminder.body
    link_in(reminder)


def test_cancelling_a_session_withdraws_its_questionnaire_and_the_link_stops_working(
    client, people, django_capture_on_commit_callbacks,
):
    provider, person = people
    appointment = book(provider, person, MONDAY, django_capture_on_commit_callbacks)
    with at(BOOKED_ON):
        run_due_tasks()
    path = link_in(sent_to("sam@example.test")[0])
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.appointment_cancel(appointment=appointment, by=person.user, now=BOOKED_ON)
    assert QuestionnaireRequest.objects.get().withdrawn_at is not None
    response = client.get(path)
    assert response.status_code == 410 and b"This link has expired" in response.content


def test_every_two_weeks_a_questionnaire_is_emailed_two_weeks_after_the_last_and_reminded_once(
    client, people, django_capture_on_commit_callbacks,
):
    provider, person = people
    services.questionnaire_schedule_set(provider=provider, cadence_value=Cadence.EVERY_TWO_WEEKS, by=provider.user)
    first = book(provider, person, MONDAY, django_capture_on_commit_callbacks)
    book(provider, person, MONDAY + 21 * DAY, django_capture_on_commit_callbacks)
    baseline = QuestionnaireRequest.objects.get()  # the second booking asks nothing of its own
    assert baseline.appointment == first and baseline.reason == "baseline"

    with at(BOOKED_ON), django_capture_on_commit_callbacks(execute=True):
        services.assessments_record(client=person, responses=[services.Response("phq9", phq9(15)),
                                                              services.Response("gad7", gad7(10))],
                                    by=person.user, request=baseline)
    due = BOOKED_ON + 14 * DAY
    assert FortnightlyPlan.objects.get().next_due_at == due
    assert DBTaskResult.objects.get(task_path=FORTNIGHTLY_TASK).run_after == due

    mail.outbox.clear()
    with at(due - dt.timedelta(minutes=1)):
        run_due_tasks()
    assert sent_to("sam@example.test", "A short questionnaire") == []
    with at(due):
        run_due_tasks()
    (email,) = sent_to("sam@example.test", "A short questionnaire")
    request = QuestionnaireRequest.objects.get(reason="fortnightly")
    assert request.expires_at == due + 7 * DAY and link_in(email)
    assert FortnightlyPlan.objects.get().next_due_at == due + 14 * DAY

    with at(due + 3 * DAY):
        run_due_tasks()
    (reminder,) = sent_to("sam@example.test", "Reminder: your carematch questionnaire")
    assert link_in(reminder) == link_in(email)
    with at(due + 4 * DAY):
        run_due_tasks()
    assert len(sent_to("sam@example.test", "Reminder: your carematch questionnaire")) == 1


def test_every_two_weeks_stops_when_the_client_has_left_the_providers_care(people, django_capture_on_commit_callbacks):
    provider, person = people
    services.questionnaire_schedule_set(provider=provider, cadence_value=Cadence.EVERY_TWO_WEEKS, by=provider.user)
    book(provider, person, MONDAY, django_capture_on_commit_callbacks)
    with at(BOOKED_ON), django_capture_on_commit_callbacks(execute=True):
        services.assessments_record(client=person, responses=[services.Response("phq9", phq9(15)),
                                                              services.Response("gad7", gad7(10))],
                                    by=person.user, request=QuestionnaireRequest.objects.get())
    long_after = MONDAY + 60 * DAY  # the one session was two months ago and nothing is booked
    with at(long_after):
        run_due_tasks()
    assert not QuestionnaireRequest.objects.filter(reason="fortnightly").exists()
    assert FortnightlyPlan.objects.get().next_due_at is None

"""Articles are suggested where they help: on the results for the person's concerns, on a
client's booked first session while they wait, and beside the plan on /progress/; never in
or above the crisis resources, which stay alone and first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from carematch.care import services as care
from carematch.care.tests.factories import appointment
from carematch.matching.tests.test_results_page import therapist, with_answers
from carematch.scheduling.models import Status
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider

from .factories import article

pytestmark = pytest.mark.django_db

CRISIS = '<aside class="crisis"'


def _after_crisis(html: str, title: str) -> None:
    assert title in html
    assert html.index(CRISIS) < html.index("</aside>") < html.index(title)


def test_the_results_suggest_articles_for_the_persons_concerns(client):
    article(slug="anxious-mornings", title="Anxious mornings", concerns=["anxiety"])
    article(slug="grief-at-work", title="Grief at work", concerns=["grief"])
    therapist("Robin")
    with_answers(client, concerns=["anxiety"])
    html = client.get("/find/results/").content.decode()
    _after_crisis(html, "Anxious mornings")
    assert "Grief at work" not in html


def test_a_client_waiting_for_their_first_session_sees_what_to_expect(client):
    article(slug="first-session", title="What to expect in your first session", concerns=[], for_first_session=True)
    provider = weekday_provider()
    person = ClientFactory()
    first = appointment(provider, person, start=timezone.now() + dt.timedelta(days=2))
    client.force_login(person.user)
    html = client.get(f"/sessions/{first.pk}/").content.decode()
    _after_crisis(html, "What to expect in your first session")
    # Not before a later session, once there has been one.
    appointment(provider, person, status=Status.COMPLETED, start=timezone.now() - dt.timedelta(days=7))
    assert "What to expect in your first session" not in client.get(f"/sessions/{first.pk}/").content.decode()


def test_the_progress_page_suggests_articles_beside_the_plan(client):
    article(slug="deep-breathing", title="Deep breathing", concerns=[], activities=["deep_breathing"])
    article(slug="exercise", title="Moving more", concerns=[], activities=["exercise"])
    person = ClientFactory()
    appointment(weekday_provider(), person)
    care.activity_add(client=person, by=person.user, kind="deep_breathing", times=3, period="week")
    client.force_login(person.user)
    html = client.get("/progress/").content.decode()
    plan = html[html.index('id="plan-heading"'):]
    assert "Deep breathing" in plan and "Moving more" not in plan
    _after_crisis(html, "Deep breathing")

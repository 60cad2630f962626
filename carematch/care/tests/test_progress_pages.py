"""The progress page, the forms behind it, and a provider's caseload, as people see them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.care import services
from carematch.care.models import CheckIn, Goal, GoalVersion
from carematch.measures.models import Alert, AlertKind
from carematch.tests.helpers import inline_scripts

from .factories import ClientFactory, appointment, assessment, goal, provider_of, provider_user, self_rating_goal

pytestmark = pytest.mark.django_db


def today(client_record):
    return services.client_today(client_record)


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert " style=" not in html and not inline_scripts(html)  # the pages work under a strict Content-Security-Policy
    return html


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in ("/progress/", "/caseload/", "/caseload/1/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(f"/accounts/login/?next={url}")


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.COORDINATOR])
def test_the_progress_page_is_for_clients_others_open_a_clients_page_from_the_caseload(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get("/progress/").status_code == 403


def test_a_client_sees_their_scores_goals_and_plan_on_their_progress_page(client):
    me = ClientFactory()
    now = timezone.now()
    for days_ago, total in ((42, 16), (28, 12), (14, 5), (1, 4)):
        assessment(me, "phq9", total, now - dt.timedelta(days=days_ago))
    goal(me, text="Talk about hard things without shutting down", instrument="phq9", target=10)
    rated = self_rating_goal(me, text="Sleep through most nights", target=8)
    services.goal_rating_record(goal=rated, by=me.user, rating=6)
    walk = services.activity_add(client=me, by=me.user, kind="exercise", text="a walk after lunch", times=3,
                                 period="week")
    services.check_in_record(activity=walk, by=me.user, mood=7, note="Felt lighter afterwards.")
    client.force_login(me.user)

    html = page(client, "/progress/")
    words = text_of(html)
    assert '<a href="/progress/">Your progress</a>' in html  # in the menu
    assert "Talk about hard things without shutting down" in words
    assert "Achieved PHQ-9 below 10 by" in words and "Latest PHQ-9 score: 4" in words
    assert "In progress A self-rating of at least 8 out of 10 by" in words and "Latest rating: 6 out of 10" in words
    assert "Exercise: a walk after lunch" in words and "3 times a week: done 1 time this week." in words
    assert "mood 7 out of 10" in words and "Felt lighter afterwards." in words
    # The chart: shaded bands, one point per score, a summary, and the same data as a table.
    assert html.count('class="chart-band band-') == 5
    assert html.count('class="chart-point') == 4
    assert 'role="img"' in html and "PHQ-9 scores over time, shaded by severity" in html
    assert "4 PHQ-9 scores. First 16 (moderately severe)" in words and "down 12 points" in words
    rows = re.findall(r"<tr><td>[^<]+</td><td>(\d+)</td><td>([^<]+)</td></tr>", html)
    assert rows == [("16", "Moderately severe"), ("12", "Moderate"), ("5", "Mild"), ("4", "Minimal")]
    assert "GAD-7" not in words  # no GAD-7 scores, no GAD-7 chart


def test_a_client_with_nothing_yet_is_told_so_and_offered_the_first_steps(client):
    me = ClientFactory()
    client.force_login(me.user)
    words = text_of(page(client, "/progress/"))
    assert "No questionnaire scores yet." in words and "No goals yet." in words
    assert "No coping activities in the plan yet." in words
    assert "Add a goal" in words and "Add a coping activity" in words


def test_adding_a_goal_on_the_page_shows_it_and_mistakes_are_named_on_their_fields(client):
    me = ClientFactory()
    client.force_login(me.user)
    form = page(client, "/progress/goals/new/")
    assert "<legend>How will you know it is working?</legend>" in form
    assert '<label for="id_text">The goal, in your own words</label>' in form

    refused = client.post("/progress/goals/new/", {
        "text": "Feel calmer", "measure": "questionnaire", "instrument": "phq9", "score_below": "30",
        "target_date": today(me).isoformat(),
    })
    assert refused.status_code == 200
    html = refused.content.decode()
    assert re.search(r'id="id_score_below_error">Must be from 1 to 27\.', html)
    assert 'aria-invalid="true"' in html
    assert not Goal.objects.exists()

    missing = client.post("/progress/goals/new/", {"text": "Feel calmer", "measure": "self_rating",
                                                   "target_date": today(me).isoformat()})
    assert "Give the rating to reach." in missing.content.decode()

    done = client.post("/progress/goals/new/", {
        "text": "Feel calmer", "measure": "self_rating", "instrument": "phq9", "rating_target": "7",
        "target_date": (today(me) + dt.timedelta(days=30)).isoformat(),
    })
    assert done.status_code == 302 and done["Location"] == "/progress/#goals"
    version = GoalVersion.objects.get()
    assert (version.text, version.measure, version.instrument, version.target) == ("Feel calmer", "self_rating", "", 7)
    assert "The goal is added." in text_of(page(client, "/progress/"))


def test_revising_on_the_page_keeps_the_earlier_version_shown_as_history(client):
    me = ClientFactory()
    first = self_rating_goal(me, text="Walk every day", target=8)
    client.force_login(me.user)
    form = page(client, f"/progress/goals/{first.pk}/revise/")
    assert "Walk every day" in form and 'value="8"' in form
    response = client.post(f"/progress/goals/{first.pk}/revise/", {
        "text": "Walk four days a week", "measure": "self_rating", "rating_target": "7",
        "target_date": (today(me) + dt.timedelta(days=45)).isoformat(),
    })
    assert response.status_code == 302 and response["Location"] == f"/progress/#goal-{first.pk}"
    words = text_of(page(client, "/progress/"))
    assert "Walk four days a week" in words
    assert "Earlier versions (1)" in words and "Revised “Walk every day”" in words
    assert GoalVersion.objects.filter(goal=first).count() == 2


def test_a_check_in_with_a_mood_of_11_is_refused_on_the_mood_field_and_nothing_is_saved(client):
    me = ClientFactory()
    breathe = services.activity_add(client=me, by=me.user, kind="deep_breathing", times=2, period="day")
    client.force_login(me.user)
    url = f"/progress/plan/{breathe.pk}/check-in/"
    form = page(client, url)
    assert f'value="{today(me).isoformat()}"' in form
    response = client.post(url, {"done_on": today(me).isoformat(), "mood": "11", "note": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="id_mood_error">Must be from 0 to 10\.', html)
    assert not CheckIn.objects.exists()
    saved = client.post(url, {"done_on": today(me).isoformat(), "mood": "6", "note": "Before bed."})
    assert saved.status_code == 302 and saved["Location"] == f"/progress/#activity-{breathe.pk}"
    assert CheckIn.objects.get().mood == 6


def test_an_activity_of_their_own_without_words_is_refused_on_the_words_field(client):
    me = ClientFactory()
    client.force_login(me.user)
    form = page(client, "/progress/plan/new/")
    assert "<legend>Kind of activity</legend>" in form and "<legend>How often</legend>" in form
    for kind in ("Exercise", "Meditation", "Deep breathing", "Creative expression",
                 "Reaching out to friends or family", "Something of your own"):
        assert kind in form
    response = client.post("/progress/plan/new/", {"kind": "own", "text": "", "times": "1", "period": "day"})
    assert re.search(r'id="id_text_error">Is required for an activity of your own', response.content.decode())
    assert not me.care_activities.exists()


def test_their_provider_plans_from_the_clients_page_and_is_not_offered_check_ins(client):
    me = ClientFactory(first_name="Robin", last_name="Lee")
    provider = provider_of(me)
    services.activity_add(client=me, by=me.user, kind="meditation", times=1, period="day")
    client.force_login(provider.user)
    html = page(client, f"/caseload/{me.pk}/")
    words = text_of(html)
    assert "Progress of Robin Lee" in words and "Add a goal" in words and "Take out of the plan" in words
    assert "Record a check-in" not in words
    response = client.post(f"/caseload/{me.pk}/plan/new/", {"kind": "reaching_out", "times": "1", "period": "week"})
    assert response.status_code == 302 and response["Location"] == f"/caseload/{me.pk}/#plan"
    assert [a.label for a in me.care_activities.order_by("id")] == ["Meditation", "Reaching out to friends or family"]
    form = page(client, f"/caseload/{me.pk}/goals/new/")
    assert "The goal, in the client&#x27;s words" in form


def test_the_caseload_lists_a_providers_clients_with_latest_scores_open_alerts_first(client):
    provider = provider_user()
    calm = ClientFactory(first_name="Alex", last_name="Adams")
    worried = ClientFactory(first_name="Zoe", last_name="Young")
    ClientFactory(first_name="Not", last_name="Theirs")
    for person in (calm, worried):
        appointment(provider, person)
    now = timezone.now()
    assessment(calm, "phq9", 12, now - dt.timedelta(days=10))
    assessment(calm, "phq9", 6, now - dt.timedelta(days=1))
    assessment(calm, "gad7", 15, now - dt.timedelta(days=1))
    flagged = assessment(worried, "phq9", 18, now - dt.timedelta(hours=2))
    Alert.objects.create(kind=AlertKind.SUICIDAL_IDEATION, client=worried, provider=provider, assessment=flagged,
                         created_at=now)
    client.force_login(provider.user)
    html = page(client, "/caseload/")
    words = text_of(html)
    assert '<a href="/caseload/">Caseload</a>' in html
    assert words.index("Zoe Young") < words.index("Alex Adams")  # open alerts first, though Y sorts after A
    assert "1 open alert" in words
    assert "PHQ-9 6 (mild," in words and "GAD-7 15 (severe," in words and "PHQ-9 18 (moderately severe," in words
    assert "Not Theirs" not in words
    assert f'href="/caseload/{worried.pk}/"' in html
    alert_page = text_of(page(client, f"/caseload/{worried.pk}/"))
    assert "1 open alert for this client. Go to the alerts" in alert_page


def test_clients_and_providers_without_a_profile_find_no_caseload(client):
    client.force_login(ClientFactory().user)
    assert client.get("/caseload/").status_code == 403
    client.force_login(UserFactory(role=Role.PROVIDER))
    assert "Your profile is not set up yet" in client.get("/caseload/").content.decode()


def test_coordinators_see_every_client_with_an_appointment_in_the_caseload(client):
    first = ClientFactory(first_name="Ana")
    provider_of(first)
    ClientFactory(first_name="Nobody")
    client.force_login(UserFactory(role=Role.COORDINATOR))
    words = text_of(page(client, "/caseload/"))
    assert "Ana Client" in words and "Nobody" not in words


def test_a_long_caseload_comes_in_pages_with_open_alerts_on_the_first(client, monkeypatch):
    monkeypatch.setattr("carematch.care.selectors.CASELOAD_PAGE_SIZE", 2)
    provider = provider_user()
    people = [ClientFactory(first_name=name, last_name="Client") for name in ("Ana", "Ben", "Cy", "Dee")]
    for person in people:
        appointment(provider, person)
    flagged = assessment(people[-1], "phq9", 12, timezone.now())
    Alert.objects.create(kind=AlertKind.SUICIDAL_IDEATION, client=people[-1], provider=provider, assessment=flagged,
                         created_at=timezone.now())
    client.force_login(provider.user)
    first = text_of(page(client, "/caseload/"))
    assert "Dee Client" in first and "Ana Client" in first and "Ben Client" not in first
    assert "Page 1 of 2" in first
    second = text_of(page(client, "/caseload/?page=2"))
    assert "Ben Client" in second and "Cy Client" in second and "Dee Client" not in second


def test_a_client_who_has_not_given_their_details_is_pointed_to_finding_a_therapist(client):
    client.force_login(UserFactory(role=Role.CLIENT))
    words = text_of(page(client, "/progress/"))
    assert "will be here once you have booked a first session" in words and "Find a therapist" in words
    assert "Find a therapist" in client.get("/progress/goals/new/").content.decode()
    assert not Goal.objects.exists()
    journal = client.get("/journal/").content.decode()  # the journal page names itself, not the progress page
    assert "<h1>Your journal</h1>" in journal and "<h1>Your progress</h1>" not in journal
    assert "opens once you have booked a first session" in journal


def test_a_provider_is_shown_safety_alerts_only_coordinators_every_open_alert(client):
    me = ClientFactory()
    provider = provider_of(me)
    Alert.objects.create(kind=AlertKind.LOW_SESSION_RATING, client=me, provider=provider, created_at=timezone.now())
    client.force_login(provider.user)
    assert "open alert" not in text_of(page(client, f"/caseload/{me.pk}/"))
    assert "badge-crisis" not in page(client, "/caseload/")
    client.force_login(UserFactory(role=Role.COORDINATOR))
    assert "1 open alert for this client." in text_of(page(client, f"/caseload/{me.pk}/"))
    assert "1 open alert" in text_of(page(client, "/caseload/"))

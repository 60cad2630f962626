"""The coping toolkit: the exercises are public and make sense without JavaScript, and one tap
logs a practice as a check-in of the matching plan activity (added to the plan when there is
none; asked for when several may be it), which the provider then sees on the progress page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from carematch.access.models import AccessEvent
from carematch.care import services
from carematch.care.models import Activity, ActivityKind, CheckIn
from carematch.lib.errors import Forbidden, InvalidInput

from .factories import ClientFactory, provider_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["care:toolkit", "care:toolkit_breathing", "care:toolkit_grounding",
                                  "care:toolkit_meditation"])
def test_the_exercises_are_public_and_written_out_for_readers_without_javascript(client, name):
    page = client.get(reverse(name))
    assert page.status_code == 200
    text = page.content.decode()
    assert "<script>" not in text and " style=" not in text
    assert "Log in</a> to log this practice" in text or name == "care:toolkit"


def test_the_breathing_page_writes_out_both_patterns():
    from django.test import Client

    text = Client().get(reverse("care:toolkit_breathing")).content.decode()
    assert "Box breathing (4-4-4-4)" in text and "Hold your breath for a count of 7." in text
    assert 'src="/static/js/toolkit.js"' in text


def test_one_tap_adds_deep_breathing_to_an_empty_plan_and_checks_in(client):
    me = ClientFactory()
    provider = provider_of(me)
    client.force_login(me.user)
    answer = client.post(reverse("care:toolkit_log"), {"practice": "breathing", "mood": "7"})
    assert answer.status_code == 302 and answer["Location"].endswith("/toolkit/breathing/#log")
    activity = Activity.objects.get(client=me)
    assert (activity.kind, activity.times, activity.period) == (ActivityKind.DEEP_BREATHING, 1, "day")
    check_in = CheckIn.objects.get(activity=activity)
    assert check_in.mood == 7
    assert AccessEvent.objects.filter(resource_type="check_ins", action="create", result="succeeded").count() == 1
    # The provider sees it on the client's progress page, like any other check-in.
    client.force_login(provider.user)
    progress = client.get(reverse("care:client_progress", kwargs={"client_id": me.pk})).content.decode()
    assert "Deep breathing" in progress and "mood 7 out of 10" in progress


def test_the_script_gets_a_short_answer_in_place(client):
    me = ClientFactory()
    services.activity_add(client=me, by=me.user, kind="meditation", times=3, period="week")
    client.force_login(me.user)
    answer = client.post(reverse("care:toolkit_log"), {"practice": "grounding", "mood": "5"},
                         HTTP_X_REQUESTED_WITH="fetch")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    assert answer.json()["message"].startswith("Logged: Meditation, feeling 5 out of 10.")
    assert Activity.objects.filter(client=me).count() == 1  # the existing meditation activity took it


def test_with_several_candidates_the_client_is_asked_which(client):
    me = ClientFactory()
    services.activity_add(client=me, by=me.user, kind="deep_breathing", times=1, period="day")
    own = services.activity_add(client=me, by=me.user, kind="own", text="Slow breaths before bed", times=1,
                                period="day")
    client.force_login(me.user)
    asked = client.post(reverse("care:toolkit_log"), {"practice": "breathing", "mood": "6"})
    assert asked.status_code == 200
    assert "Which activity of your plan was this?" in asked.content.decode()
    assert "Slow breaths before bed" in asked.content.decode()
    assert not CheckIn.objects.exists()
    chosen = client.post(reverse("care:toolkit_log"), {"practice": "breathing", "mood": "6", "activity_id": own.pk})
    assert chosen.status_code == 302
    assert CheckIn.objects.get().activity_id == own.pk


def test_bad_input_names_the_field_and_writes_nothing(client):
    me = ClientFactory()
    client.force_login(me.user)
    for body in ({"practice": "yoga", "mood": "5"}, {"practice": "breathing", "mood": "11"},
                 {"practice": "breathing"}, {"practice": "breathing", "mood": "3", "activity_id": "999999"}):
        answer = client.post(reverse("care:toolkit_log"), body)
        assert answer.status_code == 400, body
        assert "There is a problem" in answer.content.decode()
    assert not Activity.objects.exists() and not CheckIn.objects.exists()


def test_the_service_refuses_other_people_and_others_activities():
    me = ClientFactory()
    provider = provider_of(me)
    with pytest.raises(Forbidden):
        services.toolkit_practice_log(client=me, by=provider.user, practice="breathing", mood=5)
    other = ClientFactory()
    theirs = services.activity_add(client=other, by=other.user, kind="deep_breathing", times=1, period="day")
    with pytest.raises(InvalidInput) as problem:
        services.toolkit_practice_log(client=me, by=me.user, practice="breathing", mood=5, activity_id=theirs.pk)
    assert "activity_id" in problem.value.fields
    ended = services.activity_add(client=me, by=me.user, kind="deep_breathing", times=1, period="day")
    services.activity_end(activity=ended, by=me.user)
    logged = services.toolkit_practice_log(client=me, by=me.user, practice="breathing", mood=4)
    assert logged.activity_added and logged.check_in.activity_id != ended.pk


def test_logging_needs_a_signed_in_client(client):
    answer = client.post(reverse("care:toolkit_log"), {"practice": "breathing", "mood": "5"})
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    provider = provider_of(ClientFactory())
    client.force_login(provider.user)
    assert client.post(reverse("care:toolkit_log"), {"practice": "breathing", "mood": "5"}).status_code == 403
    assert not CheckIn.objects.exists()

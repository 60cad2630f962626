"""The plan: coping activities, how often, and the client's check-ins (mood 0-10 and a note)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.care import selectors, services
from carematch.care.models import Activity, CheckIn, frequency_label
from carematch.lib.errors import Conflict, Forbidden, InvalidInput

from .factories import ClientFactory, provider_of

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 6, 16, tzinfo=dt.UTC)  # a Wednesday, 9:00 in Denver
TODAY = dt.date(2027, 1, 6)


def add(client, *, by=None, kind="exercise", text="", times=3, period="week", now=NOW):
    return services.activity_add(client=client, by=by or client.user, kind=kind, text=text, times=times,
                                 period=period, now=now)


@pytest.mark.parametrize(
    ("kind", "text", "label"),
    [
        ("exercise", "a walk after lunch", "Exercise: a walk after lunch"),
        ("meditation", "", "Meditation"),
        ("deep_breathing", "", "Deep breathing"),
        ("creative_expression", "drawing", "Creative expression: drawing"),
        ("reaching_out", "", "Reaching out to friends or family"),
        ("own", "Play guitar", "Play guitar"),
    ],
)
def test_the_five_built_in_activities_and_one_of_the_clients_own_go_into_the_plan(kind, text, label):
    client = ClientFactory()
    activity = add(client, kind=kind, text=f"  {text} ", times=1, period="day")
    [view] = selectors.activities_for(client=client, now=NOW)
    assert view.activity == activity
    assert (activity.kind, activity.text, activity.label, activity.frequency) == (kind, text, label, "Daily")
    assert activity.created_by == client.user and activity.is_active


@pytest.mark.parametrize(
    ("times", "period", "label"),
    [(1, "day", "Daily"), (2, "day", "Twice a day"), (3, "week", "3 times a week"), (1, "week", "Weekly"),
     (2, "week", "Twice a week"), (14, "week", "14 times a week")],
)
def test_how_often_reads_as_people_say_it(times, period, label):
    assert frequency_label(times, period) == label


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "own", "text": "  "}, "text"),
        ({"kind": "juggling"}, "kind"),
        ({"text": "x" * 201}, "text"),
        ({"times": 0}, "times"),
        ({"times": 15}, "times"),
        ({"times": "often"}, "times"),
        ({"period": "month"}, "period"),
    ],
)
def test_an_activity_that_cannot_be_planned_is_refused_naming_the_field(changes, field):
    client = ClientFactory()
    with pytest.raises(InvalidInput) as caught:
        add(client, **changes)
    assert set(caught.value.fields) == {field}
    assert not Activity.objects.exists()


def test_an_activity_of_their_own_needs_their_words():
    client = ClientFactory()
    with pytest.raises(InvalidInput) as caught:
        add(client, kind="own", text="")
    assert caught.value.fields == {"text": "is required for an activity of your own: say what it is"}


@pytest.mark.parametrize("mood", [0, 10])
def test_a_check_in_records_the_day_the_mood_and_a_note(mood):
    client = ClientFactory()
    activity = add(client, kind="deep_breathing", times=2, period="day")
    check_in = services.check_in_record(activity=activity, by=client.user, mood=mood,
                                        note="  Box breathing before the meeting. ", now=NOW)
    assert (check_in.done_on, check_in.mood, check_in.note) == (TODAY, mood, "Box breathing before the meeting.")
    assert check_in.recorded_by == client.user


@pytest.mark.parametrize("mood", [11, -1, 100, "great"])
def test_a_mood_outside_0_to_10_is_refused_naming_the_mood(mood):
    client = ClientFactory()
    activity = add(client)
    with pytest.raises(InvalidInput) as caught:
        services.check_in_record(activity=activity, by=client.user, mood=mood, now=NOW)
    assert set(caught.value.fields) == {"mood"}
    assert caught.value.detail.startswith("The mood must be")
    assert not CheckIn.objects.exists()


def test_a_check_in_cannot_be_for_tomorrow_or_before_the_activity_was_planned():
    client = ClientFactory()
    activity = add(client)
    for day, problem in ((TODAY + dt.timedelta(days=1), "must not be in the future"),
                         (TODAY - dt.timedelta(days=1), "must not be before 6 January 2027")):
        with pytest.raises(InvalidInput) as caught:
            services.check_in_record(activity=activity, by=client.user, mood=5, done_on=day, now=NOW)
        assert caught.value.fields["done_on"].startswith(problem)
    with pytest.raises(InvalidInput) as caught:
        services.check_in_record(activity=activity, by=client.user, mood=5, note="a\x00b", now=NOW)
    assert set(caught.value.fields) == {"note"}
    assert not CheckIn.objects.exists()


def test_a_check_in_refused_on_a_spanish_page_says_why_in_spanish():
    client = ClientFactory()
    activity = add(client)
    with translation.override("es"):
        with pytest.raises(InvalidInput) as caught:
            services.check_in_record(activity=activity, by=client.user, mood=11, now=NOW)
        assert caught.value.detail == "El ánimo debe estar entre 0 y 10."
        with pytest.raises(InvalidInput) as caught:
            services.check_in_record(activity=activity, by=client.user, mood=5,
                                     done_on=TODAY - dt.timedelta(days=1), now=NOW)
        assert caught.value.fields["done_on"] == ("no debe ser anterior al 6 de enero de 2027 "
                                                  "(el día en que se añadió la actividad al plan)")
    assert not CheckIn.objects.exists()


def test_the_plan_lists_check_ins_newest_first_and_counts_those_of_this_week():
    client = ClientFactory()
    monday = NOW - dt.timedelta(days=2)
    walk = add(client, kind="exercise", times=3, period="week", now=monday - dt.timedelta(days=7))
    breathe = add(client, kind="deep_breathing", times=2, period="day", now=monday)
    for days_ago, mood in ((8, 4), (2, 6), (0, 7)):  # last week's Monday, this Monday, today
        services.check_in_record(activity=walk, by=client.user, mood=mood, done_on=TODAY - dt.timedelta(days=days_ago),
                                 now=NOW)
    services.check_in_record(activity=breathe, by=client.user, mood=5, done_on=TODAY - dt.timedelta(days=1), now=NOW)
    walk_view, breathe_view = selectors.activities_for(client=client, now=NOW)
    assert [c.mood for c in walk_view.check_ins] == [7, 6, 4]
    assert (walk_view.done_this_period, walk_view.period_name) == (2, "this week")
    assert (breathe_view.done_this_period, breathe_view.period_name) == (0, "today")


def test_their_provider_adds_activities_but_only_the_client_checks_in():
    client = ClientFactory()
    provider = provider_of(client)
    activity = add(client, by=provider.user, kind="meditation", times=1, period="day")
    assert activity.created_by == provider.user
    for by in (provider.user, UserFactory(role=Role.COORDINATOR)):
        with pytest.raises(Forbidden):
            services.check_in_record(activity=activity, by=by, mood=5, now=NOW)
    with pytest.raises(Forbidden):
        add(client, by=UserFactory(role=Role.COORDINATOR))
    with pytest.raises(Forbidden):
        add(client, by=ClientFactory().user)
    assert not CheckIn.objects.exists() and Activity.objects.count() == 1


def test_an_activity_taken_out_of_the_plan_keeps_its_check_ins_and_takes_no_more():
    client = ClientFactory()
    stopped = add(client, kind="exercise", now=NOW - dt.timedelta(days=3))
    kept = add(client, kind="meditation", now=NOW - dt.timedelta(days=2))
    services.check_in_record(activity=stopped, by=client.user, mood=6, now=NOW)
    services.activity_end(activity=stopped, by=client.user, now=NOW)
    with pytest.raises(Conflict):
        services.check_in_record(activity=stopped, by=client.user, mood=6, now=NOW)
    with pytest.raises(Conflict):
        services.activity_end(activity=stopped, by=client.user, now=NOW)
    views = selectors.activities_for(client=client, now=NOW)
    assert [v.activity for v in views] == [kept, stopped]  # the current plan first
    assert not views[1].activity.is_active and [c.mood for c in views[1].check_ins] == [6]

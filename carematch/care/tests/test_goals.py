"""Goals: agreed in the client's words, measured by a questionnaire or a self-rating, revised
without losing what they said before."""

from __future__ import annotations

import datetime as dt

import pytest

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.care import selectors, services
from carematch.care.models import Goal, GoalRating, GoalVersion
from carematch.care.status import GoalStatus
from carematch.lib.errors import Forbidden, InvalidInput
from carematch.scheduling.models import Status

from .factories import ClientFactory, assessment, goal, provider_of, self_rating_goal

pytestmark = pytest.mark.django_db

# 9:00 in Denver, where the clients live.
NOW = dt.datetime(2027, 1, 4, 16, tzinfo=dt.UTC)
TODAY = dt.date(2027, 1, 4)


def statuses(client, now=NOW):
    return [view.status for view in selectors.goals_for(client=client, now=now)]


def test_a_goal_keeps_the_clients_words_how_success_is_measured_and_by_when():
    client = ClientFactory()
    created = goal(client, text="Talk about hard things without shutting down", instrument="phq9", target=10,
                   target_date=dt.date(2027, 4, 1), now=NOW)
    [view] = selectors.goals_for(client=client, now=NOW)
    version = view.current.version
    assert view.goal == created and created.created_by == client.user
    assert (version.text, version.measure, version.instrument, version.target, version.target_date) == (
        "Talk about hard things without shutting down", "questionnaire", "phq9", 10, dt.date(2027, 4, 1)
    )
    assert view.current.target_label == "PHQ-9 below 10 by 1 April 2027"
    assert view.status == GoalStatus.IN_PROGRESS


def test_a_questionnaire_goal_is_achieved_when_the_latest_score_falls_below_its_target():
    client = ClientFactory()
    goal(client, instrument="phq9", target=10, target_date=dt.date(2027, 3, 1), now=NOW)
    assessment(client, "phq9", 16, NOW - dt.timedelta(days=7))
    assessment(client, "gad7", 3, NOW - dt.timedelta(days=6))  # another questionnaire does not count
    assert statuses(client) == [GoalStatus.IN_PROGRESS]
    assessment(client, "phq9", 10, NOW + dt.timedelta(days=14))
    assert statuses(client, NOW + dt.timedelta(days=15)) == [GoalStatus.IN_PROGRESS]  # 10 is not below 10
    assessment(client, "phq9", 9, NOW + dt.timedelta(days=28))
    [view] = selectors.goals_for(client=client, now=NOW + dt.timedelta(days=29))
    assert view.status == GoalStatus.ACHIEVED
    assert [m.value for m in view.measurements] == [16, 10, 9]
    assert view.counted.value == 9


def test_a_questionnaire_goal_not_met_by_its_date_is_not_achieved():
    client = ClientFactory()
    goal(client, instrument="gad7", target=5, target_date=dt.date(2027, 1, 20), now=NOW)
    assessment(client, "gad7", 8, NOW + dt.timedelta(days=7))
    assessment(client, "gad7", 4, dt.datetime(2027, 1, 21, 16, tzinfo=dt.UTC))  # the day after the date
    assert statuses(client, dt.datetime(2027, 1, 22, 16, tzinfo=dt.UTC)) == [GoalStatus.NOT_ACHIEVED]


def test_a_score_on_the_target_date_counts_on_that_day_where_the_client_lives():
    client = ClientFactory(timezone="America/Denver")
    goal(client, instrument="phq9", target=10, target_date=dt.date(2027, 1, 20), now=NOW)
    # 20:00 on the 20th in Denver is already the 21st in UTC.
    assessment(client, "phq9", 7, dt.datetime(2027, 1, 21, 3, tzinfo=dt.UTC))
    assert statuses(client, dt.datetime(2027, 2, 1, 16, tzinfo=dt.UTC)) == [GoalStatus.ACHIEVED]


def test_a_self_rating_goal_is_achieved_when_the_latest_rating_reaches_its_target():
    client = ClientFactory()
    rated = self_rating_goal(client, target=8, now=NOW)
    services.goal_rating_record(goal=rated, by=client.user, rating=6, now=NOW)
    assert statuses(client) == [GoalStatus.IN_PROGRESS]
    services.goal_rating_record(goal=rated, by=client.user, rating=8, now=NOW + dt.timedelta(days=7))
    [view] = selectors.goals_for(client=client, now=NOW + dt.timedelta(days=7))
    assert view.status == GoalStatus.ACHIEVED
    assert view.current.target_label.startswith("A self-rating of at least 8 out of 10 by ")
    assert [(m.on, m.value) for m in view.measurements] == [(TODAY, 6), (TODAY + dt.timedelta(days=7), 8)]


def test_revising_a_goal_keeps_the_earlier_version_as_history():
    client = ClientFactory()
    first = goal(client, text="Sleep better", measure="self_rating", target=7, target_date=dt.date(2027, 2, 1),
                 now=NOW)
    services.goal_rating_record(goal=first, by=client.user, rating=7, now=NOW)
    assert statuses(client) == [GoalStatus.ACHIEVED]

    later = NOW + dt.timedelta(days=3)
    version = services.goal_revise(
        goal=first, by=client.user, text="Sleep through most nights", measure="questionnaire", instrument="phq9",
        target=5, target_date=dt.date(2027, 5, 1), now=later,
    )
    assert version.number == 2
    [view] = selectors.goals_for(client=client, now=later)
    assert view.current.version.text == "Sleep through most nights"
    assert view.status == GoalStatus.IN_PROGRESS  # now measured by the PHQ-9, which has no score yet
    [earlier] = view.earlier
    assert earlier.status == GoalStatus.REVISED
    assert (earlier.version.text, earlier.version.measure, earlier.version.target) == ("Sleep better", "self_rating", 7)
    assert list(GoalVersion.objects.filter(goal=first).values_list("number", "text")) == [
        (1, "Sleep better"), (2, "Sleep through most nights"),
    ]
    assert Goal.objects.count() == 1 and GoalRating.objects.count() == 1


def test_a_revision_that_changes_nothing_is_refused_and_adds_no_version():
    client = ClientFactory()
    same = goal(client, text="Walk daily", measure="self_rating", target=8, target_date=dt.date(2027, 3, 1), now=NOW)
    with pytest.raises(InvalidInput, match="Nothing was changed"):
        services.goal_revise(goal=same, by=client.user, text="  Walk daily ", measure="self_rating", target=8,
                             target_date=dt.date(2027, 3, 1), now=NOW)
    assert GoalVersion.objects.count() == 1


def test_a_rating_outside_0_to_10_is_refused_naming_the_rating():
    client = ClientFactory()
    rated = self_rating_goal(client, now=NOW)
    for value in (11, -1):
        with pytest.raises(InvalidInput) as caught:
            services.goal_rating_record(goal=rated, by=client.user, rating=value, now=NOW)
        assert caught.value.fields == {"rating": "must be from 0 to 10"}
    services.goal_rating_record(goal=rated, by=client.user, rating=0, now=NOW)
    services.goal_rating_record(goal=rated, by=client.user, rating=10, now=NOW)
    assert sorted(GoalRating.objects.values_list("rating", flat=True)) == [0, 10]


def test_ratings_are_for_self_rating_goals_only_and_not_for_tomorrow():
    client = ClientFactory()
    scored = goal(client, now=NOW)
    with pytest.raises(InvalidInput) as caught:
        services.goal_rating_record(goal=scored, by=client.user, rating=5, now=NOW)
    assert set(caught.value.fields) == {"rating"}
    rated = self_rating_goal(client, now=NOW)
    with pytest.raises(InvalidInput) as caught:
        services.goal_rating_record(goal=rated, by=client.user, rating=5, rated_on=TODAY + dt.timedelta(days=1),
                                    now=NOW)
    assert caught.value.fields == {"rated_on": "must not be in the future"}
    assert not GoalRating.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text": "   "}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"text": "bad\x00byte"}, "text"),
        ({"measure": "vibes"}, "measure"),
        ({"instrument": ""}, "instrument"),
        ({"instrument": "bdi"}, "instrument"),
        ({"target": 28}, "target"),
        ({"target": 0}, "target"),
        ({"instrument": "gad7", "target": 22}, "target"),
        ({"measure": "self_rating", "instrument": "", "target": 11}, "target"),
        ({"measure": "self_rating", "instrument": "phq9", "target": 8}, "instrument"),
        ({"target": "ten"}, "target"),
        ({"target_date": dt.date(2027, 1, 3)}, "target_date"),
        ({"target_date": dt.date(2033, 1, 1)}, "target_date"),
        ({"target_date": "soon"}, "target_date"),
    ],
)
def test_a_goal_that_cannot_be_measured_is_refused_naming_the_field_and_nothing_is_written(changes, field):
    client = ClientFactory()
    definition = {"text": "Feel calmer at work", "measure": "questionnaire", "instrument": "phq9", "target": 10,
                  "target_date": dt.date(2027, 3, 1), **changes}
    with pytest.raises(InvalidInput) as caught:
        services.goal_create(client=client, by=client.user, now=NOW, **definition)
    assert set(caught.value.fields) == {field}
    assert not Goal.objects.exists() and not GoalVersion.objects.exists()


def test_the_target_date_may_be_today_where_the_client_lives():
    client = ClientFactory(timezone="America/Denver")
    evening = dt.datetime(2027, 1, 5, 3, tzinfo=dt.UTC)  # 20:00 on the 4th in Denver, the 5th in UTC
    goal(client, measure="self_rating", target=6, target_date=dt.date(2027, 1, 4), now=evening)
    with pytest.raises(InvalidInput) as caught:
        goal(client, measure="self_rating", target=6, target_date=dt.date(2027, 1, 3), now=evening)
    assert caught.value.fields == {"target_date": "must be today or later"}


def test_their_provider_adds_and_revises_goals_with_them():
    client = ClientFactory()
    provider = provider_of(client)
    made = goal(client, by=provider.user, now=NOW)
    services.goal_revise(goal=made, by=provider.user, text="Say how I feel at least once a session",
                         measure="self_rating", target=7, target_date=dt.date(2027, 4, 1), now=NOW)
    versions = list(GoalVersion.objects.filter(goal=made).order_by("number"))
    assert [v.created_by for v in versions] == [provider.user, provider.user]
    services.goal_rating_record(goal=made, by=provider.user, rating=7, now=NOW)
    assert statuses(client) == [GoalStatus.ACHIEVED]


@pytest.mark.parametrize("who", ["another client", "provider without an appointment", "provider with a hold only",
                                 "coordinator"])
def test_only_the_client_and_their_provider_write_goals(who):
    client = ClientFactory()
    existing = goal(client, now=NOW)
    if who == "another client":
        by = ClientFactory().user
    elif who == "provider without an appointment":
        by = provider_of(ClientFactory()).user
    elif who == "provider with a hold only":
        by = provider_of(client, status=Status.HELD).user
    else:
        by = UserFactory(role=Role.COORDINATOR)
    with pytest.raises(Forbidden):
        goal(client, by=by, now=NOW)
    with pytest.raises(Forbidden):
        services.goal_revise(goal=existing, by=by, text="Changed", measure="self_rating", target=5,
                             target_date=dt.date(2027, 3, 1), now=NOW)
    assert Goal.objects.count() == 1 and GoalVersion.objects.count() == 1

"""Goals, the plan and check-ins on the JSON API: the same selectors and services as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from carematch.lib.ids import RecordId

from . import selectors, services
from .models import CheckIn, GoalVersion
from .schemas import ActivityIn, ActivityOut, CheckInIn, CheckInOut, GoalIn, GoalOut, RatingIn, RatingOut

router = Router(tags=["care"])


def _version_out(version: GoalVersion, status: str) -> dict[str, Any]:
    return {
        "version": version.number, "text": version.text, "measure": version.measure,
        "instrument": version.instrument, "target": version.target, "target_date": version.target_date,
        "status": status, "created_at": version.created_at,
    }


def _goal_out(view: selectors.GoalView) -> dict[str, Any]:
    return {
        "id": view.goal.pk, "client_id": view.goal.client_id, "status": view.status.value,
        "current": _version_out(view.current.version, view.current.status.value),
        "history": [_version_out(v.version, v.status.value) for v in view.earlier],
        "measurements": [{"on": m.on, "value": m.value} for m in view.measurements],
        "created_at": view.goal.created_at,
    }


def _check_in_out(check_in: CheckIn) -> dict[str, Any]:
    return {
        "id": check_in.pk, "activity_id": check_in.activity_id, "done_on": check_in.done_on,
        "mood": check_in.mood, "note": check_in.note, "recorded_at": check_in.recorded_at,
    }


def _activity_out(view: selectors.ActivityView) -> dict[str, Any]:
    activity = view.activity
    return {
        "id": activity.pk, "client_id": activity.client_id, "kind": activity.kind, "text": activity.text,
        "label": activity.label, "times": activity.times, "period": activity.period,
        "frequency": activity.frequency, "active": activity.is_active, "created_at": activity.created_at,
        "ended_at": activity.ended_at, "check_ins": [_check_in_out(c) for c in view.check_ins],
    }


# --- Goals -------------------------------------------------------------------------------------


@router.get("/clients/{client_id}/goals", response=list[GoalOut])
def list_goals(request: HttpRequest, client_id: RecordId) -> Any:
    """The client's goals, oldest first, each with its status, history and measurements. The
    client, their provider and coordinators; anyone else gets 404."""
    client = selectors.visible_client(user=request.user, client_id=client_id)
    return [_goal_out(view) for view in selectors.goals_for(client=client)]


@router.post("/clients/{client_id}/goals", response={201: GoalOut})
def create_goal(request: HttpRequest, client_id: RecordId, payload: GoalIn) -> Any:
    """Agree a goal (the client or their provider)."""
    client = selectors.visible_client(user=request.user, client_id=client_id)
    goal = services.goal_create(client=client, by=request.user, **payload.model_dump())
    return Status(201, _goal_out(selectors.goal_view(goal=goal)))


@router.post("/goals/{goal_id}/revise", response=GoalOut)
def revise_goal(request: HttpRequest, goal_id: RecordId, payload: GoalIn) -> Any:
    """Revise a goal with its whole new definition. The current version is kept as history."""
    goal = selectors.visible_goal(user=request.user, goal_id=goal_id)
    services.goal_revise(goal=goal, by=request.user, **payload.model_dump())
    return _goal_out(selectors.goal_view(goal=goal))


@router.post("/goals/{goal_id}/ratings", response={201: RatingOut})
def rate_goal(request: HttpRequest, goal_id: RecordId, payload: RatingIn) -> Any:
    """Record a 0-10 self-rating of a goal measured that way (the client or their provider)."""
    goal = selectors.visible_goal(user=request.user, goal_id=goal_id)
    rating = services.goal_rating_record(goal=goal, by=request.user, rating=payload.rating,
                                         rated_on=payload.rated_on)
    return Status(201, rating)


# --- The plan ----------------------------------------------------------------------------------


@router.get("/clients/{client_id}/plan/activities", response=list[ActivityOut])
def list_activities(request: HttpRequest, client_id: RecordId) -> Any:
    """The client's coping activities with their check-ins, current ones first."""
    client = selectors.visible_client(user=request.user, client_id=client_id)
    return [_activity_out(view) for view in selectors.activities_for(client=client)]


@router.post("/clients/{client_id}/plan/activities", response={201: ActivityOut})
def add_activity(request: HttpRequest, client_id: RecordId, payload: ActivityIn) -> Any:
    """Add a coping activity to the plan (the client or their provider)."""
    client = selectors.visible_client(user=request.user, client_id=client_id)
    activity = services.activity_add(client=client, by=request.user, **payload.model_dump())
    return Status(201, _activity_out(selectors.activity_view(activity=activity)))


@router.post("/plan/activities/{activity_id}/end", response=ActivityOut)
def end_activity(request: HttpRequest, activity_id: RecordId) -> Any:
    """Take an activity out of the plan; it and its check-ins stay as history."""
    activity = selectors.visible_activity(user=request.user, activity_id=activity_id)
    services.activity_end(activity=activity, by=request.user)
    return _activity_out(selectors.activity_view(activity=activity))


@router.post("/plan/activities/{activity_id}/check-ins", response={201: CheckInOut})
def record_check_in(request: HttpRequest, activity_id: RecordId, payload: CheckInIn) -> Any:
    """Record that the client did the activity: the day, their mood (0-10) and a note. The client only."""
    activity = selectors.visible_activity(user=request.user, activity_id=activity_id)
    check_in = services.check_in_record(activity=activity, by=request.user, **payload.model_dump())
    return Status(201, _check_in_out(check_in))

"""Goals, the plan, check-ins and provider notes on the JSON API: the same selectors and
services as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from carematch.access import audit, policy
from carematch.access.models import Action
from carematch.accounts.http import AuthedHttpRequest
from carematch.lib.ids import RecordId
from carematch.openapi import errors

from . import selectors, services
from .access_log import audited, check_in_lookup, note_lookup
from .models import CheckIn, Goal, GoalVersion, ProviderNoteVersion
from .schemas import (
    ActivityIn,
    ActivityOut,
    CheckInIn,
    CheckInOut,
    GoalIn,
    GoalOut,
    NoteIn,
    NoteOut,
    NoteReviseIn,
    RatingIn,
    RatingOut,
    RemovedOut,
)

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


def _client(request: HttpRequest, client_id: int, resource_type: str) -> Any:
    """The client whose goals or plan these are, the reading recorded (carematch.access.audit)."""
    return audit.clinical_client_or_404(request, client_id, resource_type=resource_type, rule=policy.care_visible)


def _client_change(request: HttpRequest, client_id: int, resource_type: str) -> Any:
    """A change to the client's goals or plan, recorded once it has run, with its result."""
    return audit.client_write(
        request, client_id, resource_type=resource_type, action=Action.CREATE, rule=policy.care_visible,
        may=policy.may_plan_care,
        forbidden="Only the client and their provider can change the client's goals and plan.",
    )


def _goal(request: AuthedHttpRequest, goal_id: int, action: str, write: Any, resource_type: str = "goal") -> Any:
    return audited(request, lambda: selectors.visible_goal(user=request.user, goal_id=goal_id), action=action,
                   resource_type=resource_type, resource_id=goal_id,
                   owner=lambda: selectors.goal_owner_id(goal_id=goal_id),
                   client=lambda found: found.client_id, write=write)


def _activity(request: AuthedHttpRequest, activity_id: int, action: str, write: Any,
              resource_type: str = "activity") -> Any:
    return audited(request, lambda: selectors.visible_activity(user=request.user, activity_id=activity_id),
                   action=action, resource_type=resource_type, resource_id=activity_id,
                   owner=lambda: selectors.activity_owner_id(activity_id=activity_id),
                   client=lambda found: found.client_id, write=write)


# --- Goals -------------------------------------------------------------------------------------


@router.get("/clients/{client_id}/goals", response={200: list[GoalOut], **errors(404)})
def list_goals(request: AuthedHttpRequest, client_id: RecordId) -> Any:
    """The client's goals, oldest first, each with its status, history and measurements. The
    client, their provider and coordinators; anyone else gets 404."""
    client = _client(request, client_id, "goals")
    return [_goal_out(view) for view in selectors.goals_for(client=client)]


@router.post("/clients/{client_id}/goals", response={201: GoalOut, **errors(403, 404)})
def create_goal(request: AuthedHttpRequest, client_id: RecordId, payload: GoalIn) -> Any:
    """Agree a goal (the client or their provider)."""
    with _client_change(request, client_id, "goals") as change:
        goal = services.goal_create(client=change.client, by=request.user, **payload.model_dump())
    return Status(201, _goal_out(selectors.goal_view(goal=goal)))


@router.post("/goals/{goal_id}/revise", response={200: GoalOut, **errors(403, 404, 409)})
def revise_goal(request: AuthedHttpRequest, goal_id: RecordId, payload: GoalIn) -> Any:
    """Revise a goal with its whole new definition. The current version is kept as history."""

    def revise(found: Goal) -> Goal:
        services.goal_revise(goal=found, by=request.user, **payload.model_dump())
        return found

    goal = _goal(request, goal_id, Action.UPDATE, write=revise)
    return _goal_out(selectors.goal_view(goal=goal))


@router.post("/goals/{goal_id}/ratings", response={201: RatingOut, **errors(403, 404)})
def rate_goal(request: AuthedHttpRequest, goal_id: RecordId, payload: RatingIn) -> Any:
    """Record a 0-10 self-rating of a goal measured that way (the client or their provider)."""
    rating = _goal(request, goal_id, Action.CREATE, resource_type="goal_ratings",
                   write=lambda found: services.goal_rating_record(goal=found, by=request.user, rating=payload.rating,
                                                                   rated_on=payload.rated_on))
    return Status(201, rating)


# --- The plan ----------------------------------------------------------------------------------


@router.get("/clients/{client_id}/plan/activities", response={200: list[ActivityOut], **errors(404)})
def list_activities(request: AuthedHttpRequest, client_id: RecordId) -> Any:
    """The client's coping activities with their check-ins, current ones first."""
    client = _client(request, client_id, "plan")
    return [_activity_out(view) for view in selectors.activities_for(client=client)]


@router.post("/clients/{client_id}/plan/activities", response={201: ActivityOut, **errors(403, 404)})
def add_activity(request: AuthedHttpRequest, client_id: RecordId, payload: ActivityIn) -> Any:
    """Add a coping activity to the plan (the client or their provider)."""
    with _client_change(request, client_id, "plan") as change:
        activity = services.activity_add(client=change.client, by=request.user, **payload.model_dump())
    return Status(201, _activity_out(selectors.activity_view(activity=activity)))


@router.post("/plan/activities/{activity_id}/end", response={200: ActivityOut, **errors(403, 404, 409)})
def end_activity(request: AuthedHttpRequest, activity_id: RecordId) -> Any:
    """Take an activity out of the plan; it and its check-ins stay as history."""
    activity = _activity(request, activity_id, Action.UPDATE,
                         write=lambda found: services.activity_end(activity=found, by=request.user))
    return _activity_out(selectors.activity_view(activity=activity))


@router.post("/plan/activities/{activity_id}/check-ins", response={201: CheckInOut, **errors(403, 404, 409)})
def record_check_in(request: AuthedHttpRequest, activity_id: RecordId, payload: CheckInIn) -> Any:
    """Record that the client did the activity: the day, their mood (0-10) and a note. The client only."""
    check_in = _activity(request, activity_id, Action.CREATE, resource_type="check_ins", write=lambda found: (
        services.check_in_record(activity=found, by=request.user, **payload.model_dump())))
    return Status(201, _check_in_out(check_in))


@router.post("/check-ins/{check_in_id}/remove", response={200: RemovedOut, **errors(403, 404, 409)})
def remove_check_in(request: AuthedHttpRequest, check_in_id: RecordId) -> Any:
    """Remove a check-in (the client only). It is hidden from then on and kept until the
    retention period ends."""
    check_in = check_in_lookup(request, check_in_id, Action.DELETE,
                               write=lambda found: services.check_in_remove(check_in=found, by=request.user))
    return {"id": check_in.pk, "removed_at": check_in.deleted_at}


# --- Provider notes ------------------------------------------------------------------------------
# Seen by the provider who wrote them and by admins only (carematch.access.policy); every
# view, creation, revision and removal is recorded in the access log.


def _note_version_out(version: ProviderNoteVersion) -> dict[str, Any]:
    return {"version": version.number, "body": version.body, "author_id": version.author_id,
            "created_at": version.created_at}


def _note_out(view: selectors.NoteView) -> dict[str, Any]:
    note = view.note
    return {
        "id": note.pk, "client_id": note.client_id, "provider_id": note.provider_id,
        "appointment_id": note.appointment_id, "current": _note_version_out(view.current),
        "history": [_note_version_out(v) for v in view.earlier], "created_at": note.created_at,
    }


@router.get("/clients/{client_id}/notes", response={200: list[NoteOut], **errors(404)})
def list_notes(request: AuthedHttpRequest, client_id: RecordId) -> Any:
    """Notes about the client, newest first: a provider sees the notes they wrote (for a client
    they have or had a session with), an admin every note; anyone else gets 404."""
    client = audit.clinical_client_or_404(request, client_id, resource_type="provider_notes",
                                          rule=policy.notes_visible)
    views = selectors.notes_for(user=request.user, client=client)
    audit.record_many(request, action=Action.VIEW, resource_type="provider_note",
                      items=[(view.note.pk, client) for view in views])
    return [_note_out(view) for view in views]


@router.post("/clients/{client_id}/notes", response={201: NoteOut, **errors(403, 404)})
def create_note(request: AuthedHttpRequest, client_id: RecordId, payload: NoteIn) -> Any:
    """Write a note about a client you have or had a session with (providers only)."""
    with audit.client_write(
        request, client_id, resource_type="provider_notes", action=Action.CREATE, rule=policy.notes_visible,
        may=policy.may_write_notes, forbidden="Only a provider who has seen this client can write notes about them.",
    ) as change:
        note = services.provider_note_create(client=change.client, by=request.user, body=payload.body,
                                             appointment_id=payload.appointment_id)
        # Once written, the event names the note itself.
        change.resource_type, change.resource_id = "provider_note", note.pk
    return Status(201, _note_out(selectors.note_view(note=note)))


@router.post("/notes/{note_id}/revise", response={200: NoteOut, **errors(403, 404, 409)})
def revise_note(request: AuthedHttpRequest, note_id: RecordId, payload: NoteReviseIn) -> Any:
    """Revise a note with its whole new text (its author only). Earlier versions are kept."""
    note = note_lookup(request, note_id, Action.UPDATE,
                       write=lambda found: services.provider_note_revise(note=found, by=request.user,
                                                                         body=payload.body).note)
    return _note_out(selectors.note_view(note=note))


@router.post("/notes/{note_id}/remove", response={200: RemovedOut, **errors(403, 404, 409)})
def remove_note(request: AuthedHttpRequest, note_id: RecordId) -> Any:
    """Remove a note (its author only). It is hidden from then on and kept, with every version,
    until the retention period ends."""
    note = note_lookup(request, note_id, Action.DELETE,
                       write=lambda found: services.provider_note_remove(note=found, by=request.user))
    return {"id": note.pk, "removed_at": note.deleted_at}

"""Questionnaires, scores, alerts and session ratings on the JSON API. Rules live in services;
who may see what in carematch/access/policy.py (records a caller may not see are 404)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from carematch.access import audit, policy
from carematch.access.models import Action
from carematch.accounts.http import AuthedHttpRequest
from carematch.accounts.models import Client
from carematch.lib.crisis import crisis_resources
from carematch.lib.errors import Forbidden, NotFound
from carematch.lib.ids import RecordId
from carematch.openapi import errors

from . import selectors, services
from .models import Alert, AlertKind, Assessment, QuestionnaireRequest
from .schemas import (
    AcknowledgeIn,
    AlertFilter,
    AlertOut,
    AlertsOut,
    AssessmentFilter,
    AssessmentHistoryOut,
    AssessmentIn,
    AssessmentOut,
    QuestionnaireRequestIn,
    QuestionnaireRequestOut,
    SessionRatingIn,
    SessionRatingOut,
)

router = Router(tags=["measures"])

SAFETY_MESSAGE = (
    "You said you have had thoughts that you would be better off dead or of hurting yourself. You deserve "
    "support right now: call or text 988, text HOME to 741741, or call 911 if you are in immediate danger. "
    "Your provider and a carematch coordinator have been told."
)


def _client(request: HttpRequest, client_id: int, resource_type: str) -> Client:
    """The client whose record this is, the reading recorded (carematch.access.audit)."""
    client: Client = audit.clinical_client_or_404(request, client_id, resource_type=resource_type,
                                                  rule=policy.clinical_record_visible)
    return client


def _client_change(request: HttpRequest, client_id: int, resource_type: str, *, may: Any, forbidden: str) -> Any:
    """A change to the client's record, recorded once it has run, with its result."""
    return audit.client_write(request, client_id, resource_type=resource_type, action=Action.CREATE,
                              rule=policy.clinical_record_visible, may=may, forbidden=forbidden)


def _assessment_out(assessment: Assessment, alerts: list[Alert]) -> dict[str, Any]:
    return {
        "id": assessment.pk, "instrument": assessment.instrument, "total": assessment.total,
        "severity": assessment.severity, "completed_at": assessment.completed_at,
        "alerts": [
            {"code": alert.kind, "alert_id": alert.pk, "message": SAFETY_MESSAGE,
             "crisis_resources": crisis_resources()}
            for alert in alerts
            if alert.assessment_id == assessment.pk and alert.kind == AlertKind.SUICIDAL_IDEATION
        ],
    }


def _alert_out(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk, "code": alert.kind, "status": "open" if alert.is_open else "acknowledged",
        "client_id": alert.client_id, "provider_id": alert.provider_id, "assessment_id": alert.assessment_id,
        "session_rating_id": alert.session_rating_id, "created_at": alert.created_at,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by.email if alert.acknowledged_by else None, "note": alert.note,
    }


def _request_out(request: QuestionnaireRequest) -> dict[str, Any]:
    return {
        "id": request.pk, "client_id": request.client_id, "instruments": request.instruments,
        "reason": request.reason, "created_at": request.created_at, "expires_at": request.expires_at,
    }


# --- Assessments ---------------------------------------------------------------------------------


@router.post("/clients/{client_id}/assessments", response={201: AssessmentOut, **errors(403, 404)})
def record_assessment(request: AuthedHttpRequest, client_id: RecordId, payload: AssessmentIn) -> Any:
    """Record a completed PHQ-9 or GAD-7 for the client: the client themselves, or staff.

    PHQ-9 item 9 answered above 0 always returns the `suicidal_ideation` alert with crisis
    resources, and opens an alert for the client's provider and the coordinators."""
    with _client_change(request, client_id, "assessments", may=policy.may_record_assessment,
                        forbidden="Only the client or a coordinator can record this client's answers.") as change:
        recorded = services.assessments_record(
            client=change.client,
            responses=[services.Response(payload.instrument, payload.answers, payload.difficulty)],
            by=request.user,
        )
    return Status(201, _assessment_out(recorded.assessments[0], recorded.alerts))


@router.get("/clients/{client_id}/assessments", response={200: AssessmentHistoryOut, **errors(404)})
def list_assessments(request: AuthedHttpRequest, client_id: RecordId, filters: Query[AssessmentFilter]) -> Any:
    """The client's scores in time order (of one instrument, if given), each with its change
    against their first score on that instrument."""
    client = _client(request, client_id, "assessments")
    history = selectors.assessments_for(client=client, instrument=filters.instrument)
    return {
        "client_id": client.pk,
        "assessments": [
            {"id": item.id, "instrument": item.instrument, "total": item.total, "severity": item.severity,
             "completed_at": item.completed_at, "baseline": item.is_baseline, "change": item.change,
             "flags": list(item.flags)}
            for item in history
        ],
    }


@router.post("/clients/{client_id}/questionnaire-requests",
             response={201: QuestionnaireRequestOut, **errors(403, 404)})
def send_questionnaire(request: AuthedHttpRequest, client_id: RecordId, payload: QuestionnaireRequestIn) -> Any:
    """Email the client a private link to questionnaires now: their provider, or staff."""
    provider = getattr(request.user, "provider", None) if policy.has_role(request.user, "provider") else None
    refusal = "Only the client's provider or a coordinator can send them a questionnaire."
    with _client_change(request, client_id, "questionnaire_requests", may=policy.may_send_questionnaire,
                        forbidden=refusal) as change:
        sent = services.questionnaire_send_now(
            client=change.client, instruments=payload.instruments, provider=provider,
            by=request.user,
        )
    return Status(201, _request_out(sent))


# --- Alerts ---------------------------------------------------------------------------------------


@router.get("/alerts", response={200: AlertsOut, **errors(403)})
def list_alerts(request: AuthedHttpRequest, filters: Query[AlertFilter]) -> Any:
    """Open (or acknowledged, or all) alerts: a provider's clients' safety alerts; every alert
    for coordinators."""
    if not audit.checked(request, policy.sees_alerts(request.user), action=Action.VIEW, resource_type="alerts",
                         resource_id=None, client=None):
        raise Forbidden("Alerts are for providers and coordinators.")
    alerts = list(selectors.alerts_visible_to(user=request.user, status=filters.status))
    # One event per alert shown: each is part of its client's record.
    audit.record_many(request, action=Action.VIEW, resource_type="alert",
                      items=[(alert.pk, alert.client_id) for alert in alerts])
    return {"alerts": [_alert_out(alert) for alert in alerts]}


@router.post("/alerts/{alert_id}/acknowledge", response={200: AlertOut, **errors(403, 404, 409)})
def acknowledge_alert(request: AuthedHttpRequest, alert_id: RecordId, payload: AcknowledgeIn) -> Any:
    """Close an alert with a note saying what was done (required)."""
    alert = selectors.alert_by_id(alert_id=alert_id)
    sees = policy.sees_alerts(request.user)
    if alert is None or not sees or not policy.alert_visible(request.user, alert):
        audit.denied(request, action=Action.UPDATE, resource_type="alert", resource_id=alert_id,
                     client=alert.client_id if alert else None)
        if not sees:
            raise Forbidden("Alerts are for providers and coordinators.", recorded=True)
        raise NotFound("No alert with that id.", fields={"alert_id": "not found"}, recorded=True)
    with audit.write(request, action=Action.UPDATE, resource_type="alert", resource_id=alert_id,
                     client=alert.client_id):
        alert = services.alert_acknowledge(alert=alert, by=request.user, note=payload.note)
    return _alert_out(selectors.alert_as_answered(alert_id=alert.pk))


# --- After a session ------------------------------------------------------------------------------


@router.post("/appointments/{appointment_id}/session-rating",
             response={201: SessionRatingOut, **errors(403, 404, 409)})
def rate_session(request: AuthedHttpRequest, appointment_id: RecordId, payload: SessionRatingIn) -> Any:
    """The client answers "How well did this session work for you?" (0-10) once it has ended."""
    appointment = selectors.session_with_client(appointment_id=appointment_id)
    client = appointment.client if appointment is not None else None
    visible = appointment is not None and client is not None and policy.appointment_visible(request.user, appointment)
    own = (visible and client is not None and policy.has_role(request.user, "client")
           and client.user_id == request.user.pk)
    if not own:
        audit.denied(request, action=Action.CREATE, resource_type="session_rating", resource_id=appointment_id,
                     client=client)
    if appointment is None or client is None or not visible:
        raise NotFound("No appointment with that id.", fields={"appointment_id": "not found"}, recorded=True)
    if not own:
        raise Forbidden("Only the client can rate their session.", recorded=True)
    with audit.write(request, action=Action.CREATE, resource_type="session_rating", resource_id=appointment_id,
                     client=client):
        rating = services.session_rate(appointment=appointment, client=client, score=payload.score)
    return Status(201, {"appointment_id": appointment.pk, "score": rating.score, "rated_at": rating.rated_at})

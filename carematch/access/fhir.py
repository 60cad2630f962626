"""Access events as FHIR R4B AuditEvent resources, in a Bundle.

- type: a request to the JSON API is `rest` (http://terminology.hl7.org/CodeSystem/audit-event-type);
  an export is DICOM 110106 "Export"; a page or a command that reads or changes a client's
  record is DICOM 110110 "Patient Record".
- action: view R, create C, update U, delete D, export E.
- outcome: 0 (success) when the access was allowed (and, for a change, it succeeded); 4 (minor
  failure) when it was refused, or when an allowed change was rejected by validation and
  nothing was written. outcomeDesc says which.
- agent: who, as an identifier (carematch's user id) with their email as display and their
  role; the address it came from as network address. Commands and tasks are carematch itself.
- entity: what (the resource type and id, as an identifier) and, when there is one, the
  client as the Patient (role 1), referenced as in carematch's client exports.

Like the log itself, nothing here holds a record's content.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from .models import SYSTEM, AccessEvent, Action, Channel, Outcome, Result

CANONICAL = "https://carematch.dev/fhir"
USER_SYSTEM = f"{CANONICAL}/sid/user"
CLIENT_SYSTEM = f"{CANONICAL}/sid/client"  # as in carematch.measures.fhir
RESOURCE_SYSTEM = f"{CANONICAL}/sid/resource"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
_NAMESPACE = uuid.UUID("0c6f3f4e-7a55-4f0b-8d7e-3f1a2b9c6d21")

FHIR_ACTIONS = {Action.VIEW: "R", Action.CREATE: "C", Action.UPDATE: "U", Action.DELETE: "D", Action.EXPORT: "E"}
FHIR_OUTCOMES = {Outcome.ALLOWED: "0", Outcome.DENIED: "4"}
MINOR_FAILURE = "4"


def _type(event: AccessEvent) -> dict[str, str]:
    if event.action == Action.EXPORT:
        return {"system": DICOM, "code": "110106", "display": "Export"}
    if event.channel == Channel.API:
        return {"system": EVENT_TYPE, "code": "rest", "display": "RESTful Operation"}
    return {"system": DICOM, "code": "110110", "display": "Patient Record"}


def _agent(event: AccessEvent) -> dict[str, Any]:
    if event.actor_id is None:
        who: dict[str, Any] = {"display": "carematch" if event.actor_role == SYSTEM else "someone without an account"}
    else:
        who = {"identifier": {"system": USER_SYSTEM, "value": str(event.actor_id)}, "display": event.actor_email}
    agent: dict[str, Any] = {
        "who": who, "requestor": event.actor_role != SYSTEM, "role": [{"text": event.actor_role}],
    }
    if event.address:
        agent["network"] = {"address": event.address, "type": "2"}  # 2: an IP address
    return agent


def _entities(event: AccessEvent) -> list[dict[str, Any]]:
    what: dict[str, Any] = {"display": event.resource_type}
    if event.resource_id:
        what["identifier"] = {"system": f"{RESOURCE_SYSTEM}/{event.resource_type}", "value": event.resource_id}
    entities: list[dict[str, Any]] = [{
        "what": what, "name": event.resource_type,
        "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
    }]
    if event.client_id is not None:
        entities.append({
            "what": {"reference": f"Patient/client-{event.client_id}", "type": "Patient",
                     "identifier": {"system": CLIENT_SYSTEM, "value": str(event.client_id)}},
            "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
            "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
        })
    return entities


def audit_event_resource(event: AccessEvent) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": f"access-{event.pk}",
        "type": _type(event),
        "action": FHIR_ACTIONS[Action(event.action)],
        "recorded": event.occurred_at.isoformat(),
        "outcome": MINOR_FAILURE if event.result == Result.REJECTED else FHIR_OUTCOMES[Outcome(event.outcome)],
        "agent": [_agent(event)],
        "source": {
            "site": settings.SITE_URL,
            "observer": {"display": "carematch"},
            "type": [{"system": SOURCE_TYPE, "code": "4", "display": "Application Server"}],
        },
        "entity": _entities(event),
    }
    if event.outcome == Outcome.DENIED:
        resource["outcomeDesc"] = "Refused: the caller may not see or change this record."
    elif event.result == Result.REJECTED:
        resource["outcomeDesc"] = "Rejected: the change was refused by validation and nothing was written."
    return resource


def audit_bundle(events: Iterable[AccessEvent], *, total: int | None = None) -> dict[str, Any]:
    """A searchset Bundle of the events, checked against the R4B models."""
    entries = [
        {"fullUrl": f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'AuditEvent/{event.pk}')}",
         "resource": audit_event_resource(event), "search": {"mode": "match"}}
        for event in events
    ]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle", "type": "searchset", "timestamp": timezone.now().isoformat(),
        "total": len(entries) if total is None else total, "entry": entries,
    }
    Bundle.model_validate(bundle)
    return bundle

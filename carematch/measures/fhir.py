"""A client's record as a FHIR R4 Bundle (type collection), valid by the fhir.resources R4B
models.

- Patient: the client (carematch id, name, birth date).
- Questionnaire: each instrument the client has answered (PHQ-9, LOINC 44249-1; GAD-7,
  LOINC 69737-5), with its published items, LOINC item codes and LOINC answers with their
  ordinal values, and the copyright statement.
- QuestionnaireResponse: each completed questionnaire, every answer as its LOINC answer.
- Observation (category survey): each total (LOINC 44261-6 PHQ-9 total, 70274-6 GAD-7
  total) with its severity as interpretation text, and PHQ-9 item 9 (LOINC 44260-8) as
  its own Observation, each derived from its QuestionnaireResponse.
- Goal and CarePlan, from the care app: each goal's current version (its measure as the
  target) and the plan's activities with how often the client means to do them.

References are `urn:uuid:` fullUrls derived from carematch's record ids, so the same record
exports with the same references. The R4B models check the structure, not the codes: the
tests check the codes.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from carematch.accounts.models import Client

from . import selectors
from .instruments import COPYRIGHT, DIFFICULTY_OPTIONS, INSTRUMENTS, ITEM_OPTIONS, LOINC, SAFETY_ITEM, Instrument
from .models import Assessment
from .scoring import SEVERITY_LABELS

CANONICAL = "https://carematch.dev/fhir"
CLIENT_SYSTEM = f"{CANONICAL}/sid/client"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
UCUM = "http://unitsofmeasure.org"
_NAMESPACE = uuid.UUID("5b0b7f5e-54b3-4d7c-9a1e-6f2c3b9d8a10")


def _urn(kind: str, key: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}/{key}')}"


def _instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _coding(code: str, display: str, system: str = LOINC) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


def questionnaire_url(instrument: Instrument) -> str:
    return f"{CANONICAL}/Questionnaire/{instrument.code}"


def _answer_options(options: Any, *, ordinal: bool) -> list[dict[str, Any]]:
    found = []
    for option in options:
        entry: dict[str, Any] = {"valueCoding": _coding(option.loinc, option.label)}
        if ordinal:
            entry["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": option.value}]
        found.append(entry)
    return found


def questionnaire_resource(instrument: Instrument) -> dict[str, Any]:
    items = [
        {"linkId": item.loinc, "code": [_coding(item.loinc, item.text)], "text": item.text, "type": "choice",
         "required": True, "answerOption": _answer_options(ITEM_OPTIONS, ordinal=True)}
        for item in instrument.items
    ]
    items.append({
        "linkId": instrument.difficulty.loinc,
        "code": [_coding(instrument.difficulty.loinc, instrument.difficulty.text)], "text": instrument.difficulty.text,
        "type": "choice", "required": False,
        "answerOption": _answer_options(DIFFICULTY_OPTIONS, ordinal=False),
    })
    return {
        "resourceType": "Questionnaire", "id": instrument.code, "url": questionnaire_url(instrument),
        "name": instrument.name.replace("-", ""), "title": instrument.title, "status": "active",
        "subjectType": ["Patient"], "code": [_coding(instrument.panel_loinc, instrument.title)],
        "copyright": f"{COPYRIGHT} {instrument.citation}",
        "item": [{"linkId": "stem", "text": instrument.stem, "type": "display"}, *items],
    }


def _patient(client: Client) -> dict[str, Any]:
    return {
        "resourceType": "Patient", "id": f"client-{client.pk}",
        "identifier": [{"system": CLIENT_SYSTEM, "value": str(client.pk)}],
        "name": [{"family": client.last_name, "given": [client.first_name]}],
        "birthDate": client.date_of_birth.isoformat(),
    }


def _response(assessment: Assessment, instrument: Instrument, patient: str) -> dict[str, Any]:
    items = [
        {"linkId": item.loinc, "text": item.text,
         "answer": [{"valueCoding": _coding(ITEM_OPTIONS[value].loinc, ITEM_OPTIONS[value].label)}]}
        for item, value in zip(instrument.items, assessment.answers, strict=True)
    ]
    if assessment.difficulty is not None:
        option = DIFFICULTY_OPTIONS[assessment.difficulty]
        items.append({"linkId": instrument.difficulty.loinc, "text": instrument.difficulty.text,
                      "answer": [{"valueCoding": _coding(option.loinc, option.label)}]})
    return {
        "resourceType": "QuestionnaireResponse", "id": f"assessment-{assessment.pk}",
        "questionnaire": questionnaire_url(instrument), "status": "completed", "subject": {"reference": patient},
        "authored": _instant(assessment.completed_at), "item": items,
    }


def _observation(key: str, *, code: dict[str, str], patient: str, response: str, when: dt.datetime,
                 value: dict[str, Any], interpretation: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation", "id": key, "status": "final",
        "category": [{"coding": [_coding("survey", "Survey", OBSERVATION_CATEGORY)]}],
        "code": {"coding": [code], "text": code["display"]}, "subject": {"reference": patient},
        "effectiveDateTime": _instant(when), "derivedFrom": [{"reference": response}], **value,
    }
    if interpretation:
        resource["interpretation"] = [{"text": interpretation}]
    return resource


def _assessment_resources(assessment: Assessment, patient: str) -> list[dict[str, Any]]:
    instrument = INSTRUMENTS[assessment.instrument]
    response = _response(assessment, instrument, patient)
    response_ref = _urn("QuestionnaireResponse", response["id"])
    resources = [response, _observation(
        f"assessment-{assessment.pk}-total", code=_coding(instrument.total_loinc, f"{instrument.name} total score"),
        patient=patient, response=response_ref, when=assessment.completed_at,
        value={"valueInteger": assessment.total}, interpretation=SEVERITY_LABELS[assessment.severity],
    )]
    if assessment.item9 is not None:
        item = instrument.items[SAFETY_ITEM - 1]
        option = ITEM_OPTIONS[assessment.item9]
        resources.append(_observation(
            f"assessment-{assessment.pk}-item9", code=_coding(item.loinc, item.text), patient=patient,
            response=response_ref, when=assessment.completed_at,
            value={"valueCodeableConcept": {"coding": [_coding(option.loinc, option.label)], "text": option.label}},
        ))
    return resources


def client_resources(client: Client) -> list[dict[str, Any]]:
    """The client's questionnaires as FHIR resources (Patient first)."""
    patient = _patient(client)
    patient_ref = _urn("Patient", patient["id"])
    assessments = [item.assessment for item in selectors.assessments_for(client=client)]
    answered = [code for code in INSTRUMENTS if any(a.instrument == code for a in assessments)]
    resources = [patient, *(questionnaire_resource(INSTRUMENTS[code]) for code in answered)]
    for assessment in assessments:
        resources.extend(_assessment_resources(assessment, patient_ref))
    return resources


# --- Goals and the plan (the care app) ------------------------------------------------------------


_ACHIEVEMENT = {
    "in_progress": ("in-progress", "In Progress"),
    "achieved": ("achieved", "Achieved"),
    "not_achieved": ("not-achieved", "Not Achieved"),
}
_PERIOD_UNITS = {"day": "d", "week": "wk"}


def care_resources(client: Client, *, patient: str, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The client's goals (current versions) and their plan of activities: Goal and CarePlan."""
    from carematch.care.selectors import activities_for, goals_for

    goals = []
    for view in goals_for(client=client, now=now):
        version = view.current.version
        status = str(view.status)
        target: dict[str, Any] = {"dueDate": version.target_date.isoformat()}
        if version.measure == "questionnaire":
            instrument = INSTRUMENTS[version.instrument]
            target["measure"] = {"coding": [_coding(instrument.total_loinc, f"{instrument.name} total score")]}
            target["detailQuantity"] = {"value": version.target, "comparator": "<", "system": UCUM, "code": "{score}"}
        else:
            target["measure"] = {"text": "Self-rating of progress, 0 to 10"}
            target["detailQuantity"] = {"value": version.target, "comparator": ">=", "system": UCUM, "code": "{score}"}
        goal: dict[str, Any] = {
            "resourceType": "Goal", "id": f"goal-{view.goal.pk}",
            "lifecycleStatus": "completed" if status == "achieved" else "active",
            "description": {"text": version.text}, "subject": {"reference": patient},
            "startDate": view.goal.created_at.date().isoformat(), "target": [target],
        }
        if status in _ACHIEVEMENT:
            code, display = _ACHIEVEMENT[status]
            goal["achievementStatus"] = {"coding": [_coding(code, display, GOAL_ACHIEVEMENT)]}
        goals.append(goal)
    activities = []
    for planned in activities_for(client=client, now=now):
        activity = planned.activity
        activities.append({"detail": {
            "status": "in-progress" if activity.is_active else "stopped",
            "description": activity.label,
            "scheduledTiming": {"repeat": {"frequency": activity.times, "period": 1,
                                           "periodUnit": _PERIOD_UNITS[activity.period]}},
        }})
    if not goals and not activities:
        return goals
    plan: dict[str, Any] = {
        "resourceType": "CarePlan", "id": f"client-{client.pk}-plan", "status": "active", "intent": "plan",
        "title": "Goals and coping activities", "subject": {"reference": patient},
    }
    if goals:
        plan["goal"] = [{"reference": _urn("Goal", goal["id"])} for goal in goals]
    if activities:
        plan["activity"] = activities
    return [*goals, plan]


# --- The bundle -----------------------------------------------------------------------------------


def client_bundle_data(client: Client, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The client's record as a collection Bundle, in plain JSON data."""
    now = now or timezone.now()
    resources = client_resources(client)
    resources.extend(care_resources(client, patient=_urn("Patient", resources[0]["id"]), now=now))
    return {
        "resourceType": "Bundle", "type": "collection", "timestamp": _instant(now),
        "entry": [
            {"fullUrl": _urn(resource["resourceType"], resource["id"]), "resource": resource}
            for resource in resources
        ],
    }


def client_export_json(client: Client, *, now: dt.datetime | None = None) -> tuple[str, dict[str, int]]:
    """The record as JSON text, validated first, and how many resources of each type it holds."""
    data = client_bundle_data(client, now=now)
    Bundle.model_validate(data)
    counts: dict[str, int] = {}
    for entry in data["entry"]:
        kind = entry["resource"]["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
    return json.dumps(data, ensure_ascii=False, indent=1), counts

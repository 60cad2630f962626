"""Everything carematch holds about one client, for the client to download: as JSON (every
record, every field a person can read) and as a FHIR R4B Bundle (what FHIR has resources for).

Which records belong to a client is found by walking the models, not by listing them:
`client_models()` follows foreign keys from every model to Client (directly or through
appointments, goals, plans and so on), and models that name their client by a plain
`client_id` column (the access log). Each of those models must either be exported
(`SECTIONS`, `NESTED`) or be on `NOT_EXPORTED` with the reason; a test fails for any model
that is neither, so a new record about clients cannot silently stay out of the export.

What is never exported: passwords and their hashes, token digests and prefixes, link salts,
browser-session digests, one-time-password secrets and recovery codes, idempotency keys.
Rows that were removed (a `deleted_at` set) are not shown: the person removed them, and they
are kept only until the retention period lets them be erased.

What is left out unless the deployment says otherwise (`WITHHELD`): providers' private notes.
They are kept apart from the rest of the record and seen only by their author (and admins),
and in the United States psychotherapy notes are outside a client's right of access (45 CFR
164.524(a)(1)(i)). A deployment whose law gives clients their notes sets
CAREMATCH_EXPORT_PROVIDER_NOTES=1; the JSON then holds every note with its versions and the
FHIR Bundle a DocumentReference for each version. Either way the download says what it
leaves out (`format.left_out`).
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from carematch.accounts.models import Client, Role, User
from carematch.lib.timezones import in_zone
from carematch.newsletter import selectors as newsletter_selectors

FORMAT_VERSION = 1

# Top-level sections of the JSON export: model label -> key.
SECTIONS: dict[str, str] = {
    "scheduling.carerequest": "care_requests",
    "scheduling.crisisrequest": "crisis_requests",
    "matching.waitlistentry": "waitlist_entries",
    "scheduling.series": "session_series",
    "scheduling.appointment": "appointments",
    "measures.questionnairerequest": "questionnaire_requests",
    "measures.assessment": "assessments",
    "measures.alert": "alerts",
    "measures.sessionrating": "session_ratings",
    "measures.fortnightlyplan": "questionnaire_schedules",
    "care.goal": "goals",
    "care.activity": "plan_activities",
    "care.providernote": "provider_notes",
    "care.journalentry": "journal_entries",
    "messaging.conversation": "conversations",
    "coverage.clientcoverage": "insurance_coverage",
    "coverage.eligibilitycheck": "eligibility_checks",
    "coverage.clientdiagnosis": "diagnoses",
    "access.accessevent": "access_log",
}

# Records shown inside their parent's entry: model label -> (parent label, key in the parent).
NESTED: dict[str, tuple[str, str]] = {
    "care.goalversion": ("care.goal", "versions"),
    "care.goalrating": ("care.goal", "ratings"),
    "care.checkin": ("care.activity", "check_ins"),
    "care.providernoteversion": ("care.providernote", "versions"),
    "scheduling.crisisattempt": ("scheduling.crisisrequest", "attempts"),
    "messaging.message": ("messaging.conversation", "messages"),
}

# Records about a client that the export leaves out, each with its reason.
NOT_EXPORTED: dict[str, str] = {
    # A technical record that lets a repeated booking request return the first answer: the
    # caller's idempotency key and a digest of the request. The appointment it points to is
    # exported; the key is a credential-like value of the caller's software.
    "scheduling.idempotencyrecord": "replay protection for booking requests; holds a key and a digest only",
}

# Records the client's download leaves out unless a setting includes them: model label ->
# (the setting, what the download says about them). Their nested records go with them.
WITHHELD: dict[str, tuple[str, str]] = {
    "care.providernote": (
        "EXPORT_PROVIDER_NOTES",
        "Your providers' private notes are not in this download: they are kept apart from the rest of your "
        "record and are not part of what you have a right to download. To ask for a copy or a summary, ask "
        "your provider or the practice that runs this service.",
    ),
}


def withheld_labels() -> list[str]:
    """The WITHHELD records that this deployment leaves out of clients' downloads."""
    return [label for label, (setting, _) in WITHHELD.items() if not getattr(settings, setting, False)]


def provider_notes_included() -> bool:
    return "care.providernote" not in withheld_labels()


def left_out() -> list[dict[str, str]]:
    """What the download leaves out on purpose, each with what the person is told."""
    return [{"records": SECTIONS[label], "why": WITHHELD[label][1]} for label in withheld_labels()]


# Field names (or parts of names) that hold secrets or material derived from them.
_SECRET_PARTS = ("password", "secret", "token", "digest", "salt", "hash", "otp", "recovery", "fingerprint")
_SECRET_NAMES = frozenset({"prefix", "hold_session", "key", "session_generation"})


def is_secret_field(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_NAMES or any(part in lowered for part in _SECRET_PARTS)


# --- Which models hold records of a client -------------------------------------------------------


def client_models(candidates: Iterable[type[models.Model]] | None = None) -> dict[type[models.Model], str]:
    """Every model with rows that belong to one client, with the ORM lookup from the model to
    the client's primary key (e.g. `client_id`, `goal__client_id`, `appointment__client_id`).

    Found by walking foreign keys back to Client, shortest path first; models that keep the
    client as a plain `client_id` column (so that they outlive the client) are included too.
    """
    paths: dict[type[models.Model], str] = {}
    reached: dict[type[models.Model], str] = {Client: "pk"}
    everything = [m for m in (apps.get_models() if candidates is None else candidates) if not m._meta.proxy]
    for model in everything:
        field = _field(model, "client_id")
        if model is not Client and field is not None and not field.is_relation and isinstance(
            field, models.IntegerField
        ):
            paths[model] = "client_id"
    while True:
        found: dict[type[models.Model], str] = {}
        for model in everything:
            if model in reached or model in paths:
                continue
            for field in model._meta.concrete_fields:
                target = field.related_model if field.is_relation else None
                if isinstance(target, type) and target in reached and (field.many_to_one or field.one_to_one):
                    lookup = field.attname if target is Client else f"{field.name}__{reached[target]}"
                    if model not in found or lookup.count("__") < found[model].count("__"):
                        found[model] = lookup
        if not found:
            break
        reached.update(found)
        paths.update(found)
    return dict(sorted(paths.items(), key=lambda item: item[0]._meta.label_lower))


def unreviewed_models(candidates: Iterable[type[models.Model]] | None = None) -> list[str]:
    """Labels of models holding client records that are neither exported nor excluded with a
    reason: each is a gap in the export until it is decided."""
    reviewed = set(SECTIONS) | set(NESTED) | set(NOT_EXPORTED)
    return [model._meta.label_lower for model in client_models(candidates) if model._meta.label_lower not in reviewed]


def _field(model: type[models.Model], attname: str) -> Any:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field
    return None


def rows_of(model: type[models.Model], client: Client, lookup: str) -> models.QuerySet[Any]:
    """The client's rows of `model` (removed ones included)."""
    return model._default_manager.filter(**{lookup: client.pk})


def is_soft_deletable(model: type[models.Model]) -> bool:
    return any(field.name == "deleted_at" for field in model._meta.concrete_fields)


def _shown(queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return queryset.filter(deleted_at__isnull=True) if is_soft_deletable(queryset.model) else queryset


# --- Values ---------------------------------------------------------------------------------------


def _instant(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment is not None else None


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _instant(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return None
    if isinstance(value, list | tuple):
        return [_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _value(item) for key, item in value.items()}
    return value


class _People:
    """How a person who wrote or looked at the record is named: the client is "you", a
    provider by their name, staff by their role and preferred name. Staff email addresses and
    network addresses are not given out."""

    def __init__(self, client: Client):
        self.client = client
        self._cache: dict[int, dict[str, Any]] = {}

    def describe(self, user_id: int | None, *, role: str = "") -> dict[str, Any] | None:
        if user_id is None:
            return {"role": role or "system", "name": "carematch"} if role else None
        if user_id == self.client.user_id:
            return {"role": "client", "name": "you"}
        if user_id not in self._cache:
            user = User.objects.filter(pk=user_id).select_related("provider").first()
            if user is None:
                self._cache[user_id] = {"role": role or "unknown", "name": "an account that has since been removed"}
            else:
                provider = getattr(user, "provider", None) if user.role == Role.PROVIDER else None
                name = f"{provider.first_name} {provider.last_name}" if provider else user.preferred_name
                self._cache[user_id] = {"role": user.role, "name": name or str(Role(user.role).label)}
        return self._cache[user_id]


def _row(obj: models.Model, people: _People, *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """Every readable field of `obj`: secrets left out, the client themselves left out, people
    named, providers by name, choices with their label."""
    data: dict[str, Any] = {"id": _value(obj.pk)}
    skipped = set(skip)
    for field in obj._meta.concrete_fields:
        if field.primary_key or field.name in skipped or is_secret_field(field.name):
            continue
        if field.is_relation:
            target = field.related_model
            ident = getattr(obj, field.attname)
            if target is Client:
                continue
            if target is User:
                data[field.name] = people.describe(ident)
            elif isinstance(target, type) and target._meta.label_lower == "directory.provider":
                provider = getattr(obj, field.name)
                data[field.name] = (
                    {"id": provider.pk, "name": f"{provider.first_name} {provider.last_name}"}
                    if provider is not None else None
                )
            else:
                data[f"{field.name}_id"] = _value(ident)
            continue
        value = getattr(obj, field.attname)
        data[field.name] = _value(value)
        if field.choices and value not in (None, ""):
            data[f"{field.name}_label"] = str(dict(field.flatchoices).get(value, value))
    return data


# --- The JSON export ------------------------------------------------------------------------------


def _account(user: User, people: _People) -> dict[str, Any]:
    from carematch.scheduling.models import CalendarFeed

    tokens = [
        {"name": token.name, "created_at": _instant(token.created_at), "last_used_at": _instant(token.last_used_at),
         "revoked_at": _instant(token.revoked_at)}
        for token in user.api_tokens.order_by("created_at", "pk")
    ]
    feeds = [
        {"created_at": _instant(feed.created_at), "last_used_at": _instant(feed.last_used_at),
         "revoked_at": _instant(feed.revoked_at)}
        for feed in CalendarFeed.objects.filter(user=user).order_by("created_at", "pk")
    ]
    return {
        "email": user.email, "preferred_name": user.preferred_name, "role": user.role,
        "joined": _instant(user.date_joined), "active": user.is_active, "last_login": _instant(user.last_login),
        "two_step_verification": mfa_enabled(user),
        "api_tokens": tokens, "calendar_addresses": feeds,
    }


def mfa_enabled(user: User) -> bool:
    """Whether the person turned on two-step verification (never the secret itself)."""
    from carematch.accounts import services

    device_of = getattr(services, "mfa_device_of", None)
    return callable(device_of) and device_of(user) is not None


def _appointment_extra(row: dict[str, Any], obj: Any, client: Client) -> None:
    row["time_zone"] = client.timezone
    row["start_local"] = in_zone(obj.start, client.timezone).isoformat()
    row["end_local"] = in_zone(obj.end, client.timezone).isoformat()


def _child_extra(label: str, row: dict[str, Any], obj: Any) -> dict[str, Any]:
    """A retracted message shows when it was retracted, not its text: its sender took it back
    (it may have gone to the wrong person), though the row is kept with the record."""
    if label == "messaging.message" and getattr(obj, "retracted_at", None) is not None:
        row["body"] = None
    return row


def _access_entry(event: Any, people: _People) -> dict[str, Any]:
    return {
        "when": _instant(event.occurred_at),
        "who": people.describe(event.actor_id, role=event.actor_role),
        "action": event.action, "action_label": event.get_action_display(),
        "what": event.resource_type, "record_id": event.resource_id,
        "outcome": event.outcome, "result": event.result, "channel": event.channel,
    }


def client_export_json(client: Client, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything carematch holds about `client`, in plain JSON data."""
    now = now or timezone.now()
    client = Client.objects.select_related("user").get(pk=client.pk)
    people = _People(client)
    lookups = {model._meta.label_lower: (model, lookup) for model, lookup in client_models().items()}
    data: dict[str, Any] = {
        "format": {"name": "carematch client record", "version": FORMAT_VERSION, "generated_at": _instant(now),
                   "notes": [
                       "Times are in UTC; appointments also show them in your time zone.",
                       "Entries you removed are not included; they are erased when the retention period ends.",
                       "A retracted message shows when it was retracted, without its text.",
                       *(entry["why"] for entry in left_out()),
                   ],
                   "left_out": left_out()},
        "account": _account(client.user, people),
        "client": _row(client, people, skip=("user",)),
    }
    withheld = withheld_labels()
    for label, key in SECTIONS.items():
        if label not in lookups or label in withheld:
            continue  # that kind of record does not exist in this installation, or is left out
        model, lookup = lookups[label]
        entries = []
        queryset = _shown(rows_of(model, client, lookup))
        if label == "access.accessevent":
            data[key] = [_access_entry(event, people) for event in queryset.order_by("occurred_at", "pk")]
            continue
        for obj in queryset.order_by(*(model._meta.ordering or ["pk"])):
            row = _row(obj, people)
            if label == "scheduling.appointment":
                _appointment_extra(row, obj, client)
            for child_label, (parent_label, child_key) in NESTED.items():
                if parent_label != label or child_label not in lookups:
                    continue
                child_model = lookups[child_label][0]
                link = next(f for f in child_model._meta.concrete_fields if f.is_relation and f.related_model is model)
                children = _shown(child_model._default_manager.filter(**{link.name: obj}))
                row[child_key] = [
                    _child_extra(child_label, _row(child, people, skip=(link.name,)), child)
                    for child in children.order_by(*(child_model._meta.ordering or ["pk"]))
                ]
            entries.append(row)
        data[key] = entries
    # The newsletter is keyed by the email address, not the client record.
    data["newsletter_subscription"] = newsletter_selectors.subscription_export(email=client.user.email)
    return data


# --- The FHIR export ------------------------------------------------------------------------------

_APPOINTMENT_STATUS = {
    "booked": "booked", "completed": "fulfilled", "cancelled": "cancelled", "no_show": "noshow",
}
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"


def _appointment_resources(client: Client, patient_ref: str) -> list[dict[str, Any]]:
    """Appointments as FHIR Appointment resources. Holds (an opening kept for ten minutes
    while signing up) are not appointments and stay in the JSON export only."""
    from carematch.scheduling.models import Appointment, Format

    resources = []
    for appointment in (
        Appointment.objects.filter(client=client, status__in=list(_APPOINTMENT_STATUS))
        .select_related("provider").order_by("start", "pk")
    ):
        provider = appointment.provider
        resource: dict[str, Any] = {
            "resourceType": "Appointment", "id": f"appointment-{appointment.pk}",
            "status": _APPOINTMENT_STATUS[appointment.status],
            "description": "Therapy session, " + (
                "online (video)" if appointment.format == Format.TELEHEALTH else "in person"),
            "start": _fhir_instant(appointment.start), "end": _fhir_instant(appointment.end),
            "created": _fhir_instant(appointment.booked_at or appointment.created_at),
            "participant": [
                {"actor": {"reference": patient_ref}, "status": "accepted"},
                {"actor": {"identifier": {"system": NPI_SYSTEM, "value": provider.npi},
                           "display": f"{provider.first_name} {provider.last_name}"},
                 "status": "accepted"},
            ],
        }
        if appointment.status == "cancelled":
            who = appointment.cancelled_by_role or "someone"
            resource["cancelationReason"] = {"text": f"Cancelled by the {who}"}
        resources.append(resource)
    return resources


def _fhir_instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _note_resources(client: Client, patient_ref: str, urn: Any) -> list[dict[str, Any]]:
    """Provider notes (only where CAREMATCH_EXPORT_PROVIDER_NOTES includes them) as FHIR
    DocumentReference resources: one a version, the current one `current` and each earlier
    one `superseded`, every version after the first pointing at the one it replaces."""
    from carematch.care.models import ProviderNote

    people = _People(client)
    resources = []
    notes = ProviderNote.shown.filter(client=client).select_related("provider").order_by("created_at", "pk")
    for note in notes:
        versions = list(note.versions.order_by("number"))
        for version in versions:
            key = f"provider-note-{note.pk}-{version.number}"
            author = people.describe(version.author_id) or {"name": "an account that has since been removed"}
            written_by = f"{note.provider.first_name} {note.provider.last_name}"
            resource: dict[str, Any] = {
                "resourceType": "DocumentReference", "id": key,
                "status": "current" if version is versions[-1] else "superseded",
                "docStatus": "amended" if version.number > 1 else "final",
                "type": {"text": "Provider's note"},
                "subject": {"reference": patient_ref},
                "date": _fhir_instant(version.created_at),
                "author": [{"display": author["name"]}],
                "description": f"Note by {written_by}, version {version.number}",
                "content": [{"attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(version.body.encode("utf-8")).decode("ascii"),
                    "creation": _fhir_instant(version.created_at),
                }}],
            }
            if version.number > 1:
                earlier = f"provider-note-{note.pk}-{version.number - 1}"
                resource["relatesTo"] = [{"code": "replaces",
                                          "target": {"reference": urn("DocumentReference", earlier)}}]
            resources.append(resource)
    return resources


def client_export_fhir_data(client: Client, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The client's record as a FHIR collection Bundle in plain JSON data: the Patient, their
    questionnaires, answers and scores, goals and plan (carematch.measures.fhir), their
    appointments and, only where the deployment includes them, their providers' notes."""
    from carematch.measures.fhir import _urn, client_bundle_data

    data = client_bundle_data(client, now=now)
    patient_ref = data["entry"][0]["fullUrl"]
    resources = _appointment_resources(client, patient_ref)
    if provider_notes_included():
        resources += _note_resources(client, patient_ref, _urn)
    for resource in resources:
        data["entry"].append({"fullUrl": _urn(resource["resourceType"], resource["id"]), "resource": resource})
    return data


def client_export_fhir(client: Client, *, now: dt.datetime | None = None) -> Bundle:
    """The client's record as a Bundle validated by the fhir.resources R4B models."""
    return Bundle.model_validate(client_export_fhir_data(client, now=now))

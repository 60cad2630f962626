"""Reads of the measures app, shaped for pages, the API, the care app and matching."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from carematch.access import policy
from carematch.accounts.models import Client, User
from carematch.directory.models import Provider
from carematch.directory.selectors import provider_of
from carematch.scheduling.models import Appointment, Status

from . import cadence, links, outcomes, scoring
from .models import (
    PROVIDER_ALERT_KINDS,
    Alert,
    Assessment,
    Cadence,
    QuestionnaireRequest,
    QuestionnaireSchedule,
)

# Appointments that make a provider someone's provider (a hold or a cancelled booking does not).
CARE_STATUSES = (Status.BOOKED, Status.COMPLETED, Status.NO_SHOW)


# --- Scores and their change over time --------------------------------------------------------


@dataclass(frozen=True)
class AssessmentWithChange:
    """A completed questionnaire with its change against the client's first (baseline)
    score on the same instrument."""

    assessment: Assessment
    baseline_total: int
    change: int | None  # points above (positive) or below (negative) the baseline; None for the baseline
    flags: tuple[str, ...]  # scoring.change_flags against the baseline

    @property
    def id(self) -> int:
        return self.assessment.pk

    @property
    def instrument(self) -> str:
        return self.assessment.instrument

    @property
    def total(self) -> int:
        return self.assessment.total

    @property
    def severity(self) -> str:
        return self.assessment.severity

    @property
    def completed_at(self) -> dt.datetime:
        return self.assessment.completed_at

    @property
    def is_baseline(self) -> bool:
        return self.change is None


def _with_change(assessment: Assessment, baseline: Assessment) -> AssessmentWithChange:
    if assessment.pk == baseline.pk:
        return AssessmentWithChange(assessment, baseline.total, None, ())
    return AssessmentWithChange(
        assessment, baseline.total, assessment.total - baseline.total,
        scoring.change_flags(assessment.instrument, baseline.total, assessment.total),
    )


def assessments_for(*, client: Client, instrument: str | None = None) -> list[AssessmentWithChange]:
    """The client's completed questionnaires in time order (oldest first), each with its
    change flags against their first score on that instrument."""
    query = Assessment.objects.filter(client=client).order_by("completed_at", "id")
    if instrument is not None:
        query = query.filter(instrument=instrument)
    baselines: dict[str, Assessment] = {}
    result = []
    for assessment in query:
        baseline = baselines.setdefault(assessment.instrument, assessment)
        result.append(_with_change(assessment, baseline))
    return result


# --- Alerts -------------------------------------------------------------------------------------


def _alerts() -> QuerySet[Alert]:
    return Alert.objects.select_related(
        "client", "provider", "assessment", "session_rating__appointment", "acknowledged_by"
    ).order_by("created_at", "id")


def open_alert_count() -> int:
    """Every open alert in the network (what coordinators see on their home page)."""
    return Alert.objects.filter(acknowledged_at__isnull=True).count()


def open_alerts_for(*, provider: Provider | None = None, client: Client | None = None) -> list[Alert]:
    """Open alerts, oldest first. For a provider: the safety alerts of clients in their care
    (their caseload); without one: every open alert (what coordinators see). `client`
    narrows either to one client."""
    query = _alerts().filter(acknowledged_at__isnull=True)
    if provider is not None:
        query = query.filter(kind__in=PROVIDER_ALERT_KINDS, client__in=policy.care_clients_of(provider))
    if client is not None:
        query = query.filter(client=client)
    return list(query)


def alerts_visible_to(*, user: User, status: str = "open") -> QuerySet[Alert]:
    """The alerts `user` may see: staff every alert; providers their clients' safety alerts."""
    query = _alerts()
    if status == "open":
        query = query.filter(acknowledged_at__isnull=True)
    elif status == "acknowledged":
        query = query.filter(acknowledged_at__isnull=False).order_by("-acknowledged_at", "-id")
    if policy.is_staff_member(user):
        return query
    provider = provider_of(user=user) if policy.has_role(user, "provider") else None
    if provider is None:
        return query.none()
    return query.filter(kind__in=PROVIDER_ALERT_KINDS, client__in=policy.care_clients_of(provider))


def alert_by_id(*, alert_id: int) -> Alert | None:
    """The alert with this id, with its client, or None; who may see it is the access
    policy's to say (policy.alert_visible)."""
    return Alert.objects.select_related("client").filter(pk=alert_id).first()


def alert_as_answered(*, alert_id: int) -> Alert:
    """The alert with this id read again, with who acknowledged it (the API's answer)."""
    return Alert.objects.select_related("acknowledged_by").get(pk=alert_id)


# --- Questionnaire requests -------------------------------------------------------------------


def request_for_token(*, raw: str) -> QuestionnaireRequest | None:
    """The request a link's token opens (answered, withdrawn or expired ones included, so
    the page can say why it no longer works), or None."""
    if not links.looks_like_token(raw):
        return None
    from carematch.accounts.services import token_digest

    return (
        QuestionnaireRequest.objects.select_related("client", "provider")
        .filter(digest=token_digest(raw)).first()
    )


def request_of_client(*, client: Client, request_id: int) -> QuestionnaireRequest | None:
    """The client's own questionnaire request with this id (with its client and provider), or None."""
    return (
        QuestionnaireRequest.objects.select_related("client", "provider")
        .filter(pk=request_id, client=client).first()
    )


def request_owner_id(*, request_id: int) -> int | None:
    """The id of the client a questionnaire request is for (to name them in a refusal), or None."""
    return QuestionnaireRequest.objects.filter(pk=request_id).values_list("client_id", flat=True).first()


def assessments_by_ids(*, ids: Collection[int]) -> list[Assessment]:
    """The assessments with these ids, with their client, in the order they were recorded."""
    return list(Assessment.objects.select_related("client").filter(pk__in=list(ids)).order_by("id"))


def request_is_open(request: QuestionnaireRequest, *, now: dt.datetime | None = None) -> bool:
    return not request.is_closed and request.expires_at > (now or timezone.now())


def open_requests_for(*, client: Client, now: dt.datetime | None = None) -> list[QuestionnaireRequest]:
    now = now or timezone.now()
    return list(
        QuestionnaireRequest.objects.select_related("provider")
        .filter(client=client, completed_at__isnull=True, withdrawn_at__isnull=True, expires_at__gt=now)
        .order_by("created_at", "id")
    )


def cadence_of(provider: Provider) -> str:
    schedule = QuestionnaireSchedule.objects.filter(provider=provider).first()
    return schedule.cadence if schedule is not None else Cadence.EVERY_SESSION


def current_provider_of(*, client: Client, now: dt.datetime | None = None) -> Provider | None:
    """The provider of the client's latest session so far, or else of their next one."""
    now = now or timezone.now()
    sessions = Appointment.objects.select_related("provider").filter(client=client, status__in=CARE_STATUSES)
    latest = sessions.filter(start__lte=now).order_by("-start").first()
    if latest is None:
        latest = sessions.filter(start__gt=now).order_by("start").first()
    return latest.provider if latest is not None else None


def in_care(*, client_id: int, provider_id: int, now: dt.datetime) -> bool:
    sessions = Appointment.objects.filter(client_id=client_id, provider_id=provider_id)
    upcoming = sessions.filter(status=Status.BOOKED, start__gt=now).order_by("start").first()
    last = sessions.filter(status__in=CARE_STATUSES, start__lte=now).order_by("-start").first()
    return cadence.in_care(
        last_session=last.start if last else None, next_session=upcoming.start if upcoming else None, now=now
    )


def sessions_to_rate(*, client: Client, now: dt.datetime | None = None) -> list[Appointment]:
    """The client's sessions that have ended in the last two weeks and are not rated yet."""
    now = now or timezone.now()
    return list(
        Appointment.objects.select_related("provider")
        .filter(client=client, status__in=(Status.BOOKED, Status.COMPLETED), end__lte=now,
                end__gte=now - cadence.RATING_WINDOW, session_rating__isnull=True)
        .order_by("-start")
    )


def session_of_client(*, client: Client, appointment_id: int) -> Appointment | None:
    """The client's own appointment with this id (any status), with its provider, or None."""
    return Appointment.objects.select_related("provider").filter(pk=appointment_id, client=client).first()


def session_with_client(*, appointment_id: int) -> Appointment | None:
    """The appointment with this id (any status), with its client, or None; who may rate it
    is the access policy's to say."""
    return Appointment.objects.select_related("client").filter(pk=appointment_id).first()


def session_owner_id(*, appointment_id: int) -> int | None:
    """The id of the client of an appointment (to name them in a refusal), or None."""
    return Appointment.objects.filter(pk=appointment_id).values_list("client_id", flat=True).first()


def clients_of(provider: Provider) -> QuerySet[Client]:
    """The clients a provider may send a questionnaire to, by name."""
    return policy.care_clients_of(provider).order_by("last_name", "first_name", "id")


# --- Outcomes ------------------------------------------------------------------------------------


def outcome_courses(*, instrument: str) -> list[outcomes.Course]:
    """Every client's course with each provider on `instrument`: their first and latest
    score there (clients with at least two scores with that provider)."""
    rows = (
        Assessment.objects.filter(instrument=instrument, provider__isnull=False)
        .order_by("client_id", "provider_id", "completed_at", "id")
        .values_list("client_id", "provider_id", "total")
    )
    scores: dict[tuple[int, int], list[int]] = defaultdict(list)
    for client_id, provider_id, total in rows:
        scores[(client_id, provider_id)].append(total)
    return [
        outcomes.Course(provider_id=provider_id, baseline=totals[0], latest=totals[-1])
        for (_, provider_id), totals in scores.items()
        if len(totals) >= 2
    ]


def courses_by_concern() -> dict[str, list[outcomes.Course]]:
    return {concern: outcome_courses(instrument=code) for concern, code in outcomes.CONCERN_INSTRUMENTS.items()}


def provider_effects(*, min_clients: int = outcomes.MIN_CLIENTS) -> dict[int, dict[str, tuple[float, int, float]]]:
    """For matching: {provider_id: {"depression": (estimate, n, sd), "anxiety": ...}}.

    The estimate is in questionnaire points of improvement above (positive) or below
    (negative) what clients of the same baseline severity achieve across the network,
    shrunk towards the network mean (outcomes.py); sd is its posterior standard deviation
    and n the number of clients behind it. Only estimates that at least `min_clients`
    clients back are included: a provider without enough measured clients for a concern
    has no entry for it, and matching counts them at the network mean for it
    (carematch/matching/engine/scoring.py)."""
    return outcomes.effects_by_concern(courses_by_concern(), min_clients=min_clients)


@dataclass(frozen=True)
class OutcomeRow:
    provider: Provider
    concern: str
    effect: outcomes.Effect

    @property
    def enough(self) -> bool:
        return self.effect.n >= outcomes.MIN_CLIENTS


def outcome_table() -> tuple[list[OutcomeRow], dict[str, outcomes.NetworkFit | None]]:
    """Every provider's estimate per concern (with n and interval) for the staff page, by
    provider name, and the network fit of each concern."""
    fits: dict[str, outcomes.NetworkFit | None] = {}
    found: list[tuple[int, str, outcomes.Effect]] = []
    for concern, courses in courses_by_concern().items():
        effects, fits[concern] = outcomes.estimate_effects(courses)
        found.extend((pid, concern, effect) for pid, effect in effects.items())
    providers = Provider.objects.in_bulk({pid for pid, _, _ in found})
    rows = [OutcomeRow(providers[pid], concern, effect) for pid, concern, effect in found if pid in providers]
    order = list(outcomes.CONCERN_INSTRUMENTS)
    rows.sort(key=lambda r: (r.provider.last_name, r.provider.first_name, r.provider.pk, order.index(r.concern)))
    return rows, fits


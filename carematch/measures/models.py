"""Questionnaires asked and answered, safety alerts, session ratings, and each provider's
questionnaire schedule.

Answers and scores are health information: they are never logged, and pages and the API
show them only to the client, providers who have (or had) sessions with them, and staff
(carematch/access/policy.py). Free text about a client's care lives only in fields named
`note`, encrypted at rest (carematch/lib/crypto.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from carematch.accounts.models import Client
from carematch.directory.models import Provider
from carematch.lib.crypto import EncryptedTextField
from carematch.scheduling.models import Appointment

from . import cadence
from .instruments import GAD7, PHQ9, SAFETY_ITEM
from .scoring import SEVERITIES


class Instrument(models.TextChoices):
    PHQ9 = PHQ9.code, PHQ9.name
    GAD7 = GAD7.code, GAD7.name


class Cadence(models.TextChoices):
    EVERY_SESSION = cadence.EVERY_SESSION, "Before every session"
    EVERY_TWO_WEEKS = cadence.EVERY_TWO_WEEKS, "Every 2 weeks"


class Reason(models.TextChoices):
    BASELINE = cadence.BASELINE, "Before the first session"
    SESSION = cadence.SESSION, "Before a session"
    FORTNIGHTLY = cadence.FORTNIGHTLY, "Every 2 weeks"
    ON_DEMAND = cadence.ON_DEMAND, "Sent by the provider"


class QuestionnaireSchedule(models.Model):
    """How often a provider's clients are asked (without a row: before every session)."""

    provider = models.OneToOneField(Provider, on_delete=models.CASCADE, related_name="questionnaire_schedule")
    cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.EVERY_SESSION)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(cadence__in=Cadence.values), name="measures_schedule_cadence_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_cadence_display()} for provider {self.provider_id}"


class QuestionnaireRequest(models.Model):
    """A request that a client answer one or more questionnaires, reachable by a private link.

    The link's token is derived from `salt` and the server's secret key (so the same link
    can be written into a confirmation and a reminder sent at different times); only its
    SHA-256 digest is stored, so the database alone never yields a working link. A link
    works once, until `expires_at`."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="questionnaire_requests")
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The session this request comes before (baseline and before-session requests).",
    )
    instruments = models.JSONField(help_text='e.g. ["phq9", "gad7"], asked in this order')
    reason = models.CharField(max_length=16, choices=Reason.choices)
    salt = models.CharField(max_length=32)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    expires_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True, help_text="When it was emailed on its own.")
    reminded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "provider", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(reason__in=Reason.values), name="measures_request_reason_valid"),
            models.CheckConstraint(condition=Q(created_at__lt=models.F("expires_at")),
                                   name="measures_request_expires_after_creation"),
            models.UniqueConstraint(fields=["appointment"], condition=Q(appointment__isnull=False),
                                    name="measures_one_request_per_session"),
        ]

    def __str__(self) -> str:
        return f"questionnaire request {self.pk} of client {self.client_id}"

    @property
    def is_closed(self) -> bool:
        return self.completed_at is not None or self.withdrawn_at is not None


class Assessment(models.Model):
    """One completed questionnaire: the item answers (0-3, in item order), the difficulty
    answer (not scored) and the score as published."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="assessments")
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The provider whose care this measures (the one who asked, or the client's current provider).",
    )
    request = models.ForeignKey(
        QuestionnaireRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="assessments"
    )
    instrument = models.CharField(max_length=8, choices=Instrument.choices)
    answers = models.JSONField()
    difficulty = models.PositiveSmallIntegerField(null=True, blank=True)
    total = models.PositiveSmallIntegerField()
    severity = models.CharField(max_length=20)
    completed_at = models.DateTimeField()
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["completed_at", "id"]
        indexes = [models.Index(fields=["client", "instrument", "completed_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(instrument__in=Instrument.values),
                                   name="measures_assessment_instrument_valid"),
            models.CheckConstraint(condition=Q(severity__in=SEVERITIES), name="measures_assessment_severity_valid"),
            models.CheckConstraint(condition=Q(difficulty__isnull=True) | Q(difficulty__lte=3),
                                   name="measures_assessment_difficulty_0_to_3"),
            models.CheckConstraint(
                condition=Q(instrument=Instrument.PHQ9, total__lte=PHQ9.max_total)
                | Q(instrument=Instrument.GAD7, total__lte=GAD7.max_total),
                name="measures_assessment_total_in_range",
            ),
            models.UniqueConstraint(fields=["request", "instrument"], condition=Q(request__isnull=False),
                                    name="measures_one_answer_per_request_instrument"),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.pk} of client {self.client_id}"

    @property
    def item9(self) -> int | None:
        """The answer to PHQ-9 item 9 (thoughts of death or self-harm); None for the GAD-7."""
        if self.instrument != Instrument.PHQ9:
            return None
        return int(self.answers[SAFETY_ITEM - 1])


class AlertKind(models.TextChoices):
    SUICIDAL_IDEATION = "suicidal_ideation", "Thoughts of death or self-harm (PHQ-9 item 9)"
    LOW_SESSION_RATING = "low_session_rating", "A session rated 6 or below"
    MESSAGE_SELF_HARM = "message_self_harm", "A message that mentions suicide or self-harm"


# Safety alerts go to the client's providers and to coordinators; the others to coordinators only.
PROVIDER_ALERT_KINDS = (AlertKind.SUICIDAL_IDEATION, AlertKind.MESSAGE_SELF_HARM)


class Alert(models.Model):
    """Something a person must look at. It stays open until someone acknowledges it with a
    note saying what they did."""

    kind = models.CharField(max_length=24, choices=AlertKind.choices)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="measure_alerts")
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="alerts")
    session_rating = models.OneToOneField("SessionRating", null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="alert")
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    note = EncryptedTextField(blank=True, help_text="What was done, written when the alert was acknowledged.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["acknowledged_at", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="measures_alert_kind_valid"),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, note="") | (Q(acknowledged_at__isnull=False) & ~Q(note="")),
                name="measures_alert_acknowledged_with_note",
            ),
            models.UniqueConstraint(fields=["assessment", "kind"], condition=Q(assessment__isnull=False),
                                    name="measures_one_alert_per_assessment_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} alert {self.pk} of client {self.client_id}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class SessionRating(models.Model):
    """The client's answer, after a session, to "How well did this session work for you?" (0-10)."""

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="session_rating")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="session_ratings")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()
    rated_at = models.DateTimeField()

    class Meta:
        ordering = ["-rated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=10), name="measures_session_rating_0_to_10"),
        ]

    def __str__(self) -> str:
        return f"rating of session {self.appointment_id}"


class FortnightlyPlan(models.Model):
    """The every-2-weeks questionnaire of one client with one provider: when the next is
    due. One queued task carries that time; a task finding another time here does nothing."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    next_due_at = models.DateTimeField(null=True, blank=True, help_text="Empty once the client has left their care.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "provider"], name="measures_one_fortnightly_plan_per_pair"),
        ]

    def __str__(self) -> str:
        return f"every-2-weeks plan of client {self.client_id} with provider {self.provider_id}"

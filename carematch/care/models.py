"""Goals agreed in the client's words, the plan of coping activities, and check-ins.

A goal keeps every version: revising adds a version and never overwrites one. Its status is
not stored; it follows from its measurements (see status.py). Free text a client or
provider writes about the client's care lives only in fields named `text`, `note` and `body`,
encrypted at rest (carematch/lib/crypto.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy

from carematch.accounts.models import Client
from carematch.directory.models import Provider
from carematch.lib.crypto import EncryptedTextField
from carematch.measures.instruments import INSTRUMENTS
from carematch.measures.models import Instrument
from carematch.scheduling.models import Appointment

MAX_RATING = 10
MAX_MOOD = 10
MAX_TIMES = 14
GOAL_TEXT_MAX = 500
ACTIVITY_TEXT_MAX = 200
NOTE_MAX = 2000
PROVIDER_NOTE_MAX = 10_000


class ShownManager(models.Manager):
    """The rows a person sees: those not removed (soft-deleted rows stay for retention)."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


# The questionnaires a goal can be measured by, and their highest totals (PHQ-9 27, GAD-7 21).
INSTRUMENT_MAX = {code: spec.max_total for code, spec in INSTRUMENTS.items()}


class MeasureChoice(models.TextChoices):
    QUESTIONNAIRE = "questionnaire", gettext_lazy("A questionnaire score")
    SELF_RATING = "self_rating", gettext_lazy("A 0-10 self-rating at each session")


class Goal(models.Model):
    """One goal of one client. What it says and how it is measured are its versions."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="goals")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"goal {self.pk} of client {self.client_id}"


class GoalVersion(models.Model):
    """What a goal said from `created_at` on. The highest number is the current version."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    text = EncryptedTextField(help_text="The goal in the client's words.")
    measure = models.CharField(max_length=16, choices=MeasureChoice.choices)
    instrument = models.CharField(max_length=8, choices=Instrument.choices, blank=True)
    target = models.PositiveSmallIntegerField(
        help_text="Questionnaire: met by a score below this. Self-rating: met by a rating of at least this."
    )
    target_date = models.DateField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["goal", "number"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "number"], name="care_goal_version_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="care_goal_version_number_positive"),
            models.CheckConstraint(
                condition=(
                    Q(measure=MeasureChoice.SELF_RATING, instrument="", target__gte=1, target__lte=MAX_RATING)
                    | Q(measure=MeasureChoice.QUESTIONNAIRE, instrument=Instrument.PHQ9, target__gte=1,
                        target__lte=INSTRUMENT_MAX[Instrument.PHQ9])
                    | Q(measure=MeasureChoice.QUESTIONNAIRE, instrument=Instrument.GAD7, target__gte=1,
                        target__lte=INSTRUMENT_MAX[Instrument.GAD7])
                ),
                name="care_goal_version_measure_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"version {self.number} of goal {self.goal_id}"


class GoalRating(models.Model):
    """A 0-10 self-rating of progress towards a goal, checked at a session."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="ratings")
    rating = models.PositiveSmallIntegerField()
    rated_on = models.DateField(help_text="The day, in the client's time zone.")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["rated_on", "recorded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(rating__lte=MAX_RATING), name="care_goal_rating_0_to_10"),
        ]

    def __str__(self) -> str:
        return f"rating of goal {self.goal_id} on {self.rated_on}"


class ActivityKind(models.TextChoices):
    EXERCISE = "exercise", gettext_lazy("Exercise")
    MEDITATION = "meditation", gettext_lazy("Meditation")
    DEEP_BREATHING = "deep_breathing", gettext_lazy("Deep breathing")
    CREATIVE_EXPRESSION = "creative_expression", gettext_lazy("Creative expression")
    REACHING_OUT = "reaching_out", gettext_lazy("Reaching out to friends or family")
    OWN = "own", gettext_lazy("Something of your own")


class Period(models.TextChoices):
    DAY = "day", gettext_lazy("a day")
    WEEK = "week", gettext_lazy("a week")


class Activity(models.Model):
    """A coping activity in the client's plan, and how often they mean to do it."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="care_activities")
    kind = models.CharField(max_length=24, choices=ActivityKind.choices)
    text = EncryptedTextField(
        max_length=ACTIVITY_TEXT_MAX, blank=True,
        help_text="In the client's words; required for an activity of their own.",
    )
    times = models.PositiveSmallIntegerField()
    period = models.CharField(max_length=8, choices=Period.choices)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ActivityKind.values), name="care_activity_kind_valid"),
            models.CheckConstraint(condition=Q(period__in=Period.values), name="care_activity_period_valid"),
            models.CheckConstraint(condition=Q(times__gte=1, times__lte=MAX_TIMES), name="care_activity_times_sane"),
            models.CheckConstraint(condition=~Q(kind=ActivityKind.OWN) | ~Q(text=""), name="care_activity_own_named"),
        ]

    def __str__(self) -> str:
        return f"activity {self.pk} of client {self.client_id}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    @property
    def label(self) -> str:
        """`Exercise: a walk after lunch`, or the client's own words for their own activity."""
        if self.kind == ActivityKind.OWN:
            return self.text
        kind = ActivityKind(self.kind).label
        return gettext("%(kind)s: %(text)s") % {"kind": kind, "text": self.text} if self.text else str(kind)

    @property
    def frequency(self) -> str:
        return frequency_label(self.times, self.period)


def frequency_label(times: int, period: str) -> str:
    """`Daily`, `Twice a day`, `Weekly`, `3 times a week`."""
    if times == 1:
        return gettext("Daily") if period == Period.DAY else gettext("Weekly")
    if period == Period.DAY:
        return gettext("Twice a day") if times == 2 else gettext("%(times)s times a day") % {"times": times}
    return gettext("Twice a week") if times == 2 else gettext("%(times)s times a week") % {"times": times}


class CheckIn(models.Model):
    """The client did an activity of their plan: when, how they felt (0-10), and a note."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="check_ins")
    done_on = models.DateField(help_text="The day, in the client's time zone.")
    mood = models.PositiveSmallIntegerField()
    note = EncryptedTextField(blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    deleted_at = models.DateTimeField(
        null=True, blank=True,
        help_text="Removed by the client: hidden from then on, kept until RECORD_RETENTION_DAYS have passed.",
    )
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = models.Manager()
    shown = ShownManager()

    class Meta:
        ordering = ["-done_on", "-recorded_at", "-id"]
        indexes = [models.Index(fields=["activity", "done_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(mood__lte=MAX_MOOD), name="care_check_in_mood_0_to_10"),
            models.CheckConstraint(condition=Q(deleted_at__isnull=False) | Q(deleted_by__isnull=True),
                                   name="care_check_in_deleted_by_only_when_deleted"),
        ]

    def __str__(self) -> str:
        return f"check-in {self.pk} of activity {self.activity_id}"


class ProviderNote(models.Model):
    """A provider's clinical note about a client on their caseload. What it says are its
    versions: revising adds a version and never overwrites one. Removing it is soft."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="provider_notes")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The session the note is about, if any.",
    )
    created_at = models.DateTimeField()
    deleted_at = models.DateTimeField(
        null=True, blank=True,
        help_text="Removed by its author: hidden from then on, kept until RECORD_RETENTION_DAYS have passed.",
    )
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = models.Manager()
    shown = ShownManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "provider", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(deleted_at__isnull=False) | Q(deleted_by__isnull=True),
                                   name="care_provider_note_deleted_by_only_when_deleted"),
        ]

    def __str__(self) -> str:
        return f"note {self.pk} of client {self.client_id}"


class ProviderNoteVersion(models.Model):
    """What a provider note said from `created_at` on. The highest number is the current one."""

    note = models.ForeignKey(ProviderNote, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    body = EncryptedTextField(max_length=PROVIDER_NOTE_MAX)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["note", "number"]
        constraints = [
            models.UniqueConstraint(fields=["note", "number"], name="care_provider_note_version_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="care_provider_note_version_number_positive"),
            models.CheckConstraint(condition=~Q(body=""), name="care_provider_note_version_body_required"),
        ]

    def __str__(self) -> str:
        return f"version {self.number} of note {self.note_id}"


class Reencryption(models.Model):
    """Holds a row only inside a transaction of `carematch rotate_keys`: the history guards
    (carematch/lib/history.py) then let encrypted columns be rewritten under the new key.
    No other connection ever sees the row, so for everyone else those columns stay frozen."""

    started_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"re-encryption started at {self.started_at:%Y-%m-%d %H:%M}"


JOURNAL_ENTRY_MAX = 10_000


class JournalEntry(models.Model):
    """An entry of the client's private journal. Seen by the client only, unless they share
    this one entry with one of their providers (`shared_with`), which they may undo at any
    time. What it says is fixed once written; removing it is soft, kept for the retention
    period like the rest of the record."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="journal_entries")
    body = EncryptedTextField(max_length=JOURNAL_ENTRY_MAX)
    created_at = models.DateTimeField()
    shared_with = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The one provider the client shared this entry with, until they stop sharing it.",
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(
        null=True, blank=True,
        help_text="Removed by the client: hidden from then on, kept until RECORD_RETENTION_DAYS have passed.",
    )

    objects = models.Manager()
    shown = ShownManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "created_at"]), models.Index(fields=["shared_with", "client"])]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="care_journal_entry_body_required"),
            models.CheckConstraint(condition=Q(shared_with__isnull=True) | Q(shared_at__isnull=False),
                                   name="care_journal_entry_shared_at_when_shared"),
        ]

    def __str__(self) -> str:
        return f"journal entry {self.pk} of client {self.client_id}"

"""Holds, appointments, requests for care, the 48-hour clock and crisis follow-up.

A hold and a booked appointment are both *claims* on a provider's hour and live in one
table, so that one database rule covers both: at most one active claim (held or booked)
per provider and start time (a unique index, on every database), and on PostgreSQL no
two active claims of one provider whose time ranges overlap (an exclusion constraint,
added in migration 0002). A lapsed hold is marked lapsed by the service that finds it,
inside the same transaction, before a new claim is written. Which rows claim their hour
at a given moment (booked, or a hold not yet expired) is said once, by claims_at and
Appointment.objects.claiming: openings, the booking check and the match engine read it.

A hold ends in one of two ways, and never as an appointment: it *lapses* (its 10 minutes
ran out) or it is *released* (a new hold of the same person or browser replaced it, or
the person closed their account). Only a booked appointment can be *cancelled*: a
cancelled row was always booked first (a database rule), so "the provider's client" can
rest on the statuses in WAS_BOOKED.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carematch.accounts.models import AccessEndReason, Client
from carematch.directory.models import Provider
from carematch.lib.crypto import EncryptedTextField
from carematch.lib.vocab import STATES


class Status(models.TextChoices):
    HELD = "held", _("Held")
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    LAPSED = "lapsed", _("Hold lapsed")
    RELEASED = "released", _("Hold released")
    NO_SHOW = "no_show", _("No-show")
    COMPLETED = "completed", _("Completed")


ACTIVE = (Status.HELD, Status.BOOKED)
# A hold, live or ended: never an appointment, so it never makes a provider "their provider".
HOLD_STATUSES = (Status.HELD, Status.LAPSED, Status.RELEASED)
# An appointment that was booked, whatever became of it: these make a provider the client's.
WAS_BOOKED = (Status.BOOKED, Status.COMPLETED, Status.NO_SHOW, Status.CANCELLED)


def claims_at(now: dt.datetime) -> Q:
    """Appointments that claim their hour at `now`: booked, or held with the hold not yet
    expired. The statuses are ACTIVE, the ones the database's rules count (one active claim
    per provider and start; on PostgreSQL no two overlapping), less the holds whose time ran
    out: those still count for the database until a service marks them lapsed, which it
    does before it writes a new claim over them (services._lapse_holds)."""
    return Q(status__in=ACTIVE) & (~Q(status=Status.HELD) | Q(hold_expires_at__gt=now))


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def claiming(self, *, now: dt.datetime) -> AppointmentQuerySet:
        """Those that still block their hour at `now` (claims_at): booked, or a live hold."""
        return self.filter(claims_at(now))


class Format(models.TextChoices):
    TELEHEALTH = "telehealth", _("Online (video)")
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")  # a consultation call only


class Kind(models.TextChoices):
    """What an appointment is; its length is carematch/lib/sessions.py's LENGTHS[kind]."""

    SESSION = "session", "Session"
    CONSULTATION = "consultation", "Free 15-minute consultation"


class CareRequest(models.Model):
    """Someone asked for care. The clock runs from `requested_at` to their first session."""

    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="care_requests",
        help_text="Empty while the person has not signed up (e.g. someone in danger at the start of the intake).",
    )
    requested_at = models.DateTimeField()
    crisis = models.BooleanField(
        default=False,
        help_text="They said they were in danger. Asking to be contacted is a CrisisRequest of its own.",
    )
    first_appointment = models.OneToOneField(
        "Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_start = models.DateTimeField(null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(null=True, blank=True, help_text="From asking to the session's start.")
    closed_at = models.DateTimeField(null=True, blank=True)
    note_for_therapist = EncryptedTextField(
        blank=True, help_text="In the person's own words, for the therapist they book (their first appointment's "
                              "provider) and nobody else.",
    )
    # What the person said about their insurance plan, for the cost estimates of their matches.
    payer = models.CharField(max_length=40, blank=True, help_text="The payer's slug; empty when paying themselves.")
    plan_id = models.CharField(max_length=60, blank=True, help_text="The plan they chose (a coverage Plan's id).")
    deductible_left_usd = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True,
                                              help_text="What they said is left of their deductible; empty: unknown.")
    oop_left_usd = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True,
                                       help_text="What they said is left of their out-of-pocket maximum.")

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["requested_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(plan_id="") | ~Q(payer=""), name="care_request_plan_has_payer"),
            models.CheckConstraint(
                condition=(Q(deductible_left_usd__isnull=True) & Q(oop_left_usd__isnull=True)) | ~Q(plan_id=""),
                name="care_request_amounts_with_plan"),
            models.CheckConstraint(condition=Q(deductible_left_usd__isnull=True) | Q(deductible_left_usd__gte=0),
                                   name="care_request_deductible_left_not_negative"),
            models.CheckConstraint(condition=Q(oop_left_usd__isnull=True) | Q(oop_left_usd__gte=0),
                                   name="care_request_oop_left_not_negative"),
        ]

    def __str__(self) -> str:
        return f"request {self.pk} of client {self.client_id} at {self.requested_at:%Y-%m-%d %H:%M}"


def new_video_room() -> str:
    """160 random bits as 32 lower-case letters and digits: Jitsi Meet lower-cases room names,
    so a name that is already lower case is the same room in the address and in the token."""
    return base64.b32encode(secrets.token_bytes(20)).decode().lower()


class Appointment(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="appointments")
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments",
        help_text="Empty only for a hold placed before the person has signed up (see hold_session).",
    )
    hold_session = models.CharField(
        max_length=64, blank=True, help_text="Digest of the browser session that holds an opening before sign-up."
    )
    hold_address = models.CharField(
        max_length=64, blank=True,
        help_text="Keyed digest of the network address a hold before sign-up came from (never the address): "
                  "holds per address are limited.",
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    format = models.CharField(max_length=12, choices=Format.choices)
    status = models.CharField(max_length=12, choices=Status.choices)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    care_request = models.ForeignKey(
        CareRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    booked_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(
        null=True, blank=True, help_text="When a booking was cancelled or a hold released."
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_by_role = models.CharField(max_length=16, blank=True)
    late_cancellation = models.BooleanField(default=False)
    rescheduled_from = models.DateTimeField(null=True, blank=True, help_text="The start before the last reschedule.")
    sequence = models.PositiveIntegerField(
        default=0, help_text="The iCalendar SEQUENCE: raised by every reschedule and by the cancellation."
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_due_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the reminder is sent (24 hours or an hour before the start, decided when the session was "
                  "booked or moved: scheduling/reminders.py); empty when it was booked too close to the start.",
    )
    video_room = models.CharField(
        max_length=40, default=new_video_room,
        help_text="The unguessable name of the session's Jitsi Meet room (scheduling/video.py): given when the "
                  "appointment is made and kept when it is moved.",
    )
    series = models.ForeignKey(
        "Series", null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments",
        help_text="The standing series this session was booked as part of, if any.",
    )
    attendance_marked_at = models.DateTimeField(
        null=True, blank=True, help_text="When the provider marked the session attended (completed) or a no-show.",
    )
    kind = models.CharField(
        max_length=12, choices=Kind.choices, default=Kind.SESSION,
        help_text="A session (an hour) or a free consultation call (15 minutes).",
    )

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["provider", "start"]), models.Index(fields=["client", "start"]),
            models.Index(fields=["hold_address", "hold_expires_at"], condition=~Q(hold_address=""),
                         name="appointment_hold_address"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "start"], condition=Q(status__in=ACTIVE), name="one_active_claim_per_provider_hour"
            ),
            models.UniqueConstraint(
                fields=["client", "start"], condition=Q(status__in=ACTIVE), name="one_active_claim_per_client_hour"
            ),
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="appointment_starts_before_end"),
            models.CheckConstraint(condition=Q(format__in=Format.values), name="appointment_format_valid"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="appointment_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=Status.HELD) | Q(hold_expires_at__isnull=False), name="hold_has_expiry"
            ),
            models.CheckConstraint(
                condition=Q(client__isnull=False) | (Q(status__in=HOLD_STATUSES) & ~Q(hold_session="")),
                name="only_session_holds_lack_a_client",
            ),
            # A hold that ends is released or lapses; only what was booked can be cancelled.
            models.CheckConstraint(
                condition=~Q(status=Status.CANCELLED) | Q(booked_at__isnull=False),
                name="only_booked_appointments_are_cancelled",
            ),
            models.UniqueConstraint(fields=["video_room"], name="appointment_video_room_unique"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="appointment_kind_valid"),
            models.CheckConstraint(
                condition=~Q(format=Format.PHONE) | Q(kind=Kind.CONSULTATION),
                name="appointment_phone_only_consultation",
            ),
            # No two active claims of a provider (or of a client) overlap: on PostgreSQL exclusion
            # constraints (migrations 0002 and 0014), on SQLite triggers (migration 0014).
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.start:%Y-%m-%d %H:%M}Z provider {self.provider_id}"

    @property
    def is_consultation(self) -> bool:
        return self.kind == Kind.CONSULTATION

    @property
    def minutes(self) -> int:
        """How long it lasts, in whole minutes."""
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def kind_label(self) -> str:
        """What to call it on pages and in emails: "Free 15-minute consultation" or "Session"."""
        return str(Kind(self.kind).label)


class IdempotencyRecord(models.Model):
    """The first answer to a booking sent with an Idempotency-Key, kept per user and key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]


class FeedRevoked(models.TextChoices):
    """Why a calendar address stopped working. Besides a new address or turning it off, every
    reason for ending all of a person's access (accounts.models.AccessEndReason) is one; the
    labels complete "... because ..." on the calendar page."""

    REPLACED = "replaced", _("a new address was made")
    TURNED_OFF = "turned_off", _("it was turned off")
    PASSWORD_RESET = AccessEndReason.PASSWORD_RESET.value, AccessEndReason.PASSWORD_RESET.label
    PASSWORD_CHANGE = AccessEndReason.PASSWORD_CHANGE.value, AccessEndReason.PASSWORD_CHANGE.label
    LOG_OUT_EVERYWHERE = AccessEndReason.LOG_OUT_EVERYWHERE.value, AccessEndReason.LOG_OUT_EVERYWHERE.label


class CalendarFeed(models.Model):
    """A private calendar address for one person. The token in the address is a bearer
    secret: only its SHA-256 digest is stored, and a person has at most one live feed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    prefix = models.CharField(max_length=12, help_text="First characters, to tell addresses apart.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(
        max_length=24, blank=True, choices=FeedRevoked.choices,
        help_text="Why it stopped working; empty while it works (and for addresses turned off before reasons "
                  "were kept).",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="one_live_calendar_feed_per_user"
            ),
            models.CheckConstraint(
                condition=Q(revoked_reason__in=["", *FeedRevoked.values]), name="calendarfeed_revoked_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=False) | Q(revoked_reason=""),
                name="calendarfeed_live_has_no_revoked_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"calendar feed {self.prefix}… of user {self.user_id}"


# --- Crisis follow-up ----------------------------------------------------------------------------


class CrisisChannel(models.TextChoices):
    PAGE = "page", "Web page"
    API = "api", "API"


class CrisisStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class CrisisOutcome(models.TextChoices):
    REACHED = "reached", "Reached the person"
    NO_ANSWER = "no_answer", "No answer (stays open)"
    REFERRED_EMERGENCY = "referred_emergency", "Referred to emergency services"


# The outcomes that end the follow-up; any other keeps the request open for another try.
CLOSING_OUTCOMES = frozenset({CrisisOutcome.REACHED, CrisisOutcome.REFERRED_EMERGENCY})


class CrisisRequest(models.Model):
    """A person said they were in danger and asked a coordinator to contact them.

    One row each time someone asks (from the crisis page, the API, or a match request with
    `"crisis": true` and a contact). It always holds a way to reach the person (a phone
    number or an email address) until an account closing erases it from a closed request.
    It is open until a contact attempt with a closing outcome closes it; every attempt is a
    CrisisAttempt row of its own. The 48-hour clock's CareRequest is a separate record: being
    called back is not a first session, and the clock keeps running.
    """

    care_request = models.ForeignKey(
        CareRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="crisis_requests",
        help_text="The request for care of the intake or match this came from, when there is one.",
    )
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="crisis_requests",
        help_text="Empty while the person has no account.",
    )
    requested_at = models.DateTimeField()
    channel = models.CharField(max_length=8, choices=CrisisChannel.choices)
    name = models.CharField(max_length=100, blank=True, help_text="What to call them, as they gave it.")
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +13035550142.")
    email = models.EmailField(blank=True)
    state = models.CharField(max_length=2, blank=True, help_text="USPS code of where they are.")
    message = EncryptedTextField(blank=True, help_text="What they wanted the coordinator to know.")
    status = models.CharField(max_length=8, choices=CrisisStatus.choices, default=CrisisStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was emailed again for want of any contact attempt.",
    )
    contact_erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person's account was closed and their contact details erased.",
    )

    class Meta:
        ordering = ["requested_at", "pk"]
        indexes = [models.Index(fields=["status", "requested_at"], name="crisisrequest_status_time")]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=CrisisChannel.values), name="crisisrequest_channel_valid"),
            models.CheckConstraint(condition=Q(status__in=CrisisStatus.values), name="crisisrequest_status_valid"),
            models.CheckConstraint(
                condition=(Q(status=CrisisStatus.OPEN, closed_at__isnull=True)
                           | Q(status=CrisisStatus.CLOSED, closed_at__isnull=False)),
                name="crisisrequest_closed_when_status_closed",
            ),
            models.CheckConstraint(
                condition=~Q(phone="") | ~Q(email="") | Q(contact_erased_at__isnull=False),
                name="crisisrequest_has_a_way_to_reach",
            ),
            models.CheckConstraint(
                condition=Q(contact_erased_at__isnull=True) | Q(status=CrisisStatus.CLOSED),
                name="crisisrequest_erased_only_when_closed",
            ),
            models.CheckConstraint(condition=Q(state="") | Q(state__in=list(STATES)),
                                   name="crisisrequest_state_valid"),
        ]

    def __str__(self) -> str:
        return f"crisis request {self.pk} ({self.status}) at {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status == CrisisStatus.OPEN


class CrisisAttempt(models.Model):
    """One try to reach the person of a crisis request, and what came of it. Written once:
    a database trigger refuses any change to it (migration 0006)."""

    crisis_request = models.ForeignKey(CrisisRequest, on_delete=models.PROTECT, related_name="attempts")
    outcome = models.CharField(max_length=20, choices=CrisisOutcome.choices)
    note = EncryptedTextField(help_text="What was done, by the coordinator.")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["crisis_request", "at"], name="crisisattempt_request_time")]
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=CrisisOutcome.values), name="crisisattempt_outcome_valid"),
            models.CheckConstraint(condition=~Q(note=""), name="crisisattempt_has_a_note"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} for crisis request {self.crisis_request_id} at {self.at:%Y-%m-%d %H:%M}"


# --- Ongoing sessions ----------------------------------------------------------------------------


class Series(models.Model):
    """Sessions booked together at the same local time (the provider's clock) every one or two
    weeks, after a session (`origin`). Each of its appointments was booked through the one
    booking service, with its rules; the dates that could not be booked are kept with why."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="series")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="series")
    origin = models.ForeignKey(Appointment, null=True, on_delete=models.SET_NULL, related_name="+")
    every_weeks = models.PositiveSmallIntegerField()
    local_time = models.TimeField(help_text="On the provider's clock.")
    timezone = models.CharField(max_length=64, help_text="The provider's zone when the series was booked.")
    count = models.PositiveSmallIntegerField(null=True, blank=True, help_text="How many sessions were asked for.")
    until = models.DateField(null=True, blank=True, help_text="The last date asked for (the provider's clock).")
    skipped = models.JSONField(default=list, blank=True,
                               help_text='Dates that could not be booked: [{"start", "reason"}].')
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(every_weeks__in=[1, 2]), name="series_every_one_or_two_weeks"),
            models.CheckConstraint(condition=Q(count__isnull=False) | Q(until__isnull=False),
                                   name="series_has_a_count_or_an_end"),
        ]

    def __str__(self) -> str:
        return f"series {self.pk} of provider {self.provider_id} every {self.every_weeks} week(s)"

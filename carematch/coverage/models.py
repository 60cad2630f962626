"""A client's insurance coverage and the eligibility checks made with their payer (X12 270/271).

Coverage identifies a person to their insurer: the member id, and the subscriber's name and date
of birth, are encrypted at rest (carematch.lib.crypto) and every read of them is recorded in the
access log. The payer (a slug) and the plan id are kept in the clear: many clients share them,
they identify nobody, and the cost estimate looks plans up by them.

What a payer's plans pay for outpatient mental health in network, and the fees payers allow.

The payer is the directory's (the payers a deployment has are data), by its slug; a plan is one
of a payer's plans, named by the payer's own plan id. Coordinators load both from CSV files
(coverage/tables.py)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from carematch.accounts.models import Client, User
from carematch.lib.crypto import EncryptedTextField


class Relationship(models.TextChoices):
    SELF = "self", gettext_lazy("The client is the subscriber")
    SPOUSE = "spouse", gettext_lazy("Spouse or partner of the subscriber")
    CHILD = "child", gettext_lazy("Child of the subscriber")
    OTHER = "other", gettext_lazy("Another person covered by the subscriber's plan")


class ClientCoverage(models.Model):
    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="coverage")
    payer = models.CharField(max_length=40, help_text="The payer's slug.")
    plan_id = models.CharField(max_length=60, blank=True)
    member_id = EncryptedTextField(help_text="As printed on the insurance card.")
    subscriber_first_name = EncryptedTextField()
    subscriber_last_name = EncryptedTextField()
    subscriber_birth_date = EncryptedTextField(help_text="ISO date (YYYY-MM-DD), encrypted like the rest.")
    relationship = models.CharField(max_length=10, choices=Relationship.choices, default=Relationship.SELF)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(relationship__in=Relationship.values),
                                   name="coverage_relationship_valid"),
            models.CheckConstraint(condition=~Q(payer=""), name="coverage_payer_given"),
            models.CheckConstraint(
                condition=~Q(member_id="") & ~Q(subscriber_first_name="") & ~Q(subscriber_last_name="")
                & ~Q(subscriber_birth_date=""),
                name="coverage_identity_given",
            ),
        ]

    def __str__(self) -> str:
        return f"coverage of client {self.client_id}"


class CheckStatus(models.TextChoices):
    QUEUED = "queued", gettext_lazy("Queued")
    RUNNING = "running", gettext_lazy("Waiting for the payer")
    ANSWERED = "answered", gettext_lazy("Answered")
    FAILED = "failed", gettext_lazy("Could not be checked")


class CheckReason(models.TextChoices):
    BOOKING = "booking", "A session was booked"
    STAFF = "staff", "Asked by a coordinator"
    API = "api", "Asked through the API"


class EligibilityCheck(models.Model):
    """One 270 sent and the 271 read (or why none was). `control_number` is the interchange's
    ISA13 and the trace number the payer echoes; it matches an answer to its inquiry."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="eligibility_checks")
    appointment_id = models.BigIntegerField(null=True, blank=True, help_text="The booking that asked for it.")
    reason = models.CharField(max_length=10, choices=CheckReason.choices)
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payer = models.CharField(max_length=40)
    plan_id = models.CharField(max_length=60, blank=True)
    relationship = models.CharField(max_length=10, choices=Relationship.choices)
    transport = models.CharField(max_length=10, blank=True)
    control_number = models.PositiveIntegerField(unique=True, null=True, blank=True)
    status = models.CharField(max_length=10, choices=CheckStatus.choices, default=CheckStatus.QUEUED)
    active = models.BooleanField(null=True, blank=True)
    in_network = models.JSONField(default=dict, blank=True)
    out_of_network = models.JSONField(default=dict, blank=True)
    rejection_codes = models.JSONField(default=list, blank=True)
    retryable = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="270s sent for this check.")
    sentence = models.TextField(blank=True, help_text="What the person is told.")
    requested_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["client", "-requested_at"], name="eligibility_client_latest")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CheckStatus.values), name="eligibility_status_valid"),
            models.CheckConstraint(
                condition=Q(status__in=[CheckStatus.QUEUED, CheckStatus.RUNNING], finished_at__isnull=True)
                | Q(status__in=[CheckStatus.ANSWERED, CheckStatus.FAILED], finished_at__isnull=False)
                & ~Q(sentence=""),
                name="eligibility_finished_with_sentence",
            ),
        ]

    def __str__(self) -> str:
        return f"eligibility check {self.pk} ({self.status})"


class ClientDiagnosis(models.Model):
    """An ICD-10-CM code a provider entered for a client, printed on the client's superbills.
    The code is health information: encrypted at rest like notes. Removing keeps the row
    (`removed_at`) so that superbills already given can be explained."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="diagnoses")
    provider = models.ForeignKey("directory.Provider", on_delete=models.PROTECT, related_name="+")
    code = EncryptedTextField(help_text="ICD-10-CM, e.g. F41.1")
    added_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(code=""), name="diagnosis_code_given")]

    def __str__(self) -> str:
        return f"diagnosis {self.pk} of client {self.client_id}"
ANY = "*"  # a fee row for every plan of the payer, or for every state


class Plan(models.Model):
    payer = models.ForeignKey("directory.Payer", to_field="slug", db_column="payer", on_delete=models.PROTECT,
                              related_name="plans", help_text="The payer, by its slug, e.g. aetna.")
    plan_id = models.CharField(max_length=60, help_text="The payer's own id of the plan.")
    name = models.CharField(max_length=200)
    copay_usd = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    coinsurance_pct = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True,
                                          help_text="The share of the allowed fee the person pays, 0 to 100.")
    deductible_usd = models.DecimalField(max_digits=9, decimal_places=2, help_text="0 when the plan has none.")
    deductible_applies = models.BooleanField(
        help_text="Whether the deductible applies to outpatient mental health before the copay or coinsurance.")
    oop_max_usd = models.DecimalField("out-of-pocket maximum (USD)", max_digits=9, decimal_places=2)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["payer", "name", "plan_id"]
        constraints = [
            models.UniqueConstraint(fields=["payer", "plan_id"], name="plan_one_per_payer_and_id"),
            models.CheckConstraint(condition=~Q(plan_id="") & ~Q(plan_id=ANY) & ~Q(name=""),
                                   name="plan_names_given"),
            models.CheckConstraint(condition=Q(copay_usd__isnull=False) | Q(coinsurance_pct__isnull=False),
                                   name="plan_copay_or_coinsurance"),
            models.CheckConstraint(condition=Q(copay_usd__isnull=True) | Q(copay_usd__gte=0),
                                   name="plan_copay_not_negative"),
            models.CheckConstraint(
                condition=Q(coinsurance_pct__isnull=True) | (Q(coinsurance_pct__gte=0) & Q(coinsurance_pct__lte=100)),
                name="plan_coinsurance_0_to_100"),
            models.CheckConstraint(condition=Q(deductible_usd__gte=0), name="plan_deductible_not_negative"),
            models.CheckConstraint(condition=Q(oop_max_usd__gte=0), name="plan_oop_max_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.payer_id} {self.plan_id} ({self.name})"


class Fee(models.Model):
    """The amount a payer allows for one CPT code, for one plan or every plan (`*`), in one
    state or every state (`*`). The estimate uses the most specific row that applies."""

    payer = models.ForeignKey("directory.Payer", to_field="slug", db_column="payer", on_delete=models.PROTECT,
                              related_name="fees")
    plan_id = models.CharField(max_length=60, help_text="A plan id of the payer, or * for every plan.")
    cpt = models.CharField("CPT code", max_length=5)
    allowed_usd = models.DecimalField(max_digits=8, decimal_places=2)
    state = models.CharField(max_length=2, help_text="USPS code, or * for every state.")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["payer", "plan_id", "cpt", "state"]
        constraints = [
            models.UniqueConstraint(fields=["payer", "plan_id", "cpt", "state"], name="fee_one_per_plan_cpt_state"),
            models.CheckConstraint(condition=~Q(plan_id=""), name="fee_plan_given"),
            models.CheckConstraint(condition=Q(cpt__regex=r"^[0-9]{4}[0-9FT]$"), name="fee_cpt_format"),
            models.CheckConstraint(condition=Q(state=ANY) | Q(state__regex=r"^[A-Z]{2}$"), name="fee_state_format"),
            models.CheckConstraint(condition=Q(allowed_usd__gt=0), name="fee_allowed_positive"),
        ]
        indexes = [models.Index(fields=["payer", "cpt"], name="fee_payer_cpt")]

    def __str__(self) -> str:
        return f"{self.payer_id} {self.plan_id} {self.cpt} {self.state}: {self.allowed_usd}"

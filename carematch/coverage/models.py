"""What a payer's plans pay for outpatient mental health in network, and the fees payers allow.

The payer is the directory's (the payers a deployment has are data), by its slug; a plan is one
of a payer's plans, named by the payer's own plan id. Coordinators load both from CSV files
(coverage/tables.py)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

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

"""The provider directory: who can be seen, where they are licensed, and when they work."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from carematch.lib.vocab import GENDERS, STATES

from . import lookups  # noqa: F401  (registers the `has` lookup on JSON lists)


class Gender(models.TextChoices):
    FEMALE = "female", GENDERS["female"]
    MALE = "male", GENDERS["male"]
    NONBINARY = "nonbinary", GENDERS["nonbinary"]
    NOT_STATED = "not_stated", GENDERS["not_stated"]


class Provider(models.Model):
    """A licensed mental-health professional who can be matched and booked.

    List fields (languages, concerns, approaches, populations, formats, insurance) are JSON
    arrays of vocabulary slugs; the one service that writes providers validates them.
    """

    npi = models.CharField("NPI", max_length=10, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    credentials = models.JSONField(default=list, help_text="e.g. [\"LPC\"] or [\"PhD\", \"LP\"]")
    taxonomy = models.CharField("NUCC taxonomy code", max_length=10)
    gender = models.CharField(max_length=12, choices=Gender.choices, default=Gender.NOT_STATED)
    languages = models.JSONField(default=list, help_text="ISO 639-1 codes")
    bio = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +13035550123")
    concerns = models.JSONField(default=list)
    approaches = models.JSONField(default=list)
    populations = models.JSONField(default=list)
    formats = models.JSONField(default=list)
    insurance = models.JSONField(default=list, help_text="payer slugs")
    self_pay_rate = models.PositiveIntegerField(help_text="whole USD per session")
    accepting_new = models.BooleanField(default=True)
    timezone = models.CharField(max_length=64, help_text="IANA time zone, e.g. America/Denver")
    min_notice_hours = models.PositiveSmallIntegerField(default=2)
    works_holidays = models.BooleanField(
        default=False, help_text="Offer openings on US federal holidays."
    )
    address = models.CharField(max_length=200, blank=True)
    zip = models.CharField("ZIP", max_length=5, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="provider"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["accepting_new"]), models.Index(fields=["zip"])]
        constraints = [
            models.CheckConstraint(condition=Q(npi__regex=r"^[12][0-9]{9}$"), name="provider_npi_10_digits"),
            models.CheckConstraint(condition=Q(gender__in=[g.value for g in Gender]), name="provider_gender_valid"),
            models.CheckConstraint(condition=Q(self_pay_rate__lte=10_000), name="provider_self_pay_rate_sane"),
            models.CheckConstraint(condition=Q(min_notice_hours__lte=24 * 14), name="provider_min_notice_sane"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="provider_location_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.npi})"

    @property
    def display_name(self) -> str:
        suffix = ", ".join(self.credentials)
        return f"{self.first_name} {self.last_name}" + (f", {suffix}" if suffix else "")

    def licenses_valid_on(self, day: dt.date) -> list[License]:
        return [lic for lic in self.licenses.all() if lic.counts_on(day)]


class LicenseStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Not yet verified"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class License(models.Model):
    """A state license. Expired licenses are kept as history; they never count."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="licenses")
    state = models.CharField(max_length=2)
    license_type = models.CharField(max_length=20)
    number = models.CharField(max_length=40)
    expires = models.DateField()
    status = models.CharField(max_length=12, choices=LicenseStatus.choices, default=LicenseStatus.UNVERIFIED)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["state", "license_type", "number"]
        indexes = [models.Index(fields=["state", "expires"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "state", "license_type", "number"], name="license_unique_per_provider"
            ),
            models.CheckConstraint(condition=Q(state__in=list(STATES)), name="license_state_valid"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in LicenseStatus]), name="license_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.license_type} {self.number} (expires {self.expires})"

    def counts_on(self, day: dt.date) -> bool:
        """A license counts for a date only if it is not rejected and has not expired by then."""
        return self.status != LicenseStatus.REJECTED and self.expires >= day


class AvailabilityWindow(models.Model):
    """A weekly window of working hours, in the provider's own time zone."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="windows")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday … 6 = Sunday")
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="window_weekday_valid"),
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="window_starts_before_end"),
            models.UniqueConstraint(fields=["provider", "weekday", "start"], name="window_unique_start"),
        ]

    def __str__(self) -> str:
        from carematch.lib.vocab import WEEKDAYS

        return f"{WEEKDAYS[self.weekday]} {self.start:%H:%M}-{self.end:%H:%M}"


class TimeOff(models.Model):
    """Time a provider is away; no openings are offered inside it."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True, help_text="Private; never shown to clients.")

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="time_off_starts_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M}"

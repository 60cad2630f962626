"""The provider directory: who can be seen, where they are licensed, and when they work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from carematch.lib import licenses as license_rules
from carematch.lib.crypto import EncryptedTextField
from carematch.lib.vocab import GENDERS, STATES

from . import lookups  # noqa: F401  (registers the `has` lookup on JSON lists)


class Gender(models.TextChoices):
    FEMALE = "female", GENDERS["female"]
    MALE = "male", GENDERS["male"]
    NONBINARY = "nonbinary", GENDERS["nonbinary"]
    NOT_STATED = "not_stated", GENDERS["not_stated"]


VIDEO_LINK_MAX_LENGTH = 500


class PayerSource(models.TextChoices):
    SEED = "seed", "Shipped with carematch"
    ROSTER = "roster", "Roster import"
    FHIR = "fhir", "FHIR directory import"
    STAFF = "staff", "Added by a coordinator"


class Payer(models.Model):
    """A health plan's payer whose network providers can be in (Provider.insurance holds slugs).

    A deployment's payers are data: the fourteen national ones are seeded by migration
    (directory 0009), and imports and coordinators add the rest (services.payer_ensure).
    """

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=10, choices=PayerSource.choices, default=PayerSource.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="payer_has_a_name"),
            models.CheckConstraint(condition=Q(slug__regex=r"^[a-z0-9][a-z0-9_-]*$"), name="payer_slug_is_lowercase"),
        ]

    def __str__(self) -> str:
        return self.name


class ProviderQuerySet(models.QuerySet["Provider"]):
    def matchable(self) -> ProviderQuerySet:
        """The one query every match reads providers through (the engine's snapshot, the
        reference matcher, the waitlist through them): published and taking new clients.
        An incomplete provider is never matched."""
        return self.filter(published=True, accepting_new=True)


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
    bio = models.TextField("personal statement", blank=True, help_text="In the provider's own words.")
    pronouns = models.CharField(max_length=40, blank=True)
    first_session = models.TextField("what a first session is like", blank=True)
    years_in_practice = models.PositiveSmallIntegerField(null=True, blank=True)
    education = models.CharField(max_length=300, blank=True)
    specialties = models.JSONField(default=list, help_text="Up to 3 of the provider's concerns, shown first.")
    communities = models.JSONField(default=list)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +13035550123")
    concerns = models.JSONField(default=list)
    approaches = models.JSONField(default=list)
    populations = models.JSONField(default=list)
    formats = models.JSONField(default=list)
    insurance = models.JSONField(default=list, help_text="payer slugs")
    self_pay_rate = models.PositiveIntegerField(
        null=True, blank=True, help_text="whole USD per session; unknown until an imported provider states it",
    )
    sliding_scale_min = models.PositiveIntegerField(null=True, blank=True, help_text="whole USD per session")
    sliding_scale_max = models.PositiveIntegerField(null=True, blank=True, help_text="whole USD per session")
    photo = models.CharField(max_length=200, blank=True, help_text="Storage name of the 400 px photo.")
    photo_small = models.CharField(max_length=200, blank=True, help_text="Storage name of the 96 px photo.")
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
    video_link = models.URLField(
        max_length=VIDEO_LINK_MAX_LENGTH, blank=True,
        help_text="The provider's own video room (HTTPS), used for all their online sessions instead of carematch's "
                  "Jitsi Meet rooms; handed over only on the join page, to the session's two parties, in its window.",
    )
    offers_consultations = models.BooleanField(
        default=False, help_text="Offers free 15-minute consultation calls inside their weekly windows.",
    )
    consultation_formats = models.JSONField(
        default=list, blank=True, help_text="How a consultation call happens: phone and/or telehealth.",
    )
    clients_book_series = models.BooleanField(
        default=False, help_text="Clients may book a weekly or fortnightly series after a session themselves.",
    )
    tax_id = EncryptedTextField(
        "tax ID", blank=True,
        help_text="EIN (12-3456789) or, for a provider without one, SSN (123-45-6789): printed on superbills. "
                  "Encrypted at rest.",
    )
    published = models.BooleanField(
        default=True,
        help_text="Matched and bookable. A provider imported from a payer's directory is stored unpublished "
                  "(incomplete) until they complete their profile and a coordinator verifies their licences.",
    )
    birth_date = models.DateField(
        null=True, blank=True,
        help_text="Private: only to confirm who claims the profile (never shown, never exported).",
    )
    pending_qualifications = models.JSONField(
        default=list, blank=True,
        help_text="Licences a directory listed without a number or an expiry date (state, type, number, start, "
                  "end as given), kept until the provider completes them.",
    )

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["accepting_new"]), models.Index(fields=["zip"]),
                   models.Index(fields=["published"])]
        constraints = [
            # Only a complete profile is ever matched or booked: published means everything a
            # match reads is there (availability is checked by the one service that publishes).
            models.CheckConstraint(
                condition=Q(published=False)
                | (Q(self_pay_rate__isnull=False) & ~Q(timezone="") & ~Q(taxonomy="") & ~Q(concerns=[])
                   & ~Q(populations=[])),
                name="provider_published_is_complete",
            ),
            models.CheckConstraint(condition=Q(published=False) | Q(pending_qualifications=[]),
                                   name="provider_published_has_no_pending_licences"),
            models.CheckConstraint(condition=Q(npi__regex=r"^[12][0-9]{9}$"), name="provider_npi_10_digits"),
            models.CheckConstraint(condition=Q(gender__in=[g.value for g in Gender]), name="provider_gender_valid"),
            models.CheckConstraint(condition=Q(self_pay_rate__lte=10_000), name="provider_self_pay_rate_sane"),
            models.CheckConstraint(condition=Q(min_notice_hours__lte=24 * 14), name="provider_min_notice_sane"),
            models.CheckConstraint(
                condition=Q(sliding_scale_min__isnull=True, sliding_scale_max__isnull=True)
                | Q(sliding_scale_min__isnull=False, sliding_scale_max__isnull=False,
                    sliding_scale_min__lte=models.F("sliding_scale_max"), sliding_scale_max__lte=10_000),
                name="provider_sliding_scale_range",
            ),
            models.CheckConstraint(condition=Q(years_in_practice__lte=80), name="provider_years_in_practice_sane"),
            models.CheckConstraint(
                condition=Q(photo="", photo_small="") | (~Q(photo="") & ~Q(photo_small="")),
                name="provider_photo_complete",
            ),
            # Offering consultations means saying how they happen.
            models.CheckConstraint(
                condition=Q(offers_consultations=False) | ~Q(consultation_formats=[]),
                name="provider_consultations_have_a_format",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="provider_location_complete",
            ),
            # The one service checks the whole link (carematch/directory/validation.py); the
            # database keeps at least anything but HTTPS out.
            models.CheckConstraint(condition=Q(video_link="") | Q(video_link__startswith="https://"),
                                   name="provider_video_link_https"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.npi})"

    @property
    def display_name(self) -> str:
        suffix = ", ".join(self.credentials)
        return f"{self.first_name} {self.last_name}" + (f", {suffix}" if suffix else "")

    def licenses_valid_on(self, day: dt.date) -> list[License]:
        """The licenses that count for matching on `day` (License.counts_on)."""
        return [lic for lic in self.licenses.all() if lic.counts_on(day)]


class LicenseStatus(models.TextChoices):
    UNVERIFIED = license_rules.UNVERIFIED, "Not yet verified"
    VERIFIED = license_rules.VERIFIED, "Verified"
    REJECTED = license_rules.REJECTED, "Rejected"


class VerificationSource(models.TextChoices):
    """Who vouched for a license's verification (or rejection)."""

    COORDINATOR = "coordinator", "a coordinator"
    ROSTER = "roster", "the roster it was imported from"
    FHIR = "fhir", "the FHIR directory it was imported from"
    DEMO = "demo", "the demo seed (synthetic data)"


def match_unverified_licenses() -> bool:
    """Whether this deployment lets licenses not yet verified count (CAREMATCH_MATCH_UNVERIFIED_LICENSES)."""
    return bool(settings.MATCH_UNVERIFIED_LICENSES)


def _licenses_on(day: dt.date, statuses: Iterable[str], prefix: str) -> Q:
    # carematch/lib/licenses.py as a filter: one of `statuses`, and unexpired_on(expires, day),
    # that is expires >= day.
    return Q(**{f"{prefix}status__in": sorted(statuses), f"{prefix}expires__gte": day})


def licenses_counting_on(day: dt.date, *, prefix: str = "") -> Q:
    """License rows that count for matching on `day` (License.counts_on), as a filter
    (`prefix` e.g. "licenses__")."""
    return _licenses_on(day, license_rules.statuses_that_count(match_unverified=match_unverified_licenses()),
                        prefix)


def licenses_in_force_on(day: dt.date, *, prefix: str = "") -> Q:
    """License rows in force on `day` (License.in_force_on: not rejected, not expired;
    verified or not), as a filter."""
    return _licenses_on(day, license_rules.IN_FORCE_STATUSES, prefix)


class License(models.Model):
    """A state license. Expired licenses are kept as history; they never count.

    Only a verified license counts for matching and booking, unless the deployment lets
    licenses not yet verified count too (carematch/lib/licenses.py has the rule). A
    verified or rejected license records when, and who vouched for it: a coordinator
    (`verified_by`), or the roster or FHIR directory it came from.
    """

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="licenses")
    state = models.CharField(max_length=2)
    license_type = models.CharField(max_length=20)
    number = models.CharField(max_length=40)
    issued = models.DateField(null=True, blank=True, help_text="The start of its period, where the source gives it.")
    expires = models.DateField()
    status = models.CharField(max_length=12, choices=LicenseStatus.choices, default=LicenseStatus.UNVERIFIED)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_source = models.CharField(
        max_length=12, blank=True, choices=VerificationSource.choices,
        help_text="Who vouched for the verification or rejection; blank while not yet verified.",
    )

    class Meta:
        ordering = ["state", "license_type", "number"]
        indexes = [models.Index(fields=["state", "expires"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "state", "license_type", "number"], name="license_unique_per_provider"
            ),
            models.CheckConstraint(condition=Q(state__in=list(STATES)), name="license_state_valid"),
            models.CheckConstraint(condition=Q(issued__isnull=True) | Q(issued__lte=models.F("expires")),
                                   name="license_issued_before_expiry"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in LicenseStatus]), name="license_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(verification_source__in=["", *VerificationSource.values]),
                name="license_verification_source_valid",
            ),
            # Not yet verified means nobody vouched yet; verified or rejected says when.
            models.CheckConstraint(
                condition=Q(status=LicenseStatus.UNVERIFIED, verified_at__isnull=True, verified_by__isnull=True,
                            verification_source="")
                | (~Q(status=LicenseStatus.UNVERIFIED) & Q(verified_at__isnull=False)),
                name="license_verification_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.license_type} {self.number} (expires {self.expires})"

    def counts_on(self, day: dt.date) -> bool:
        """Whether the license counts for matching and booking on `day`: verified (or not yet
        verified, where the deployment allows it), not rejected, not expired by then."""
        return license_rules.license_counts_on(
            status=self.status, expires=self.expires, day=day, match_unverified=match_unverified_licenses()
        )

    def in_force_on(self, day: dt.date) -> bool:
        """Not rejected and not expired by `day`, whether or not verified yet (what the FHIR
        export calls active)."""
        return license_rules.in_force_on(status=self.status, expires=self.expires, day=day)

    def expired_on(self, day: dt.date) -> bool:
        """Past its expiry date on `day` (kept as history)."""
        return not license_rules.unexpired_on(self.expires, day)

    @property
    def awaiting_verification(self) -> bool:
        """Not yet verified, so it does not count for matching unless the deployment allows it."""
        return self.status == LicenseStatus.UNVERIFIED


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


class DirectoryVersion(models.Model):
    """One row whose token the database replaces with every change to the providers, licenses
    and weekly windows, in the transaction of the change (carematch/directory/version.py has
    the triggers and why the token is random). The match engine keeps its snapshot of the
    directory until the token changes."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.CharField(max_length=32)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="directory_version_single_row")]

    def __str__(self) -> str:
        return f"directory version {self.token}"


class DirectoryChange(models.Model):
    """A provider whose row, licenses or weekly windows changed: written by the database's own
    triggers in the transaction of the change, like the version (carematch/directory/version.py),
    so that the match engine's snapshot can re-read just those providers
    (carematch/matching/snapshot.py). An empty provider means every provider (a TRUNCATE).
    On PostgreSQL `transaction_id` is the writing transaction's id, which says whether a
    snapshot read earlier could have seen the change; on SQLite, where one transaction writes
    at a time, the row's id says it. Rows older than CHANGE_LOG_DAYS are removed after a
    snapshot is published (services.directory_changes_prune)."""

    id = models.BigAutoField(primary_key=True)
    provider_id = models.BigIntegerField(null=True, blank=True)
    transaction_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(db_default=Now())

    class Meta:
        indexes = [models.Index(fields=["transaction_id"], name="directory_change_transaction"),
                   models.Index(fields=["at"], name="directory_change_at")]

    def __str__(self) -> str:
        return f"change of provider {self.provider_id}"


class ChangeSource(models.TextChoices):
    """Who changed a provider's profile."""

    PROVIDER = "provider", "the provider"
    COORDINATOR = "coordinator", "a coordinator"
    ROSTER = "roster", "a roster import"
    FHIR = "fhir", "a FHIR import"
    DEMO = "demo", "the demo seed"


class ProfileChange(models.Model):
    """One change to a provider's profile, live the moment it was made: who made it, when, and
    each field's value before and after (`changes`: field -> {"old": ..., "new": ...}; for the
    photo, the stored file names, or "" when there was none). Fields that are not public
    (contact details, address) are named with null values. Kept when the account that made the
    change is removed (`by_email` says who it was)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="profile_changes")
    changed_at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    by_email = models.CharField(max_length=254, blank=True)
    source = models.CharField(max_length=12, choices=ChangeSource.choices)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["provider", "-changed_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(source__in=ChangeSource.values), name="profile_change_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} changed {', '.join(sorted(self.changes))} at {self.changed_at:%Y-%m-%d %H:%M}"


class ProviderLocation(models.Model):
    """An office a directory lists for a provider (a Plan-Net Location): its address as
    published and its position, where given."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=200, blank=True)
    line = models.CharField("street address", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="The resource it was read from, e.g. Location/x")

    class Meta:
        ordering = ["provider", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(state="") | Q(state__in=list(STATES)),
                                   name="provider_location_state_valid"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="provider_location_position_valid",
            ),
            models.CheckConstraint(condition=~Q(line="", city="", state="", postal_code="", name=""),
                                   name="provider_location_says_where"),
        ]

    def __str__(self) -> str:
        return ", ".join(part for part in (self.name, self.line, self.city, self.state, self.postal_code) if part)


class ProviderEndpoint(models.Model):
    """A technical endpoint a directory lists for a provider (a Plan-Net Endpoint): a portal,
    a Direct address, a FHIR server."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="endpoints")
    name = models.CharField(max_length=200, blank=True)
    connection_type = models.CharField(max_length=64, help_text="Plan-Net EndpointConnectionTypeCS code")
    address = models.CharField(max_length=500)

    class Meta:
        ordering = ["provider", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "address"], name="provider_endpoint_unique_address"),
            models.CheckConstraint(condition=~Q(address="") & ~Q(connection_type=""),
                                   name="provider_endpoint_complete"),
        ]

    def __str__(self) -> str:
        return f"{self.connection_type} {self.address}"


class Network(models.Model):
    """A payer's network as a directory published it (a Plan-Net Network Organization), and
    the carematch payer it stands for: set at import (a payer carematch knows by name, or a
    new payer named from the network's payer Organization) and changed by coordinators on
    the network mapping page. Its providers carry the payer in their insurance."""

    key = models.CharField(max_length=300, unique=True, help_text="The network's identifier or resource id")
    name = models.CharField(max_length=200)
    payer_name = models.CharField(max_length=200, blank=True, help_text="The payer Organization it is part of")
    payer = models.CharField(max_length=40, blank=True, help_text="carematch payer slug; blank until mapped")
    providers = models.ManyToManyField(Provider, related_name="networks", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["payer_name", "name"]
        constraints = [models.CheckConstraint(condition=~Q(key="") & ~Q(name=""), name="network_named")]

    def __str__(self) -> str:
        return f"{self.name} ({self.payer_name or 'payer unknown'})"


PROFILE_INVITATION_VALID_FOR = dt.timedelta(days=14)


class ProfileInvitation(models.Model):
    """An emailed link with which a provider imported from a directory claims their profile:
    its token is stored only as a SHA-256 digest, works once and for 14 days."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="invitations")
    token_digest = models.CharField(max_length=64, unique=True)
    sent_to = models.EmailField(max_length=254)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")),
                                   name="profile_invitation_expires_after_creation"),
            models.CheckConstraint(condition=Q(used_at__isnull=True) | Q(used_at__gte=models.F("created_at")),
                                   name="profile_invitation_used_after_creation"),
        ]

    def __str__(self) -> str:
        state = "used" if self.used_at else f"until {self.expires_at:%Y-%m-%d %H:%M}"
        return f"Invitation to claim a profile ({state})"

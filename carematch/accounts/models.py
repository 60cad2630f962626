"""People who use carematch and the API tokens that act for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy

from carematch.lib.crypto import EncryptedTextField
from carematch.lib.vocab import STATES


class Role(models.TextChoices):
    CLIENT = "client", gettext_lazy("Client")
    PROVIDER = "provider", gettext_lazy("Provider")
    COORDINATOR = "coordinator", gettext_lazy("Coordinator")
    ADMIN = "admin", gettext_lazy("Administrator")


STAFF_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
# These roles see other people's records: they must log in with a second factor (accounts.mfa).
MFA_REQUIRED_ROLES = frozenset({Role.PROVIDER, Role.COORDINATOR, Role.ADMIN})
# Sessions of these roles end after 30 minutes without a request (accounts.middleware).
IDLE_LIMITED_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN, Role.PROVIDER})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        # Emails are compared without regard to case, as mail systems do.
        return self.get(email__iexact=username or "")

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        role = extra.pop("role", Role.CLIENT)
        user = self.model(email=normalize_email(email), role=role, **extra)
        user.is_superuser = role == Role.ADMIN
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["role"] = Role.ADMIN
        return self.create_user(email, password, **extra)


def normalize_email(email: str) -> str:
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """One person. Email is the login; there are no usernames."""

    email = models.EmailField("email address", max_length=254, unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLIENT)
    preferred_name = models.CharField(
        "what we should call you", max_length=80, blank=True, help_text="Optional."
    )
    # The language of this person's pages (at log-in) and of every email sent to them.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    session_generation = models.PositiveIntegerField(
        default=0, editable=False, help_text="Raised to end every session of this person at once."
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(is_superuser=False) | models.Q(role=Role.ADMIN),
                name="accounts_user_superuser_is_admin",
            ),
            models.CheckConstraint(
                condition=models.Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="accounts_user_language_offered",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_staff(self) -> bool:
        """Staff pages and the Django admin are for coordinators and admins only."""
        return self.is_active and self.role in STAFF_ROLES

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    @property
    def mfa_required(self) -> bool:
        return self.role in MFA_REQUIRED_ROLES

    def get_short_name(self) -> str:
        return self.preferred_name or self.email.split("@")[0]

    # A session stays valid while the hash stored in it matches. Django derives the hash
    # from the password hash; the session generation joins it, so raising the generation
    # ends every session. At generation 0 the hash is Django's own, so existing sessions
    # survive the introduction of the field.
    def get_session_auth_hash(self) -> str:
        return self._session_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=fallback_secret)

    def _session_hash(self, *, secret: str | bytes | None) -> str:
        value = self.password if not self.session_generation else f"{self.password}:{self.session_generation}"
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class AccessEndReason(models.TextChoices):
    """Why everything that acts for a person was ended at once (accounts.services.user_access_end).
    The labels complete "... because ..." on pages and in the email."""

    PASSWORD_RESET = "password_reset", gettext_lazy("your password was reset")
    PASSWORD_CHANGE = "password_change", gettext_lazy("your password was changed")
    LOG_OUT_EVERYWHERE = "log_out_everywhere", gettext_lazy("you logged out everywhere")


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True, help_text="First characters, to tell tokens apart.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class LoginAttempt(models.Model):
    """One log-in or sign-up attempt (or request to be contacted from the crisis page or
    API), kept for a day to refuse repeated guessing or flooding (accounts.throttle). The
    email is stored only as a keyed digest."""

    class Kind(models.TextChoices):
        LOG_IN = "log_in", "Log in"
        SIGN_UP = "sign_up", "Sign up"
        SECOND_FACTOR = "mfa", "Authentication code"
        CRISIS_REQUEST = "crisis", "Request to be contacted"
        PROFILE_CLAIM = "claim", "Claiming a provider profile"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    email_digest = models.CharField(max_length=64)
    address = models.CharField(max_length=45, help_text="The IPv4 or IPv6 address the attempt came from.")
    attempted_at = models.DateTimeField(default=timezone.now)
    succeeded = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["email_digest", "attempted_at"], name="loginattempt_email_time"),
            models.Index(fields=["address", "attempted_at"], name="loginattempt_address_time"),
            models.Index(fields=["attempted_at"], name="loginattempt_time"),
        ]

    def __str__(self) -> str:
        outcome = "succeeded" if self.succeeded else "failed"
        return f"{self.get_kind_display()} from {self.address} {outcome} at {self.attempted_at:%Y-%m-%d %H:%M}"


class Client(models.Model):
    """A person seeking care. `state` is where they will be during sessions: it decides
    which providers' licenses count."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="client")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    state = models.CharField(max_length=2)
    zip = models.CharField("ZIP", max_length=5, blank=True)
    timezone = models.CharField(max_length=64, help_text="IANA time zone, e.g. America/New_York")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When the client closed their account; what the retention period requires is kept until it ends.",
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=list(STATES)),
                name="client_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.date_of_birth.year
        if (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day):
            years -= 1
        return years


class MfaDevice(models.Model):
    """A person's authenticator app: the shared TOTP secret (stored encrypted). It counts
    only once confirmed with a code; `last_used_step` makes every code good once."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="mfa_device")
    secret = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(
        null=True, blank=True, editable=False, help_text="The latest 30-second time step whose code was accepted."
    )

    class Meta:
        verbose_name = "authenticator app"

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "not confirmed"
        return f"Authenticator app of {self.user} ({state})"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A single-use code for logging in without the authenticator app. Only a keyed digest
    is stored (accounts.mfa.recovery_code_digest)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "digest"], name="recoverycode_user_digest_unique"),
        ]

    def __str__(self) -> str:
        return f"Recovery code of {self.user} ({'used' if self.used_at else 'unused'})"


class SignUpRequest(models.Model):
    """A sign-up waiting for its email address to be confirmed. The account is created only
    when the emailed link is followed; the link's token is stored as a SHA-256 digest and
    works once, until `expires_at`. What the person typed waits here: the password only as
    its hash, their details (booking journey) encrypted."""

    email = models.EmailField(max_length=254)
    token_digest = models.CharField(max_length=64, unique=True)
    password_hash = models.CharField(max_length=128)
    preferred_name = models.CharField(max_length=80, blank=True)
    details = EncryptedTextField(blank=True, default="", help_text="Client details as JSON, when given.")
    next_url = models.CharField(max_length=500, blank=True, help_text="Where the person continues after confirming.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="signuprequest_expires")]

    def __str__(self) -> str:
        state = "used" if self.used_at else f"until {self.expires_at:%Y-%m-%d %H:%M}"
        return f"Sign-up request ({state})"

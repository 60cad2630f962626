"""The newsletter: who asked for it (double opt-in), what they agreed to (append-only), and
each message of each issue sent (one row per recipient, so a send can resume without
sending anyone twice)."""

from __future__ import annotations

from types import MappingProxyType

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy, gettext_noop

from carematch.lib.history import Guard

TOPICS = MappingProxyType({
    "new_articles": gettext_lazy("New articles in the library"),
    "coping": gettext_lazy("Ways to cope between sessions"),
    "starting_therapy": gettext_lazy("Starting therapy and what to expect"),
    "service_news": gettext_lazy("News about this service"),
})

CONSENT_TEXT = gettext_noop(
    "Yes, email me carematch's newsletter about the topics I chose. I can change the topics or leave at "
    "any time with the link in every email; my address is used for nothing else.")

CONFIRMATION_DAYS = 7


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class Subscriber(models.Model):
    email = models.EmailField(max_length=254, unique=True)  # stored lower-cased
    status = models.CharField(max_length=12, choices=SubscriberStatus.choices, default=SubscriberStatus.PENDING)
    topics = models.JSONField(default=list)
    # The key of the subscriber's links (preferences, unsubscribe); a new one makes old links stop working.
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # The language the person signed up in: their confirmation and every newsletter use it.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=SubscriberStatus.values), name="newsletter_status_known"),
            models.CheckConstraint(condition=Q(language__in=[code for code, _name in settings.LANGUAGES]),
                                   name="newsletter_language_offered"),
            models.CheckConstraint(condition=~Q(status=SubscriberStatus.CONFIRMED) | Q(confirmed_at__isnull=False),
                                   name="newsletter_confirmed_has_date"),
            models.CheckConstraint(condition=Q(email=models.functions.Lower("email")),
                                   name="newsletter_email_lower_case"),
        ]

    def __str__(self) -> str:
        return f"subscriber {self.pk}"


class Confirmation(models.Model):
    """A single-use link to confirm a subscription (only its digest is kept)."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="confirmations")
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"confirmation {self.pk}"


class ConsentKind(models.TextChoices):
    REQUESTED = "requested", "Asked to subscribe"
    CONFIRMED = "confirmed", "Confirmed by the emailed link"
    TOPICS = "topics", "Changed topics"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class Consent(models.Model):
    """What a person agreed to (or withdrew), the exact words, when, and from which address.
    Written once, never changed (CONSENT_GUARD)."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=12, choices=ConsentKind.choices)
    text = models.TextField()
    topics = models.JSONField(default=list)
    at = models.DateTimeField()
    address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"consent {self.pk}"


class SignupAttempt(models.Model):
    """A sign-up asked for from an address: counted to limit them (no email is kept)."""

    address = models.GenericIPAddressField()
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"sign-up attempt {self.pk}"


class Issue(models.Model):
    """One newsletter, as sent by `newsletter_send`; `key` names the same subject, articles and
    topic, so running the command again resumes it instead of starting another."""

    key = models.CharField(max_length=64, unique=True)
    subject = models.CharField(max_length=200)
    article_slugs = models.JSONField(default=list)
    topic = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.subject


class DeliveryStatus(models.TextChoices):
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (sent again on the next run)"


class Delivery(models.Model):
    """One recipient of one issue. The row is claimed before the message goes out, so no run
    and no second worker sends it again; a message the email back end refused is marked
    failed, and only those are tried again."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "subscriber"], name="newsletter_one_delivery_each"),
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="newsletter_delivery_status"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk}"


CONSENT_GUARD = Guard("newsletter_consent", frozen=("id", "subscriber_id", "kind", "text", "topics", "at", "address"))

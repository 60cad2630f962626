"""Conversations and their messages.

A conversation is between one client and either one of their providers or the care team (the
coordinators, who answer practical matters and follow up after a crisis). The database keeps
one conversation per client and provider, and one with the care team, whichever process
asks first.

Message text is encrypted at rest (carematch.lib.crypto): the database never holds it in
plain text. A message is never edited; its sender may retract it within minutes, which keeps
the row and marks when (pages and the API then show that it was retracted, not its text).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from carematch.accounts.models import Client
from carematch.directory.models import Provider
from carematch.lib.crypto import EncryptedTextField

BODY_MAX = 4000


class Kind(models.TextChoices):
    PROVIDER = "provider", "With a provider"
    CARE_TEAM = "care_team", "With the care team"


class Conversation(models.Model):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="conversations")
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="conversations")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField()
    last_message_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True,
                                     help_text="When the client's account closed: read-only from then on.")
    # When each side was last emailed about a new message: at most one email a side per window.
    client_notified_at = models.DateTimeField(null=True, blank=True)
    team_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="messaging_conversation_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind=Kind.PROVIDER, provider__isnull=False) | Q(kind=Kind.CARE_TEAM, provider__isnull=True),
                name="messaging_conversation_provider_matches_kind",
            ),
            models.UniqueConstraint(fields=["client", "provider"], condition=Q(kind=Kind.PROVIDER),
                                    name="messaging_one_conversation_per_client_provider"),
            models.UniqueConstraint(fields=["client"], condition=Q(kind=Kind.CARE_TEAM),
                                    name="messaging_one_care_team_conversation_per_client"),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk} of client {self.client_id}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_client = models.BooleanField(help_text="Written by the client (else by their provider or a coordinator).")
    body = EncryptedTextField()
    sent_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    retracted_at = models.DateTimeField(null=True, blank=True)
    crisis = models.BooleanField(default=False, help_text="The text matched the crisis phrase list.")

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "sent_at"]),
            models.Index(fields=["sender", "sent_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="messaging_message_has_text"),
            models.CheckConstraint(condition=Q(retracted_at__isnull=True) | Q(retracted_at__gte=models.F("sent_at")),
                                   name="messaging_message_retracted_after_sent"),
            models.CheckConstraint(condition=Q(read_at__isnull=True) | Q(read_at__gte=models.F("sent_at")),
                                   name="messaging_message_read_after_sent"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} in conversation {self.conversation_id}"

    @property
    def is_retracted(self) -> bool:
        return self.retracted_at is not None

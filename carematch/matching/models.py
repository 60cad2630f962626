"""What matching keeps in the database."""

from __future__ import annotations

from django.db import models


class WaitlistEntry(models.Model):
    """A client for whom nothing fitted yet. `carematch assign_waitlist` places waiting
    entries into open first-session openings all at once."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        PLACED = "placed", "Placed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="waitlist_entries")
    care_request = models.ForeignKey(
        "scheduling.CareRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request = models.JSONField(help_text="What they asked for: the fields of a match request.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField()
    placed_at = models.DateTimeField(null=True, blank=True)
    appointment = models.OneToOneField(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(status="waiting"), name="one_waiting_entry_per_client"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["waiting", "placed", "withdrawn"]), name="waitlist_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"waitlist entry {self.pk} ({self.status})"

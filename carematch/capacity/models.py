"""What the capacity forecast keeps: each run a coordinator started from /staff/capacity/,
what they asked for and what it found (figures only: no client's name or record)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy


class CapacityRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("staff", "Waiting to start")
        RUNNING = "running", pgettext_lazy("staff", "Running")
        FINISHED = "finished", pgettext_lazy("staff", "Finished")
        FAILED = "failed", pgettext_lazy("staff", "Failed")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    options = models.JSONField(help_text="What was asked for: days, states, arrivals, extra hours, target, seed.")
    result = models.JSONField(null=True, blank=True,
                              help_text="The forecast's figures, as `carematch simulate --json` prints them.")
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["queued", "running", "finished", "failed"]),
                                   name="capacity_run_status_valid"),
        ]

    def __str__(self) -> str:
        return f"capacity run {self.pk} ({self.status})"

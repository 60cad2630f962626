"""The access log: one row for every time someone looked at, changed or exported part of a
client's record, or was refused it.

Each row says whether the access was allowed (`outcome`) and, for an allowed change, what
became of it (`result`: succeeded, or rejected by validation with nothing written). A change is
recorded once the service has returned or raised (carematch.access.audit.write), never before.

The log is append-only. Rows are written through carematch.access.audit.record() and never
changed or removed: save() refuses to change a stored row, delete() and the queryset's
update() and delete() refuse outright, and triggers in the database (migration 0001) refuse
UPDATE and DELETE from any connection, raw SQL included. Who acted is kept as plain values
(id, email, role), not as a foreign key, so that the log outlives closed and deleted
accounts; the same goes for the client. Nothing of the record's content, no query string
and no secret is ever stored here.

On SQLite, a migration that alters this table rebuilds it and drops its triggers with the
old table: such a migration must create the triggers again (test_audit_append_only.py
checks them on the migrated database).
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    """A change or removal of an access event was attempted: the log is append-only."""


class Action(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    EXPORT = "export", "Exported"
    DELETE = "delete", "Deleted"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"


class Result(models.TextChoices):
    """What became of an allowed change: it took effect, or it was refused by validation (an
    invalid value, a conflict) and nothing was written. Reads, exports and denied attempts
    have no result (an empty string)."""

    SUCCEEDED = "succeeded", "Succeeded"
    REJECTED = "rejected", "Rejected"


WRITE_ACTIONS = frozenset({Action.CREATE, Action.UPDATE, Action.DELETE})


# The actor's role when there was no signed-in person: a command or background task, or a
# request without an account (a questionnaire's private link).
SYSTEM = "system"
ANONYMOUS = "anonymous"


class Channel(models.TextChoices):
    PAGE = "page", "Web page"
    API = "api", "API"
    COMMAND = "command", "Command or task"


class AccessEventQuerySet(models.QuerySet["AccessEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Access events are never changed.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Access events are never deleted.")


class AccessEvent(models.Model):
    occurred_at = models.DateTimeField(default=timezone.now, editable=False)
    actor_id = models.BigIntegerField(null=True, blank=True, editable=False,
                                      help_text="The user's id; empty for the system or a request without an account.")
    actor_email = models.CharField(max_length=254, blank=True, editable=False)
    actor_role = models.CharField(max_length=16, editable=False)
    action = models.CharField(max_length=8, choices=Action.choices, editable=False)
    resource_type = models.CharField(max_length=40, editable=False)
    resource_id = models.CharField(max_length=40, blank=True, editable=False)
    client_id = models.BigIntegerField(null=True, blank=True, editable=False,
                                       help_text="The client whose record it is, when there is one.")
    outcome = models.CharField(max_length=8, choices=Outcome.choices, editable=False)
    result = models.CharField(max_length=9, choices=Result.choices, blank=True, default="", db_default="",
                              editable=False,
                              help_text="For an allowed change, whether it succeeded or was rejected; empty otherwise.")
    address = models.CharField(max_length=45, blank=True, editable=False,
                               help_text="The IPv4 or IPv6 address the request came from.")
    channel = models.CharField(max_length=8, choices=Channel.choices, editable=False)

    objects: ClassVar[models.Manager[AccessEvent]] = AccessEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["client_id", "-occurred_at"], name="accessevent_client_time"),
            models.Index(fields=["actor_id", "-occurred_at"], name="accessevent_actor_time"),
            models.Index(fields=["actor_email"], name="accessevent_actor_email"),
            models.Index(fields=["-occurred_at"], name="accessevent_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=Action.values), name="accessevent_action_valid"),
            models.CheckConstraint(condition=models.Q(outcome__in=Outcome.values), name="accessevent_outcome_valid"),
            models.CheckConstraint(condition=models.Q(channel__in=Channel.values), name="accessevent_channel_valid"),
            models.CheckConstraint(condition=models.Q(result__in=["", *Result.values]),
                                   name="accessevent_result_valid"),
            # Only an allowed change has a result: a read, an export or a denied attempt has none.
            # (Events written before results were recorded have none either, so an allowed
            # change without one is not refused here; carematch.access.audit refuses it.)
            models.CheckConstraint(
                condition=models.Q(result="") | models.Q(outcome=Outcome.ALLOWED, action__in=sorted(WRITE_ACTIONS)),
                name="accessevent_result_only_for_allowed_writes",
            ),
        ]

    def __str__(self) -> str:
        who = self.actor_email or self.actor_role
        what = f"{self.resource_type} {self.resource_id}".strip()
        outcome = f"{self.outcome}, {self.result}" if self.result else self.outcome
        return f"{who} {self.action} {what} ({outcome}) at {self.occurred_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Access events are never changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Access events are never deleted.")

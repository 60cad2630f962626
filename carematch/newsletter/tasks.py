"""Background work of the newsletter, run by `carematch db_worker`. Tasks carry ids only."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def deliver_batch(*, issue_id: int, subscriber_ids: list[int]) -> int:
    """Send one issue to one batch of subscribers (each at most once)."""
    return services.issue_deliver(issue_id=issue_id, subscriber_ids=subscriber_ids)

from __future__ import annotations

from django.db.models import QuerySet

from .models import Delivery, DeliveryStatus, Issue, Subscriber, SubscriberStatus


def recipients_left(*, issue: Issue) -> QuerySet[Subscriber]:
    """Confirmed subscribers (wanting the issue's topic, when it has one) who have no delivery
    of it yet, or whose last one failed."""
    done = Delivery.objects.filter(issue=issue).exclude(status=DeliveryStatus.FAILED).values("subscriber_id")
    found = Subscriber.objects.filter(status=SubscriberStatus.CONFIRMED).exclude(pk__in=done).order_by("pk")
    if issue.topic:
        return Subscriber.objects.filter(pk__in=[s.pk for s in found if issue.topic in s.topics]).order_by("pk")
    return found


def delivery_counts(*, issue: Issue) -> dict[str, int]:
    counts = dict.fromkeys(DeliveryStatus.values, 0)
    for status in Delivery.objects.filter(issue=issue).values_list("status", flat=True):
        counts[status] += 1
    return counts


def subscriber_by_email(*, email: str) -> Subscriber | None:
    return Subscriber.objects.filter(email=(email or "").strip().lower()).first() if email else None

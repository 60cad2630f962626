from __future__ import annotations

import datetime as dt
from typing import Any

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


def subscription_export(*, email: str) -> dict[str, Any] | None:
    """The newsletter subscription of an address, for its owner's data export: status, topics,
    dates and every consent with its exact words (None when the address never signed up)."""
    subscriber = subscriber_by_email(email=email)
    if subscriber is None:
        return None

    def instant(moment: dt.datetime | None) -> str | None:
        return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None

    return {
        "email": subscriber.email, "status": subscriber.status, "topics": list(subscriber.topics),
        "signed_up_at": instant(subscriber.created_at), "confirmed_at": instant(subscriber.confirmed_at),
        "unsubscribed_at": instant(subscriber.unsubscribed_at),
        "consents": [{"kind": consent.kind, "text": consent.text, "topics": list(consent.topics),
                      "at": instant(consent.at), "address": consent.address}
                     for consent in subscriber.consents.order_by("at", "pk")],
    }

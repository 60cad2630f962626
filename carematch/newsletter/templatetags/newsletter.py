"""`{% newsletter_footer %}` (the footer's sign-up form) and `{% newsletter_of user %}` (a
client's subscription on their account page)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from carematch.newsletter import selectors, services
from carematch.newsletter.forms import SubscribeForm
from carematch.newsletter.models import TOPICS, SubscriberStatus

register = template.Library()


@register.inclusion_tag("newsletter/includes/subscribe_form.html")
def newsletter_footer() -> dict[str, Any]:
    return {"form": SubscribeForm(), "form_id": "footer", "compact": True}


@register.inclusion_tag("newsletter/includes/account.html")
def newsletter_of(user: Any) -> dict[str, Any]:
    subscriber = selectors.subscriber_by_email(email=getattr(user, "email", ""))
    return {
        "subscriber": subscriber,
        "subscribed": subscriber is not None and subscriber.status == SubscriberStatus.CONFIRMED,
        "pending": subscriber is not None and subscriber.status == SubscriberStatus.PENDING,
        "topics": [TOPICS[t] for t in subscriber.topics if t in TOPICS] if subscriber else [],
        "manage_url": reverse("newsletter:preferences", args=[services.manage_token(subscriber)]) if subscriber else "",
        "subscribe_form": SubscribeForm(initial={"email": getattr(user, "email", "")}),
    }

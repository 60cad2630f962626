"""Signing up for the newsletter on the JSON API (no token needed)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Router, Status

from carematch.accounts.throttle import client_address
from carematch.openapi import errors

from . import services
from .schemas import SubscriptionAcceptedOut, SubscriptionIn
from .views import ANSWER

router = Router(tags=["newsletter"])


@router.post("/newsletter/subscriptions", auth=None, response={202: SubscriptionAcceptedOut, **errors(422, 429)})
def subscribe(request: HttpRequest, payload: SubscriptionIn) -> Any:
    """Ask for the newsletter. Always 202 with the same answer, whether or not the address is
    known: a confirmation link (valid 7 days, single use) is emailed unless one is still valid or
    the address is already subscribed; nothing else is sent until it is used (double opt-in).
    At most CAREMATCH_NEWSLETTER_SIGNUPS_PER_HOUR (5) an hour from one address, then 429."""
    services.subscription_request(email=payload.email, topics=payload.topics, address=client_address(request))
    return Status(202, {"detail": gettext(ANSWER)})

"""Whose clock a page shows times on: the one client's zone, the same on every page.

A signed-in client sees their own zone (their client record's). Someone still finding a
therapist sees the zone of where the intake says they are (their ZIP code's, else their
state's), so the results, a profile, the booking page and the hold all read alike. Anyone
else (a provider, a coordinator, a visitor who has not said where they are) gets None, and
the page shows the provider's own zone and says so."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from carematch.access import policy
from carematch.accounts import selectors as account_selectors
from carematch.accounts.http import signed_in_user
from carematch.accounts.models import Role
from carematch.lib.timezones import client_zone

from .costs import Payer, PlanAsked, cost_shown, match_costs, plan_asked, with_eligibility
from .intake import SESSION_KEY, answers_complete, match_request


def viewer_zone(request: HttpRequest) -> str | None:
    """The client's zone for this visitor, or None when they are not a client (yet)."""
    user = signed_in_user(request)
    if user is not None:
        if not policy.has_role(user, Role.CLIENT):
            return None
        client = account_selectors.client_of(user=user)
        if client is not None:
            return client_zone(chosen=client.timezone)
    answers = request.session.get(SESSION_KEY) or {}
    if answers.get("state"):
        return client_zone(zip=answers.get("zip"), state=answers.get("state"))
    return None


def viewer_cost(request: HttpRequest, provider: Any) -> dict[str, Any] | None:
    """What a session with `provider` would cost this visitor, as the results say it, when the
    intake in their session is complete (what they pay with, their plan, where they are);
    None otherwise. A provider outside their insurer's network is their own fee."""
    answers = request.session.get(SESSION_KEY) or {}
    if not answers or answers_complete(answers) is not None:
        return None
    asked = match_request(answers, now=timezone.now())
    low, high = provider.sliding_scale_min, provider.sliding_scale_max
    payer = Payer(provider_id=provider.pk, self_pay_rate=provider.self_pay_rate,
                  sliding_scale=(low, high) if low is not None and high is not None else None,
                  in_network=asked.insurance is None or asked.insurance in provider.insurance)
    return cost_shown(match_costs(request=asked, plan=visitor_plan(request, answers, insurance=asked.insurance),
                                  providers=[payer])[provider.pk])


def visitor_plan(request: HttpRequest, answers: dict[str, Any], *, insurance: str | None) -> PlanAsked:
    """What this visitor said of their plan and, when they are a signed-in client whose coverage
    was checked with that payer lately, what their insurer answered."""
    user = signed_in_user(request)
    client = account_selectors.client_of(user=user) if user is not None and policy.has_role(user, Role.CLIENT) else None
    return with_eligibility(plan_asked(answers), client_id=client.pk if client else None, payer=insurance,
                            now=timezone.now())

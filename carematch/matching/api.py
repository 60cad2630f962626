"""Matching on the JSON API: POST /api/v1/match."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from ninja import Router

from carematch.access import audit, policy
from carematch.access.models import Action
from carematch.accounts import selectors as account_selectors
from carematch.accounts.http import AuthedHttpRequest
from carematch.accounts.models import Client, Role
from carematch.coverage.selectors import plan_choice_check
from carematch.lib.crisis import crisis_resources
from carematch.lib.errors import Forbidden, NotFound
from carematch.lib.timezones import client_zone
from carematch.openapi import errors
from carematch.scheduling import services as scheduling
from carematch.scheduling.models import CrisisChannel

from .costs import Payer, PlanAsked, cost_json, match_costs, with_eligibility
from .engine.reasons import common_reason
from .engine.types import MatchRequest
from .schemas import MatchAnswerOut, MatchIn

router = Router(tags=["matching"])


def _client_for(request: AuthedHttpRequest, client_id: int | None) -> Client | None:
    user = request.user
    if policy.is_staff_member(user):
        if client_id is None:
            return None
        client = account_selectors.client_by_id(client_id=client_id)
        if client is None:
            raise NotFound("No client with that id.", fields={"client_id": "not found"})
        return client
    if policy.has_role(user, Role.CLIENT) and user.pk is not None:
        own = account_selectors.client_of(user=user)
        if client_id is not None and (own is None or own.pk != client_id):
            raise NotFound("No client with that id.", fields={"client_id": "not found"})
        return own
    raise Forbidden("Matching is for clients (for themselves) and coordinators.")


@router.post("/match", response={200: MatchAnswerOut, **errors(403, 404)}, exclude_none=True)
def find_matches(request: AuthedHttpRequest, payload: MatchIn) -> Any:
    """Licensed providers who fit, ranked with reasons, each with up to 3 openings in the window.

    Every provider and opening obeys the hard rules; see the README for the ranking weights.
    With `"crisis": true` the answer starts with the crisis resources and the request is flagged
    for a coordinator; matching is offered as well, never instead. With a `contact` as well,
    the person is put in the coordinators' crisis follow-up queue to be called back."""
    from .services import match_find, match_request_check

    client = _client_for(request, payload.client_id)
    now = timezone.now()
    asked = MatchRequest(
        state=payload.state, zip=payload.zip, age=payload.age, concerns=tuple(payload.concerns),
        approaches=tuple(payload.approaches), format=payload.format,
        max_distance_miles=payload.max_distance_miles, languages=tuple(payload.languages),
        provider_gender=payload.provider_gender, insurance=payload.insurance,
        self_pay_max=payload.self_pay_max if payload.insurance is None else None,
        earliest=payload.earliest or now, within_hours=payload.within_hours, limit=payload.limit,
        times_of_day=tuple(payload.times_of_day),
        client_timezone=client_zone(chosen=client.timezone if client else None, zip=payload.zip, state=payload.state),
    )
    # Refused before anything is written: a request that cannot be matched leaves nothing behind.
    match_request_check(asked, now=now, asking=True)
    plan = PlanAsked(plan_id=payload.plan_id, deductible_left_usd=payload.deductible_left_usd,
                     oop_left_usd=payload.oop_left_usd)
    plan_choice_check(payer=payload.insurance, plan_id=plan.plan_id, deductible_left_usd=plan.deductible_left_usd,
                      oop_left_usd=plan.oop_left_usd)
    # A request for care (and its 48-hour clock) is recorded when a person asks: a client, a
    # coordinator acting for a named client, or anyone in danger. A coordinator's search with no
    # client is exploring the directory and leaves nothing behind.
    care_request = None
    if client is not None or payload.crisis:
        care_request = scheduling.care_request_open(client=client, crisis=payload.crisis, now=now)
    if care_request is not None and plan.plan_id:
        scheduling.care_request_coverage_set(
            request_id=care_request.pk, payer=payload.insurance, plan_id=plan.plan_id,
            deductible_left_usd=plan.deductible_left_usd, oop_left_usd=plan.oop_left_usd)
    crisis_request = None
    if care_request is not None and payload.crisis:
        scheduling.care_request_flag_crisis(request_id=care_request.pk)
    if payload.crisis and payload.contact is not None:
        # A match needs a token, so no limit per address here: refusing would withhold the
        # crisis resources of the answer too.
        with audit.write(request, action=Action.CREATE, resource_type="crisis_request", client=client) as attempt:
            crisis_request = scheduling.crisis_request_create(
                channel=CrisisChannel.API, name=payload.contact.name, phone=payload.contact.phone,
                state=payload.state, client=client, care_request_id=care_request.pk if care_request else None,
                now=now,
            )
            attempt.resource_id, attempt.client = crisis_request.pk, crisis_request.client_id
    answer = match_find(request=asked, now=now)
    plan = with_eligibility(plan, client_id=client.pk if client else None, payer=asked.insurance, now=now)
    costs = match_costs(request=asked, plan=plan, providers=[
        Payer(provider_id=m.provider_id, self_pay_rate=m.self_pay_rate) for m in answer.matches])
    return {
        "crisis_resources": crisis_resources() if payload.crisis else None,
        "matches": [
            {
                "provider": {"id": m.provider_id, "npi": m.npi, "name": m.name, "credentials": list(m.credentials)},
                "score": round(m.score, 6),
                "reasons": list(m.reasons),
                "openings": [{"start": o.start, "end": o.end, "formats": list(o.formats)} for o in m.openings],
                "cost": cost_json(costs[m.provider_id]),
            }
            for m in answer.matches
        ],
        "shared_reasons": [common_reason(fact) for fact in answer.shared],
        "suggestions": [{"change": s.change, "more_matches": s.more_matches} for s in answer.suggestions],
        "care_request_id": care_request.pk if care_request is not None else None,
        "crisis_request_id": crisis_request.pk if crisis_request is not None else None,
    }

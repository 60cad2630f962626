"""The plain matcher: the same answers as the engine, the slow and obvious way.

ORM queries and one provider at a time, with carematch.scheduling.openings for the
openings and carematch.measures.selectors.provider_effects for the outcome estimates. No
NumPy. Tests and the benchmark hold the engine to it; nothing else calls it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from carematch.directory.models import License, Provider
from carematch.lib import geo
from carematch.lib.sessions import SESSION, session_dates
from carematch.lib.timezones import in_zone
from carematch.measures.selectors import provider_effects
from carematch.scheduling.models import CareRequest
from carematch.scheduling.openings import Window, opening_starts
from carematch.scheduling.selectors import active_claims

from .engine.match import explained, relaxations, relaxed, shown_order
from .engine.reasons import write_facts
from .engine.request import population_for
from .engine.scoring import (
    RECENT_DAYS,
    combine,
    done_well,
    fair_share,
    measured_concerns,
    outcome_value,
    outcomes_part,
    parts_counted,
)
from .engine.types import TIMES_OF_DAY, Fact, Match, MatchAnswer, MatchRequest, Opening, Suggestion
from .services import match_request_check


@dataclass
class _Found:
    provider: Provider
    score: float
    openings: list[dt.datetime]
    formats: tuple[str, ...]
    miles: float | None
    outcome_values: list[float]  # of the client's measured concerns, in their order


def _formats(provider: Provider, request: MatchRequest) -> tuple[tuple[str, ...], float | None]:
    formats: list[str] = []
    miles = None
    if request.format in ("telehealth", "any") and "telehealth" in provider.formats:
        formats.append("telehealth")
    if (
        request.format in ("in_person", "any") and "in_person" in provider.formats and request.zip
        and provider.latitude is not None and provider.longitude is not None
    ):
        located = geo.zip_location(request.zip)
        if located is not None:
            distance = geo.miles_between(located[0], located[1], provider.latitude, provider.longitude)
            if distance <= request.max_distance_miles:
                formats.append("in_person")
                miles = distance
    return tuple(formats), miles


def _licensed_for(start: dt.datetime, provider: Provider, licenses: list[License], client_zone: str) -> bool:
    """A license counts (License.counts_on: verified, not expired) on every date the session touches."""
    days = session_dates(start, (provider.timezone, client_zone))
    return any(all(lic.counts_on(day) for day in days) for lic in licenses)


def _openings(provider: Provider, request: MatchRequest, now: dt.datetime) -> list[dt.datetime]:
    # Blocked spans are read up to a session past the window: an opening that starts in
    # the window may end after it.
    until = request.latest + SESSION
    blocked = [(t.start, t.end) for t in provider.time_off.filter(start__lt=until, end__gt=request.earliest)]
    blocked += [
        (a.start, a.end) for a in active_claims(provider=provider, start=request.earliest, end=until, now=now)
    ]
    return opening_starts(
        windows=[Window(w.weekday, w.start, w.end) for w in provider.windows.all()],
        tz_name=provider.timezone,
        start=request.earliest,
        end=request.latest,
        now=now,
        min_notice=dt.timedelta(hours=provider.min_notice_hours),
        blocked=blocked,
        works_holidays=provider.works_holidays,
    )


def _in_time_of_day(start: dt.datetime, request: MatchRequest, name: str) -> bool:
    return TIMES_OF_DAY[name][0] <= in_zone(start, request.client_timezone).hour < TIMES_OF_DAY[name][1]


def _in_chosen_times(start: dt.datetime, request: MatchRequest) -> bool:
    return any(_in_time_of_day(start, request, name) for name in request.times_of_day)


def _everyone(request: MatchRequest, now: dt.datetime) -> list[_Found]:
    """Every provider who fits, best first."""
    population = population_for(request.age)
    measured = measured_concerns(request)
    effects = provider_effects()
    found = []
    licensed = Provider.objects.matchable().filter(
        pk__in=License.objects.filter(state=request.state).values("provider_id")
    )
    for provider in licensed.prefetch_related("licenses", "windows").order_by("id"):
        licenses = [lic for lic in provider.licenses.all() if lic.state == request.state]
        if not licenses:
            continue
        if not any(code in provider.languages for code in request.languages):
            continue
        if population not in provider.populations:
            continue
        if not any(concern in provider.concerns for concern in request.concerns):
            continue
        if provider.self_pay_rate is None:
            continue  # never published (provider_published_is_complete); never matched
        if request.insurance:
            if request.insurance not in provider.insurance:
                continue
        elif request.self_pay_max is not None and provider.self_pay_rate > request.self_pay_max:
            continue
        formats, miles = _formats(provider, request)
        if not formats:
            continue
        openings = [
            start for start in _openings(provider, request, now)
            if _licensed_for(start, provider, licenses, request.client_timezone)
        ]
        if not openings:
            continue
        parts = {"concerns": sum(c in provider.concerns for c in request.concerns) / len(request.concerns)}
        if request.approaches:
            parts["approaches"] = sum(a in provider.approaches for a in request.approaches) / len(request.approaches)
        if request.provider_gender:
            parts["gender"] = 1.0 if provider.gender == request.provider_gender else 0.0
        parts["soonness"] = 1.0 - (openings[0] - request.earliest) / (request.latest - request.earliest)
        if request.times_of_day:
            parts["times_of_day"] = sum(_in_chosen_times(start, request) for start in openings) / len(openings)
        new_clients = CareRequest.objects.filter(
            first_appointment__provider=provider,
            first_appointment__booked_at__gte=now - dt.timedelta(days=RECENT_DAYS),
        ).count()
        parts["fair_share"] = fair_share(len(openings), new_clients)
        outcome_values = [outcome_value(effects.get(provider.pk, {}).get(concern)) for concern in measured]
        if measured:
            parts["outcomes"] = outcomes_part(outcome_values)
        score = combine(parts, parts_counted(request))
        found.append(_Found(provider, score, openings, formats, miles, outcome_values))
    found.sort(key=lambda item: (-item.score, item.provider.pk))
    return found


def _match(item: _Found, request: MatchRequest) -> tuple[Match, tuple[Fact, ...]]:
    provider = item.provider
    preferred = [_in_chosen_times(start, request) for start in item.openings]
    shown = tuple(Opening(start=item.openings[at], end=item.openings[at] + SESSION, formats=item.formats)
                  for at in shown_order(preferred, 3))
    match = Match(
        provider_id=provider.pk,
        npi=provider.npi,
        name=f"{provider.first_name} {provider.last_name}",
        credentials=tuple(provider.credentials),
        score=item.score,
        reasons=(),
        openings=shown,
        self_pay_rate=provider.self_pay_rate or 0,  # matchable providers always have one (a database check)
    )
    return match, write_facts(
        request=request,
        treated=[c for c in request.concerns if c in provider.concerns],
        specialises=[c for c in request.concerns if c in provider.specialties and c in provider.concerns],
        done_well=done_well(measured_concerns(request), item.outcome_values),
        offered=[a for a in request.approaches if a in provider.approaches],
        self_pay_rate=provider.self_pay_rate or 0,
        speaks=[code for code in request.languages if code in provider.languages],
        gender=provider.gender,
        formats=item.formats,
        miles=item.miles,
        times={name: sum(_in_time_of_day(start, request, name) for start in item.openings)
               for name in request.times_of_day},
        first_start=item.openings[0],
    )


def reference_match(*, request: MatchRequest, now: dt.datetime | None = None) -> MatchAnswer:
    now = now or timezone.now()
    request = match_request_check(request, now=now)
    everyone = _everyone(request, now)
    matches, shared = explained([_match(item, request) for item in everyone[:request.limit]])
    suggestions = []
    if len(matches) < request.limit:
        found = {match.provider_id for match in matches}
        for change in relaxations(request):
            others = [item for item in _everyone(relaxed(request, change), now) if item.provider.pk not in found]
            more = min(len(others), request.limit - len(matches))
            if more:
                suggestions.append(Suggestion(change=change, more_matches=more))
        suggestions.sort(key=lambda suggestion: -suggestion.more_matches)
    return MatchAnswer(matches=matches, suggestions=tuple(suggestions), shared=shared)

"""What the capacity forecast reads from the database, once a run: the directory as rows,
what is already taken, and the demand of the last 90 days.

What the last 90 days measure (`--from-history`), and where it comes from:
- the arrival rate, and its profile over the hours of the week, from the requests for
  care (scheduling.CareRequest.requested_at), crisis requests included;
- each request's state, age and ZIP code from the client who asked (requests of people
  who never signed up are counted in the rate and take the mix of the others), and its
  payer from what they said about their insurance;
- concerns, languages and format from what they asked for where it was kept (their
  waitlist entry's request); a request without one takes the documented default
  (carematch/capacity/demand.py) for those fields, and its format from its first
  appointment where it had one;
- no-show rate: of sessions that started in the window and were marked, the share missed;
- cancellation rate: of first sessions booked in the window, the share cancelled;
- follow-ups: sessions a client had with the provider of their first session, less one.
Nothing of what a person wrote (notes, answers) is read.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count

from carematch.directory.models import AvailabilityWindow, License, Provider, TimeOff, match_unverified_licenses
from carematch.matching.engine.directory import LicenseRow, ProviderRow, WindowRow
from carematch.matching.engine.request import population_for
from carematch.matching.engine.scoring import RECENT_DAYS
from carematch.matching.models import WaitlistEntry
from carematch.measures.selectors import provider_effects
from carematch.scheduling.models import Appointment, CareRequest, Kind, Status, claims_at

from . import demand as defaults
from .demand import Demand, RequestKind, default_kinds
from .models import CapacityRun
from .network import Network

HISTORY_DAYS = 90
LOOK_AHEAD_DAYS = 120  # bookings and time off read this far ahead (a run of up to 90 days, a week to spare)


def _seconds(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def network_load(*, now: dt.datetime) -> Network:
    """Every bookable provider, their licenses and windows, outcome estimates, and what is
    booked, held or off from now on: the network as the engine would see it now."""
    providers = tuple(ProviderRow._make(row) for row in
                      Provider.objects.matchable().order_by("id").values_list(*ProviderRow._fields))
    licenses = tuple(LicenseRow._make(row) for row in
                     License.objects.order_by("id").values_list("provider_id", "state", "expires", "status"))
    windows = tuple(WindowRow._make(row) for row in AvailabilityWindow.objects.order_by("id")
                    .values_list("provider_id", "weekday", "start", "end"))
    until = now + dt.timedelta(days=LOOK_AHEAD_DAYS)
    blocked: dict[int, list[tuple[int, int]]] = {}
    for pid, start, end in (Appointment.objects.filter(claims_at(now), end__gt=now, start__lt=until)
                            .order_by("start").values_list("provider_id", "start", "end")):
        blocked.setdefault(pid, []).append((_seconds(start), _seconds(end)))
    away: dict[int, list[tuple[int, int]]] = {}
    for pid, start, end in (TimeOff.objects.filter(end__gt=now, start__lt=until).order_by("start")
                            .values_list("provider_id", "start", "end")):
        away.setdefault(pid, []).append((_seconds(start), _seconds(end)))
    recent: dict[int, list[int]] = {}
    since = now - dt.timedelta(days=RECENT_DAYS)
    for pid, booked_at in (Appointment.objects.filter(booked_at__gte=since, care_request__isnull=False)
                           .filter(pk__in=CareRequest.objects.values("first_appointment"))
                           .values_list("provider_id", "booked_at")):
        if booked_at is not None:
            recent.setdefault(pid, []).append(_seconds(booked_at))
    return Network(
        providers=providers, licenses=licenses, windows=windows, effects=provider_effects(),
        match_unverified=match_unverified_licenses(),
        blocked={pid: tuple(spans) for pid, spans in blocked.items()},
        away={pid: tuple(spans) for pid, spans in away.items()},
        recent_new={pid: tuple(times) for pid, times in recent.items()},
    )


def default_demand(network: Network, *, arrivals_per_day: float) -> Demand:
    """The documented default mix (demand.py) over the network's states and payers."""
    licensed: Counter[str] = Counter()
    bookable = {row.id for row in network.providers if row.accepting_new}
    for lic in network.licenses:
        if lic.provider_id in bookable and lic.status != "rejected":
            licensed[lic.state] += 1
    states = sorted(licensed)
    kinds, weights = default_kinds(states, [float(licensed[s]) for s in states], network.payers())
    return Demand(arrivals_per_day=arrivals_per_day, kinds=kinds, weights=weights)


def history_requests(*, now: dt.datetime) -> int:
    return CareRequest.objects.filter(requested_at__gt=now - dt.timedelta(days=HISTORY_DAYS),
                                      requested_at__lte=now).count()


def history_demand(network: Network, *, now: dt.datetime, arrivals_per_day: float | None = None) -> Demand:
    """The demand the last 90 days measure (see the module's docstring); the rate from
    history unless `arrivals_per_day` is given."""
    since = now - dt.timedelta(days=HISTORY_DAYS)
    requests = list(
        CareRequest.objects.filter(requested_at__gt=since, requested_at__lte=now)
        .select_related("client", "first_appointment").order_by("id")
    )
    asked = {entry.care_request_id: entry.request for entry in
             WaitlistEntry.objects.filter(care_request__in=[r.pk for r in requests]).order_by("id")}
    fallback = default_demand(network, arrivals_per_day=1.0)
    counts = [0.0] * defaults.HOURS_OF_WEEK
    kinds: dict[RequestKind, float] = {}
    for request in requests:
        hour = request.requested_at.astimezone(dt.UTC)
        counts[hour.weekday() * 24 + hour.hour] += 1
        client = request.client
        if client is None:
            continue
        stored = asked.get(request.pk) or {}
        age = client.age_on(request.requested_at.date())
        try:
            population_for(age)
        except ValueError:
            continue
        format_ = stored.get("format") or (request.first_appointment.format if request.first_appointment else "any")
        if format_ not in ("telehealth", "in_person", "any"):
            format_ = "any"
        zip_code = client.zip or None
        if format_ == "in_person" and not zip_code:
            format_ = "any"
        # Concerns and languages as asked where kept; otherwise the default mix's, spread.
        if stored.get("concerns"):
            mixes: list[tuple[tuple[str, ...], tuple[str, ...], float]] = [
                (tuple(stored["concerns"]), tuple(stored.get("languages") or ("en",)), 1.0)]
        else:
            mixes = list(defaults.concern_language_mix())
        for concerns, languages, weight in mixes:
            kind = RequestKind(
                state=client.state, age=age, concerns=concerns, languages=languages, format=format_,
                insurance=request.payer or None, self_pay_max=None if request.payer else stored.get("self_pay_max"),
                zip=zip_code,
            )
            kinds[kind] = kinds.get(kind, 0.0) + weight
    # A few hours of the week with no requests at all keep a little weight: the history of
    # a small network is short, and an hour with none yet is not an hour with none ever.
    total = sum(counts)
    profile = tuple(defaults.default_profile())
    if total:
        smoothed = [c + 0.1 for c in counts]
        mean = sum(smoothed) / len(smoothed)
        profile = tuple(c / mean for c in smoothed)
    kept = list(kinds)
    rates = outcome_rates(now=now)
    return Demand(
        arrivals_per_day=arrivals_per_day if arrivals_per_day is not None else len(requests) / HISTORY_DAYS,
        kinds=tuple(kept) or fallback.kinds,
        weights=tuple(float(kinds[k]) for k in kept) or fallback.weights,
        profile=profile, no_show=rates["no_show"], cancel=rates["cancel"], follow_ups=rates["follow_ups"],
        source="history",
    )


def outcome_rates(*, now: dt.datetime) -> dict[str, float]:
    """No-show, cancellation and follow-up rates of the last 90 days, each the documented
    default where the window has too few sessions to measure it (fewer than 20)."""
    since = now - dt.timedelta(days=HISTORY_DAYS)
    sessions = Appointment.objects.filter(kind=Kind.SESSION)
    marked = sessions.filter(start__gt=since, start__lte=now, status__in=[Status.COMPLETED, Status.NO_SHOW])
    marked_count = marked.count()
    no_show = (marked.filter(status=Status.NO_SHOW).count() / marked_count if marked_count >= 20
               else defaults.DEFAULT_NO_SHOW)
    firsts = sessions.filter(booked_at__gt=since, booked_at__lte=now, care_request__isnull=False,
                             status__in=[Status.BOOKED, Status.COMPLETED, Status.NO_SHOW, Status.CANCELLED])
    first_count = firsts.count()
    cancel = (firsts.filter(status=Status.CANCELLED).count() / first_count if first_count >= 20
              else defaults.DEFAULT_CANCEL)
    pairs = list(sessions.filter(start__gt=since, status__in=[Status.BOOKED, Status.COMPLETED, Status.NO_SHOW])
                 .values("client_id", "provider_id").annotate(n=Count("id")).values_list("n", flat=True))
    follow_ups = (sum(pairs) / len(pairs) - 1) if len(pairs) >= 20 else defaults.DEFAULT_FOLLOW_UPS
    return {"no_show": round(no_show, 4), "cancel": round(cancel, 4), "follow_ups": round(max(0.0, follow_ups), 3)}


def capacity_runs(*, limit: int = 10) -> list[CapacityRun]:
    return list(CapacityRun.objects.select_related("created_by").order_by("-created_at", "-id")[:limit])


def capacity_run(*, run_id: int) -> CapacityRun | None:
    return CapacityRun.objects.filter(pk=run_id).first()

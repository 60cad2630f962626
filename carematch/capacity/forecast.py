"""A forecast from its options, as `carematch simulate` and the staff page's task run it:
read the network and the demand once, run the replications, search for the extra hours
each short state needs, and give one JSON-ready dict.

Options are checked here, each problem named by its option, so that the command and the
page refuse the same things in the same words.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import pgettext

from carematch.lib import vocab
from carematch.lib.errors import InvalidInput
from carematch.lib.languages import is_language

from . import selectors
from .demand import Demand
from .network import Extra, Network, ProviderKind, with_extra
from .simulation import MOST_SEARCH_REPLICATIONS, SEARCH_TRIES, run_forecast, suggest

MAX_DAYS = 90
MAX_REPLICATIONS = 200
MAX_ARRIVALS_PER_DAY = 100_000
MAX_EXTRA_HOURS = 2_000
DEFAULT_SUGGESTED_STATES = 5
# Without --arrivals-per-day or --from-history: history when it has at least this many requests.
HISTORY_ENOUGH = 28
# Otherwise: this many requests a day for each bookable provider (one new client every ten
# working days each).
DEFAULT_PER_PROVIDER = 0.1


@dataclass(frozen=True)
class Options:
    days: int = 28
    states: tuple[str, ...] = ()
    arrivals_per_day: float | None = None
    from_history: bool = False
    extra_hours: tuple[Extra, ...] = ()
    target: float = 0.9
    seed: int = 2026
    replications: int = 20
    suggest_states: int = DEFAULT_SUGGESTED_STATES

    def as_dict(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "states": list(self.states),
            "arrivals_per_day": self.arrivals_per_day,
            "from_history": self.from_history,
            "target": self.target,
            "seed": self.seed,
            "replications": self.replications,
            "suggest_states": self.suggest_states,
            "extra_hours": [{"state": e.state, "hours": e.hours, **e.kind.as_dict()} for e in self.extra_hours],
        }


EXTRA_PATTERN = re.compile(r"^(?P<state>[A-Za-z]{2}):(?P<hours>-?\d+)(?::(?P<kind>.*))?$")


def parse_extra(text: str) -> Extra:
    """`STATE:HOURS` or `STATE:HOURS:language=es,payer=aetna+cigna,format=in_person,zip=80202`."""
    match = EXTRA_PATTERN.match(text.strip())
    if not match:
        raise InvalidInput(
            pgettext("staff", "--extra-hours '%(value)s' must be STATE:HOURS, e.g. CO:10.") % {"value": text},
            fields={"extra_hours": pgettext("staff", "must be STATE:HOURS, e.g. CO:10")},
        )
    state = match["state"].upper()
    if state not in vocab.STATES:
        raise InvalidInput(
            pgettext("staff", "--extra-hours '%(value)s': '%(state)s' is not a US state code (e.g. CO).")
            % {"value": text, "state": match["state"]},
            fields={"extra_hours": pgettext("staff", "'%(state)s' is not a US state code") % {"state": match["state"]}},
        )
    hours = int(match["hours"])
    if not 1 <= hours <= MAX_EXTRA_HOURS:
        raise InvalidInput(
            pgettext("staff", "--extra-hours '%(value)s': hours must be a whole number from 1 to %(most)s.")
            % {"value": text, "most": MAX_EXTRA_HOURS},
            fields={"extra_hours": pgettext("staff", "hours must be from 1 to %(most)s") % {"most": MAX_EXTRA_HOURS}},
        )
    values: dict[str, str] = {}
    for part in (match["kind"] or "").split(","):
        if not part:
            continue
        name, _sep, value = part.partition("=")
        if name not in ("language", "payer", "format", "zip") or not value:
            raise InvalidInput(
                pgettext("staff", "--extra-hours '%(value)s': '%(part)s' must be language=, payer=, format= or zip=.")
                % {"value": text, "part": part},
                fields={"extra_hours": pgettext("staff", "unknown part '%(part)s'") % {"part": part}},
            )
        values[name] = value
    language = values.get("language", "en")
    if not is_language(language):
        raise InvalidInput(
            pgettext("staff", "--extra-hours '%(value)s': '%(language)s' is not a language code (e.g. es).")
            % {"value": text, "language": language},
            fields={"extra_hours": pgettext("staff", "unknown language '%(language)s'") % {"language": language}},
        )
    format_ = values.get("format", "telehealth")
    if format_ not in ("telehealth", "in_person"):
        raise InvalidInput(
            pgettext("staff", "--extra-hours '%(value)s': format must be telehealth or in_person.") % {"value": text},
            fields={"extra_hours": pgettext("staff", "format must be telehealth or in_person")},
        )
    if format_ == "in_person" and not re.fullmatch(r"\d{5}", values.get("zip", "")):
        raise InvalidInput(
            pgettext("staff", "--extra-hours '%(value)s': in_person needs zip=, a 5-digit ZIP code.") % {"value": text},
            fields={"extra_hours": pgettext("staff", "in_person needs a 5-digit zip")},
        )
    payers = tuple(slug for slug in values.get("payer", "").split("+") if slug)
    kind = ProviderKind(language=language, payers=payers, format=format_, zip=values.get("zip"))
    return Extra(state=state, hours=hours, kind=kind)


def check_options(
    *,
    days: int,
    states: Sequence[str],
    arrivals_per_day: float | None,
    from_history: bool,
    extra_hours: Sequence[str],
    target: float,
    seed: int,
    replications: int,
    suggest_states: int = DEFAULT_SUGGESTED_STATES,
) -> Options:
    """The options, checked; InvalidInput naming the first option that is wrong."""

    def refuse(name: str, problem: str) -> InvalidInput:
        return InvalidInput(f"--{name.replace('_', '-')} {problem}", fields={name: problem})

    if not 1 <= days <= MAX_DAYS:
        raise refuse(
            "days", pgettext("staff", "must be a whole number of days from 1 to %(most)s") % {"most": MAX_DAYS}
        )
    upper = []
    for state in states:
        if state.upper() not in vocab.STATES:
            raise refuse("state", pgettext("staff", "'%(state)s' is not a US state code (e.g. CO)") % {"state": state})
        upper.append(state.upper())
    if arrivals_per_day is not None and from_history:
        raise refuse("arrivals_per_day", pgettext("staff", "cannot be given with --from-history: choose one"))
    if arrivals_per_day is not None and not 0 <= arrivals_per_day <= MAX_ARRIVALS_PER_DAY:
        raise refuse(
            "arrivals_per_day", pgettext("staff", "must be from 0 to %(most)s") % {"most": MAX_ARRIVALS_PER_DAY}
        )
    if not 0 < target <= 1:
        raise refuse("target", pgettext("staff", "must be a share above 0 and at most 1, e.g. 0.9"))
    if not 0 <= seed < 2**32:
        raise refuse("seed", pgettext("staff", "must be a whole number from 0 to 4294967295"))
    if not 2 <= replications <= MAX_REPLICATIONS:
        raise refuse(
            "replications",
            pgettext("staff", "must be from 2 to %(most)s (an interval needs two)") % {"most": MAX_REPLICATIONS},
        )
    if not 0 <= suggest_states <= 51:
        raise refuse("suggest_states", pgettext("staff", "must be from 0 to 51"))
    extras = tuple(parse_extra(text) for text in extra_hours)
    return Options(
        days=days,
        states=tuple(upper),
        arrivals_per_day=arrivals_per_day,
        from_history=from_history,
        extra_hours=extras,
        target=target,
        seed=seed,
        replications=replications,
        suggest_states=suggest_states,
    )


def demand_for(network: Network, options: Options, *, now: dt.datetime) -> Demand:
    if options.from_history:
        if not selectors.history_requests(now=now):
            raise InvalidInput(
                pgettext(
                    "staff",
                    "--from-history: there were no requests for care in the last 90 days; "
                    "give --arrivals-per-day instead.",
                ),
                fields={"from_history": pgettext("staff", "no requests in the last 90 days")},
            )
        return selectors.history_demand(network, now=now)
    if options.arrivals_per_day is not None:
        if selectors.history_requests(now=now) >= HISTORY_ENOUGH:
            return selectors.history_demand(network, now=now, arrivals_per_day=options.arrivals_per_day)
        return selectors.default_demand(network, arrivals_per_day=options.arrivals_per_day)
    if selectors.history_requests(now=now) >= HISTORY_ENOUGH:
        return selectors.history_demand(network, now=now)
    bookable = sum(1 for row in network.providers if row.accepting_new)
    return selectors.default_demand(network, arrivals_per_day=round(bookable * DEFAULT_PER_PROVIDER, 2))


def together_with(
    network: Network,
    demand: Demand,
    suggestions: Sequence[dict[str, Any]],
    *,
    options: Options,
    start: int,
    today: dt.date,
) -> dict[str, Any] | None:
    """The whole network's demand again, with every suggestion's extra hours at once (each
    state's search ran with its own state's demand alone): the share overall and in the
    states suggested for, over the search's replications."""
    extras = [
        Extra(found["state"], found["hours"], ProviderKind.from_dict(found["kind"]))
        for found in suggestions
        if found["hours"]
    ]
    if not extras:
        return None
    again = run_forecast(
        with_extra(network, extras, today=today),
        demand,
        start=start,
        days=options.days,
        seed=options.seed,
        replications=min(options.replications, MOST_SEARCH_REPLICATIONS),
    )
    by_state = again.by("state")
    return {
        "hours": sum(extra.hours for extra in extras),
        "share_within_48h": again.share().as_dict(),
        "by_state": {extra.state: by_state[extra.state] for extra in extras if extra.state in by_state},
    }


def forecast(
    options: Options,
    *,
    now: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    network: Network | None = None,
) -> dict[str, Any]:
    """Run the forecast the options describe; the figures as one JSON-ready dict."""
    started = time.monotonic()
    now = now or dt.datetime.now(dt.UTC)
    network = network or selectors.network_load(now=now)
    demand = demand_for(network, options, now=now)
    if options.states:
        demand = demand.only_states(options.states)
    if options.extra_hours:
        network = with_extra(network, options.extra_hours, today=now.date())
    # The run starts at the next whole hour.
    start = (int(now.timestamp()) // 3600 + 1) * 3600
    # Steps: the replications, then at most a step a try of each state's search.
    search_steps = SEARCH_TRIES * options.suggest_states + 1
    total = options.replications + search_steps
    done = [0]

    def tick(count: int, _total: int) -> None:
        done[0] = count
        if progress:
            progress(count, total)

    result = run_forecast(
        network,
        demand,
        start=start,
        days=options.days,
        seed=options.seed,
        replications=options.replications,
        progress=tick,
        progress_total=total,
    )

    def step() -> None:
        done[0] += 1
        if progress:
            progress(min(done[0], total), total)

    result.suggestions = suggest(
        network,
        demand,
        result,
        target=options.target,
        start=start,
        days=options.days,
        seed=options.seed,
        replications=options.replications,
        today=now.date(),
        most_states=options.suggest_states,
        progress=step,
    )
    together = together_with(network, demand, result.suggestions, options=options, start=start, today=now.date())
    if progress:
        progress(total, total)
    figures = result.as_dict()
    figures["with_suggestions"] = together
    figures.update(
        {
            "options": options.as_dict(),
            "start": dt.datetime.fromtimestamp(start, dt.UTC).isoformat(),
            "arrivals_per_day": round(demand.arrivals_per_day, 3),
            "demand": demand.source,
            "no_show": demand.no_show,
            "cancel": demand.cancel,
            "follow_ups": demand.follow_ups,
            "providers": sum(1 for row in network.providers if row.accepting_new),
            "seconds": round(time.monotonic() - started, 1),
        }
    )
    return figures

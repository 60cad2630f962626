"""Why a provider was matched, in plain sentences, from facts the matcher has checked."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from carematch.lib import vocab
from carematch.lib.timezones import clock_label, day_label, in_zone

from .request import population_for
from .types import MatchRequest


def _lower_first(label: str) -> str:
    """`Anxiety` -> `anxiety`, but `OCD` and `LGBTQ+ identity` stay as they are."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _approach(slug: str) -> str:
    label = vocab.APPROACHES.get(slug, slug)
    short = re.search(r"\(([^)]+)\)$", label)
    return short.group(1) if short else _lower_first(label)


def joined(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _miles(miles: float) -> str:
    if miles < 1:
        return "under a mile"
    whole = int(miles + 0.5)
    return "1 mile" if whole == 1 else f"{whole} miles"


def write_reasons(
    *,
    request: MatchRequest,
    treated: Sequence[str],
    done_well: Sequence[str],
    offered: Sequence[str],
    self_pay_rate: int,
    speaks: Sequence[str],
    gender: str,
    formats: Sequence[str],
    miles: float | None,
    first_start: dt.datetime,
) -> tuple[str, ...]:
    """`treated`, `offered` and `speaks` are the client's concerns, preferred approaches and
    languages that the provider has, in the client's order; `done_well` the client's measured
    concerns on which the provider's clients improved more than the network's (never a
    number: the estimate is for ranking, not for show); `formats` those of the openings."""
    reasons = [f"Treats {joined([_lower_first(vocab.CONCERNS[c]) for c in treated])}"]
    if done_well:
        reasons.append(
            f"Clients working on {joined([_lower_first(vocab.CONCERNS[c]) for c in done_well])} "
            "have done well with this provider"
        )
    if offered:
        reasons.append(f"Offers {joined([_approach(a) for a in offered])}")
    if request.insurance:
        reasons.append(f"In network with {vocab.PAYERS[request.insurance]}")
    elif request.self_pay_max is not None:
        reasons.append(f"Self-pay ${self_pay_rate} a session, within your ${request.self_pay_max}")
    else:
        reasons.append(f"Self-pay ${self_pay_rate} a session")
    if tuple(request.languages) != ("en",):
        reasons.append(f"Speaks {joined([vocab.language_name(code) for code in speaks])}")
    if request.provider_gender and gender == request.provider_gender:
        reasons.append(f"{vocab.GENDERS[gender]} therapist, as you preferred")
    population = population_for(request.age)
    if population != "adults":
        reasons.append(f"Works with {vocab.POPULATIONS[population].split(' (')[0].lower()}")
    if "in_person" in formats and miles is not None:
        where = f"{_miles(miles)} away"
        reasons.append(f"Online or in person ({where})" if "telehealth" in formats else f"In person, {where}")
    else:
        reasons.append("Online (video) sessions")
    local = in_zone(first_start, request.client_timezone)
    reasons.append(f"Can see you {day_label(local)}, {clock_label(local)}")
    return tuple(reasons)

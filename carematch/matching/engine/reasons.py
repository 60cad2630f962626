"""Why a provider was matched, in plain sentences, from facts the matcher has checked.

Each match gets its facts (`write_facts`): small claims that are true of the provider for
this person, such as "Speaks Spanish" or "In network with Aetna". A claim is named by its
`key`, which is the same for every provider of whom it is true, so claims can be compared
across the matches of one answer. `split_reasons` then says once, above the list, what is
true of every match ("All of these therapists are licensed in Colorado, ...") and leaves on
each card only what distinguishes that provider, most telling first. A card is never
empty: when nothing distinguishes a provider, it says when they can see the person first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import get_language, gettext_noop, ngettext
from django.utils.translation import gettext as _

from carematch.lib import vocab
from carematch.lib.timezones import clock_label, day_label, in_zone

from .request import population_for
from .types import Fact, MatchRequest

# The kinds of claim, in the order a card says them (the most telling first).
CARD_ORDER = (
    "specialises", "offers", "times", "speaks", "gender", "done_well", "treats", "works_with", "format",
    "fee", "fee_within", "network", "licensed", "soonest",
)
# The order of the line above the list, which reads as one sentence.
SHARED_ORDER = (
    "licensed", "network", "fee_within", "fee", "treats", "specialises", "works_with", "speaks", "offers",
    "gender", "done_well", "times", "format",
)
# Claims that are never said of every match at once: each provider's soonest time is their own.
NEVER_SHARED = frozenset({"soonest"})
SOONEST = "soonest"


def kind_of(key: str) -> str:
    return key.split(":", 1)[0]


def _lower_first(label: str) -> str:
    """`Anxiety` -> `anxiety`, but `OCD` and `LGBTQ+ identity` stay as they are."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label


# What a card says, and the line above the list, of a preferred gender.
_GENDER_WORDS = {
    "female": (gettext_noop("A woman, as you preferred"), gettext_noop("are women, as you preferred")),
    "male": (gettext_noop("A man, as you preferred"), gettext_noop("are men, as you preferred")),
    "nonbinary": (gettext_noop("Nonbinary, as you preferred"), gettext_noop("are nonbinary, as you preferred")),
}


def approach_name(slug: str) -> str:
    """`CBT` for cognitive behavioural therapy, `EMDR`, `family systems therapy`."""
    label = vocab.label(vocab.APPROACHES, slug)
    short = re.search(r"\(([^)]+)\)$", label)
    return short.group(1) if short else _lower_first(label)


def concern_name(slug: str) -> str:
    return _lower_first(vocab.label(vocab.CONCERNS, slug))


def joined(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return _("%(first)s and %(second)s") % {"first": items[0], "second": items[1]}
    return _("%(first)s, and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def _miles(miles: float) -> str:
    if miles < 1:
        return _("under a mile")
    whole = int(miles + 0.5)
    return ngettext("%(miles)s mile", "%(miles)s miles", whole) % {"miles": whole}


def _window(hours: int) -> str:
    if hours % 24 == 0 and hours > 48:
        return ngettext("%(days)s day", "%(days)s days", hours // 24) % {"days": hours // 24}
    return ngettext("%(hours)s hour", "%(hours)s hours", hours) % {"hours": hours}


# The times of day a person may choose, as they are said in a reason.
_TIME_WORDS = {
    "morning": gettext_noop("morning"), "afternoon": gettext_noop("afternoon"), "evening": gettext_noop("evening"),
}
_TIME_COMMON = {
    "morning": gettext_noop("Morning openings in the next %(window)s"),
    "afternoon": gettext_noop("Afternoon openings in the next %(window)s"),
    "evening": gettext_noop("Evening openings in the next %(window)s"),
}


# The sentences of facts, by language: every match of every request says the same few
# dozen, and each catalogue lookup goes through the active translation of the thread.
_SAID: dict[str | None, dict[str, str]] = {}


def _translator() -> Callable[[str], str]:
    """`gettext` in the active language, each message looked up once a process."""
    said = _SAID.setdefault(get_language(), {})

    def translate(message: str) -> str:
        found = said.get(message)
        if found is None:
            found = said[message] = _(message)
        return found

    return translate


def write_facts(
    *,
    request: MatchRequest,
    treated: Sequence[str],
    specialises: Sequence[str],
    done_well: Sequence[str],
    offered: Sequence[str],
    self_pay_rate: int,
    speaks: Sequence[str],
    gender: str,
    formats: Sequence[str],
    miles: float | None,
    times: Mapping[str, int],
    first_start: dt.datetime,
) -> tuple[Fact, ...]:
    """Every claim shown about one match, in card order, in the active language. `treated`,
    `specialises`, `offered` and `speaks` are the client's concerns, concerns among the
    provider's specialties, preferred approaches and languages that the provider has, in the
    client's order; `done_well` the client's measured concerns on which the provider's clients
    improved more than the network's (never a number: the estimate is for ranking, not for
    show); `formats` those of the openings, `miles` the distance to the office when one is in
    reach; `times` how many of the provider's openings in the window fall in each time of day
    the client chose; `first_start` the soonest opening."""
    _ = _translator()  # named `_` so that the catalogue finds the messages below
    facts: list[Fact] = []
    for concern in specialises:
        name = concern_name(concern)
        facts.append(Fact(f"specialises:{concern}", _("Specialises in %(name)s") % {"name": name},
                          _("specialise in %(name)s") % {"name": name}))
    for approach in offered:
        name = approach_name(approach)
        facts.append(Fact(f"offers:{approach}", _("Offers %(name)s, which you asked for") % {"name": name},
                          _("offer %(name)s, which you asked for") % {"name": name}))
    window = _window(request.within_hours)
    for name in request.times_of_day:
        count = times.get(name, 0)
        if count:
            said = {"count": count, "time": _(_TIME_WORDS.get(name, name)), "window": window}
            facts.append(Fact(
                f"times:{name}",
                ngettext("Has %(count)s %(time)s opening in the next %(window)s",
                         "Has %(count)s %(time)s openings in the next %(window)s", count) % said,
                _("have %(time)s openings in the next %(window)s") % said,
                _(_TIME_COMMON[name]) % said if name in _TIME_COMMON
                else f"{name.capitalize()} openings in the next {window}",
            ))
    if tuple(request.languages) != ("en",):
        for code in speaks:
            language = vocab.language_name(code)
            facts.append(Fact(f"speaks:{code}", _("Speaks %(language)s") % {"language": language},
                              _("speak %(language)s") % {"language": language}))
    if request.provider_gender and gender == request.provider_gender and gender in _GENDER_WORDS:
        one, many = _GENDER_WORDS[gender]
        facts.append(Fact(f"gender:{gender}", _(one), _(many)))
    for concern in done_well:
        name = concern_name(concern)
        facts.append(Fact(f"done_well:{concern}",
                          _("Clients working on %(name)s have done well with this provider") % {"name": name},
                          _("have helped clients working on %(name)s more than most") % {"name": name}))
    for concern in treated:
        name = concern_name(concern)
        facts.append(Fact(f"treats:{concern}", _("Treats %(name)s") % {"name": name},
                          _("treat %(name)s") % {"name": name}))
    population = population_for(request.age)
    if population != "adults":
        group = vocab.label(vocab.POPULATIONS, population).split(" (")[0].lower()
        facts.append(Fact(f"works_with:{population}", _("Works with %(group)s") % {"group": group},
                          _("work with %(group)s") % {"group": group}))
    if "in_person" in formats and miles is not None:
        where = {"distance": _miles(miles), "window": window}
        if "telehealth" in formats:
            facts.append(Fact("format:both", _("Online or in person, %(distance)s away") % where,
                              _("can see you online or in person within %(window)s") % where,
                              _("Online or in person within %(window)s") % where))
        else:
            facts.append(Fact("format:in_person", _("In person, %(distance)s away") % where,
                              _("can see you in person within %(window)s") % where,
                              _("In person within %(window)s") % where))
    else:
        facts.append(Fact("format:telehealth", _("Online (video) sessions"),
                          _("can see you online within %(window)s") % {"window": window},
                          _("Online (video) sessions within %(window)s") % {"window": window}))
    if request.insurance:
        payer = request.insurance_name or request.insurance
        facts.append(Fact(f"network:{request.insurance}", _("In network with %(payer)s") % {"payer": payer},
                          _("are in network with %(payer)s") % {"payer": payer}))
    elif request.self_pay_max is not None:
        fee = {"rate": self_pay_rate, "most": request.self_pay_max}
        facts.append(Fact(f"fee_within:{request.self_pay_max}",
                          _("Self-pay $%(rate)s a session, within your $%(most)s") % fee,
                          _("charge no more than your $%(most)s a session") % fee,
                          _("Self-pay within your $%(most)s a session") % fee))
    else:
        facts.append(Fact(f"fee:{self_pay_rate}", _("Self-pay $%(rate)s a session") % {"rate": self_pay_rate},
                          _("charge $%(rate)s a session") % {"rate": self_pay_rate}))
    state = vocab.STATES.get(request.state, request.state)
    facts.append(Fact(f"licensed:{request.state}", _("Licensed in %(state)s") % {"state": state},
                      _("are licensed in %(state)s") % {"state": state}))
    local = in_zone(first_start, request.client_timezone)
    when = f"{day_label(local)}, {clock_label(local)}"
    facts.append(Fact(f"{SOONEST}:{first_start.isoformat()}", _("Can see you %(when)s") % {"when": when},
                      _("can see you %(when)s") % {"when": when}))
    return tuple(facts)


@dataclass(frozen=True)
class Split:
    shared: tuple[Fact, ...]  # true of every match, in the order of the line above the list
    cards: tuple[tuple[Fact, ...], ...]  # what each match's card says, in card order


def _card(own: Sequence[Fact], shared_keys: frozenset[str]) -> tuple[Fact, ...]:
    kept = [fact for fact in own if fact.key not in shared_keys]
    said = {fact.key for fact in kept}
    # "Specialises in anxiety" says "Treats anxiety" already.
    kept = [fact for fact in kept
            if not (kind_of(fact.key) == "treats" and "specialises:" + fact.key.split(":", 1)[1] in said)]
    reasons = [fact for fact in kept if kind_of(fact.key) != SOONEST]
    if not reasons:  # nothing sets this provider apart: when they can see the person does
        reasons = [fact for fact in own if kind_of(fact.key) == SOONEST][:1]
    order = {kind: at for at, kind in enumerate(CARD_ORDER)}
    return tuple(sorted(reasons, key=lambda fact: order.get(kind_of(fact.key), len(order))))


def split_reasons(facts: Sequence[Sequence[Fact]]) -> Split:
    """What every match shares, said once, and what each card says: the match's own facts
    less the shared ones, most telling first, never nothing. With fewer than two matches
    there is nothing to compare, so nothing is shared."""
    shared_keys: frozenset[str] = frozenset()
    if len(facts) >= 2:
        common = set.intersection(*({fact.key for fact in own} for own in facts))
        shared_keys = frozenset(key for key in common if kind_of(key) not in NEVER_SHARED)
    shared: dict[str, Fact] = {}
    for fact in facts[0] if facts else ():
        if fact.key in shared_keys:
            shared[fact.key] = fact
    order = {kind: at for at, kind in enumerate(SHARED_ORDER)}
    line = tuple(sorted(shared.values(), key=lambda fact: order.get(kind_of(fact.key), len(order))))
    return Split(shared=line, cards=tuple(_card(own, shared_keys) for own in facts))


def shared_sentence(shared: Sequence[Fact]) -> str:
    """The line above the list: `All of these therapists are licensed in Colorado, are in
    network with Aetna, and can see you online within 48 hours.` ('' when nothing is shared)."""
    if not shared:
        return ""
    return _("All of these therapists %(facts)s.") % {"facts": joined([fact.phrase for fact in shared])}


def common_reason(fact: Fact) -> str:
    """A shared claim as a sentence of its own, true of every match (for the API's
    `shared_reasons`): `Licensed in Colorado`, `Online (video) sessions within 48 hours`."""
    return fact.common or fact.text

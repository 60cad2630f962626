"""Reasons lead with what sets a provider apart; what every match shares is said once.

The split (engine/reasons.py) is a pure function over the facts of each match, so its rules
are checked for every input Hypothesis can think of: every fact shown is true of the
provider, the shared line holds for every match, a card never repeats it, and a card is
never empty. Then the engine on small directories: times of day asked for rank first and
are shown first, on the client's clock across a change of the clocks."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from carematch.lib import geo
from carematch.lib.timezones import zone
from carematch.matching.engine.directory import WindowRow
from carematch.matching.engine.match import find_matches, shown_order
from carematch.matching.engine.reasons import (
    NEVER_SHARED,
    kind_of,
    shared_sentence,
    split_reasons,
    write_facts,
)
from carematch.matching.engine.request import population_for
from carematch.matching.engine.types import TIMES_OF_DAY, MatchRequest, time_of_day

from .test_engine_openings import provider_row
from .test_engine_ranking import Calendar, directory

CONCERNS = ["anxiety", "depression", "grief", "trauma"]
APPROACHES = ["cbt", "dbt", "emdr"]
LANGUAGES = ["en", "es", "fr"]
EARLIEST = dt.datetime(2026, 12, 7, 17, tzinfo=dt.UTC)


def subset(items, *, at_least=0):
    return st.lists(st.sampled_from(items), min_size=at_least, max_size=len(items), unique=True)


requests = st.builds(
    MatchRequest,
    state=st.sampled_from(["CO", "NY"]),
    age=st.sampled_from([9, 15, 30, 70]),
    concerns=subset(CONCERNS, at_least=1).map(tuple),
    approaches=subset(APPROACHES).map(tuple),
    languages=st.sampled_from([("en",), ("es",), ("en", "es"), ("fr", "en")]),
    provider_gender=st.sampled_from([None, "female", "male", "nonbinary"]),
    insurance=st.sampled_from([None, "aetna"]),
    self_pay_max=st.sampled_from([None, 150]),
    times_of_day=subset(list(TIMES_OF_DAY)).map(tuple),
    within_hours=st.sampled_from([48, 72, 168]),
    earliest=st.just(EARLIEST),
    client_timezone=st.sampled_from(["America/Denver", "America/New_York"]),
)


@st.composite
def providers(draw, request):
    """A provider who fits `request` (as the hard rules would have it), otherwise anything."""
    concerns = sorted({draw(st.sampled_from(request.concerns)), *draw(subset(CONCERNS))})
    formats = draw(st.sampled_from([("telehealth",), ("in_person",), ("telehealth", "in_person")]))
    first = EARLIEST + dt.timedelta(minutes=draw(st.integers(0, 47 * 60)))
    return {
        "concerns": concerns,
        "specialties": draw(st.lists(st.sampled_from(concerns), max_size=3, unique=True)),
        "approaches": draw(subset(APPROACHES)),
        "languages": sorted({draw(st.sampled_from(request.languages)), *draw(subset(LANGUAGES))}),
        "gender": draw(st.sampled_from(["female", "male", "nonbinary", "not_stated"])),
        "self_pay_rate": draw(st.sampled_from([80, 120, 150])),
        "formats": formats,
        "miles": draw(st.floats(0, 25)) if "in_person" in formats else None,
        "times": {name: draw(st.integers(0, 4)) for name in request.times_of_day},
        "first_start": first,
        "done_well": draw(st.lists(st.sampled_from([c for c in request.concerns if c in ("anxiety", "depression")]),
                                   unique=True)) if {"anxiety", "depression"} & set(request.concerns) else [],
    }


def facts_of(provider, request):
    return write_facts(
        request=request,
        treated=[c for c in request.concerns if c in provider["concerns"]],
        specialises=[c for c in request.concerns if c in provider["specialties"]],
        done_well=provider["done_well"],
        offered=[a for a in request.approaches if a in provider["approaches"]],
        self_pay_rate=provider["self_pay_rate"],
        speaks=[code for code in request.languages if code in provider["languages"]],
        gender=provider["gender"],
        formats=provider["formats"],
        miles=provider["miles"],
        times=provider["times"],
        first_start=provider["first_start"],
    )


def holds(key, provider, request):
    """Whether the claim `key` is true of the provider, from the provider's own data."""
    kind, _, value = key.partition(":")
    return {
        "specialises": lambda: value in provider["specialties"] and value in request.concerns,
        "offers": lambda: value in provider["approaches"] and value in request.approaches,
        "times": lambda: provider["times"].get(value, 0) > 0,
        "speaks": lambda: value in provider["languages"] and value in request.languages,
        "gender": lambda: value == provider["gender"] == request.provider_gender,
        "done_well": lambda: value in provider["done_well"],
        "treats": lambda: value in provider["concerns"] and value in request.concerns,
        "works_with": lambda: value == population_for(request.age),
        "format": lambda: (set(provider["formats"]) == {"telehealth", "in_person"} if value == "both"
                           else value in provider["formats"]),
        "network": lambda: value == request.insurance,
        "fee_within": lambda: request.insurance is None and provider["self_pay_rate"] <= int(value),
        "fee": lambda: int(value) == provider["self_pay_rate"],
        "licensed": lambda: value == request.state,
        "soonest": lambda: dt.datetime.fromisoformat(value) == provider["first_start"],
    }[kind]()


@st.composite
def answers(draw):
    request = draw(requests)
    found = draw(st.lists(providers(request), min_size=1, max_size=5))
    return request, found


@settings(max_examples=300, deadline=None)
@given(answer=answers())
def test_every_reason_shown_is_true_shared_ones_hold_for_all_and_no_card_repeats_them_or_is_empty(answer):
    request, found = answer
    facts = [facts_of(provider, request) for provider in found]
    split = split_reasons(facts)
    shared_keys = {fact.key for fact in split.shared}
    assert len(split.cards) == len(found)
    for provider, own, card in zip(found, facts, split.cards, strict=True):
        # Every fact written is true of the provider, and the card shows only the provider's own.
        assert all(holds(fact.key, provider, request) for fact in own)
        assert set(card) <= set(own)
        # A card never repeats the shared line and always says something.
        assert not {fact.key for fact in card} & shared_keys
        assert card
    for fact in split.shared:
        assert all(any(mine.key == fact.key for mine in own) for own in facts)
        assert all(holds(fact.key, provider, request) for provider in found)
        assert kind_of(fact.key) not in NEVER_SHARED
    if len(found) >= 2:
        # Everything all matches share is in the line (except each one's soonest time).
        common = set.intersection(*({fact.key for fact in own} for own in facts))
        assert {key for key in common if kind_of(key) not in NEVER_SHARED} == shared_keys
    else:
        assert split.shared == ()
    # One claim reads the same of every provider it is true of, so the line is true of all.
    phrases = {}
    for own in facts:
        for fact in own:
            if kind_of(fact.key) not in NEVER_SHARED:
                assert phrases.setdefault(fact.key, (fact.phrase, fact.common)) == (fact.phrase, fact.common)


def test_the_soonest_time_is_said_only_when_nothing_else_sets_a_provider_apart():
    request = MatchRequest(state="CO", age=30, concerns=("anxiety",), earliest=EARLIEST,
                           client_timezone="America/Denver")
    same = {"concerns": ["anxiety"], "specialties": [], "approaches": [], "languages": ["en"], "gender": "female",
            "self_pay_rate": 100, "formats": ("telehealth",), "miles": None, "times": {}, "done_well": []}
    twins = [{**same, "first_start": EARLIEST + dt.timedelta(hours=hours)} for hours in (3, 5)]
    split = split_reasons([facts_of(provider, request) for provider in twins])
    assert [[fact.text for fact in card] for card in split.cards] == [
        ["Can see you Mon 7 Dec, 1:00 PM MST"], ["Can see you Mon 7 Dec, 3:00 PM MST"],
    ]
    assert shared_sentence(split.shared) == (
        "All of these therapists are licensed in Colorado, charge $100 a session, treat anxiety, and can see you "
        "online within 48 hours."
    )


def test_a_specialty_is_said_instead_of_treats_and_before_everything_else():
    request = MatchRequest(state="CO", age=30, concerns=("anxiety", "grief"), approaches=("cbt",),
                           earliest=EARLIEST, client_timezone="America/Denver", insurance="aetna",
                           insurance_name="Aetna")
    base = {"concerns": ["anxiety", "grief"], "approaches": [], "languages": ["en"], "gender": "female",
            "self_pay_rate": 100, "formats": ("telehealth",), "miles": None, "times": {}, "done_well": [],
            "first_start": EARLIEST}
    specialist = {**base, "specialties": ["anxiety"], "approaches": ["cbt"]}
    other = {**base, "specialties": [], "concerns": ["anxiety"]}
    split = split_reasons([facts_of(specialist, request), facts_of(other, request)])
    assert [fact.text for fact in split.cards[0]] == [
        "Specialises in anxiety", "Offers CBT, which you asked for", "Treats grief and loss",
    ]
    assert [fact.text for fact in split.cards[1]] == ["Can see you Mon 7 Dec, 10:00 AM MST"]
    assert shared_sentence(split.shared) == (
        "All of these therapists are licensed in Colorado, are in network with Aetna, treat anxiety, and can see "
        "you online within 48 hours."
    )


def test_shown_openings_put_the_times_asked_for_first_each_soonest_first():
    assert shown_order([False, False, True, False, True, True]) == [2, 4, 5]
    assert shown_order([False, True, False, False]) == [1, 0, 2]
    assert shown_order([False, False]) == [0, 1]


# --- The engine: times of day --------------------------------------------------------------

# Monday 7 December 2026, 8 PM in Denver: the next openings are Tuesday's.
EVENING_NOW = dt.datetime(2026, 12, 8, 3, tzinfo=dt.UTC)


def test_a_provider_with_openings_at_the_times_asked_for_ranks_above_an_otherwise_equal_one():
    afternoons, evenings = provider_row(1), provider_row(2)
    windows = [WindowRow(p.id, day, dt.time(9), dt.time(11)) for p in (afternoons, evenings) for day in range(7)]
    windows += [WindowRow(1, day, dt.time(14), dt.time(16)) for day in range(7)]
    windows += [WindowRow(2, day, dt.time(18), dt.time(20)) for day in range(7)]
    built = directory(afternoons, evenings, windows=windows)
    asked = MatchRequest(state="CO", age=30, concerns=("anxiety",), earliest=EVENING_NOW,
                         client_timezone="America/Denver")

    # Equal but for the evenings: the lower id comes first without a preference...
    assert [m.provider_id for m in find_matches(built, asked, now=EVENING_NOW, busy=Calendar()).matches] == [1, 2]
    evening = MatchRequest(**{**asked.__dict__, "times_of_day": ("evening",)})
    answer = find_matches(built, evening, now=EVENING_NOW, busy=Calendar())
    # ... and the one with evening openings comes first when evenings were asked for.
    assert [m.provider_id for m in answer.matches] == [2, 1]
    first = answer.matches[0]
    assert first.reasons[0] == "Has 4 evening openings in the next 48 hours"
    denver = [opening.start.astimezone(zone("America/Denver")) for opening in first.openings]
    assert [(moment.day, moment.hour) for moment in denver] == [(8, 18), (8, 19), (9, 18)]
    assert not any("evening" in reason for reason in answer.matches[1].reasons)


def test_evening_means_17_to_22_on_the_clients_clock_across_the_november_change_of_the_clocks():
    # Phoenix keeps one clock; Denver falls back at 2 AM on Sunday 1 November 2026. A
    # provider in Phoenix working 15:00-23:00: their 16:00 is 17:00 in Denver (evening) on
    # Saturday, but 16:00 (afternoon) from Sunday on.
    phoenix = provider_row(1, timezone="America/Phoenix", min_notice_hours=0)
    windows = [WindowRow(1, day, dt.time(15), dt.time(23)) for day in range(7)]
    earliest = dt.datetime(2026, 10, 31, 6, tzinfo=dt.UTC)  # midnight in Denver, Saturday 31 October
    asked = MatchRequest(state="CO", age=30, concerns=("anxiety",), earliest=earliest, within_hours=72,
                         times_of_day=("evening",), client_timezone="America/Denver")
    (match,) = find_matches(directory(phoenix, windows=windows), asked, now=earliest, busy=Calendar()).matches

    starts = []
    for day in range(29, 36):
        for hour in range(15, 23):
            moment = dt.datetime(2026, 10, day, hour, tzinfo=zone("America/Phoenix")) if day <= 31 else \
                dt.datetime(2026, 11, day - 31, hour, tzinfo=zone("America/Phoenix"))
            if earliest <= moment < earliest + dt.timedelta(hours=72):
                starts.append(moment)
    evenings = [start for start in starts if 17 <= start.astimezone(zone("America/Denver")).hour < 22]
    assert len(evenings) == 15  # Saturday 16:00-20:00 in Phoenix, then 17:00-21:00 on Sunday and Monday
    saturday_four = dt.datetime(2026, 10, 31, 16, tzinfo=zone("America/Phoenix"))
    sunday_four = dt.datetime(2026, 11, 1, 16, tzinfo=zone("America/Phoenix"))
    assert time_of_day(saturday_four, "America/Denver") == "evening"
    assert time_of_day(sunday_four, "America/Denver") == "afternoon"
    assert match.reasons[0] == f"Has {len(evenings)} evening openings in the next 3 days"
    assert [opening.start for opening in match.openings] == sorted(evenings)[:3]
    assert all(time_of_day(opening.start, "America/Denver") == "evening" for opening in match.openings)


def test_an_office_in_reach_is_said_with_its_distance():
    denver = geo.zip_location("80202")
    near = provider_row(1, formats=["telehealth", "in_person"], latitude=denver[0], longitude=denver[1],
                        specialties=["anxiety"])
    asked = MatchRequest(state="CO", age=30, concerns=("anxiety",), earliest=EVENING_NOW, zip="80202",
                         client_timezone="America/Denver")
    (match,) = find_matches(directory(near), asked, now=EVENING_NOW, busy=Calendar()).matches
    assert match.reasons[:2] == ("Specialises in anxiety", "Online or in person, under a mile away")

"""The outcomes part of the ranking: providers whose clients improved more on the client's
measured concerns rank higher, providers without enough measured clients are neither
rewarded nor punished, and requests without a measured concern are ranked as before."""

from __future__ import annotations

import datetime as dt

from carematch.matching.engine.directory import LicenseRow, WindowRow, build_directory
from carematch.matching.engine.match import find_matches
from carematch.matching.engine.scoring import NETWORK_MEAN_OUTCOME, outcome_value

from .test_engine_openings import provider_row
from .test_engine_ranking import NOW, Calendar, ids, request

MEASURED = ["anxiety", "depression", "grief"]


def directory(*providers, effects=None):
    """Providers licensed in CO until 2030 and working 09:00-17:00 every day, with outcome estimates."""
    return build_directory(
        providers=providers,
        licenses=[LicenseRow(p.id, "CO", dt.date(2030, 1, 1), "verified") for p in providers],
        windows=[WindowRow(p.id, day, dt.time(9), dt.time(17)) for p in providers for day in range(7)],
        effects=effects,
    )


def scores(answer):
    return {match.provider_id: match.score for match in answer.matches}


def outcome_reasons(match):
    return [reason for reason in match.reasons if reason.startswith("Clients working on")]


def test_a_provider_whose_clients_improved_more_on_depression_ranks_above_an_otherwise_identical_one():
    providers = [provider_row(n, concerns=MEASURED) for n in (1, 2, 3)]
    effects = {2: {"depression": (-2.0, 12, 0.8)}, 3: {"depression": (3.0, 12, 0.8)}}
    answer = find_matches(directory(*providers, effects=effects), request(concerns=("depression",)), now=NOW,
                          busy=Calendar())
    # Better than the network first; without an estimate in the middle; worse than the network last.
    assert ids(answer) == [3, 1, 2]
    best, unmeasured, worse = answer.matches
    assert outcome_reasons(best) == ["Clients working on depression have done well with this provider"]
    assert outcome_reasons(unmeasured) == [] and outcome_reasons(worse) == []
    assert not any(character.isdigit() for character in outcome_reasons(best)[0])


def test_a_provider_without_an_estimate_scores_exactly_as_one_whose_clients_did_as_well_as_the_network():
    providers = [provider_row(n, concerns=MEASURED) for n in (1, 2)]
    answer = find_matches(directory(*providers, effects={2: {"depression": (0.0, 40, 0.3)}}),
                          request(concerns=("depression",)), now=NOW, busy=Calendar())
    assert ids(answer) == [1, 2]
    assert scores(answer)[1] == scores(answer)[2]
    assert outcome_value((0.0, 40, 0.3)) == outcome_value(None) == NETWORK_MEAN_OUTCOME


def test_an_estimate_fewer_than_five_clients_back_has_no_effect():
    providers = [provider_row(n, concerns=MEASURED) for n in (1, 2)]
    asked = request(concerns=("depression", "anxiety"))
    few = {2: {"depression": (6.0, 4, 2.0), "anxiety": (6.0, 4, 2.0)}}
    answer = find_matches(directory(*providers, effects=few), asked, now=NOW, busy=Calendar())
    without = find_matches(directory(*providers), asked, now=NOW, busy=Calendar())
    assert ids(answer) == ids(without) == [1, 2]
    assert scores(answer) == scores(without)
    assert outcome_reasons(answer.matches[1]) == []


def test_a_request_without_a_measured_concern_is_ranked_as_if_there_were_no_estimates():
    providers = [provider_row(n, concerns=MEASURED) for n in (1, 2)]
    effects = {2: {"depression": (6.0, 30, 0.4), "anxiety": (6.0, 30, 0.4)}}
    asked = request(concerns=("grief",))
    answer = find_matches(directory(*providers, effects=effects), asked, now=NOW, busy=Calendar())
    without = find_matches(directory(*providers), asked, now=NOW, busy=Calendar())
    assert ids(answer) == ids(without) == [1, 2]
    assert scores(answer) == scores(without)
    assert answer.matches == without.matches


def test_the_reason_names_only_the_measured_concerns_on_which_clients_did_better_than_the_network():
    providers = [provider_row(1, concerns=MEASURED)]
    effects = {1: {"depression": (3.0, 9, 1.0), "anxiety": (-0.5, 9, 1.0)}}
    (match,) = find_matches(directory(*providers, effects=effects), request(concerns=("anxiety", "depression")),
                            now=NOW, busy=Calendar()).matches
    assert outcome_reasons(match) == ["Clients working on depression have done well with this provider"]
    # Before what every provider who fits does (treat the concern): it sets this one apart.
    assert match.reasons.index(outcome_reasons(match)[0]) < match.reasons.index("Treats anxiety")

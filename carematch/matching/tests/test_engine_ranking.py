"""The engine on small directories built in memory: who is matched, in what order, why,
and what it suggests. No database: time off, claims and recent new clients come from a
plain table given to the engine."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carematch.lib import geo
from carematch.lib.errors import InvalidInput
from carematch.lib.timezones import zone
from carematch.matching.engine.directory import LicenseRow, WindowRow, build_directory
from carematch.matching.engine.match import Busy, find_matches
from carematch.matching.engine.types import TIMES_OF_DAY, MatchRequest

from .test_engine_openings import provider_row

# Monday 7 December 2026, noon in New York.
NOW = dt.datetime(2026, 12, 7, 17, tzinfo=dt.UTC)
DENVER = geo.zip_location("80202")
LONGMONT = geo.zip_location("80501")  # about 30 miles from downtown Denver
SPRINGS = geo.zip_location("80903")  # Colorado Springs, about 65 miles


class Calendar:
    """Time off, claims and recent new clients by provider id; records what it was asked."""

    def __init__(self, blocked=None, recent=None):
        self.blocked, self.recent, self.asked = blocked or {}, recent or {}, []

    def __call__(self, ids, start, end):
        self.asked.append(list(ids))
        return Busy(
            blocked={pid: spans for pid, spans in self.blocked.items() if pid in ids},
            recent_new_clients={pid: n for pid, n in self.recent.items() if pid in ids},
        )


def directory(*providers, licenses=None, windows=None, match_unverified=False):
    """Providers licensed in CO until 2030 and working 09:00-17:00 every day, unless told otherwise."""
    if licenses is None:
        licenses = [LicenseRow(p.id, "CO", dt.date(2030, 1, 1), "verified") for p in providers]
    if windows is None:
        windows = [WindowRow(p.id, day, dt.time(9), dt.time(17)) for p in providers for day in range(7)]
    return build_directory(providers=providers, licenses=licenses, windows=windows, match_unverified=match_unverified)


def request(**fields):
    values = {"state": "CO", "age": 30, "concerns": ("anxiety",), "earliest": NOW, "client_timezone": "America/Denver"}
    values.update(fields)
    return MatchRequest(**values)


def in_chosen_times(start, asked):
    hour = start.astimezone(zone(asked.client_timezone)).hour
    return any(TIMES_OF_DAY[name][0] <= hour < TIMES_OF_DAY[name][1] for name in asked.times_of_day)


def ids(answer):
    return [match.provider_id for match in answer.matches]


def test_a_provider_who_fits_is_matched_with_three_openings_soonest_first_in_the_window():
    answer = find_matches(directory(provider_row(7)), request(), now=NOW, busy=Calendar())
    (match,) = answer.matches
    starts = [opening.start for opening in match.openings]
    assert match.provider_id == 7 and len(starts) == 3 and starts == sorted(starts)
    assert all(NOW <= start < NOW + dt.timedelta(hours=48) for start in starts)
    assert all(opening.end - opening.start == dt.timedelta(hours=1) for opening in match.openings)
    assert 0 <= match.score <= 1
    assert answer.suggestions == ()


@pytest.mark.parametrize(
    ("provider", "asked"),
    [
        (provider_row(accepting_new=False), {}),
        (provider_row(languages=["fr"]), {}),
        (provider_row(populations=["teens"]), {}),
        (provider_row(concerns=["grief"]), {}),
        (provider_row(insurance=["cigna"]), {"insurance": "aetna"}),
        (provider_row(self_pay_rate=180), {"self_pay_max": 150}),
        (provider_row(formats=["in_person"], latitude=SPRINGS[0], longitude=SPRINGS[1]),
         {"format": "in_person", "zip": "80202"}),
        (provider_row(formats=["in_person"]), {"format": "telehealth"}),
    ],
    ids=["not-accepting", "language", "population", "concern", "payer", "self-pay", "too-far", "format"],
)
def test_a_provider_who_breaks_a_hard_rule_is_not_matched(provider, asked):
    assert ids(find_matches(directory(provider), request(**asked), now=NOW, busy=Calendar())) == []


def test_only_a_license_in_the_clients_state_that_is_not_rejected_counts():
    kept = provider_row(1)
    licenses = [
        LicenseRow(1, "NY", dt.date(2030, 1, 1), "verified"), LicenseRow(1, "CO", dt.date(2030, 1, 1), "rejected"),
    ]
    assert ids(find_matches(directory(kept, licenses=licenses), request(), now=NOW, busy=Calendar())) == []
    licenses.append(LicenseRow(1, "CO", dt.date(2029, 1, 1), "verified"))
    assert ids(find_matches(directory(kept, licenses=licenses), request(), now=NOW, busy=Calendar())) == [1]


def test_a_license_not_yet_verified_counts_only_where_the_deployment_matches_unverified_licenses():
    waiting = [LicenseRow(1, "CO", dt.date(2030, 1, 1), "unverified")]
    unverified_off = directory(provider_row(1), licenses=waiting)
    unverified_on = directory(provider_row(1), licenses=waiting, match_unverified=True)
    assert ids(find_matches(unverified_off, request(), now=NOW, busy=Calendar())) == []
    assert ids(find_matches(unverified_on, request(), now=NOW, busy=Calendar())) == [1]
    # A rejected license never counts, whatever the deployment says.
    rejected = [LicenseRow(1, "CO", dt.date(2030, 1, 1), "rejected")]
    assert ids(find_matches(directory(provider_row(1), licenses=rejected, match_unverified=True), request(),
                            now=NOW, busy=Calendar())) == []


def test_an_unverified_license_does_not_stretch_a_verified_one_that_expires_sooner():
    # Verified through Tuesday 8 December; a later expiry not yet verified must not extend it.
    licenses = [LicenseRow(1, "CO", dt.date(2026, 12, 8), "verified"), LicenseRow(1, "CO", dt.date(2030, 1, 1),
                                                                                  "unverified")]
    answer = find_matches(directory(provider_row(1), licenses=licenses), request(within_hours=168, limit=1),
                          now=NOW, busy=Calendar())
    assert answer.matches
    assert max(o.start.astimezone(geo_zone("America/Denver")).date() for o in answer.matches[0].openings) <= \
        dt.date(2026, 12, 8)
    answer = find_matches(directory(provider_row(1), licenses=licenses), request(
        earliest=dt.datetime(2026, 12, 9, 16, tzinfo=dt.UTC)), now=NOW, busy=Calendar())
    assert answer.matches == ()


def test_no_opening_is_offered_on_or_after_the_date_a_license_has_expired():
    # The CO license counts through Tuesday 8 December and not on Wednesday the 9th.
    licenses = [LicenseRow(1, "CO", dt.date(2026, 12, 8), "verified")]
    answer = find_matches(
        directory(provider_row(1), licenses=licenses), request(within_hours=72, limit=1), now=NOW, busy=Calendar()
    )
    last_day = max(o.start.astimezone(geo_zone("America/Denver")).date() for o in answer.matches[0].openings)
    assert last_day <= dt.date(2026, 12, 8)
    answer = find_matches(
        directory(provider_row(1), licenses=[LicenseRow(1, "CO", dt.date(2026, 12, 6), "verified")]), request(),
        now=NOW, busy=Calendar(),
    )
    assert answer.matches == ()


def geo_zone(name):
    from carematch.lib.timezones import zone

    return zone(name)


def test_in_person_is_offered_only_within_the_distance_asked_for():
    near = provider_row(1, formats=["telehealth", "in_person"], latitude=DENVER[0], longitude=DENVER[1])
    far = provider_row(2, formats=["telehealth", "in_person"], latitude=SPRINGS[0], longitude=SPRINGS[1])
    answer = find_matches(directory(near, far), request(format="any", zip="80202"), now=NOW, busy=Calendar())
    formats = {match.provider_id: match.openings[0].formats for match in answer.matches}
    assert formats == {1: ("telehealth", "in_person"), 2: ("telehealth",)}
    in_person = find_matches(directory(near, far), request(format="in_person", zip="80202"), now=NOW, busy=Calendar())
    assert ids(in_person) == [1]


def test_time_off_and_claims_take_their_hours_away_and_a_fully_booked_provider_is_not_a_match():
    calendar = Calendar(blocked={1: [(NOW, NOW + dt.timedelta(days=3))], 2: [(NOW, NOW + dt.timedelta(hours=20))]})
    answer = find_matches(directory(provider_row(1), provider_row(2)), request(), now=NOW, busy=calendar)
    assert ids(answer) == [2]
    assert answer.matches[0].openings[0].start >= NOW + dt.timedelta(hours=20)


def test_more_of_the_clients_concerns_treated_ranks_higher():
    one = provider_row(1, concerns=["anxiety"])
    both = provider_row(2, concerns=["anxiety", "depression"])
    answer = find_matches(directory(one, both), request(concerns=("anxiety", "depression")), now=NOW, busy=Calendar())
    assert ids(answer) == [2, 1]
    assert answer.matches[0].score > answer.matches[1].score


def test_the_preferred_gender_and_approach_rank_higher_but_others_still_match():
    other = provider_row(1, gender="male", approaches=["cbt"])
    preferred = provider_row(2, gender="female", approaches=["dbt"])
    asked = request(provider_gender="female", approaches=("dbt",))
    assert ids(find_matches(directory(other, preferred), asked, now=NOW, busy=Calendar())) == [2, 1]


def test_a_sooner_first_opening_ranks_higher():
    late = provider_row(1)
    soon = provider_row(2)
    windows = [WindowRow(1, 2, dt.time(9), dt.time(17)), WindowRow(2, 1, dt.time(9), dt.time(17))]  # Wed, Tue
    assert ids(find_matches(directory(late, soon, windows=windows), request(), now=NOW, busy=Calendar())) == [2, 1]


def test_a_provider_with_many_recent_new_clients_ranks_below_an_equal_one_with_none():
    answer = find_matches(
        directory(provider_row(1), provider_row(2)), request(), now=NOW, busy=Calendar(recent={1: 4})
    )
    assert ids(answer) == [2, 1]


def test_equal_providers_are_ordered_by_id():
    answer = find_matches(directory(*[provider_row(n) for n in (9, 3, 5)]), request(), now=NOW, busy=Calendar())
    assert ids(answer) == [3, 5, 9]
    assert len({match.score for match in answer.matches}) == 1


def test_chosen_times_of_day_rank_a_provider_who_works_then_higher():
    morning = provider_row(1)
    evening = provider_row(2)
    windows = [WindowRow(1, d, dt.time(8), dt.time(11)) for d in range(7)]
    windows += [WindowRow(2, d, dt.time(17), dt.time(20)) for d in range(7)]
    answer = find_matches(
        directory(morning, evening, windows=windows), request(times_of_day=("evening",)), now=NOW, busy=Calendar()
    )
    assert ids(answer) == [2, 1]


def test_only_the_short_list_is_looked_up_in_a_large_directory():
    providers = [provider_row(n, concerns=["anxiety", "depression"] if n % 50 == 0 else ["anxiety"])
                 for n in range(1, 1001)]
    calendar = Calendar()
    answer = find_matches(
        directory(*providers), request(concerns=("anxiety", "depression"), limit=5), now=NOW, busy=calendar
    )
    assert ids(answer) == [50, 100, 150, 200, 250]
    assert sum(len(asked) for asked in calendar.asked) <= 40


def test_reasons_say_in_plain_words_why_the_provider_was_matched():
    provider = provider_row(
        1, concerns=["anxiety", "depression"], approaches=["cbt"], insurance=["aetna"], languages=["es", "en"],
        timezone="America/New_York",
    )
    windows = [WindowRow(1, 1, dt.time(10), dt.time(11))]  # Tuesday 10:00 in New York
    asked = request(
        concerns=("anxiety", "depression"), approaches=("cbt",), insurance="aetna", insurance_name="Aetna",
        languages=("es",), client_timezone="America/New_York",
    )
    (match,) = find_matches(directory(provider, windows=windows), asked, now=NOW, busy=Calendar()).matches
    # Alone in the answer, nothing is shared: the card says all of it, what the person asked for first.
    assert match.reasons == (
        "Offers CBT, which you asked for", "Speaks Spanish", "Treats anxiety", "Treats depression",
        "Online (video) sessions", "In network with Aetna", "Licensed in Colorado",
    )
    self_pay = dataclasses.replace(asked, insurance=None, self_pay_max=150, approaches=(), languages=("en",))
    (match,) = find_matches(directory(provider, windows=windows), self_pay, now=NOW, busy=Calendar()).matches
    assert "Self-pay $100 a session, within your $150" in match.reasons


def test_suggestions_name_each_relaxation_that_finds_more_most_first():
    here = provider_row(1, formats=["in_person"], latitude=DENVER[0], longitude=DENVER[1])
    longmont = provider_row(2, formats=["in_person"], latitude=LONGMONT[0], longitude=LONGMONT[1])
    online = [provider_row(n, formats=["telehealth"]) for n in (3, 4, 5)]
    thursday = [provider_row(6, formats=["in_person"], latitude=DENVER[0], longitude=DENVER[1])]
    windows = [WindowRow(p.id, d, dt.time(9), dt.time(17)) for p in [here, longmont, *online] for d in range(7)]
    windows.append(WindowRow(6, 3, dt.time(9), dt.time(17)))  # Thursday only: outside 48 hours from Monday
    answer = find_matches(
        directory(here, longmont, *online, *thursday, windows=windows),
        request(format="in_person", zip="80202", max_distance_miles=25), now=NOW, busy=Calendar(),
    )
    assert ids(answer) == [1]
    assert [(s.change, s.more_matches) for s in answer.suggestions] == [
        ({"format": "telehealth"}, 3), ({"within_hours": 72}, 1), ({"within_hours": 168}, 1),
        ({"max_distance_miles": 50}, 1),
    ]


def test_suggestions_offer_english_and_self_pay_when_they_find_more():
    english = provider_row(1, languages=["en"], insurance=[])
    answer = find_matches(directory(english), request(languages=("es",)), now=NOW, busy=Calendar())
    assert [(s.change, s.more_matches) for s in answer.suggestions] == [({"languages": ["es", "en"]}, 1)]
    answer = find_matches(directory(english), request(insurance="aetna"), now=NOW, busy=Calendar())
    assert [(s.change, s.more_matches) for s in answer.suggestions] == [({"insurance": None}, 1)]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("state", "ZZ"), ("age", -1), ("age", 131), ("concerns", ()), ("concerns", ("worry",)),
        ("approaches", ("hypnosis",)), ("format", "phone"), ("zip", "1234"), ("zip", "00000"),
        ("max_distance_miles", 0), ("languages", ()), ("languages", ("xx",)), ("provider_gender", "other"),
        ("insurance", ""), ("self_pay_max", -5), ("earliest", dt.datetime(2026, 12, 7, 12)),  # noqa: DTZ001
        ("within_hours", 0), ("within_hours", 169), ("limit", 0), ("times_of_day", ("night",)),
        ("client_timezone", "Mars/Olympus"),
    ],
)
def test_a_request_that_cannot_be_used_is_refused_naming_the_field(field, value):
    with pytest.raises(InvalidInput) as refused:
        find_matches(directory(provider_row(1)), request(**{field: value}), now=NOW, busy=Calendar())
    assert field in refused.value.fields


def test_in_person_without_a_zip_is_refused_naming_the_zip():
    with pytest.raises(InvalidInput) as refused:
        find_matches(directory(provider_row(1)), request(format="in_person"), now=NOW, busy=Calendar())
    assert set(refused.value.fields) == {"zip"}


@st.composite
def small_directories(draw):
    providers, windows = [], []
    for n in range(1, draw(st.integers(1, 12)) + 1):
        providers.append(provider_row(
            n,
            concerns=draw(st.lists(st.sampled_from(["anxiety", "depression", "grief"]), min_size=1, unique=True)),
            approaches=draw(st.lists(st.sampled_from(["cbt", "dbt"]), unique=True)),
            gender=draw(st.sampled_from(["female", "male", "nonbinary"])),
            timezone=draw(st.sampled_from(["America/Denver", "America/New_York"])),
            min_notice_hours=draw(st.sampled_from([0, 2, 24])),
        ))
        for day in draw(st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True)):
            start = draw(st.integers(6, 18))
            windows.append(WindowRow(n, day, dt.time(start), dt.time(draw(st.integers(start + 1, 23)))))
    return directory(*providers, windows=windows)


@settings(max_examples=60, deadline=None)
@given(
    small_directories(),
    st.lists(st.sampled_from(["anxiety", "depression", "grief"]), min_size=1, max_size=3, unique=True),
    st.sampled_from([None, "female", "male"]),
    st.lists(st.sampled_from(["morning", "afternoon", "evening"]), unique=True),
    st.integers(1, 5),
    st.sampled_from([24, 48, 72]),
    st.dictionaries(st.integers(1, 12), st.integers(0, 5)),
)
def test_every_answer_is_a_ranked_list_of_at_most_limit_matches_with_openings_in_the_window(
    built, concerns, gender, times, limit, hours, recent
):
    asked = request(concerns=tuple(concerns), provider_gender=gender, times_of_day=tuple(times), limit=limit,
                    within_hours=hours)
    answer = find_matches(built, asked, now=NOW, busy=Calendar(recent=recent))
    assert len(answer.matches) <= limit
    keys = [(-match.score, match.provider_id) for match in answer.matches]
    assert keys == sorted(keys) and len(set(ids(answer))) == len(keys)
    for match in answer.matches:
        assert 0 <= match.score <= 1
        starts = [opening.start for opening in match.openings]
        chosen = [start for start in starts if in_chosen_times(start, asked)]
        others = [start for start in starts if not in_chosen_times(start, asked)]
        # At the times of day asked for first, then the others, each soonest first.
        assert 1 <= len(starts) <= 3 and starts == sorted(chosen) + sorted(others)
        assert all(asked.earliest <= start < asked.latest for start in starts)
        assert match.reasons
        assert not {fact.text for fact in answer.shared} & set(match.reasons) or len(answer.matches) < 2
    if len(answer.matches) == limit:
        assert answer.suggestions == ()

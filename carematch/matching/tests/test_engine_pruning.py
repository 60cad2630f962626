"""The engine computes openings only for the candidates that can still reach the best
`limit` (engine/match.py `_best`, `_slot_bound`): it must give exactly the answer it gives
when it computes every candidate's openings, on any directory, calendar and request."""

from __future__ import annotations

import datetime as dt
from unittest import mock

from hypothesis import event, given, settings
from hypothesis import strategies as st

from carematch.matching.engine import match as engine_match
from carematch.matching.engine.directory import LicenseRow, WindowRow, build_directory
from carematch.matching.engine.match import find_matches

from .test_engine_openings import provider_row
from .test_engine_ranking import NOW, Calendar, request

CONCERNS = ["anxiety", "depression", "grief", "trauma"]


@st.composite
def directories(draw):
    providers, windows, licenses, effects = [], [], [], {}
    count = draw(st.integers(1, 40))
    for n in range(1, count + 1):
        providers.append(provider_row(
            n,
            concerns=draw(st.lists(st.sampled_from(CONCERNS), min_size=1, unique=True)),
            approaches=draw(st.lists(st.sampled_from(["cbt", "dbt", "emdr"]), unique=True)),
            gender=draw(st.sampled_from(["female", "male", "nonbinary"])),
            timezone=draw(st.sampled_from(["America/Denver", "America/New_York", "America/Los_Angeles"])),
            min_notice_hours=draw(st.sampled_from([0, 2, 24, 48])),
            works_holidays=draw(st.booleans()),
        ))
        for day in draw(st.lists(st.integers(0, 6), max_size=4, unique=True)):
            start = draw(st.integers(0, 20))
            windows.append(WindowRow(n, day, dt.time(start), dt.time(draw(st.integers(start + 1, 23)))))
        expires = draw(st.sampled_from([dt.date(2030, 1, 1), dt.date(2026, 12, 8), dt.date(2026, 12, 9)]))
        licenses.append(LicenseRow(n, "CO", expires, "verified"))
        if draw(st.booleans()):
            effects[n] = {"depression": (draw(st.floats(-6, 6)), draw(st.integers(0, 40)), 0.5)}
    built = build_directory(providers=providers, licenses=licenses, windows=windows, effects=effects)
    return built, count


@st.composite
def calendars(draw, count):
    blocked, recent = {}, {}
    for n in draw(st.lists(st.integers(1, count), unique=True)):
        spans = []
        for _ in range(draw(st.integers(1, 3))):
            start = NOW + dt.timedelta(minutes=draw(st.integers(-60, 72 * 60)))
            spans.append((start, start + dt.timedelta(minutes=draw(st.integers(1, 24 * 60)))))
        blocked[n] = spans
    for n in draw(st.lists(st.integers(1, count), unique=True)):
        recent[n] = draw(st.integers(1, 6))
    return Calendar(blocked=blocked, recent=recent)


@settings(max_examples=150, deadline=None)
@given(
    built=directories(),
    concerns=st.lists(st.sampled_from(CONCERNS), min_size=1, max_size=3, unique=True),
    approaches=st.lists(st.sampled_from(["cbt", "dbt", "emdr"]), max_size=2, unique=True),
    gender=st.sampled_from([None, "female", "male"]),
    times=st.lists(st.sampled_from(["morning", "afternoon", "evening"]), unique=True),
    limit=st.integers(1, 6),
    hours=st.sampled_from([24, 48, 72, 168]),
    chunk=st.integers(1, 8),
    data=st.data(),
)
def test_pruned_answers_are_those_of_computing_every_candidates_openings(
    built, concerns, approaches, gender, times, limit, hours, chunk, data
):
    directory, count = built
    asked = request(concerns=tuple(concerns), approaches=tuple(approaches), provider_gender=gender,
                    times_of_day=tuple(times), limit=limit, within_hours=hours)
    calendar = data.draw(calendars(count))
    everyone = find_matches(directory, asked, now=NOW, busy=calendar, prune=False)
    asked_without_pruning = sum(len(ids) for ids in calendar.asked)
    calendar.asked.clear()
    # Small chunks, so that on a directory this size pruning has chunks to leave out.
    with mock.patch.object(engine_match, "FIRST_CHUNK", chunk):
        pruned = find_matches(directory, asked, now=NOW, busy=calendar, prune=True)
    assert pruned == everyone
    event("pruned read fewer calendars" if sum(len(ids) for ids in calendar.asked) < asked_without_pruning
          else "pruned read as many calendars")


def test_a_large_directory_computes_openings_for_a_few_chunks_only():
    # 3,000 providers who all fit; the 40 who treat every concern asked about come first.
    providers = [provider_row(n, concerns=["anxiety", "depression"] if n <= 40 else ["anxiety"])
                 for n in range(1, 3001)]
    windows = [WindowRow(p.id, day, dt.time(9), dt.time(17)) for p in providers for day in range(7)]
    licenses = [LicenseRow(p.id, "CO", dt.date(2030, 1, 1), "verified") for p in providers]
    directory = build_directory(providers=providers, licenses=licenses, windows=windows)
    asked = request(concerns=("anxiety", "depression"), limit=5)
    computed = []
    real = engine_match.candidate_slots

    def counted(directory, candidates, **kwargs):
        computed.append(len(candidates))
        return real(directory, candidates, **kwargs)

    with mock.patch.object(engine_match, "candidate_slots", counted):
        pruned = find_matches(directory, asked, now=NOW, busy=Calendar())
    assert sum(computed) == engine_match.FIRST_CHUNK < 3000
    assert pruned == find_matches(directory, asked, now=NOW, busy=Calendar(), prune=False)
    assert [m.provider_id for m in pruned.matches] == [1, 2, 3, 4, 5]

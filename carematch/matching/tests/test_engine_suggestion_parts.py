"""Suggestions count candidates a part at a time (engine/match.py `_Counting`): however small
the parts, the suggestions are those of counting every candidate at once."""

from __future__ import annotations

import datetime as dt

import pytest

from carematch.matching.engine import match
from carematch.matching.engine.directory import LicenseRow, WindowRow, build_directory
from carematch.matching.engine.match import find_matches

from .test_engine_openings import provider_row
from .test_engine_ranking import NOW, Calendar, request


def network():
    rows = [
        provider_row(n, languages=["en"] if n % 3 else ["es", "en"], insurance=["aetna"] if n % 4 == 0 else [],
                     self_pay_rate=80 + 10 * (n % 5), min_notice_hours=2 + 24 * (n % 2))
        for n in range(1, 60)
    ]
    licenses = [LicenseRow(p.id, "CO", dt.date(2030, 1, 1), "verified") for p in rows]
    windows = [WindowRow(p.id, day, dt.time(9 + p.id % 6), dt.time(17)) for p in rows for day in range(p.id % 7)]
    return build_directory(providers=rows, licenses=licenses, windows=windows)


@pytest.mark.parametrize("asked", [
    {"languages": ("es",), "limit": 10},
    {"insurance": "aetna", "limit": 20},
    {"languages": ("fr",)},
    {"within_hours": 48, "limit": 20, "languages": ("es",), "insurance": "aetna"},
])
def test_suggestions_are_the_same_whatever_the_size_of_the_parts(monkeypatch, asked):
    directory = network()
    busy = Calendar(blocked={n: [(NOW, NOW + dt.timedelta(hours=40))] for n in range(1, 60, 2)}, recent={4: 2})
    whole = find_matches(directory, request(**asked), now=NOW, busy=busy)
    assert whole.suggestions  # each of these finds fewer than asked for
    for size in (1, 2, 5):
        monkeypatch.setattr(match._Counting, "FIRST_PART", size)
        assert find_matches(directory, request(**asked), now=NOW, busy=busy) == whole

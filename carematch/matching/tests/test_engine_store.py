"""A directory written to files (engine/store.py) and mapped back is the same directory: the same
arrays, strings and tables, the same answers to the same requests, and nothing of it is copied
into the reading process."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from carematch.lib import geo
from carematch.matching.engine.directory import LicenseRow, WindowRow, build_directory
from carematch.matching.engine.match import find_matches
from carematch.matching.engine.store import load_directory, read_meta, save_directory

from .test_engine_openings import provider_row
from .test_engine_ranking import NOW, Calendar, request

DENVER = geo.zip_location("80202")


def network():
    rows = [
        provider_row(1, credentials=["LPC", "PhD"], first_name="Zoë", last_name="Ångström"),
        provider_row(2, languages=["en", "es"], insurance=["aetna"], approaches=["cbt"], gender="male"),
        provider_row(3, formats=["telehealth", "in_person"], latitude=DENVER[0], longitude=DENVER[1],
                     concerns=["anxiety", "depression"], specialties=["depression"], timezone="America/New_York"),
        provider_row(4, credentials=[], insurance=["cigna", "aetna"], works_holidays=True),
        provider_row(5, accepting_new=False),
    ]
    licenses = [LicenseRow(p.id, "CO", dt.date(2030, 1, 1), "verified") for p in rows]
    licenses += [LicenseRow(3, "NY", dt.date(2029, 6, 30), "verified"), LicenseRow(4, "TX", dt.date(2028, 1, 1),
                                                                                   "unverified")]
    windows = [WindowRow(p.id, day, dt.time(9 + p.id), dt.time(17)) for p in rows for day in range(6)]
    effects = {2: {"depression": (-4.0, 8, 1.0)}}
    return build_directory(providers=rows, licenses=licenses, windows=windows, effects=effects)


def test_a_directory_saved_and_mapped_back_holds_the_same_values(tmp_path):
    built = network()
    save_directory(built, tmp_path / "snap", meta={"version": [False, "abc", 7]})
    loaded = load_directory(tmp_path / "snap")
    assert read_meta(tmp_path / "snap") == {"version": [False, "abc", 7]}
    for field in dataclasses.fields(built):
        mine, theirs = getattr(built, field.name), getattr(loaded, field.name)
        if isinstance(mine, np.ndarray):
            assert isinstance(theirs.base, np.memmap) or theirs.size == 0, field.name  # mapped, not read
            np.testing.assert_array_equal(mine, theirs)
            assert mine.dtype == theirs.dtype, field.name
        elif field.name == "licenses":
            assert set(mine) == set(theirs)
            for state in mine:
                np.testing.assert_array_equal(mine[state].providers, theirs[state].providers)
                np.testing.assert_array_equal(mine[state].expires, theirs[state].expires)
        elif field.name == "outcomes":
            assert set(mine) == set(theirs)
            for concern in mine:
                np.testing.assert_array_equal(mine[concern], theirs[concern])
        else:
            assert list(mine) == list(theirs), field.name
    assert loaded.names[0] == "Zoë Ångström" and loaded.credentials[0] == ("LPC", "PhD")
    assert loaded.credentials[3] == () and loaded.names[-1] == built.names[-1]
    with pytest.raises(IndexError):
        loaded.npis[len(built.npis)]
    assert loaded.nbytes() > 0


@pytest.mark.parametrize("asked", [
    {},
    {"concerns": ("depression",)},
    {"languages": ("es",)},
    {"insurance": "aetna"},
    {"format": "in_person", "zip": "80202"},
    {"state": "NY", "client_timezone": "America/New_York"},
    {"provider_gender": "male", "approaches": ("cbt",), "times_of_day": ("morning",)},
])
def test_the_mapped_directory_answers_every_request_as_the_built_one(tmp_path, asked):
    built = network()
    save_directory(built, tmp_path / "snap")
    loaded = load_directory(tmp_path / "snap")
    busy = Calendar(blocked={1: [(NOW, NOW + dt.timedelta(hours=30))]}, recent={2: 3})
    assert find_matches(loaded, request(**asked), now=NOW, busy=busy) == find_matches(
        built, request(**asked), now=NOW, busy=busy)


def test_an_empty_directory_is_saved_and_read_back(tmp_path):
    empty = build_directory(providers=[], licenses=[], windows=[])
    save_directory(empty, tmp_path / "snap")
    loaded = load_directory(tmp_path / "snap")
    assert loaded.size == 0 and loaded.licenses == {}
    assert find_matches(loaded, request(), now=NOW, busy=Calendar()).matches == ()

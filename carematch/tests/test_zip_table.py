"""The ZIP table (carematch/lib/geo.py): compact arrays written once per machine and mapped by
every process, answering exactly as the `zipcodes` package's records do, without holding them."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
import zipcodes

from carematch.lib import geo


@pytest.fixture
def folder(tmp_path):
    kept = geo._folder
    geo.use_folder(tmp_path)
    yield tmp_path
    geo.use_folder(kept)


def test_every_zip_code_has_the_packages_centroid_zone_and_city(folder):
    records = zipcodes.list_all()
    for entry in records:
        code = entry["zip_code"]
        try:
            expected = (float(entry["lat"]), float(entry["long"]), entry["state"])
        except (KeyError, TypeError, ValueError):
            expected = None
        assert geo.zip_location(code) == expected, code
        assert geo.zip_timezone(code) == (entry.get("timezone") or None), code
        assert geo.zip_city(code) == (entry.get("city") or None), code
    for unknown in ("00000", "8020", "802021", "abcde", ""):
        assert geo.zip_location(unknown) is None and geo.zip_city(unknown) is None
        assert geo.zip_timezone(unknown) is None
    colorado = {e["zip_code"] for e in records if e["state"] == "CO" and not math.isnan(float(e["lat"] or "nan"))}
    assert geo.zips_in_state("CO") == colorado
    assert geo.zips_in_state("XX") == frozenset()


def test_the_table_is_written_once_and_mapped_by_the_next_process_without_the_package(folder, monkeypatch):
    geo.zip_location("80202")
    (written,) = [p for p in folder.iterdir() if p.is_dir()]
    assert {p.name for p in written.iterdir()} >= {"codes.npy", "latitude.npy", "names.json"}
    geo.use_folder(folder)  # as a new process: the table is read from the files, not built again

    def no_build():
        raise AssertionError("the table was built again")

    monkeypatch.setattr(geo, "build_table", no_build)
    assert geo.zip_location("80202") is not None and geo.zip_city("80202") == "Denver"


SCRIPT = """
import json, resource, sys
from pathlib import Path
from carematch.lib import geo
geo.use_folder(Path(sys.argv[1]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for code in ("80202", "10001", "94103", "60601", "33101"):
    geo.zip_location(code), geo.zip_city(code), geo.zip_timezone(code)
geo.zips_in_state("CA")
print(json.dumps({"grew_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024}))
"""


def test_a_process_using_the_machines_table_holds_a_few_megabytes_not_the_package(folder):
    geo.zip_location("80202")  # written by this process
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    answer = subprocess.run(  # noqa: S603 - this interpreter, our script
        [sys.executable, "-c", SCRIPT, str(folder)], env=env, capture_output=True, text=True, check=True,
        timeout=120,
    )
    grew = json.loads(answer.stdout.strip().splitlines()[-1])["grew_mb"]
    assert grew < 20  # the package's records take about 145 MB in each process

"""`carematch bench_match` runs end to end on a small directory and finds the engine and the
reference matcher in agreement."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command


def test_bench_match_on_a_small_directory_reports_agreement_and_its_figures():
    out = StringIO()
    call_command("bench_match", providers=300, queries=5, reference_queries=5, stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["agree"] is True
    assert figures["providers"] == 300 and figures["queries"] == 5 and figures["reference_queries"] == 5
    assert 0 < figures["p50_ms"] <= figures["p99_ms"]
    assert figures["snapshot_mb"] > 0 and figures["peak_rss_mb"] > 0


def test_a_large_bench_directory_is_generated_in_recombined_parts_that_the_roster_service_accepts(db, monkeypatch):
    import datetime as dt

    from carematch.directory.models import License, Provider
    from carematch.directory.services import providers_upsert
    from carematch.matching.management.commands import bench_match

    monkeypatch.setattr(bench_match, "_RECORDS_PER_SEED", 40)  # parts of 40 stand for parts of 100,000
    parts = list(bench_match.bulk_records(providers=100, seed=7, today=dt.date(2027, 1, 5)))
    assert [len(part) for part in parts] == [40, 40, 20]
    records = [record for part in parts for record in part]
    assert len({record.npi for record in records}) == 100
    assert {record.first_name for record in parts[1]} <= {record.first_name for record in parts[0]}
    assert [r.concerns for r in parts[1]] != [r.concerns for r in parts[0]]  # recombined, not copied
    for part in parts:
        providers_upsert(records=part)
    assert Provider.objects.count() == 100
    assert License.objects.count() == sum(len(record.licenses) for record in records)

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

"""/staff/capacity/: a coordinator starts a forecast (run by the task worker) and reads its
figures as charts with the tables behind them. Figures only: no client is named."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from carematch.access.decorators import staff_page
from carematch.accounts.http import AuthedHttpRequest
from carematch.directory.selectors import payer_names
from carematch.lib import vocab
from carematch.lib.languages import LANGUAGES

from . import report, selectors, services, tasks
from .forms import ForecastForm
from .models import CapacityRun


def _display_names() -> dict[str, dict[str, str]]:
    """What the tables call each group's codes: states, concerns, payers and languages by name."""
    return {
        "by_state": dict(vocab.STATES),
        "by_concern": dict(vocab.CONCERNS),
        "by_payer": {**payer_names(), "self-pay": pgettext("staff", "Paying themselves")},
        "by_language": dict(LANGUAGES),
    }


def _result_context(run: CapacityRun) -> dict[str, Any]:
    figures = run.result or {}
    if not figures:
        return {}
    names = _display_names()
    target = figures["options"]["target"]
    charts = []
    for key, title in (
        ("by_state", pgettext("staff", "By state")),
        ("by_concern", pgettext("staff", "By concern")),
        ("by_payer", pgettext("staff", "By payer")),
        ("by_language", pgettext("staff", "By language")),
    ):
        rows = figures.get(key) or {}
        if rows:
            charts.append(
                {
                    "code": key,
                    "title": title,
                    "chart": report.bar_chart(rows, target=target),
                    "rows": [
                        {
                            "name": names[key].get(name, name),
                            "code": name,
                            "requests": figure["requests"],
                            "span": report.span(figure),
                        }
                        for name, figure in sorted(rows.items(), key=lambda i: (i[1]["mean"], i[0]))
                    ],
                }
            )
    return {
        "figures": figures,
        "charts": charts,
        "start": dt.datetime.fromisoformat(figures["start"]),
        "target_label": report.percent(target),
        "headline": [
            (pgettext("staff", "First appointment within 48 hours"), report.span(figures["share_within_48h"])),
            (pgettext("staff", "Median wait, hours"), report.span(figures["median_wait_hours"], as_percent=False)),
            (
                pgettext("staff", "90th percentile wait, hours"),
                report.span(figures["p90_wait_hours"], as_percent=False),
            ),
            (pgettext("staff", "Provider utilisation"), report.span(figures["utilisation"])),
            (pgettext("staff", "Requests a replication"), str(figures["requests_per_replication"])),
        ],
        "suggestions": [
            {**found, "share_label": report.percent(found["share"]), "reached_label": report.percent(found["reached"])}
            for found in figures["suggestions"]
        ],
        "confidence_label": report.percent(figures["confidence"]),
        "together": (
            {
                "hours": figures["with_suggestions"]["hours"],
                "share": report.span(figures["with_suggestions"]["share_within_48h"]),
            }
            if figures.get("with_suggestions")
            else None
        ),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@staff_page
def capacity(request: AuthedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ForecastForm(request.POST)
        if form.is_valid():
            run = services.capacity_run_create(options=form.cleaned_data["options"], user=request.user)
            tasks.run_capacity_forecast.enqueue(run_id=run.pk)
            messages.success(
                request,
                pgettext(
                    "staff",
                    "The forecast has started. It takes a minute or two; this page shows it "
                    "when it is done (reload to see).",
                ),
            )
            return redirect("capacity:run", run_id=run.pk)
    else:
        form = ForecastForm()
    runs = selectors.capacity_runs()
    latest = next((run for run in runs if run.status == CapacityRun.Status.FINISHED), None)
    return render(
        request,
        "capacity/capacity.html",
        {
            "form": form,
            "runs": runs,
            "run": latest,
            **(_result_context(latest) if latest else {}),
        },
        status=422 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "HEAD"])
@staff_page
def capacity_run(request: AuthedHttpRequest, run_id: int) -> HttpResponse:
    run = selectors.capacity_run(run_id=run_id)
    if run is None:
        raise Http404(pgettext("staff", "No such forecast."))
    return render(request, "capacity/run.html", {"run": run, **_result_context(run)})

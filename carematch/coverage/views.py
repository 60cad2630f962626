"""Coordinators' coverage pages: load payers' plans and fee schedules, and see what is loaded."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from carematch.access.decorators import staff_page

from . import selectors, tables
from .estimate import KNOWN_CPT
from .forms import CoverageFileForm

PROBLEMS_SHOWN = 500
FEES_PER_PAGE = 100

_IMPORTS = {
    "benefits": {"title": "Import plans and benefits", "label": "Benefits file", "button": "Import the plans",
                 "columns": tables.BENEFITS_COLUMNS, "run": tables.benefits_import, "noun": "plans"},
    "fees": {"title": "Import fee schedules", "label": "Fee schedule file", "button": "Import the fees",
             "columns": tables.FEES_COLUMNS, "run": tables.fees_import, "noun": "fee schedules"},
}


@require_http_methods(["GET", "HEAD"])
@staff_page
def plans(request: HttpRequest) -> HttpResponse:
    """The plans loaded, and their fee schedules (one payer's, when chosen)."""
    payers = selectors.payer_names()
    payer = request.GET.get("payer", "")
    if payer not in payers:
        payer = ""
    fees = Paginator(selectors.fee_list(payer=payer or None), FEES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "coverage/plans.html", {
        "plans": [{"plan": plan, "payer_name": payers.get(plan.payer_id, plan.payer_id)}
                  for plan in selectors.plan_list()],
        "fees": fees, "payers": payers, "payer": payer, "payer_name": payers.get(payer, ""),
        "cpt_names": KNOWN_CPT, "current": "plans",
    })


def _import_page(request: HttpRequest, kind: str) -> HttpResponse:
    about = _IMPORTS[kind]
    report = None
    posted = request.method == "POST"
    form = CoverageFileForm(request.POST if posted else None, request.FILES if posted else None,
                            label=str(about["label"]))
    if request.method == "POST" and form.is_valid():
        report = about["run"](source=form.cleaned_data["file"], dry_run=form.cleaned_data["dry_run"])  # type: ignore[operator]
    context: dict[str, Any] = {"form": form, "report": report, "about": about, "kind": kind, "current": kind}
    if report is not None:
        context["outcome"] = _outcome(report, dry_run=form.cleaned_data["dry_run"], noun=str(about["noun"]))
        context["problems"] = [str(problem) for problem in report.problems[:PROBLEMS_SHOWN]]
        context["problems_not_shown"] = max(0, len(report.problems) - PROBLEMS_SHOWN)
    return render(request, "coverage/import.html", context)


@require_http_methods(["GET", "POST"])
@staff_page
def benefits_import(request: HttpRequest) -> HttpResponse:
    return _import_page(request, "benefits")


@require_http_methods(["GET", "POST"])
@staff_page
def fees_import(request: HttpRequest) -> HttpResponse:
    return _import_page(request, "fees")


def _outcome(report: tables.ImportReport, *, dry_run: bool, noun: str) -> str:
    """What happened, in a sentence: the counts alone do not say whether anything was written."""
    summary = report.summary()
    if report.problems:
        return (f"Nothing was written, because the file has problems: {summary}. Fix them and import the file "
                "again.")
    if dry_run:
        return f"This was a check, so nothing was written. An import would give: {summary}."
    if report.written:
        return f"The {noun} are updated: {summary}."
    return f"Nothing needed to change: {summary}."

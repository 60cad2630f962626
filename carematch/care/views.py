"""The care pages: a client's progress (their own at /progress/; their provider and
coordinators at /caseload/<client_id>/), the forms that add and revise goals and plan
steps, check-ins, and a provider's caseload. Rules live in services and the access policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from carematch.access import policy
from carematch.accounts.models import Client, Role
from carematch.directory.models import Provider
from carematch.lib.errors import DomainError, Forbidden, NotFound
from carematch.lib.timezones import zone
from carematch.measures.selectors import open_alerts_for

from . import chart, selectors, services
from .forms import ActivityForm, CheckInForm, GoalForm, RatingForm
from .models import Activity, Goal, Instrument
from .status import Measure


@dataclass(frozen=True)
class Subject:
    """Whose care record a page is about, and whether the client is looking at their own."""

    client: Client
    mine: bool

    def url(self, name: str, **kwargs: Any) -> str:
        if self.mine:
            return reverse(f"care:my_{name}", kwargs=kwargs)
        return reverse(f"care:client_{name}", kwargs={"client_id": self.client.pk, **kwargs})

    @property
    def progress_url(self) -> str:
        return self.url("progress")


CareView = Callable[..., HttpResponse]


def care_page(view: CareView) -> Callable[..., HttpResponse]:
    """Resolves whose record the page is about: the signed-in client's own (no client_id), or
    a client the viewer may see (404 for anyone else, as if there were no such client)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, client_id: int | None = None, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            if client_id is None:
                client = selectors.own_client(user=request.user)
            else:
                client = selectors.visible_client(user=request.user, client_id=client_id)
        except NotFound as exc:
            if client_id is None and policy.has_role(request.user, Role.CLIENT):
                return render(request, "care/not_started.html")  # a client who has not given their details yet
            raise Http404(exc.detail) from exc
        try:
            return view(request, Subject(client, client.user_id == request.user.pk), *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.detail) from exc
        except Forbidden as exc:
            raise PermissionDenied(exc.detail) from exc

    return wrapper


def _day(day: dt.date) -> str:
    """`Mon 4 Jan 2027`."""
    return f"{day:%a} {day.day} {day:%b} {day.year}"


def _client_today(client: Client) -> dt.date:
    return services.client_today(client)


def _goal_of(subject: Subject, goal_id: int, user: Any) -> Goal:
    goal = selectors.visible_goal(user=user, goal_id=goal_id)
    if goal.client_id != subject.client.pk:
        raise NotFound("No goal with that id.")
    return goal


def _activity_of(subject: Subject, activity_id: int, user: Any) -> Activity:
    activity = selectors.visible_activity(user=user, activity_id=activity_id)
    if activity.client_id != subject.client.pk:
        raise NotFound("No activity with that id.")
    return activity


def _require_planner(request: HttpRequest, subject: Subject) -> None:
    if not policy.may_plan_care(request.user, subject.client):
        raise Forbidden("Only the client and their provider can change the client's goals and plan.")


# --- The progress page ---------------------------------------------------------------------------


def _score_charts(client: Client, scores: dict[str, list[selectors.Score]]) -> list[dict[str, Any]]:
    tz = zone(client.timezone)
    charts = []
    for code, history in scores.items():
        if not history:
            continue
        bands = chart.bands_for(code)
        name = Instrument(code).label
        points = [chart.ScorePoint(score.completed_at.astimezone(tz), score.total) for score in history]
        charts.append({
            "code": code, "name": name, "max": bands[-1].high,
            "chart": chart.score_chart(bands=bands, points=points),
            "summary": chart.chart_summary(name=name, bands=bands, points=points),
            "rows": [
                {"day": _day(score.on), "total": score.total, "band": chart.band_of(score.total, bands).label}
                for score in history
            ],
        })
    return charts


@require_http_methods(["GET", "HEAD"])
@care_page
def progress(request: HttpRequest, subject: Subject) -> HttpResponse:
    client = subject.client
    scores = selectors.questionnaire_scores(client=client)
    goals = selectors.goals_for(client=client, scores=scores)
    plan = selectors.activities_for(client=client, check_ins_shown=selectors.CHECK_INS_SHOWN)
    may_plan = policy.may_plan_care(request.user, client)
    may_check_in = policy.may_check_in(request.user, client)
    return render(request, "care/progress.html", {
        "subject": subject,
        "client": client,
        "charts": _score_charts(client, scores),
        "goals": [
            {
                "view": view,
                "measured_by": _measured_by(view),
                "revise_url": subject.url("goal_revise", goal_id=view.goal.pk) if may_plan else "",
                "rating_url": subject.url("goal_rating", goal_id=view.goal.pk)
                if may_plan and view.current.version.measure == Measure.SELF_RATING else "",
                "earlier": [{"view": v, "since": _day(v.version.created_at.astimezone(zone(client.timezone)).date())}
                            for v in view.earlier],
            }
            for view in goals
        ],
        "plan": [
            {
                "view": item,
                "check_ins": [{"check_in": c, "day": _day(c.done_on)} for c in item.check_ins],
                "check_in_url": subject.url("check_in", activity_id=item.activity.pk)
                if may_check_in and item.activity.is_active else "",
                "end_url": subject.url("activity_end", activity_id=item.activity.pk)
                if may_plan and item.activity.is_active else "",
            }
            for item in plan
        ],
        "goal_add_url": subject.url("goal_add") if may_plan else "",
        "activity_add_url": subject.url("activity_add") if may_plan else "",
        "open_alerts": 0 if subject.mine else _open_alert_count(request.user, client),
    })


def _measured_by(view: selectors.GoalView) -> str:
    """The measurement the goal's status rests on, in words."""
    counted = view.counted
    version = view.current.version
    if counted is None:
        if version.measure == Measure.QUESTIONNAIRE:
            return f"No {Instrument(version.instrument).label} score yet."
        return "No rating yet."
    if version.measure == Measure.QUESTIONNAIRE:
        return f"Latest {Instrument(version.instrument).label} score: {counted.value}, on {_day(counted.on)}."
    return f"Latest rating: {counted.value} out of 10, on {_day(counted.on)}."


def _open_alert_count(user: Any, client: Client) -> int:
    """The client's open alerts that the viewer is shown (providers: safety alerts only)."""
    provider = Provider.objects.filter(user=user).first() if policy.has_role(user, Role.PROVIDER) else None
    if provider is None and not policy.is_staff_member(user):
        return 0
    return len(open_alerts_for(provider=provider, client=client))


# --- Goals -------------------------------------------------------------------------------------


def _done(request: HttpRequest, subject: Subject, message: str, anchor: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(f"{subject.progress_url}#{anchor}")


@require_http_methods(["GET", "POST"])
@care_page
def goal_add(request: HttpRequest, subject: Subject) -> HttpResponse:
    _require_planner(request, subject)
    form = GoalForm(request.POST or None, by_client=subject.mine)
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_create(client=subject.client, by=request.user, **form.definition())
        except DomainError as exc:
            form.add_service_errors(exc)
        else:
            return _done(request, subject, "The goal is added.", "goals")
    return render(request, "care/goal_form.html", {"subject": subject, "form": form, "goal": None})


@require_http_methods(["GET", "POST"])
@care_page
def goal_revise(request: HttpRequest, subject: Subject, goal_id: int) -> HttpResponse:
    goal = _goal_of(subject, goal_id, request.user)
    _require_planner(request, subject)
    current = goal.versions.order_by("-number").first()
    form = GoalForm(request.POST or None, by_client=subject.mine, initial=GoalForm.initial_from(current))
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_revise(goal=goal, by=request.user, **form.definition())
        except DomainError as exc:
            form.add_service_errors(exc)
        else:
            return _done(request, subject, "The goal is revised. The earlier version is kept.", f"goal-{goal.pk}")
    return render(request, "care/goal_form.html", {
        "subject": subject, "form": form, "goal": goal, "current": current,
        "current_target": selectors.target_label(current) if current else "",
    })


@require_http_methods(["GET", "POST"])
@care_page
def goal_rating(request: HttpRequest, subject: Subject, goal_id: int) -> HttpResponse:
    goal = _goal_of(subject, goal_id, request.user)
    _require_planner(request, subject)
    current = goal.versions.order_by("-number").first()
    form = RatingForm(request.POST or None, initial={"rated_on": _client_today(subject.client)})
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_rating_record(goal=goal, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_service_errors(exc)
        else:
            return _done(request, subject, "The rating is recorded.", f"goal-{goal.pk}")
    return render(request, "care/rating_form.html", {
        "subject": subject, "form": form, "goal": goal, "current": current,
        "current_target": selectors.target_label(current) if current else "",
    })


# --- The plan ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@care_page
def activity_add(request: HttpRequest, subject: Subject) -> HttpResponse:
    _require_planner(request, subject)
    form = ActivityForm(request.POST or None, by_client=subject.mine)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_add(client=subject.client, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_service_errors(exc)
        else:
            return _done(request, subject, "The activity is added to the plan.", "plan")
    return render(request, "care/activity_form.html", {"subject": subject, "form": form})


@require_POST
@care_page
def activity_end(request: HttpRequest, subject: Subject, activity_id: int) -> HttpResponse:
    activity = _activity_of(subject, activity_id, request.user)
    try:
        services.activity_end(activity=activity, by=request.user)
    except Forbidden:
        raise
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect(f"{subject.progress_url}#plan")
    return _done(request, subject, "The activity is out of the plan. Its check-ins are kept.", "plan")


@require_http_methods(["GET", "POST"])
@care_page
def check_in(request: HttpRequest, subject: Subject, activity_id: int) -> HttpResponse:
    activity = _activity_of(subject, activity_id, request.user)
    if not policy.may_check_in(request.user, subject.client):
        raise Forbidden("Only the client can record their own check-ins.")
    form = CheckInForm(request.POST or None, initial={"done_on": _client_today(subject.client)})
    if request.method == "POST" and form.is_valid():
        try:
            services.check_in_record(activity=activity, by=request.user, **form.cleaned_data)
        except Forbidden:
            raise
        except DomainError as exc:
            form.add_service_errors(exc)
        else:
            return _done(request, subject, "Your check-in is recorded.", f"activity-{activity.pk}")
    return render(request, "care/check_in_form.html", {"subject": subject, "form": form, "activity": activity})


# --- The caseload --------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def caseload(request: HttpRequest) -> HttpResponse:
    """A provider's clients (all clients with an appointment, for coordinators), with their
    latest scores; clients with open alerts first."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    provider: Provider | None = None
    if policy.has_role(user, Role.PROVIDER):
        provider = Provider.objects.filter(user=user).first()
        if provider is None:
            return render(request, "directory/provider_not_set_up.html")
    elif not policy.is_staff_member(user):
        raise Http404("This page is for providers.")
    caseload_page = selectors.caseload_for(provider=provider, page=request.GET.get("page"))
    shown = []
    for row in caseload_page.rows:
        latest = []
        for code in Instrument.values:
            score = row.latest.get(code)
            if score is not None:
                bands = chart.bands_for(code)
                latest.append({
                    "name": Instrument(code).label, "total": score.total,
                    "band": chart.band_of(score.total, bands).label.lower(), "day": _day(score.on),
                })
        shown.append({"row": row, "latest": latest,
                      "url": reverse("care:client_progress", kwargs={"client_id": row.client.pk})})
    return render(request, "care/caseload.html", {
        "rows": shown, "page": caseload_page.page, "everyone": provider is None,
    })

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
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from carematch.access import audit, policy
from carematch.access.decorators import AccessLogged, declare_access_logged
from carematch.access.models import Action
from carematch.accounts import selectors as account_selectors
from carematch.accounts.http import AuthedHttpRequest
from carematch.accounts.models import Client, Role, User
from carematch.directory.models import Provider
from carematch.directory.selectors import provider_of
from carematch.lib.errors import DomainError, Forbidden, NotFound
from carematch.lib.timezones import zone
from carematch.measures.selectors import open_alerts_for
from carematch.scheduling import selectors as scheduling_selectors

from . import chart, selectors, services
from .access_log import check_in_lookup, note_lookup
from .forms import ActivityForm, CheckInForm, GoalForm, NoteForm, RatingForm
from .models import Activity, Goal, Instrument
from .status import Measure


@dataclass
class Subject:
    """Whose care record a page is about, whether the client is looking at their own and, for
    a page that changes the record, how the change is named in the access log."""

    client: Client
    mine: bool
    change: tuple[str, str, Any] | None = None  # (action, resource type, resource id)
    changed: bool = False

    def write(self, request: HttpRequest, form: Any = None) -> Any:
        """The page's change, recorded with its result (carematch.access.audit.write): the
        service call, and the form whose errors mean it was rejected."""
        if self.change is None:
            raise RuntimeError("this page records its own changes")
        action, resource_type, resource_id = self.change
        self.changed = True
        return audit.write(request, action=action, resource_type=resource_type, resource_id=resource_id,
                           client=self.client, form=form)

    def url(self, name: str, **kwargs: Any) -> str:
        if self.mine:
            return reverse(f"care:my_{name}", kwargs=kwargs)
        return reverse(f"care:client_{name}", kwargs={"client_id": self.client.pk, **kwargs})

    @property
    def progress_url(self) -> str:
        return self.url("progress")


CareView = Callable[..., HttpResponse]


def care_page(*, logged: AccessLogged | None) -> Callable[[CareView], CareView]:
    """Resolves whose record the page is about: the signed-in client's own (no client_id), or
    a client the viewer may see (404 for anyone else, as if there were no such client).

    `logged` declares the page's entry in the access log, recorded here: a GET once the page
    has been shown; a POST through subject.write(), which the page must make its change through
    and which records it once it has run, with its result. A page with `logged=None` records
    its own accesses (provider notes, removing a check-in); carematch/tests/test_access_declared.py
    lists each, with how. Either way a client the viewer may not see is recorded as denied here."""
    return lambda view: _care_page(view, logged)


def _care_page(view: CareView, logged: AccessLogged | None) -> CareView:
    resource_type, write_action, id_name = (
        (logged.resource_type, logged.change or Action.VIEW, logged.record_id) if logged is not None
        else ("care_record", Action.VIEW, "")
    )
    recorded = logged is not None

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, client_id: int | None = None, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if client_id is None and not policy.has_role(request.user, Role.CLIENT):
            raise PermissionDenied("These pages are for clients; providers open a client's from the caseload.")
        action = Action.VIEW if request.method in ("GET", "HEAD") else write_action
        asked_for = kwargs.get(id_name) if id_name else client_id
        try:
            if client_id is None:
                client = selectors.own_client(user=request.user)
            else:
                client = selectors.visible_client(user=request.user, client_id=client_id)
        except NotFound as exc:
            if client_id is None and policy.has_role(request.user, Role.CLIENT):
                # a client who has not given their details yet: the page says what will be here
                return render(request, "care/not_started.html", {"journal": resource_type == "journal"})
            owner = client_id if account_selectors.client_exists(client_id=client_id or 0) else None
            audit.denied(request, action=action, resource_type=resource_type, resource_id=asked_for, client=owner)
            raise Http404(exc.detail) from exc
        # A declared page's GET is recorded here as a view; a POST makes its change through
        # subject.write(), which records it once it has run, with its result.
        resource_id = asked_for or client.pk
        changing = recorded and action != Action.VIEW
        subject = Subject(client, client.user_id == request.user.pk,
                          change=(action, resource_type, resource_id) if changing else None)
        try:
            response = view(request, subject, *args, **kwargs)
        except (NotFound, Forbidden) as exc:
            if recorded and not exc.recorded:
                audit.denied(request, action=action, resource_type=resource_type, resource_id=resource_id,
                             client=client)
            if isinstance(exc, NotFound):
                raise Http404(exc.detail) from exc
            raise PermissionDenied(exc.detail) from exc
        if changing and not subject.changed:
            raise RuntimeError(f"{view.__name__} answered a POST without making its change through subject.write()")
        if recorded and not changing:
            audit.record(request, action=action, resource_type=resource_type, resource_id=resource_id, client=client)
        return response

    if logged is not None:
        declare_access_logged(wrapper, logged)
    return wrapper


def _day(day: dt.date) -> str:
    """`Mon 4 Jan 2027`."""
    return date_format(day, "D j M Y")


def _client_today(client: Client) -> dt.date:
    return services.client_today(client)


def _goal_of(subject: Subject, goal_id: int, user: User) -> Goal:
    goal = selectors.visible_goal(user=user, goal_id=goal_id)
    if goal.client_id != subject.client.pk:
        raise NotFound(gettext("No goal with that id."))
    return goal


def _activity_of(subject: Subject, activity_id: int, user: User) -> Activity:
    activity = selectors.visible_activity(user=user, activity_id=activity_id)
    if activity.client_id != subject.client.pk:
        raise NotFound(gettext("No activity with that id."))
    return activity


def _require_planner(request: AuthedHttpRequest, subject: Subject) -> None:
    if not policy.may_plan_care(request.user, subject.client):
        raise Forbidden(gettext("Only the client and their provider can change the client's goals and plan."))


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


def _note_for_therapist(request: AuthedHttpRequest, subject: Subject) -> str:
    """What the client wrote for the therapist they booked, for that therapist only; each read
    is recorded in the access log."""
    provider = policy.note_for_therapist_provider(request.user)
    if subject.mine or provider is None:
        return ""
    carrying = scheduling_selectors.note_for_therapist(provider=provider, client=subject.client)
    if carrying is None:
        return ""
    audit.record(request, action=Action.VIEW, resource_type="note_for_therapist", resource_id=carrying.pk,
                 client=subject.client)
    return carrying.note_for_therapist


def _attendance(request: AuthedHttpRequest, subject: Subject) -> dict[str, int] | None:
    """For the client's provider (their sessions together) and staff (all of them): how many
    sessions the client cancelled late and how many they missed. Read-only counts; never shown
    on the client's own page."""
    if subject.mine:
        return None
    user = request.user
    if policy.has_role(user, Role.PROVIDER):
        provider = provider_of(user=user)
        return None if provider is None else scheduling_selectors.attendance_counts(client=subject.client,
                                                                                   provider=provider)
    return scheduling_selectors.attendance_counts(client=subject.client)


@require_http_methods(["GET", "HEAD"])
@care_page(logged=AccessLogged("care_record"))
def progress(request: AuthedHttpRequest, subject: Subject) -> HttpResponse:
    client = subject.client
    scores = selectors.questionnaire_scores(client=client)
    goals = selectors.goals_for(client=client, scores=scores)
    plan = selectors.activities_for(client=client, check_ins_shown=selectors.CHECK_INS_SHOWN)
    may_plan = policy.may_plan_care(request.user, client)
    may_check_in = policy.may_check_in(request.user, client)
    return render(request, "care/progress.html", {
        "subject": subject,
        "client": client,
        "note_for_therapist": _note_for_therapist(request, subject),
        "attendance": _attendance(request, subject),
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
                "check_ins": [
                    {"check_in": c, "day": _day(c.done_on),
                     "remove_url": subject.url("check_in_remove", check_in_id=c.pk) if may_check_in else ""}
                    for c in item.check_ins
                ],
                "check_in_url": subject.url("check_in", activity_id=item.activity.pk)
                if may_check_in and item.activity.is_active else "",
                "end_url": subject.url("activity_end", activity_id=item.activity.pk)
                if may_plan and item.activity.is_active else "",
            }
            for item in plan
        ],
        "notes_url": subject.url("notes") if not subject.mine and policy.notes_visible(request.user, client) else "",
        "journal_url": subject.url("journal")
        if not subject.mine and policy.shared_journal_visible(request.user, client) else "",
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
            return gettext("No %(instrument)s score yet.") % {"instrument": Instrument(version.instrument).label}
        return gettext("No rating yet.")
    if version.measure == Measure.QUESTIONNAIRE:
        return gettext("Latest %(instrument)s score: %(score)s, on %(day)s.") % {
            "instrument": Instrument(version.instrument).label, "score": counted.value, "day": _day(counted.on)}
    return gettext("Latest rating: %(rating)s out of 10, on %(day)s.") % {"rating": counted.value,
                                                                          "day": _day(counted.on)}


def _open_alert_count(user: User, client: Client) -> int:
    """The client's open alerts that the viewer is shown (providers: safety alerts only)."""
    provider = provider_of(user=user) if policy.has_role(user, Role.PROVIDER) else None
    if provider is None and not policy.is_staff_member(user):
        return 0
    return len(open_alerts_for(provider=provider, client=client))


# --- Goals -------------------------------------------------------------------------------------


def _service(form: Any, call: Callable[[], Any]) -> Any:
    """Run a form's service call; its problems go on the form (which the change's record
    watches), a refusal on grounds of access (Forbidden) goes on up. Returns what the service
    returned, or None when it refused."""
    try:
        return call()
    except Forbidden:
        raise
    except DomainError as exc:
        form.add_service_errors(exc)
        return None


def _done(request: HttpRequest, subject: Subject, message: str, anchor: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(f"{subject.progress_url}#{anchor}")


@require_http_methods(["GET", "POST"])
@care_page(logged=AccessLogged("goals", change=Action.CREATE))
def goal_add(request: AuthedHttpRequest, subject: Subject) -> HttpResponse:
    _require_planner(request, subject)
    form = GoalForm(request.POST or None, by_client=subject.mine)
    if request.method == "POST":
        with subject.write(request, form=form):
            if form.is_valid():
                _service(form, lambda: services.goal_create(client=subject.client, by=request.user,
                                                            **form.definition()))
        if form.is_valid():
            return _done(request, subject, gettext("The goal is added."), "goals")
    return render(request, "care/goal_form.html", {"subject": subject, "form": form, "goal": None})


@require_http_methods(["GET", "POST"])
@care_page(logged=AccessLogged("goal", change=Action.UPDATE, record_id="goal_id"))
def goal_revise(request: AuthedHttpRequest, subject: Subject, goal_id: int) -> HttpResponse:
    goal = _goal_of(subject, goal_id, request.user)
    _require_planner(request, subject)
    current = goal.versions.order_by("-number").first()
    form = GoalForm(request.POST or None, by_client=subject.mine, initial=GoalForm.initial_from(current))
    if request.method == "POST":
        with subject.write(request, form=form):
            if form.is_valid():
                _service(form, lambda: services.goal_revise(goal=goal, by=request.user, **form.definition()))
        if form.is_valid():
            return _done(request, subject, gettext("The goal is revised. The earlier version is kept."),
                         f"goal-{goal.pk}")
    return render(
        request,
        "care/goal_form.html",
        {
            "subject": subject,
            "form": form,
            "goal": goal,
            "current": current,
            "current_target": selectors.target_label(current) if current else "",
        },
    )


@require_http_methods(["GET", "POST"])
@care_page(logged=AccessLogged("goal_ratings", change=Action.CREATE, record_id="goal_id"))
def goal_rating(request: AuthedHttpRequest, subject: Subject, goal_id: int) -> HttpResponse:
    goal = _goal_of(subject, goal_id, request.user)
    _require_planner(request, subject)
    current = goal.versions.order_by("-number").first()
    form = RatingForm(request.POST or None, initial={"rated_on": _client_today(subject.client)})
    if request.method == "POST":
        with subject.write(request, form=form):
            if form.is_valid():
                _service(form, lambda: services.goal_rating_record(goal=goal, by=request.user, **form.cleaned_data))
        if form.is_valid():
            return _done(request, subject, gettext("The rating is recorded."), f"goal-{goal.pk}")
    return render(
        request,
        "care/rating_form.html",
        {
            "subject": subject,
            "form": form,
            "goal": goal,
            "current": current,
            "current_target": selectors.target_label(current) if current else "",
        },
    )


# --- The plan ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@care_page(logged=AccessLogged("plan", change=Action.CREATE))
def activity_add(request: AuthedHttpRequest, subject: Subject) -> HttpResponse:
    _require_planner(request, subject)
    form = ActivityForm(request.POST or None, by_client=subject.mine)
    if request.method == "POST":
        with subject.write(request, form=form):
            if form.is_valid():
                _service(
                    form, lambda: services.activity_add(client=subject.client, by=request.user, **form.cleaned_data)
                )
        if form.is_valid():
            return _done(request, subject, gettext("The activity is added to the plan."), "plan")
    return render(request, "care/activity_form.html", {"subject": subject, "form": form})


@require_POST
@care_page(logged=AccessLogged("activity", change=Action.UPDATE, record_id="activity_id"))
def activity_end(request: AuthedHttpRequest, subject: Subject, activity_id: int) -> HttpResponse:
    activity = _activity_of(subject, activity_id, request.user)
    try:
        with subject.write(request):
            services.activity_end(activity=activity, by=request.user)
    except Forbidden:
        raise
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect(f"{subject.progress_url}#plan")
    return _done(request, subject, gettext("The activity is out of the plan. Its check-ins are kept."), "plan")


@require_http_methods(["GET", "POST"])
@care_page(logged=AccessLogged("check_ins", change=Action.CREATE, record_id="activity_id"))
def check_in(request: AuthedHttpRequest, subject: Subject, activity_id: int) -> HttpResponse:
    activity = _activity_of(subject, activity_id, request.user)
    if not policy.may_check_in(request.user, subject.client):
        raise Forbidden(gettext("Only the client can record their own check-ins."))
    form = CheckInForm(request.POST or None, initial={"done_on": _client_today(subject.client)})
    if request.method == "POST":
        with subject.write(request, form=form):
            if form.is_valid():
                _service(
                    form, lambda: services.check_in_record(activity=activity, by=request.user, **form.cleaned_data)
                )
        if form.is_valid():
            return _done(request, subject, gettext("Your check-in is recorded."), f"activity-{activity.pk}")
    return render(request, "care/check_in_form.html", {"subject": subject, "form": form, "activity": activity})


@require_POST
@care_page(logged=None)  # records its own accesses: the check-in, through check_in_lookup()
def check_in_remove(request: AuthedHttpRequest, subject: Subject, check_in_id: int) -> HttpResponse:
    """The client removes a check-in: hidden from then on, kept until the retention period ends."""
    anchor = "plan"

    def remove(check_in: Any) -> Any:
        nonlocal anchor
        anchor = f"activity-{check_in.activity_id}"
        return services.check_in_remove(check_in=check_in, by=request.user)

    try:
        check_in_lookup(request, check_in_id, Action.DELETE, write=remove, of_client=subject.client.pk)
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect(f"{subject.progress_url}#{anchor}")
    return _done(request, subject, gettext("The check-in is removed."), anchor)


# --- Provider notes -------------------------------------------------------------------------------
# Seen by the provider who wrote them and by admins only (policy.notes_visible); a client's own
# pages never have them, so /progress/notes/ is not found.


def _note_sessions(user: User, client: Client) -> list[tuple[int, str]]:
    tz = zone(client.timezone)
    return [
        (session.pk, f"{_day(session.start.astimezone(tz).date())}, {session.start.astimezone(tz):%H:%M}")
        for session in selectors.note_sessions(provider=user.provider, client=client)
    ]


@require_http_methods(["GET", "POST"])
@care_page(logged=None)  # records its own accesses: provider notes, one event per note shown
def notes(request: AuthedHttpRequest, subject: Subject) -> HttpResponse:
    client = subject.client
    action = Action.CREATE if request.method == "POST" else Action.VIEW
    visible = not subject.mine and policy.notes_visible(request.user, client)
    if not visible:
        audit.denied(request, action=action, resource_type="provider_notes", resource_id=client.pk, client=client)
        raise NotFound(gettext("No such page."), recorded=True)
    may_write = policy.may_write_notes(request.user, client)
    form = NoteForm(request.POST or None, sessions=_note_sessions(request.user, client)) if may_write else None
    if request.method == "POST":
        with audit.write(
            request,
            action=Action.CREATE,
            resource_type="provider_notes",
            resource_id=client.pk,
            client=client,
            form=form,
        ) as change:
            if form is None:
                raise Forbidden(gettext("Only a provider who has seen this client can write notes about them."))
            if form.is_valid():
                note = _service(
                    form,
                    lambda: services.provider_note_create(
                        client=client,
                        by=request.user,
                        body=form.cleaned_data["body"],
                        appointment_id=form.cleaned_data.get("appointment_id"),
                    ),
                )
                if note is not None:
                    change.resource_type, change.resource_id = "provider_note", note.pk
        if form is not None and form.is_valid():
            messages.success(request, gettext("The note is saved."))
            return redirect(f"{subject.url('notes')}#note-{change.resource_id}")
    else:
        audit.record(request, action=Action.VIEW, resource_type="provider_notes", resource_id=client.pk, client=client)
    views = selectors.notes_for(user=request.user, client=client)
    audit.record_many(
        request, action=Action.VIEW, resource_type="provider_note", items=[(view.note.pk, client) for view in views]
    )
    tz = zone(client.timezone)
    return render(
        request,
        "care/notes.html",
        {
            "subject": subject,
            "client": client,
            "form": form,
            "notes": [
                {
                    "view": view,
                    "written": _day(view.note.created_at.astimezone(tz).date()),
                    "revised": _day(view.current.created_at.astimezone(tz).date()) if view.earlier else "",
                    "session": _day(view.note.appointment.start.astimezone(tz).date()) if view.note.appointment else "",
                    "earlier": [{"version": v, "day": _day(v.created_at.astimezone(tz).date())} for v in view.earlier],
                    "revise_url": subject.url("note_revise", note_id=view.note.pk)
                    if policy.may_revise_note(request.user, view.note)
                    else "",
                    "remove_url": subject.url("note_remove", note_id=view.note.pk)
                    if policy.may_revise_note(request.user, view.note)
                    else "",
                }
                for view in views
            ],
        },
    )


def _note_of(
    request: AuthedHttpRequest,
    subject: Subject,
    note_id: int,
    action: str,
    write: Callable[[Any], Any] | None = None,
    form: Any = None,
) -> Any:
    """The note, when the caller may see it and it is this client's (a client's own pages
    never have notes), read or changed with `write(note)`; recorded."""
    if subject.mine:
        audit.denied(request, action=action, resource_type="provider_note", resource_id=note_id, client=subject.client)
        raise NotFound(gettext("No note with that id."), recorded=True)
    return note_lookup(request, note_id, action, write=write, form=form, of_client=subject.client.pk)


def _may_revise(request: AuthedHttpRequest, note: Any) -> None:
    if not policy.may_revise_note(request.user, note):
        raise Forbidden(gettext("Only the provider who wrote this note can revise it."))


@require_http_methods(["GET", "POST"])
@care_page(logged=None)  # records its own accesses: the note, through _note_of()
def note_revise(request: AuthedHttpRequest, subject: Subject, note_id: int) -> HttpResponse:
    if request.method == "POST":
        form = NoteForm(request.POST)

        def revise(note: Any) -> Any:
            _may_revise(request, note)
            if form.is_valid():
                _service(
                    form,
                    lambda: services.provider_note_revise(note=note, by=request.user, body=form.cleaned_data["body"]),
                )
            return note

        note = _note_of(request, subject, note_id, Action.UPDATE, write=revise, form=form)
        if form.is_valid():
            messages.success(request, gettext("The note is revised. The earlier version is kept."))
            return redirect(f"{subject.url('notes')}#note-{note.pk}")
    else:
        note = _note_of(request, subject, note_id, Action.VIEW)
        _may_revise(request, note)
        form = NoteForm(initial={"body": selectors.note_view(note=note).current.body})
    return render(
        request,
        "care/note_form.html",
        {
            "subject": subject,
            "form": form,
            "note": note,
            "notes_url": subject.url("notes"),
        },
    )


@require_POST
@care_page(logged=None)  # records its own accesses: the note, through _note_of()
def note_remove(request: AuthedHttpRequest, subject: Subject, note_id: int) -> HttpResponse:
    try:
        _note_of(
            request,
            subject,
            note_id,
            Action.DELETE,
            write=lambda note: services.provider_note_remove(note=note, by=request.user),
        )
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, gettext("The note is removed. It is kept, hidden, for the retention period."))
    return redirect(subject.url("notes"))


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
        provider = provider_of(user=user)
        if provider is None:
            return render(request, "directory/provider_not_set_up.html")
    elif not policy.is_staff_member(user):
        raise PermissionDenied("This page is for providers.")
    caseload_page = selectors.caseload_for(provider=provider, page=request.GET.get("page"))
    shown = []
    for row in caseload_page.rows:
        latest = []
        for code in Instrument.values:
            score = row.latest.get(code)
            if score is not None:
                bands = chart.bands_for(code)
                latest.append(
                    {
                        "name": Instrument(code).label,
                        "total": score.total,
                        "band": chart.band_of(score.total, bands).label.lower(),
                        "day": _day(score.on),
                    }
                )
        shown.append(
            {"row": row, "latest": latest, "url": reverse("care:client_progress", kwargs={"client_id": row.client.pk})}
        )
    # One event per client shown: their latest scores are on the page.
    audit.record_many(
        request,
        action=Action.VIEW,
        resource_type="caseload",
        items=[(row.client.pk, row.client) for row in caseload_page.rows],
    )
    return render(
        request,
        "care/caseload.html",
        {
            "rows": shown,
            "page": caseload_page.page,
            "everyone": provider is None,
        },
    )

"""The measures pages: a client answers a questionnaire (from a private link or their
account) and sees their result; after a session they may rate it; providers see and
acknowledge alerts, choose when their clients are asked and send a questionnaire now;
coordinators see providers' outcome estimates. Rules live in services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext, pgettext
from django.views.decorators.http import require_http_methods, require_POST

from carematch.access import audit, policy
from carematch.access.decorators import provider_page, staff_page
from carematch.access.models import Action
from carematch.accounts import selectors as account_selectors
from carematch.accounts.http import AuthedHttpRequest
from carematch.accounts.models import Client, Role, User
from carematch.directory.models import Provider
from carematch.directory.selectors import provider_of
from carematch.lib.errors import DomainError
from carematch.lib.timezones import moment_label, zone
from carematch.replica import replica_view

from . import outcomes, scoring, selectors, services
from .forms import AcknowledgeForm, CadenceForm, QuestionnaireForm, SendNowForm, SessionRatingForm
from .instruments import COPYRIGHT, INSTRUMENTS, option_label
from .models import Alert, AlertKind, Assessment, QuestionnaireRequest

PROGRESS_PATH = "/progress/"  # the client's progress page (the care app)
_RESULTS = "measures_results"  # the assessments this browser has just recorded, and when
RESULTS_SHOWN_FOR = dt.timedelta(minutes=30)
RECENTLY_ACKNOWLEDGED = dt.timedelta(days=14)

# Words for the client (marked for the catalogue, translated where they are shown).
CONCERN_WORDS = {"phq9": gettext_noop("depression"), "gad7": gettext_noop("anxiety")}
SEVERITY_WORDS = {
    "minimal": gettext_noop("minimal or no symptoms"),
    "mild": gettext_noop("mild symptoms"),
    "moderate": gettext_noop("moderate symptoms"),
    "moderately_severe": gettext_noop("moderately severe symptoms"),
    "severe": gettext_noop("severe symptoms"),
}
FLAG_WORDS = {
    scoring.RELIABLE_IMPROVEMENT: gettext_noop(
        "That is a reliable improvement: a change bigger than everyday ups and downs."),
    scoring.RELIABLE_DETERIORATION: gettext_noop(
        "That is a reliable worsening: a change bigger than everyday ups and downs. Your provider can see it "
        "too; it may help to talk about it at your next session."
    ),
    scoring.RESPONSE: gettext_noop("Your score is now half or less of what it was when you started."),
    scoring.REMISSION: gettext_noop("Your score is now below 5, in the minimal range."),
}


def _client_of(request: HttpRequest) -> Client | None:
    user = request.user
    if isinstance(user, User) and policy.has_role(user, Role.CLIENT):
        return account_selectors.client_of(user=user)
    return None


def _provider_of(request: HttpRequest) -> Provider | None:
    user = request.user
    if isinstance(user, User) and policy.has_role(user, Role.PROVIDER):
        return provider_of(user=user)
    return None


def _own_client(request: HttpRequest) -> Client:
    if not policy.has_role(request.user, Role.CLIENT):
        raise PermissionDenied("This page is for clients.")
    client = _client_of(request)
    if client is None:
        raise Http404("You have not given your details yet.")
    return client


# --- Answering a questionnaire -------------------------------------------------------------------


def _unusable(request: HttpRequest, why: str, status: int) -> HttpResponse:
    return render(request, "measures/link_unusable.html", {"why": why, "progress_path": PROGRESS_PATH},
                  status=status)


def _why_closed(qr: QuestionnaireRequest) -> str | None:
    if qr.completed_at is not None:
        return "answered"
    if qr.withdrawn_at is not None or qr.expires_at <= timezone.now():
        return "expired"
    return None


def _answer(request: HttpRequest, qr: QuestionnaireRequest, *, by: User | None) -> HttpResponse:
    form = QuestionnaireForm(request.POST if request.method == "POST" else None, instruments=qr.instruments)
    if request.method != "POST":
        audit.record(request, action=Action.VIEW, resource_type="questionnaire_request", resource_id=qr.pk,
                     client=qr.client_id)
    else:
        closed = ""
        with audit.write(request, action=Action.CREATE, resource_type="questionnaire_request", resource_id=qr.pk,
                         client=qr.client_id, form=form) as change:
            recorded = None
            if form.is_valid():
                try:
                    recorded = services.assessments_record(client=qr.client, responses=form.responses(), by=by,
                                                           request=qr)
                except DomainError as exc:
                    if exc.code in ("already_answered", "expired"):
                        closed = "answered" if exc.code == "already_answered" else "expired"
                        change.reject()
                    else:
                        form.add_service_errors(exc)
        if closed:
            return _unusable(request, closed, 410)
        if recorded is not None:
            request.session[_RESULTS] = {
                "ids": [assessment.pk for assessment in recorded.assessments],
                "at": timezone.now().isoformat(),
            }
            return redirect("measures:result")
    until = moment_label(qr.expires_at.astimezone(zone(qr.client.timezone)))
    return render(request, "measures/questionnaire.html", {
        "form": form, "sections": form.sections(), "qr": qr, "until": until, "copyright": COPYRIGHT,
        "names": _(" and ").join(INSTRUMENTS[code].name for code in qr.instruments),
    })


@require_http_methods(["GET", "POST"])
def questionnaire_link(request: HttpRequest, token: str) -> HttpResponse:
    """The private link from an email: the token is the key, no sign-in needed."""
    qr = selectors.request_for_token(raw=token)
    if qr is None:
        return _unusable(request, "unknown", 404)
    why = _why_closed(qr)
    if why is not None:
        return _unusable(request, why, 410)
    client = _client_of(request)
    return _answer(request, qr, by=client.user if client is not None and client.pk == qr.client_id else None)


@require_http_methods(["GET", "POST"])
@login_required
def questionnaire_in_account(request: AuthedHttpRequest, request_id: int) -> HttpResponse:
    client = _own_client(request)
    qr = selectors.request_of_client(client=client, request_id=request_id)
    if qr is None:
        owner = selectors.request_owner_id(request_id=request_id)
        audit.checked(request, False, action=Action.CREATE if request.method == "POST" else Action.VIEW,
                      resource_type="questionnaire_request", resource_id=request_id, client=owner)
        raise Http404("No such questionnaire.")
    why = _why_closed(qr)
    if why is not None:
        return _unusable(request, why, 410)
    return _answer(request, qr, by=client.user)


@dataclass(frozen=True)
class ResultView:
    name: str
    total: int
    max_total: int
    severity_words: str
    concern: str
    baseline: bool
    change_words: str
    flag_words: list[str]

    @property
    def summary(self) -> str:
        """`Your answers suggest mild symptoms of anxiety over the last 2 weeks.`"""
        return _("Your answers suggest %(severity)s of %(concern)s over the last 2 weeks.") % {
            "severity": self.severity_words, "concern": self.concern}


def _change_words(change: int | None, name: str, baseline_total: int) -> str:
    if change is None:
        return _("This is your first %(name)s with carematch: later ones will be compared with it.") % {"name": name}
    if change == 0:
        return _("That is the same as your first %(name)s (%(first)s).") % {"name": name, "first": baseline_total}
    points = abs(change)
    said = {"points": points, "name": name, "first": baseline_total}
    if change < 0:
        return ngettext("That is %(points)s point lower than your first %(name)s (%(first)s).",
                        "That is %(points)s points lower than your first %(name)s (%(first)s).", points) % said
    return ngettext("That is %(points)s point higher than your first %(name)s (%(first)s).",
                    "That is %(points)s points higher than your first %(name)s (%(first)s).", points) % said


def _result_views(client: Client, assessments: list[Assessment]) -> list[ResultView]:
    views = []
    for assessment in assessments:
        spec = INSTRUMENTS[assessment.instrument]
        history = selectors.assessments_for(client=client, instrument=assessment.instrument)
        item = next(entry for entry in history if entry.id == assessment.pk)
        views.append(ResultView(
            name=spec.name, total=assessment.total, max_total=spec.max_total,
            severity_words=_(SEVERITY_WORDS[assessment.severity]), concern=_(CONCERN_WORDS[assessment.instrument]),
            baseline=item.is_baseline, change_words=_change_words(item.change, spec.name, item.baseline_total),
            flag_words=[_(FLAG_WORDS[flag]) for flag in item.flags],
        ))
    return views


@require_http_methods(["GET", "HEAD"])
def questionnaire_result(request: HttpRequest) -> HttpResponse:
    """What the answers just given mean, in plain words. Crisis resources come first when
    PHQ-9 item 9 was answered above 0."""
    stored = request.session.get(_RESULTS) or {}
    at = dt.datetime.fromisoformat(stored["at"]) if stored.get("at") else None
    if at is None or timezone.now() - at > RESULTS_SHOWN_FOR:
        request.session.pop(_RESULTS, None)
        return redirect("measures:my_questionnaires" if _client_of(request) else "home")
    assessments = selectors.assessments_by_ids(ids=stored.get("ids", []))
    if not assessments:
        return redirect("home")
    client = assessments[0].client
    audit.record_many(request, action=Action.VIEW, resource_type="assessment",
                      items=[(assessment.pk, assessment.client_id) for assessment in assessments])
    safety = [a for a in assessments if (a.item9 or 0) > 0]
    told_provider = any(alert.provider_id is not None for a in safety for alert in a.alerts.all())
    return render(request, "measures/result.html", {
        "safety": bool(safety), "told_provider": told_provider, "results": _result_views(client, assessments),
        "progress_path": PROGRESS_PATH,
    })


@require_http_methods(["GET", "HEAD"])
@login_required
def my_questionnaires(request: AuthedHttpRequest) -> HttpResponse:
    """A client's questionnaires waiting for them and sessions they can rate. A client who has
    not booked yet (no care record) is told what will be here, not shown an error."""
    client = _client_of(request)
    if client is None:
        if policy.has_role(request.user, Role.CLIENT):
            return render(request, "measures/my_questionnaires.html", {"not_started": True})
        client = _own_client(request)  # not a client: refused there, as on every client page
    audit.record(request, action=Action.VIEW, resource_type="questionnaire_requests", resource_id=client.pk,
                 client=client)
    tz = zone(client.timezone)
    waiting = [(qr, _(" and ").join(INSTRUMENTS[c].name for c in qr.instruments),
                moment_label(qr.expires_at.astimezone(tz))) for qr in selectors.open_requests_for(client=client)]
    to_rate = [(appointment, moment_label(appointment.start.astimezone(tz)))
               for appointment in selectors.sessions_to_rate(client=client)]
    return render(request, "measures/my_questionnaires.html", {
        "waiting": waiting, "to_rate": to_rate, "progress_path": PROGRESS_PATH,
    })


@require_http_methods(["GET", "POST"])
@login_required
def session_rating(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    """After a session: "How well did this session work for you?" (0-10)."""
    client = _own_client(request)
    appointment = selectors.session_of_client(client=client, appointment_id=appointment_id)
    action = Action.CREATE if request.method == "POST" else Action.VIEW
    if appointment is None:
        owner = selectors.session_owner_id(appointment_id=appointment_id)
        audit.denied(request, action=action, resource_type="session_rating", resource_id=appointment_id, client=owner)
        raise Http404("No such session.")
    when = moment_label(appointment.start.astimezone(zone(client.timezone)))
    form = SessionRatingForm(request.POST if request.method == "POST" else None)
    already = hasattr(appointment, "session_rating")
    if request.method != "POST":
        audit.record(request, action=action, resource_type="session_rating", resource_id=appointment_id,
                     client=client)
    else:
        with audit.write(request, action=action, resource_type="session_rating", resource_id=appointment_id,
                         client=client, form=form) as change:
            if already:
                change.reject()  # rated once already: the page says so
            elif form.is_valid():
                try:
                    services.session_rate(appointment=appointment, client=client, score=form.cleaned_data["score"])
                except DomainError as exc:
                    form.add_error("score" if "score" in exc.fields else None, exc.detail)
        if not already and form.is_valid():
            messages.success(request, _("Thank you. Your answer helps us look after the quality of care."))
            return redirect("measures:my_questionnaires")
    ended = appointment.end <= timezone.now()
    return render(request, "measures/session_rating.html", {
        "form": form, "appointment": appointment, "when": when, "already": already, "ended": ended,
    })


# --- Providers and coordinators: alerts -------------------------------------------------------


def _alerts_page(request: AuthedHttpRequest, bound: tuple[int, AcknowledgeForm] | None = None,
                 status: int = 200) -> HttpResponse:
    open_alerts = list(selectors.alerts_visible_to(user=request.user, status="open"))
    since = timezone.now() - RECENTLY_ACKNOWLEDGED
    recent = list(selectors.alerts_visible_to(user=request.user, status="acknowledged")
                  .filter(acknowledged_at__gte=since)[:50])
    viewer_zone = _viewer_zone(request)
    rows = []
    for alert in open_alerts:
        form = bound[1] if bound and bound[0] == alert.pk else AcknowledgeForm(prefix=f"alert-{alert.pk}")
        rows.append({"alert": alert, "form": form, "what": alert_summary(alert),
                     "when": moment_label(alert.created_at.astimezone(zone(viewer_zone)))})
    done = [{"alert": alert, "what": alert_summary(alert),
             "when": moment_label(alert.acknowledged_at.astimezone(zone(viewer_zone)))}
            for alert in recent if alert.acknowledged_at is not None]
    # One event per alert shown: each is part of its client's record.
    audit.record_many(request, action=Action.VIEW, resource_type="alert",
                      items=[(alert.pk, alert.client_id) for alert in [*open_alerts, *recent]])
    return render(request, "measures/alerts.html", {
        "rows": rows, "done": done, "is_staff": policy.is_staff_member(request.user),
        "acknowledge_url": "measures:staff_alert_acknowledge" if policy.is_staff_member(request.user)
        else "measures:alert_acknowledge",
        "provider": _provider_of(request),
    }, status=status)


def alert_summary(alert: Alert) -> str:
    if alert.kind == AlertKind.SUICIDAL_IDEATION and alert.assessment is not None:
        answer = option_label(alert.assessment.item9 or 0).lower()
        return f"PHQ-9 question 9 (thoughts of being better off dead or of self-harm) answered “{answer}”"
    if alert.kind == AlertKind.LOW_SESSION_RATING and alert.session_rating is not None:
        return f"Session rated {alert.session_rating.score} out of 10"
    return AlertKind(alert.kind).label


def _viewer_zone(request: HttpRequest) -> str:
    provider = _provider_of(request)
    return provider.timezone if provider is not None else "UTC"


def _sees_alerts_or_403(request: AuthedHttpRequest) -> None:
    if not policy.sees_alerts(request.user):
        raise PermissionDenied("This page is for providers and coordinators.")


def alerts_page_name(user: User) -> str:
    """Where this person's alerts are: coordinators and admins under /staff/, providers under /provider/."""
    return "measures:staff_alerts" if policy.is_staff_member(user) else "measures:alerts"


@require_http_methods(["GET", "HEAD"])
@login_required
def alerts(request: AuthedHttpRequest) -> HttpResponse:
    """A provider's alerts. Coordinators' alerts moved to /staff/alerts/: their old links lead there."""
    _sees_alerts_or_403(request)
    if policy.is_staff_member(request.user):
        return redirect("measures:staff_alerts")
    return _alerts_page(request)


@require_http_methods(["GET", "HEAD"])
@staff_page
def staff_alerts(request: AuthedHttpRequest) -> HttpResponse:
    """Every open alert in the network, for coordinators and admins."""
    return _alerts_page(request)


@require_POST
@staff_page
def staff_alert_acknowledge(request: AuthedHttpRequest, alert_id: int) -> HttpResponse:
    return _acknowledge(request, alert_id)


@require_POST
@login_required
def alert_acknowledge(request: AuthedHttpRequest, alert_id: int) -> HttpResponse:
    _sees_alerts_or_403(request)
    return _acknowledge(request, alert_id)


def _acknowledge(request: AuthedHttpRequest, alert_id: int) -> HttpResponse:
    alert = selectors.alert_by_id(alert_id=alert_id)
    if alert is None or not policy.alert_visible(request.user, alert):
        audit.denied(request, action=Action.UPDATE, resource_type="alert", resource_id=alert_id,
                     client=alert.client_id if alert else None)
        raise Http404("No such alert.")
    form = AcknowledgeForm(request.POST, prefix=f"alert-{alert.pk}")
    with audit.write(request, action=Action.UPDATE, resource_type="alert", resource_id=alert_id,
                     client=alert.client_id, form=form):
        if form.is_valid():
            try:
                services.alert_acknowledge(alert=alert, by=request.user, note=form.cleaned_data["note"])
            except DomainError as exc:
                form.add_error("note" if "note" in exc.fields else None, exc.detail)
    if form.is_valid():
        messages.success(request, pgettext("staff", "The alert is acknowledged. Thank you for following up."))
        return redirect(alerts_page_name(request.user))
    return _alerts_page(request, bound=(alert.pk, form), status=400)


# --- Providers: the questionnaire schedule and sending one now ----------------------------------


def _questionnaires_page(request: HttpRequest, provider: Provider, *, cadence_form: CadenceForm | None = None,
                         send_form: SendNowForm | None = None, status: int = 200) -> HttpResponse:
    # The send form lists the provider's clients by name: one event per client shown.
    audit.record_many(request, action=Action.VIEW, resource_type="client_list",
                      items=[(client.pk, client) for client in selectors.clients_of(provider)])
    return render(request, "measures/provider_questionnaires.html", {
        "provider": provider,
        "cadence_form": cadence_form or CadenceForm(initial={"cadence": selectors.cadence_of(provider)}),
        "send_form": send_form or SendNowForm(clients=selectors.clients_of(provider)),
        "has_clients": selectors.clients_of(provider).exists(),
    }, status=status)


@require_http_methods(["GET", "HEAD"])
@provider_page
def provider_questionnaires(request: AuthedHttpRequest, provider: Provider) -> HttpResponse:
    return _questionnaires_page(request, provider)


@require_POST
@provider_page
def provider_cadence(request: AuthedHttpRequest, provider: Provider) -> HttpResponse:
    form = CadenceForm(request.POST)
    if form.is_valid():
        try:
            schedule = services.questionnaire_schedule_set(
                provider=provider, cadence_value=form.cleaned_data["cadence"], by=request.user,
            )
        except DomainError as exc:
            form.add_error("cadence", exc.detail)
        else:
            messages.success(request, f"Saved: your clients are asked {schedule.get_cadence_display().lower()}.")
            return redirect("measures:provider_questionnaires")
    return _questionnaires_page(request, provider, cadence_form=form, status=400)


@require_POST
@provider_page
def provider_send_now(request: AuthedHttpRequest, provider: Provider) -> HttpResponse:
    form = SendNowForm(request.POST, clients=selectors.clients_of(provider))
    # A client the form does not offer (not the provider's) is refused by the form; the attempt
    # names the client only once the form has taken them.
    with audit.write(request, action=Action.CREATE, resource_type="questionnaire_requests", form=form) as change:
        if form.is_valid():
            client = form.cleaned_data["client"]
            change.resource_id, change.client = client.pk, client
            try:
                services.questionnaire_send_now(
                    client=client, instruments=form.cleaned_data["instruments"], provider=provider,
                    by=request.user,
                )
            except DomainError as exc:
                form.add_error("instruments" if "instruments" in exc.fields else None, exc.detail)
    if form.is_valid():
        client = form.cleaned_data["client"]
        messages.success(request, f"Sent: {client.first_name} {client.last_name} will get an email with a "
                                  "private link.")
        return redirect("measures:provider_questionnaires")
    return _questionnaires_page(request, provider, send_form=form, status=400)


# --- Coordinators: outcome estimates ------------------------------------------------------------


def signed_points(value: float) -> str:
    """`+1.3`, `-0.4`, `0.0` points."""
    rounded = round(value, 1)
    return f"{rounded:+.1f}" if rounded != 0 else "0.0"


@require_http_methods(["GET", "HEAD"])
@staff_page
@replica_view
def staff_outcomes(request: AuthedHttpRequest) -> HttpResponse:
    found, _ = selectors.outcome_table()
    names = {"depression": "Depression (PHQ-9)", "anxiety": "Anxiety (GAD-7)"}
    rows = [
        {"provider": row.provider, "concern": names[row.concern], "n": row.effect.n, "enough": row.enough,
         "estimate": signed_points(row.effect.estimate), "low": signed_points(row.effect.low),
         "high": signed_points(row.effect.high)}
        for row in found
    ]
    return render(request, "measures/staff_outcomes.html", {"rows": rows, "min_clients": outcomes.MIN_CLIENTS})

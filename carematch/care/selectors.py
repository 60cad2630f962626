"""Reads for the care pages and API: whose record a caller may open, goals with their
measurements and status, the plan with its check-ins, questionnaire scores, the caseload."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from carematch.access import policy
from carematch.accounts.models import Client, Role, User
from carematch.directory.models import Provider
from carematch.lib.errors import NotFound
from carematch.lib.timezones import zone
from carematch.measures.models import Assessment
from carematch.measures.selectors import assessments_for, open_alerts_for
from carematch.scheduling.models import WAS_BOOKED, Appointment

from .models import (
    Activity,
    CheckIn,
    Goal,
    GoalRating,
    GoalVersion,
    Instrument,
    JournalEntry,
    Period,
    ProviderNote,
    ProviderNoteVersion,
)
from .status import GoalStatus, Measure, Measurement, counted_measurement, goal_status

CHECK_INS_SHOWN = 10
CASELOAD_PAGE_SIZE = 50


# --- Whose record ------------------------------------------------------------------------------


def own_client(*, user: User) -> Client:
    """The client record of a client user; 404 for anyone else."""
    client = None
    if policy.has_role(user, Role.CLIENT):
        client = Client.objects.select_related("user").filter(user__pk=user.pk).first()
    if client is None:
        raise NotFound("This page is for clients.")
    return client


def visible_client(*, user: User, client_id: int) -> Client:
    client = Client.objects.select_related("user").filter(pk=client_id).first()
    if client is None or not policy.care_visible(user, client):
        raise NotFound("No client with that id.", fields={"client_id": "not found"})
    return client


def visible_goal(*, user: User, goal_id: int) -> Goal:
    goal = Goal.objects.select_related("client__user").filter(pk=goal_id).first()
    if goal is None or not policy.care_visible(user, goal.client):
        raise NotFound("No goal with that id.", fields={"goal_id": "not found"})
    return goal


def visible_activity(*, user: User, activity_id: int) -> Activity:
    activity = Activity.objects.select_related("client__user").filter(pk=activity_id).first()
    if activity is None or not policy.care_visible(user, activity.client):
        raise NotFound("No activity with that id.", fields={"activity_id": "not found"})
    return activity


def goal_owner_id(*, goal_id: int) -> int | None:
    """The id of the client a goal belongs to (to name them in a refusal), or None."""
    return Goal.objects.filter(pk=goal_id).values_list("client_id", flat=True).first()


def activity_owner_id(*, activity_id: int) -> int | None:
    """The id of the client a plan step belongs to (to name them in a refusal), or None."""
    return Activity.objects.filter(pk=activity_id).values_list("client_id", flat=True).first()


# --- Questionnaire scores ------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    instrument: str
    completed_at: dt.datetime
    on: dt.date  # in the client's time zone
    total: int
    severity: str


def questionnaire_scores(*, client: Client) -> dict[str, list[Score]]:
    """The client's PHQ-9 and GAD-7 totals in time order, by instrument."""
    tz = zone(client.timezone)
    scores: dict[str, list[Score]] = {code: [] for code in Instrument.values}
    for assessment in assessments_for(client=client):
        moment = assessment.completed_at
        scores.setdefault(assessment.instrument, []).append(Score(
            assessment.instrument, moment, moment.astimezone(tz).date(), assessment.total, assessment.severity,
        ))
    return scores


# --- Goals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionView:
    version: GoalVersion
    status: GoalStatus

    @property
    def target_label(self) -> str:
        return target_label(self.version)


@dataclass(frozen=True)
class GoalView:
    goal: Goal
    current: VersionView
    earlier: list[VersionView]  # newest first
    measurements: list[Measurement]  # what the current version is measured by, in time order
    counted: Measurement | None  # the measurement its status rests on
    ratings: list[GoalRating] = field(default_factory=list)

    @property
    def status(self) -> GoalStatus:
        return self.current.status


def target_label(version: GoalVersion) -> str:
    """`PHQ-9 below 10 by 1 June 2027` or `A self-rating of at least 8 out of 10 by 1 June 2027`."""
    by = date_format(version.target_date, "j F Y")
    if version.measure == Measure.QUESTIONNAIRE:
        return gettext("%(instrument)s below %(target)s by %(day)s") % {
            "instrument": Instrument(version.instrument).label, "target": version.target, "day": by}
    return gettext("A self-rating of at least %(target)s out of 10 by %(day)s") % {"target": version.target, "day": by}


def goals_for(
    *, client: Client, scores: dict[str, list[Score]] | None = None, now: dt.datetime | None = None
) -> list[GoalView]:
    """The client's goals, oldest first, each with its history and its status today."""
    return _goal_views(client, Goal.objects.filter(client=client), scores=scores, now=now)


def goal_view(*, goal: Goal, now: dt.datetime | None = None) -> GoalView:
    """One goal with its history and its status today."""
    return _goal_views(goal.client, Goal.objects.filter(pk=goal.pk), scores=None, now=now)[0]


def _goal_views(
    client: Client, queryset: Any, *, scores: dict[str, list[Score]] | None, now: dt.datetime | None
) -> list[GoalView]:
    goals = list(
        queryset
        .prefetch_related(
            Prefetch("versions", queryset=GoalVersion.objects.order_by("number")),
            Prefetch("ratings", queryset=GoalRating.objects.order_by("rated_on", "recorded_at", "id")),
        )
        .order_by("created_at", "id")
    )
    if not goals:
        return []
    needs_scores = any(v.measure == Measure.QUESTIONNAIRE for g in goals for v in g.versions.all())
    if scores is None and needs_scores:
        scores = questionnaire_scores(client=client)
    today = (now or timezone.now()).astimezone(zone(client.timezone)).date()
    return [_goal_view(goal, scores or {}, today) for goal in goals]


def _goal_view(goal: Goal, scores: dict[str, list[Score]], today: dt.date) -> GoalView:
    versions = list(goal.versions.all())
    ratings = list(goal.ratings.all())
    current = versions[-1]
    if current.measure == Measure.QUESTIONNAIRE:
        measurements = [Measurement(s.on, s.total) for s in scores.get(current.instrument, [])]
    else:
        measurements = [Measurement(r.rated_on, r.rating) for r in ratings]
    status = goal_status(
        measure=current.measure, target=current.target, target_date=current.target_date,
        measurements=measurements, today=today,
    )
    return GoalView(
        goal=goal,
        current=VersionView(current, status),
        earlier=[VersionView(v, GoalStatus.REVISED) for v in reversed(versions[:-1])],
        measurements=measurements,
        counted=counted_measurement(target_date=current.target_date, measurements=measurements),
        ratings=ratings,
    )


# --- The plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityView:
    activity: Activity
    check_ins: list[CheckIn]  # newest first
    done_this_period: int  # check-ins today (daily activities) or this week, Monday to Sunday

    @property
    def period_name(self) -> str:
        return gettext("today") if self.activity.period == Period.DAY else gettext("this week")


def activities_for(
    *, client: Client, now: dt.datetime | None = None, check_ins_shown: int | None = None
) -> list[ActivityView]:
    """The plan: current activities first (oldest first), then those taken out of it."""
    views = _activity_views(client, Activity.objects.filter(client=client), now=now, check_ins_shown=check_ins_shown)
    return sorted(views, key=lambda v: v.activity.ended_at is not None)


def activity_view(*, activity: Activity, now: dt.datetime | None = None) -> ActivityView:
    return _activity_views(activity.client, Activity.objects.filter(pk=activity.pk), now=now, check_ins_shown=None)[0]


def _activity_views(
    client: Client, queryset: Any, *, now: dt.datetime | None, check_ins_shown: int | None
) -> list[ActivityView]:
    activities = list(
        queryset
        .prefetch_related(Prefetch(
            "check_ins", queryset=CheckIn.shown.order_by("-done_on", "-recorded_at", "-id"),  # removed ones hidden
        ))
        .order_by("created_at", "id")
    )
    today = (now or timezone.now()).astimezone(zone(client.timezone)).date()
    week_start = today - dt.timedelta(days=today.weekday())
    views = []
    for activity in activities:
        check_ins = list(activity.check_ins.all())
        since = today if activity.period == Period.DAY else week_start
        done = sum(1 for c in check_ins if since <= c.done_on <= today)
        shown = check_ins if check_ins_shown is None else check_ins[:check_ins_shown]
        views.append(ActivityView(activity, shown, done))
    return views


def visible_check_in(*, user: User, check_in_id: int) -> CheckIn:
    """A check-in the caller may see and that has not been removed; NotFound otherwise."""
    check_in = CheckIn.shown.select_related("activity__client__user").filter(pk=check_in_id).first()
    if check_in is None or not policy.care_visible(user, check_in.activity.client):
        raise NotFound("No check-in with that id.", fields={"check_in_id": "not found"})
    return check_in


# --- Provider notes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteView:
    note: ProviderNote
    current: ProviderNoteVersion
    earlier: list[ProviderNoteVersion]  # newest first


def _note_views(queryset: Any) -> list[NoteView]:
    notes = queryset.select_related("provider", "appointment").prefetch_related(
        Prefetch("versions", queryset=ProviderNoteVersion.objects.select_related("author").order_by("-number"))
    )
    views = []
    for note in notes:
        versions = list(note.versions.all())
        if versions:
            views.append(NoteView(note, versions[0], versions[1:]))
    return views


def notes_for(*, user: User, client: Client) -> list[NoteView]:
    """The notes about `client` that `user` sees, newest first: an admin every note, a provider
    the notes they wrote (policy.note_visible). Removed notes are not shown."""
    notes = ProviderNote.shown.filter(client=client).order_by("-created_at", "-id")
    if not policy.has_role(user, Role.ADMIN):
        provider = getattr(user, "provider", None) if policy.has_role(user, Role.PROVIDER) else None
        if provider is None or not policy.may_write_notes(user, client):
            return []
        notes = notes.filter(provider=provider)
    return _note_views(notes)


def note_sessions(*, provider: Any, client: Client) -> list[Appointment]:
    """The sessions of `provider` with `client` a note can be about, latest first."""
    return list(
        Appointment.objects.filter(provider=provider, client=client, status__in=WAS_BOOKED).order_by("-start")
    )


def note_view(*, note: ProviderNote) -> NoteView:
    return _note_views(ProviderNote.objects.filter(pk=note.pk))[0]


def visible_note(*, user: User, note_id: int) -> ProviderNote:
    """A note the caller may see and that has not been removed; NotFound otherwise."""
    note = ProviderNote.shown.select_related("client__user", "provider").filter(pk=note_id).first()
    if note is None or not policy.note_visible(user, note):
        raise NotFound("No note with that id.", fields={"note_id": "not found"})
    return note


# --- The caseload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadRow:
    client: Client
    open_alerts: int
    latest: dict[str, Score]  # instrument -> latest score


@dataclass(frozen=True)
class CaseloadPage:
    rows: list[CaseloadRow]
    page: Page[Client]


def caseload_for(*, provider: Any | None, page: Any = 1) -> CaseloadPage:
    """One page of a provider's clients (for coordinators, provider None: every client with
    an appointment), clients with open alerts first, then by name; each row with the client's
    latest scores."""
    if provider is None:
        clients = Client.objects.filter(
            pk__in=Appointment.objects.filter(status__in=WAS_BOOKED, client__isnull=False).values("client_id")
        )
    else:
        clients = policy.care_clients_of(provider)
    alerts: dict[int, int] = defaultdict(int)
    for alert in open_alerts_for(provider=provider):
        alerts[alert.client_id] += 1
    people = list(clients.select_related("user").order_by("last_name", "first_name", "id"))
    people.sort(key=lambda client: alerts.get(client.pk, 0) == 0)
    shown = Paginator(people, CASELOAD_PAGE_SIZE).get_page(page)
    zones = {client.pk: zone(client.timezone) for client in shown}
    latest: dict[int, dict[str, Score]] = defaultdict(dict)
    for row in (
        Assessment.objects.filter(client__in=list(zones)).order_by("completed_at", "id")
        .values("client_id", "instrument", "total", "severity", "completed_at")
    ):
        moment = row["completed_at"]
        latest[row["client_id"]][row["instrument"]] = Score(
            row["instrument"], moment, moment.astimezone(zones[row["client_id"]]).date(), row["total"],
            row["severity"],
        )
    rows = [CaseloadRow(client, alerts.get(client.pk, 0), latest.get(client.pk, {})) for client in shown]
    return CaseloadPage(rows, shown)


# --- The private journal and the coping toolkit ------------------------------------------------


def journal_entries_for(*, client: Client) -> list[JournalEntry]:
    """The client's own journal, newest first (removed entries are not shown)."""
    return list(JournalEntry.shown.filter(client=client).select_related("shared_with"))


def visible_journal_entry(*, user: User, entry_id: int) -> JournalEntry:
    """A journal entry the caller may see and that has not been removed; NotFound otherwise."""
    entry = JournalEntry.shown.select_related("client__user", "shared_with").filter(pk=entry_id).first()
    if entry is None or not policy.journal_entry_visible(user, entry):
        raise NotFound("No journal entry with that id.", fields={"entry_id": "not found"})
    return entry


def journal_entries_shared_with(*, provider: Provider, client: Client) -> list[JournalEntry]:
    """The client's entries they have shared with `provider`, newest first."""
    return list(JournalEntry.shown.filter(client=client, shared_with=provider))


def journal_providers(*, client: Client) -> list[Provider]:
    """The providers a client may share a journal entry with: those in whose care they are
    (a booked appointment, past or to come; a hold is not one), by name."""
    return list(
        Provider.objects.filter(pk__in=Appointment.objects.filter(client=client, status__in=WAS_BOOKED)
                                .values("provider_id")).order_by("last_name", "first_name", "pk")
    )


def toolkit_activities(*, client: Client, kind: str) -> list[Activity]:
    """The client's activities in their plan now that a practice of `kind` may count for: those of
    that kind first, then their own, oldest first within each."""
    from .models import ActivityKind

    rows = list(Activity.objects.filter(client=client, ended_at__isnull=True,
                                        kind__in=[kind, ActivityKind.OWN]).order_by("created_at", "id"))
    return sorted(rows, key=lambda activity: activity.kind != kind)

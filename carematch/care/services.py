"""Every write to goals, plans, check-ins and provider notes. The pages and the API both call these.
Erasing them once the retention period has passed is here too (carematch.access.closing asks).

Each service checks who may write (access policy), validates every input, and writes inside
one transaction. Problems are raised as domain errors naming the fields.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import ExpressionWrapper, F, Value
from django.db.models.deletion import ProtectedError
from django.utils import dateformat, timezone
from django.utils.translation import gettext, gettext_lazy, pgettext

from carematch.access import policy
from carematch.accounts.models import Client, User
from carematch.lib import crypto
from carematch.lib.errors import Conflict, Forbidden, InvalidInput
from carematch.lib.timezones import zone
from carematch.scheduling.models import WAS_BOOKED, Appointment

from .models import (
    ACTIVITY_TEXT_MAX,
    GOAL_TEXT_MAX,
    INSTRUMENT_MAX,
    JOURNAL_ENTRY_MAX,
    MAX_MOOD,
    MAX_RATING,
    MAX_TIMES,
    NOTE_MAX,
    PROVIDER_NOTE_MAX,
    Activity,
    ActivityKind,
    CheckIn,
    Goal,
    GoalRating,
    GoalVersion,
    Instrument,
    JournalEntry,
    Period,
    ProviderNote,
    ProviderNoteVersion,
    Reencryption,
)
from .status import Measure

TARGET_DATE_HORIZON = dt.timedelta(days=5 * 366)


def client_today(client: Client, now: dt.datetime | None = None) -> dt.date:
    """Today's date where the client is."""
    return (now or timezone.now()).astimezone(zone(client.timezone)).date()


def _local_date(client: Client, moment: dt.datetime) -> dt.date:
    return moment.astimezone(zone(client.timezone)).date()


class _Problems:
    """Collects what is wrong with each field, then raises one error naming them all."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, field: str, problem: str) -> None:
        self.fields.setdefault(field, problem)

    def raise_any(self) -> None:
        if not self.fields:
            return
        if len(self.fields) == 1:
            raise InvalidInput.for_fields(self.fields, labels=_FIELD_NAMES)
        raise InvalidInput.for_fields(
            self.fields, summary=gettext("Some fields are missing or invalid"), listing="names"
        )


# Shown before a problem ("The mood must be from 0 to 10"), in the reader's language.
_FIELD_NAMES: dict[str, Any] = {
    "text": gettext_lazy("The text"),
    "measure": gettext_lazy("How it is measured"),
    "instrument": gettext_lazy("The questionnaire"),
    "target": gettext_lazy("The target"),
    "target_date": gettext_lazy("The target date"),
    "rating": gettext_lazy("The rating"),
    "rated_on": gettext_lazy("The day of the rating"),
    "kind": gettext_lazy("The kind of activity"),
    "times": gettext_lazy("How many times"),
    "period": gettext_lazy("How often"),
    "mood": gettext_lazy("The mood"),
    "done_on": gettext_lazy("The day"),
    "note": gettext_lazy("The note"),
    "body": gettext_lazy("The note"),
    "practice": gettext_lazy("The practice"),
    "activity_id": gettext_lazy("The activity"),
    "provider_id": gettext_lazy("The provider"),
}


def _clean_text(problems: _Problems, field: str, value: Any, *, max_length: int, required: bool) -> str:
    if not isinstance(value, str):
        problems.add(field, gettext("must be text"))
        return ""
    text = value.strip()
    if required and not text:
        problems.add(field, gettext("is required"))
    elif len(text) > max_length:
        problems.add(field, gettext("must be at most %(most)s characters") % {"most": max_length})
    elif any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
        problems.add(field, gettext("must not contain control characters"))
    return text


def _clean_int(problems: _Problems, field: str, value: Any, *, low: int, high: int | None) -> int:
    """A whole number from low to high (any whole number while high is unknown)."""
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(field, gettext("must be a whole number"))
        return low
    if high is not None and not low <= value <= high:
        problems.add(field, gettext("must be from %(low)s to %(high)s") % {"low": low, "high": high})
    return value


def _clean_day(
    problems: _Problems, field: str, value: Any, *, earliest: dt.date, today: dt.date, earliest_reason: str
) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        problems.add(field, gettext("must be a date"))
        return today
    if value > today:
        problems.add(field, gettext("must not be in the future"))
    elif value < earliest:
        day = dateformat.format(earliest, pgettext("date format", "j F Y"))
        reason = {"day": day, "reason": earliest_reason}
        problems.add(field, gettext("must not be before %(day)s (%(reason)s)") % reason)
    return value


# --- Goals ---------------------------------------------------------------------------------


def _goal_definition(
    *, client: Client, text: Any, measure: Any, instrument: Any, target: Any, target_date: Any, now: dt.datetime
) -> dict[str, Any]:
    problems = _Problems()
    clean_text = _clean_text(problems, "text", text, max_length=GOAL_TEXT_MAX, required=True)
    clean_instrument = instrument or ""
    high: int | None = None  # the target's scale, once the measure says what it is
    if measure == Measure.QUESTIONNAIRE:
        if clean_instrument not in Instrument.values:
            names = " or ".join(Instrument(i).label for i in Instrument.values)
            problems.add("instrument", f"is required for a questionnaire goal: choose {names}")
        else:
            high = INSTRUMENT_MAX[Instrument(clean_instrument)]
    elif measure == Measure.SELF_RATING:
        high = MAX_RATING
        if clean_instrument:
            problems.add("instrument", "is only for a questionnaire goal")
    else:
        problems.add("measure", "must be 'questionnaire' or 'self_rating'")
    clean_target = _clean_int(problems, "target", target, low=1, high=high)
    today = client_today(client, now)
    if not isinstance(target_date, dt.date) or isinstance(target_date, dt.datetime):
        problems.add("target_date", "must be a date")
    elif target_date < today:
        problems.add("target_date", "must be today or later")
    elif target_date > today + TARGET_DATE_HORIZON:
        problems.add("target_date", "must be within five years")
    problems.raise_any()
    return {
        "text": clean_text,
        "measure": measure,
        "instrument": clean_instrument,
        "target": clean_target,
        "target_date": target_date,
    }


def _require_planner(by: User, client: Client) -> None:
    if not policy.may_plan_care(by, client):
        raise Forbidden(gettext("Only the client and their provider can change the client's goals and plan."))


def goal_create(
    *,
    client: Client,
    by: User,
    text: Any,
    measure: Any,
    target: Any,
    target_date: Any,
    instrument: Any = "",
    now: dt.datetime | None = None,
) -> Goal:
    """Agree a new goal: the client's words, how success is measured, and by when."""
    _require_planner(by, client)
    now = now or timezone.now()
    definition = _goal_definition(
        client=client,
        text=text,
        measure=measure,
        instrument=instrument,
        target=target,
        target_date=target_date,
        now=now,
    )
    with transaction.atomic():
        goal = Goal.objects.create(client=client, created_at=now, created_by=by)
        GoalVersion.objects.create(goal=goal, number=1, created_at=now, created_by=by, **definition)
    return goal


def goal_revise(
    *,
    goal: Goal,
    by: User,
    text: Any,
    measure: Any,
    target: Any,
    target_date: Any,
    instrument: Any = "",
    now: dt.datetime | None = None,
) -> GoalVersion:
    """Revise a goal: the current version stays as history and a new version follows it."""
    client = goal.client
    _require_planner(by, client)
    now = now or timezone.now()
    definition = _goal_definition(
        client=client,
        text=text,
        measure=measure,
        instrument=instrument,
        target=target,
        target_date=target_date,
        now=now,
    )
    try:
        with transaction.atomic():
            Goal.objects.select_for_update().filter(pk=goal.pk).first()
            current = GoalVersion.objects.filter(goal=goal).order_by("-number").first()
            if current is None:  # every goal is created with its first version
                raise Conflict(gettext("This goal has no version to revise."))
            if all(getattr(current, name) == value for name, value in definition.items()):
                raise InvalidInput(
                    gettext("Nothing was changed. Change the goal, its target or its date to revise it.")
                )
            return GoalVersion.objects.create(
                goal=goal, number=current.number + 1, created_at=now, created_by=by, **definition
            )
    except IntegrityError as exc:
        raise Conflict(
            gettext("Someone else revised this goal at the same moment. Look at it again and retry.")
        ) from exc


def goal_rating_record(
    *, goal: Goal, by: User, rating: Any, rated_on: Any = None, now: dt.datetime | None = None
) -> GoalRating:
    """Record a 0-10 self-rating of a goal measured that way (at a session, by the client or
    their provider)."""
    client = goal.client
    _require_planner(by, client)
    now = now or timezone.now()
    today = client_today(client, now)
    problems = _Problems()
    clean_rating = _clean_int(problems, "rating", rating, low=0, high=MAX_RATING)
    day = _clean_day(
        problems,
        "rated_on",
        today if rated_on is None else rated_on,
        earliest=_local_date(client, goal.created_at),
        today=today,
        earliest_reason=gettext("the day the goal was set"),
    )
    problems.raise_any()
    with transaction.atomic():
        Goal.objects.select_for_update().filter(pk=goal.pk).first()
        current = GoalVersion.objects.filter(goal=goal).order_by("-number").first()
        if current is None or current.measure != Measure.SELF_RATING:
            raise InvalidInput(
                gettext("This goal is measured by a questionnaire, not by a self-rating."),
                fields={"rating": gettext("this goal is measured by a questionnaire")},
            )
        return GoalRating.objects.create(goal=goal, rating=clean_rating, rated_on=day, recorded_at=now, recorded_by=by)


# --- The plan: coping activities and check-ins ------------------------------------------------


def activity_add(
    *, client: Client, by: User, kind: Any, times: Any, period: Any, text: Any = "", now: dt.datetime | None = None
) -> Activity:
    """Add a coping activity to the client's plan, with how often they mean to do it."""
    _require_planner(by, client)
    now = now or timezone.now()
    problems = _Problems()
    if kind not in ActivityKind.values:
        problems.add("kind", "must be one of " + ", ".join(ActivityKind.values))
    clean_text = _clean_text(
        problems,
        "text",
        text if text is not None else "",
        max_length=ACTIVITY_TEXT_MAX,
        required=kind == ActivityKind.OWN,
    )
    if kind == ActivityKind.OWN and problems.fields.get("text") == "is required":
        problems.fields["text"] = "is required for an activity of your own: say what it is"
    clean_times = _clean_int(problems, "times", times, low=1, high=MAX_TIMES)
    if period not in Period.values:
        problems.add("period", "must be 'day' or 'week'")
    problems.raise_any()
    with transaction.atomic():
        return Activity.objects.create(
            client=client,
            kind=kind,
            text=clean_text,
            times=clean_times,
            period=period,
            created_at=now,
            created_by=by,
        )


def activity_end(*, activity: Activity, by: User, now: dt.datetime | None = None) -> Activity:
    """Take an activity out of the plan; it and its check-ins stay as history."""
    _require_planner(by, activity.client)
    now = now or timezone.now()
    with transaction.atomic():
        updated = Activity.objects.filter(pk=activity.pk, ended_at__isnull=True).update(ended_at=now)
        if not updated:
            raise Conflict(gettext("This activity is already out of the plan."))
    activity.refresh_from_db()
    return activity


def check_in_record(
    *, activity: Activity, by: User, mood: Any, done_on: Any = None, note: Any = "", now: dt.datetime | None = None
) -> CheckIn:
    """The client did an activity of their plan: record the day, their mood (0-10) and a note."""
    client = activity.client
    if not policy.may_check_in(by, client):
        raise Forbidden(gettext("Only the client can record their own check-ins."))
    now = now or timezone.now()
    today = client_today(client, now)
    problems = _Problems()
    clean_mood = _clean_int(problems, "mood", mood, low=0, high=MAX_MOOD)
    day = _clean_day(
        problems,
        "done_on",
        today if done_on is None else done_on,
        earliest=_local_date(client, activity.created_at),
        today=today,
        earliest_reason=gettext("the day the activity was added to the plan"),
    )
    clean_note = _clean_text(problems, "note", note if note is not None else "", max_length=NOTE_MAX, required=False)
    problems.raise_any()
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        if locked.ended_at is not None:
            raise Conflict(gettext("This activity is no longer in the plan, so it takes no new check-ins."))
        return CheckIn.objects.create(
            activity=locked, done_on=day, mood=clean_mood, note=clean_note, recorded_at=now, recorded_by=by
        )


def check_in_remove(*, check_in: CheckIn, by: User, now: dt.datetime | None = None) -> CheckIn:
    """The client removes a check-in (a journal entry): it is hidden from the record from now on
    and kept, unchanged, until the retention period ends (settings.RECORD_RETENTION_DAYS)."""
    if not policy.may_remove_check_in(by, check_in):
        raise Forbidden(gettext("Only the client can remove their own check-ins."))
    now = now or timezone.now()
    with transaction.atomic():
        removed = CheckIn.objects.filter(pk=check_in.pk, deleted_at__isnull=True).update(deleted_at=now, deleted_by=by)
        if not removed:
            raise Conflict(gettext("This check-in has already been removed."))
    check_in.deleted_at, check_in.deleted_by = now, by
    return check_in


# --- Provider notes ---------------------------------------------------------------------------------


def _clean_note_body(body: Any) -> str:
    problems = _Problems()
    clean = _clean_text(problems, "body", body if body is not None else "", max_length=PROVIDER_NOTE_MAX, required=True)
    problems.raise_any()
    return clean


def provider_note_create(
    *, client: Client, by: User, body: Any, appointment_id: Any = None, now: dt.datetime | None = None
) -> ProviderNote:
    """A provider writes a note about a client on their caseload, optionally about one session."""
    if not policy.may_write_notes(by, client):
        raise Forbidden(gettext("Only a provider who has seen this client can write notes about them."))
    clean_body = _clean_note_body(body)
    provider = by.provider
    appointment = None
    if appointment_id is not None:
        appointment = (
            Appointment.objects.filter(pk=appointment_id, provider=provider, client=client)
            .filter(status__in=WAS_BOOKED)
            .first()
            if isinstance(appointment_id, int) and not isinstance(appointment_id, bool)
            else None
        )
        if appointment is None:
            raise InvalidInput(
                gettext("The session must be one of yours with this client."),
                fields={"appointment_id": gettext("not a session of yours with this client")},
            )
    now = now or timezone.now()
    with transaction.atomic():
        note = ProviderNote.objects.create(
            client=client, provider=provider, author=by, appointment=appointment, created_at=now
        )
        ProviderNoteVersion.objects.create(note=note, number=1, body=clean_body, author=by, created_at=now)
    return note


def provider_note_revise(
    *, note: ProviderNote, by: User, body: Any, now: dt.datetime | None = None
) -> ProviderNoteVersion:
    """Revise a note: the current version stays as history and a new version follows it."""
    if not policy.may_revise_note(by, note):
        raise Forbidden(gettext("Only the provider who wrote this note can revise it."))
    clean_body = _clean_note_body(body)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = ProviderNote.objects.select_for_update().get(pk=note.pk)
            if locked.deleted_at is not None:
                raise Conflict(gettext("This note has been removed, so it cannot be revised."))
            current = ProviderNoteVersion.objects.filter(note=locked).order_by("-number").first()
            if current is None:  # every note is created with its first version
                raise Conflict(gettext("This note has no version to revise."))
            if current.body == clean_body:
                raise InvalidInput(
                    gettext("Nothing was changed. Change the note to revise it."),
                    fields={"body": gettext("is the same as the current version")},
                )
            return ProviderNoteVersion.objects.create(
                note=locked, number=current.number + 1, body=clean_body, author=by, created_at=now
            )
    except IntegrityError as exc:
        raise Conflict(gettext("This note was revised at the same moment. Look at it again and retry.")) from exc


def provider_note_remove(*, note: ProviderNote, by: User, now: dt.datetime | None = None) -> ProviderNote:
    """The author removes a note: hidden from then on, kept with every version until the
    retention period ends (settings.RECORD_RETENTION_DAYS)."""
    if not policy.may_revise_note(by, note):
        raise Forbidden(gettext("Only the provider who wrote this note can remove it."))
    now = now or timezone.now()
    with transaction.atomic():
        removed = ProviderNote.objects.filter(pk=note.pk, deleted_at__isnull=True).update(deleted_at=now, deleted_by=by)
        if not removed:
            raise Conflict(gettext("This note has already been removed."))
    note.deleted_at, note.deleted_by = now, by
    return note


# --- The coping toolkit: a practice done counts as a check-in of the plan -------------------------


class Practice(models.TextChoices):
    """The exercises of the toolkit (/toolkit/), each counted on the plan activity it is."""

    BREATHING = "breathing", "Guided breathing"
    GROUNDING = "grounding", "5-4-3-2-1 grounding"
    MEDITATION = "meditation", "Meditation timer"


# Breathing is deep breathing; grounding is a short mindfulness practice, so, like the timer,
# it counts as meditation.
PRACTICE_KIND: dict[str, str] = {
    Practice.BREATHING: ActivityKind.DEEP_BREATHING,
    Practice.GROUNDING: ActivityKind.MEDITATION,
    Practice.MEDITATION: ActivityKind.MEDITATION,
}


class ChooseActivity(InvalidInput):
    """More than one activity of the plan fits the practice: the client says which."""


@dataclass(frozen=True)
class PracticeLogged:
    check_in: CheckIn
    activity_added: bool  # the plan had no activity of this kind, so one was added


def toolkit_practice_log(
    *, client: Client, by: User, practice: Any, mood: Any, activity_id: Any = None, now: dt.datetime | None = None
) -> PracticeLogged:
    """The client did a practice of the toolkit: a check-in today on the plan activity it is.

    `activity_id` names the activity (one of that kind, or one of the client's own). Without it,
    the one activity of the practice's kind in the plan is used; with none, one is added to the
    plan (daily, which the client can change on their progress page); with several, or with
    activities of their own that might be it, ChooseActivity asks which."""
    if not policy.may_check_in(by, client):
        raise Forbidden(gettext("Only the client can record their own practice."))
    now = now or timezone.now()
    problems = _Problems()
    if practice not in Practice.values:
        problems.add("practice", "must be one of " + ", ".join(Practice.values))
    clean_mood = _clean_int(problems, "mood", mood, low=0, high=MAX_MOOD)
    if activity_id is not None and (isinstance(activity_id, bool) or not isinstance(activity_id, int)):
        problems.add("activity_id", "must be the id of an activity of your plan")
    problems.raise_any()
    kind = PRACTICE_KIND[practice]
    with transaction.atomic():
        # One practice at a time per client, so that two taps never add the activity twice.
        Client.objects.select_for_update().filter(pk=client.pk).first()
        candidates = list(
            Activity.objects.filter(client=client, ended_at__isnull=True, kind__in=[kind, ActivityKind.OWN]).order_by(
                "created_at", "id"
            )
        )
        same_kind = [activity for activity in candidates if activity.kind == kind]
        if activity_id is not None:
            chosen = next((activity for activity in candidates if activity.pk == activity_id), None)
            if chosen is None:
                raise InvalidInput.for_fields(
                    {
                        "activity_id": f"must be an activity of your plan for {ActivityKind(kind).label.lower()} "
                        "or one of your own"
                    },
                    labels=_FIELD_NAMES,
                )
        elif len(same_kind) == 1 and len(candidates) == 1:
            chosen = same_kind[0]
        elif len(candidates) > 1:
            raise ChooseActivity(
                "Say which activity of your plan this was.",
                fields={"activity_id": gettext("choose which activity of your plan this was")},
            )
        else:
            chosen = None
        added = chosen is None
        if chosen is None:
            chosen = activity_add(client=client, by=by, kind=kind, times=1, period=Period.DAY, now=now)
        check_in = check_in_record(activity=chosen, by=by, mood=clean_mood, now=now)
    return PracticeLogged(check_in=check_in, activity_added=added)


# --- The private journal ------------------------------------------------------------------------


def _require_journal_keeper(by: User, client: Client) -> None:
    if not policy.may_keep_journal(by, client):
        raise Forbidden(gettext("Only the client keeps their journal."))


def journal_entry_write(*, client: Client, by: User, body: Any, now: dt.datetime | None = None) -> JournalEntry:
    """The client writes an entry in their private journal (encrypted at rest; private until shared)."""
    _require_journal_keeper(by, client)
    problems = _Problems()
    clean = _clean_text(problems, "body", body if body is not None else "", max_length=JOURNAL_ENTRY_MAX, required=True)
    problems.raise_any()
    with transaction.atomic():
        return JournalEntry.objects.create(client=client, body=clean, created_at=now or timezone.now())


def journal_entry_share(
    *, entry: JournalEntry, by: User, provider_id: Any, now: dt.datetime | None = None
) -> JournalEntry:
    """The client shares this one entry with one of their providers (in place of any provider
    it was shared with before)."""
    _require_journal_keeper(by, entry.client)
    from carematch.directory.models import Provider

    if isinstance(provider_id, bool) or not isinstance(provider_id, int):
        raise InvalidInput.for_fields({"provider_id": "must be one of your providers"}, labels=_FIELD_NAMES)
    provider = Provider.objects.filter(pk=provider_id).first()
    if provider is None or not policy.care_clients_of(provider).filter(pk=entry.client_id).exists():
        raise InvalidInput.for_fields({"provider_id": "must be one of your providers"}, labels=_FIELD_NAMES)
    now = now or timezone.now()
    with transaction.atomic():
        updated = JournalEntry.objects.filter(pk=entry.pk, deleted_at__isnull=True).update(
            shared_with=provider, shared_at=now
        )
        if not updated:
            raise Conflict(gettext("This entry has been removed, so it cannot be shared."))
    entry.shared_with, entry.shared_at = provider, now
    return entry


def journal_entry_unshare(*, entry: JournalEntry, by: User) -> JournalEntry:
    """The client stops sharing this entry: from now on only they see it."""
    _require_journal_keeper(by, entry.client)
    with transaction.atomic():
        updated = JournalEntry.objects.filter(pk=entry.pk, shared_with__isnull=False).update(
            shared_with=None, shared_at=None
        )
        if not updated:
            raise Conflict(gettext("This entry is not shared."))
    entry.shared_with, entry.shared_at = None, None
    return entry


def journal_sharing_end_for_client(*, client: Client) -> int:
    """The client's account is closing: every entry they shared becomes private again. How many."""
    with transaction.atomic():
        return JournalEntry.objects.filter(client=client, shared_with__isnull=False).update(
            shared_with=None, shared_at=None
        )


def journal_entry_remove(*, entry: JournalEntry, by: User, now: dt.datetime | None = None) -> JournalEntry:
    """The client removes an entry: hidden from everyone (sharing ends with it), kept unchanged
    until the retention period ends (settings.RECORD_RETENTION_DAYS), then erased."""
    _require_journal_keeper(by, entry.client)
    now = now or timezone.now()
    with transaction.atomic():
        removed = JournalEntry.objects.filter(pk=entry.pk, deleted_at__isnull=True).update(
            deleted_at=now, shared_with=None, shared_at=None
        )
        if not removed:
            raise Conflict(gettext("This entry has already been removed."))
    entry.deleted_at, entry.shared_with, entry.shared_at = now, None, None
    return entry


# --- Erasing what the retention period no longer requires ----------------------------------------

# Models whose rows are removed by hiding them (`deleted_at`) and kept for the retention period.
REMOVABLE: tuple[type[models.Model], ...] = (CheckIn, ProviderNote, JournalEntry)


def _deleted(by_model: dict[str, int]) -> Counter[str]:
    return Counter({label: n for label, n in by_model.items() if n})


def care_records_purge_for_client(*, client_id: int) -> Counter[str]:
    """Erase the client's plan (activities and their check-ins), goals (with their versions and
    ratings), provider notes (with their versions) and journal: the retention period of their
    closed account has ended. Rows erased, by model label."""
    deleted: Counter[str] = Counter()
    with transaction.atomic():
        for rows in (
            Activity.objects.filter(client_id=client_id),
            Goal.objects.filter(client_id=client_id),
            ProviderNote.objects.filter(client_id=client_id),
            JournalEntry.objects.filter(client_id=client_id),
        ):
            deleted.update(_deleted(rows.delete()[1]))
    return deleted


def removed_entries_purge(*, before: dt.datetime) -> tuple[Counter[str], Counter[str]]:
    """Erase check-ins, provider notes and journal entries removed before `before` (their retention period has
    passed). A row something kept still refers to is kept, and the others erased one by one.
    Rows erased and rows kept, by model label."""
    deleted: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    for model in REMOVABLE:
        expired = model._base_manager.filter(deleted_at__isnull=False, deleted_at__lt=before)
        try:
            with transaction.atomic():
                deleted.update(_deleted(expired.delete()[1]))
        except ProtectedError:
            for pk in list(expired.values_list("pk", flat=True)):
                try:
                    with transaction.atomic():
                        deleted.update(_deleted(model._base_manager.filter(pk=pk).delete()[1]))
                except ProtectedError:
                    kept[model._meta.label] += 1
    return deleted, kept


# --- Moving encrypted columns to a new key -------------------------------------------------------
# The one write that crosses apps: the key belongs to the deployment, not to an app, and
# rotating it changes how every encrypted column is stored, never what any of them says.
# The history guards (carematch/lib/history.py) let the content of clinical rows be rewritten
# only while a Reencryption row exists inside the same transaction.


@dataclass(frozen=True)
class ColumnRotated:
    label: str  # app.Model.field
    rotated: int
    current: int  # already under the first key
    empty: int
    unreadable: int  # no configured key decrypts them; left as they are


def encrypted_column_rotate(
    *, model: type[models.Model], field: crypto.EncryptedTextField, batch_size: int = 500
) -> ColumnRotated:
    """Re-encrypt each stored value of one encrypted column that is not yet under the first
    key, in batches of `batch_size` rows, each batch its own transaction. A value changed by
    someone else meanwhile is left alone (never re-encrypted through the field)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    stored = ExpressionWrapper(F(field.attname), output_field=models.TextField())
    rows = model._base_manager.alias(stored=stored)
    rotated = current = empty = unreadable = 0
    last_pk: Any = None
    while True:
        batch_rows = rows if last_pk is None else rows.filter(pk__gt=last_pk)
        batch = list(
            batch_rows.order_by("pk").annotate(stored_value=stored).values_list("pk", "stored_value")[:batch_size]
        )
        if not batch:
            return ColumnRotated(f"{model._meta.label}.{field.name}", rotated, current, empty, unreadable)
        last_pk = batch[-1][0]
        with transaction.atomic():
            marker = Reencryption.objects.create(started_at=timezone.now())
            for pk, token in batch:
                if token is None or token == "":
                    empty += 1
                    continue
                if crypto.encrypted_under_first_key(token):
                    current += 1
                    continue
                try:
                    new_token = crypto.rotate(token, where=f"{model._meta.db_table} row {pk}")
                except crypto.DecryptionError:
                    unreadable += 1
                    continue
                # Only if nobody changed the value meanwhile; never re-encrypt through the field.
                rotated += rows.filter(pk=pk, stored=token).update(
                    **{field.attname: Value(new_token, output_field=models.TextField())}
                )
            marker.delete()

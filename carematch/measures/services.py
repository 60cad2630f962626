"""Every write of the measures app: answers and their alerts, acknowledgements, requests
and their schedule, session ratings, and measures' part of closing a client's account and of
erasing it once the retention period ends.

The page and the API both record answers through `assessments_record`, which checks every
response before writing any, and writes them, their alerts and the request they answer in
one transaction. Work for the task worker (emails, the next every-2-weeks questionnaire) is
queued only once that transaction has committed. Logs name records by id only: never
answers, scores or notes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from carematch.accounts.models import Client, User
from carematch.directory.models import Provider
from carematch.lib.errors import Conflict, InvalidInput, NotFound
from carematch.scheduling.models import Appointment, Status

from . import cadence, emails, links, scoring, selectors, tasks
from .instruments import INSTRUMENTS
from .models import (
    Alert,
    AlertKind,
    Assessment,
    Cadence,
    FortnightlyPlan,
    QuestionnaireRequest,
    QuestionnaireSchedule,
    Reason,
    SessionRating,
)

logger = logging.getLogger("carematch.measures")

NOTE_MAX = 2000
DEFAULT_INSTRUMENTS = ("phq9", "gad7")


@dataclass(frozen=True)
class Response:
    """One questionnaire's answers as sent: item scores in item order, and the difficulty
    answer (or None)."""

    instrument: Any
    answers: Any
    difficulty: Any = None


@dataclass(frozen=True)
class Recorded:
    assessments: list[Assessment]
    alerts: list[Alert]


def _check_responses(responses: Sequence[Response]) -> None:
    if not responses:
        raise InvalidInput("Answer at least one questionnaire.", fields={"instrument": "this field is required"})
    several = len(responses) > 1
    problems: dict[str, str] = {}
    seen: set[str] = set()
    for response in responses:
        found = scoring.answer_problems(response.instrument, response.answers, response.difficulty)
        prefix = f"{response.instrument}." if several and "instrument" not in found else ""
        problems.update({prefix + field: problem for field, problem in found.items()})
        if response.instrument in seen:
            problems[f"{response.instrument}"] = "answered twice"
        seen.add(response.instrument)
    if problems:
        raise InvalidInput.for_fields(problems, summary="Some answers are missing or invalid",
                                      listing="names_and_problems")


def _check_request(request: QuestionnaireRequest, *, client: Client, responses: Sequence[Response],
                   now: dt.datetime) -> None:
    if request.client_id != client.pk:
        raise NotFound("No questionnaire request with that id.", fields={"request": "not found"})
    if request.completed_at is not None:
        raise Conflict("This questionnaire has already been answered.", fields={"request": "already answered"},
                       code="already_answered")
    if request.withdrawn_at is not None or request.expires_at <= now:
        raise Conflict("This questionnaire link has expired.", fields={"request": "expired"}, code="expired")
    if sorted(r.instrument for r in responses) != sorted(request.instruments):
        asked = ", ".join(INSTRUMENTS[code].name for code in request.instruments)
        raise InvalidInput(f"This request asks for: {asked}.", fields={"instrument": f"answer {asked}"})


def assessments_record(
    *, client: Client, responses: Sequence[Response], by: User | None,
    request: QuestionnaireRequest | None = None, now: dt.datetime | None = None,
) -> Recorded:
    """Score and store one or more completed questionnaires of `client`.

    Every response is checked first; any problem raises InvalidInput naming the fields
    and nothing is stored. PHQ-9 item 9 answered above 0 always opens a safety alert for
    the client's provider and the coordinators. A request, when given, is answered whole
    (every instrument it asks) and only once."""
    now = now or timezone.now()
    _check_responses(responses)
    with transaction.atomic():
        if request is not None:
            request = QuestionnaireRequest.objects.select_for_update().get(pk=request.pk)
            _check_request(request, client=client, responses=responses, now=now)
            provider = request.provider or selectors.current_provider_of(client=client, now=now)
        else:
            provider = selectors.current_provider_of(client=client, now=now)
        assessments, alerts = [], []
        for response in responses:
            result = scoring.score(response.instrument, response.answers, response.difficulty)
            assessment = Assessment(
                client=client, provider=provider, request=request, instrument=result.instrument,
                answers=list(response.answers), difficulty=response.difficulty, total=result.total,
                severity=result.severity, completed_at=now, entered_by=by,
            )
            try:
                with transaction.atomic():
                    assessment.save()
            except IntegrityError:
                raise Conflict("This questionnaire has already been answered.", fields={"request": "already answered"},
                               code="already_answered") from None
            assessments.append(assessment)
            for code in result.alerts:
                alerts.append(Alert.objects.create(
                    kind=code, client=client, provider=provider, assessment=assessment, created_at=now,
                ))
        if request is not None:
            request.completed_at = now
            request.save(update_fields=["completed_at"])
        alert_ids = [alert.pk for alert in alerts]
        transaction.on_commit(lambda: _after_recording(alert_ids, client.pk, provider.pk if provider else None))
    logger.info("recorded %s questionnaire(s) of client %s", len(assessments), client.pk)
    return Recorded(assessments, alerts)


def _after_recording(alert_ids: list[int], client_id: int, provider_id: int | None) -> None:
    for alert_id in alert_ids:
        _queue(tasks.send_alert_notice, alert_id=alert_id)
    if provider_id is not None:
        _plan_after_commit(client_id=client_id, provider_id=provider_id, only_if_fortnightly=True)


def _plan_after_commit(*, client_id: int, provider_id: int, only_if_fortnightly: bool = False) -> None:
    """Start the every-2-weeks questionnaire once other writes have committed; a failure is
    logged, never turned into an error for the person whose change is already stored."""
    try:
        if only_if_fortnightly:
            provider = Provider.objects.filter(pk=provider_id).first()
            if provider is None or selectors.cadence_of(provider) != Cadence.EVERY_TWO_WEEKS:
                return
        fortnightly_plan_ensure(client_id=client_id, provider_id=provider_id)
    except Exception:
        logger.exception("could not plan the next questionnaire of client %s with provider %s", client_id,
                         provider_id)


def _queue(task: Any, *, run_after: dt.datetime | None = None, **kwargs: Any) -> None:
    """Queue a task once the writes behind it have committed. A failure to queue is logged,
    never turned into an error for the person whose answer is already stored."""
    try:
        if run_after is not None and task.get_backend().supports_defer:
            task = task.using(run_after=run_after)
        elif run_after is not None and run_after > timezone.now():
            logger.warning("the task backend cannot run tasks later: %s not queued", task.name)
            return
        task.enqueue(**kwargs)
    except Exception:
        logger.exception("could not queue %s", getattr(task, "name", "a task"))


# --- Alerts -------------------------------------------------------------------------------------


def alert_acknowledge(*, alert: Alert, by: User, note: str, now: dt.datetime | None = None) -> Alert:
    """Close an alert with a note saying what was done. A note is required."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Write a note saying what you did before acknowledging the alert.",
                           fields={"note": "write what you did"})
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"The note is too long: keep it under {NOTE_MAX} characters.",
                           fields={"note": f"at most {NOTE_MAX} characters"})
    now = now or timezone.now()
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is not None:
            raise Conflict("This alert has already been acknowledged.", fields={"status": "acknowledged"},
                           code="already_acknowledged")
        alert.acknowledged_at, alert.acknowledged_by, alert.note = now, by, note
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "note"])
    logger.info("alert %s acknowledged by user %s", alert.pk, by.pk)
    return alert


# --- Questionnaire requests ---------------------------------------------------------------------


def _clean_instruments(instruments: Any) -> list[str]:
    if not isinstance(instruments, list | tuple) or not instruments:
        raise InvalidInput("Choose at least one questionnaire.", fields={"instruments": "choose at least one"})
    unknown = [str(code) for code in instruments if code not in INSTRUMENTS]
    if unknown:
        raise InvalidInput(f"Unknown questionnaire: {', '.join(unknown)}.",
                           fields={"instruments": f"each must be one of {', '.join(INSTRUMENTS)}"})
    if len(set(instruments)) != len(instruments):
        raise InvalidInput("Each questionnaire can be asked once.", fields={"instruments": "listed twice"})
    return [code for code in INSTRUMENTS if code in instruments]


def _request_create(
    *, client: Client, provider: Provider | None, instruments: Sequence[str], reason: str, expires_at: dt.datetime,
    now: dt.datetime, by: User | None = None, appointment: Appointment | None = None,
) -> QuestionnaireRequest:
    salt = links.new_salt()
    return QuestionnaireRequest.objects.create(
        client=client, provider=provider, appointment=appointment, instruments=list(instruments), reason=reason,
        salt=salt, digest=links.digest_for_salt(salt), created_at=now, created_by=by, expires_at=expires_at,
    )


def questionnaire_send_now(
    *, client: Client, instruments: Any = DEFAULT_INSTRUMENTS, by: User, provider: Provider | None = None,
    now: dt.datetime | None = None,
) -> QuestionnaireRequest:
    """Email the client a private link to the chosen questionnaires now. It works once, for
    7 days, and is reminded once after 3 days if not answered."""
    codes = _clean_instruments(instruments)
    now = now or timezone.now()
    with transaction.atomic():
        if provider is None:
            provider = selectors.current_provider_of(client=client, now=now)
        request = _request_create(
            client=client, provider=provider, instruments=codes, reason=Reason.ON_DEMAND,
            expires_at=now + cadence.LINK_LIFETIME, now=now, by=by,
        )
        transaction.on_commit(lambda: _queue_request_email(request.pk))
    logger.info("questionnaire request %s created for client %s", request.pk, client.pk)
    return request


def _queue_request_email(request_id: int) -> None:
    _queue(tasks.send_questionnaire_request, request_id=request_id)


def questionnaire_request_email_send(*, request_id: int, now: dt.datetime | None = None) -> bool:
    """Email an open request's link to its client, once; then queue its one reminder.
    Whether it was sent."""
    now = now or timezone.now()
    with transaction.atomic():
        request = QuestionnaireRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or request.emailed_at is not None or not selectors.request_is_open(request, now=now):
            return False
        request.emailed_at = now
        request.save(update_fields=["emailed_at"])
    try:
        emails.questionnaire_email_send(request=request, reminder=False)
    except Exception:
        with transaction.atomic():
            QuestionnaireRequest.objects.filter(pk=request_id, emailed_at=now).update(emailed_at=None)
        raise
    remind_at = now + cadence.REMIND_AFTER
    if remind_at < request.expires_at:
        _queue(tasks.send_questionnaire_reminder, run_after=remind_at, request_id=request_id)
    logger.info("emailed questionnaire request %s", request_id)
    return True


def questionnaire_reminder_send(*, request_id: int, now: dt.datetime | None = None) -> bool:
    """Remind the client, once, of a request still open. Whether a reminder was sent."""
    now = now or timezone.now()
    with transaction.atomic():
        request = QuestionnaireRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or request.reminded_at is not None or not selectors.request_is_open(request, now=now):
            return False
        request.reminded_at = now
        request.save(update_fields=["reminded_at"])
    try:
        emails.questionnaire_email_send(request=request, reminder=True)
    except Exception:
        with transaction.atomic():
            QuestionnaireRequest.objects.filter(pk=request_id, reminded_at=now).update(reminded_at=None)
        raise
    logger.info("reminded questionnaire request %s", request_id)
    return True


# --- With appointments --------------------------------------------------------------------------


def questionnaires_for_appointment(*, event: str, appointment_id: int, now: dt.datetime | None = None) -> None:
    """After a booking, a new time or a cancellation has committed: prepare the questionnaire
    that comes before the session (a baseline before the first session with a provider,
    else one before every session if the provider asks so), whose link the appointment's
    confirmation and reminder emails carry; withdraw it when the session is cancelled.

    Never raises: the appointment has committed, and its emails must still go out."""
    try:
        _for_appointment(event=event, appointment_id=appointment_id, now=now or timezone.now())
    except Exception:
        logger.exception("could not prepare the questionnaire of appointment %s", appointment_id)


def _for_appointment(*, event: str, appointment_id: int, now: dt.datetime) -> None:
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_related("provider", "client").filter(pk=appointment_id).first()
        )
        if appointment is None or appointment.client is None:
            return
        existing = QuestionnaireRequest.objects.select_for_update().filter(appointment=appointment).first()
        if event == "cancelled" or appointment.status != Status.BOOKED:
            if existing is not None and not existing.is_closed:
                existing.withdrawn_at = now
                existing.save(update_fields=["withdrawn_at"])
            return
        if event not in ("booked", "rescheduled"):
            return
        expires_at = cadence.session_request_expiry(session_start=appointment.start, now=now)
        if existing is not None:
            if not existing.is_closed and existing.expires_at != expires_at:
                existing.expires_at = expires_at
                existing.save(update_fields=["expires_at"])
            return
        client, provider = appointment.client, appointment.provider
        has_baseline = (
            Assessment.objects.filter(client=client, provider=provider).exists()
            or QuestionnaireRequest.objects.filter(
                client=client, provider=provider, reason=Reason.BASELINE, completed_at__isnull=True,
                withdrawn_at__isnull=True, expires_at__gt=now,
            ).exists()
        )
        provider_cadence = selectors.cadence_of(provider)
        reason = cadence.request_for_booking(cadence=provider_cadence, has_baseline=has_baseline)
        if reason is not None:
            request = _request_create(
                client=client, provider=provider, appointment=appointment, instruments=DEFAULT_INSTRUMENTS,
                reason=reason, expires_at=expires_at, now=now,
            )
            logger.info("questionnaire request %s prepared for appointment %s", request.pk, appointment.pk)
        elif provider_cadence == Cadence.EVERY_TWO_WEEKS:
            client_id, provider_id = client.pk, provider.pk
            transaction.on_commit(lambda: _plan_after_commit(client_id=client_id, provider_id=provider_id))


# --- Every two weeks ----------------------------------------------------------------------------


def fortnightly_plan_ensure(*, client_id: int, provider_id: int, now: dt.datetime | None = None) -> None:
    """Make sure the next every-2-weeks questionnaire of this client with this provider is
    queued: two weeks after they were last asked (or now)."""
    now = now or timezone.now()
    with transaction.atomic():
        plan, _ = FortnightlyPlan.objects.select_for_update().get_or_create(client_id=client_id,
                                                                            provider_id=provider_id)
        if plan.next_due_at is not None and plan.next_due_at >= now:
            return  # already queued
        last = _last_asked(client_id=client_id, provider_id=provider_id)
        plan.next_due_at = cadence.fortnightly_due(last_asked=last, now=now)
        plan.save(update_fields=["next_due_at"])
        due = plan.next_due_at
        transaction.on_commit(lambda: _queue(tasks.send_fortnightly_questionnaire, run_after=due, client_id=client_id,
                                             provider_id=provider_id, due_at=due.isoformat()))


def _last_asked(*, client_id: int, provider_id: int) -> dt.datetime | None:
    last = (
        QuestionnaireRequest.objects.filter(client_id=client_id, provider_id=provider_id)
        .order_by("-created_at").values_list("created_at", flat=True).first()
    )
    return last


def fortnightly_questionnaire_send(
    *, client_id: int, provider_id: int, due_at: dt.datetime, now: dt.datetime | None = None
) -> QuestionnaireRequest | None:
    """The every-2-weeks step: if this is still the plan's due time, the provider still
    asks every 2 weeks and the client is still in their care, send the questionnaire (unless
    one was asked in the last two weeks) and queue the next step. The request sent, if any."""
    now = now or timezone.now()
    with transaction.atomic():
        plan = FortnightlyPlan.objects.select_for_update().filter(client_id=client_id, provider_id=provider_id).first()
        if plan is None or plan.next_due_at != due_at:
            return None  # a newer step has taken over
        provider = Provider.objects.filter(pk=provider_id).first()
        client = Client.objects.filter(pk=client_id).first()
        if (
            provider is None or client is None or selectors.cadence_of(provider) != Cadence.EVERY_TWO_WEEKS
            or not selectors.in_care(client_id=client_id, provider_id=provider_id, now=now)
        ):
            plan.next_due_at = None
            plan.save(update_fields=["next_due_at"])
            return None
        due = cadence.fortnightly_due(last_asked=_last_asked(client_id=client_id, provider_id=provider_id), now=now)
        request = None
        if due <= now:
            request = _request_create(
                client=client, provider=provider, instruments=DEFAULT_INSTRUMENTS, reason=Reason.FORTNIGHTLY,
                expires_at=now + cadence.LINK_LIFETIME, now=now,
            )
            due = now + cadence.FORTNIGHT
            request_id = request.pk
            transaction.on_commit(lambda: _queue_request_email(request_id))
        plan.next_due_at = due
        plan.save(update_fields=["next_due_at"])
        transaction.on_commit(lambda: _queue(tasks.send_fortnightly_questionnaire, run_after=due, client_id=client_id,
                                             provider_id=provider_id, due_at=due.isoformat()))
    return request


def questionnaire_schedule_set(*, provider: Provider, cadence_value: str, by: User | None,
                               now: dt.datetime | None = None) -> QuestionnaireSchedule:
    """Choose how often the provider's clients are asked. Switching to every 2 weeks starts
    it for clients in their care who have answered before; switching away stops it."""
    if cadence_value not in Cadence.values:
        raise InvalidInput("Choose how often your clients are asked.",
                           fields={"cadence": f"must be one of {', '.join(Cadence.values)}"})
    now = now or timezone.now()
    with transaction.atomic():
        schedule, _ = QuestionnaireSchedule.objects.select_for_update().get_or_create(
            provider=provider, defaults={"cadence": cadence_value, "updated_at": now, "updated_by": by},
        )
        schedule.cadence, schedule.updated_at, schedule.updated_by = cadence_value, now, by
        schedule.save(update_fields=["cadence", "updated_at", "updated_by"])
        if cadence_value == Cadence.EVERY_TWO_WEEKS:
            answered = set(Assessment.objects.filter(provider=provider).values_list("client_id", flat=True))
            for client_id in answered:
                if selectors.in_care(client_id=client_id, provider_id=provider.pk, now=now):
                    start = partial(_plan_after_commit, client_id=client_id, provider_id=provider.pk)
                    transaction.on_commit(start)
        else:
            FortnightlyPlan.objects.filter(provider=provider).update(next_due_at=None)
    return schedule


# --- After a session ----------------------------------------------------------------------------


def session_rate(*, appointment: Appointment, client: Client, score: Any,
                 now: dt.datetime | None = None) -> SessionRating:
    """The client's 0-10 answer to "How well did this session work for you?", once per
    session, once it has ended. 6 or below alerts the coordinators."""
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 10:
        raise InvalidInput("Choose a number from 0 to 10.", fields={"score": "must be a whole number from 0 to 10"})
    now = now or timezone.now()
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.client_id != client.pk or appointment.status not in (Status.BOOKED, Status.COMPLETED):
            raise NotFound("No session with that id.", fields={"appointment": "not found"})
        if not cadence.may_rate(session_end=appointment.end, now=now):
            detail = ("You can answer once the session has ended." if appointment.end > now
                      else "This session was more than two weeks ago.")
            raise InvalidInput(detail, fields={"appointment": "not open for rating"}, code="not_ratable")
        if SessionRating.objects.filter(appointment=appointment).exists():
            raise Conflict("You have already told us about this session.", fields={"appointment": "already rated"},
                           code="already_rated")
        rating = SessionRating.objects.create(
            appointment=appointment, client=client, provider_id=appointment.provider_id, score=score, rated_at=now,
        )
        if cadence.rating_alerts(score):
            alert = Alert.objects.create(
                kind=AlertKind.LOW_SESSION_RATING, client=client, provider_id=appointment.provider_id,
                session_rating=rating, created_at=now,
            )
            alert_id = alert.pk
            transaction.on_commit(lambda: _queue_alert_notice(alert_id))
    logger.info("session %s rated", appointment.pk)
    return rating


def message_alert_raise(*, client: Client, provider: Provider | None = None,
                        now: dt.datetime | None = None) -> Alert:
    """A client's message mentioned suicide or self-harm (carematch.messaging.safety): a safety
    alert for their provider (the one written to, else their current provider) and the
    coordinators, told by email as every safety alert is. Runs inside the caller's transaction;
    the email is queued once it commits. The alert holds no message text."""
    now = now or timezone.now()
    with transaction.atomic():
        if provider is None:
            provider = selectors.current_provider_of(client=client, now=now)
        alert = Alert.objects.create(kind=AlertKind.MESSAGE_SELF_HARM, client=client, provider=provider,
                                     created_at=now)
        alert_id = alert.pk
        transaction.on_commit(lambda: _queue_alert_notice(alert_id))
    logger.info("safety alert %s opened for a message of client %s", alert_id, client.pk)
    return alert


def _queue_alert_notice(alert_id: int) -> None:
    _queue(tasks.send_alert_notice, alert_id=alert_id)


# --- A client closing their account, and erasing it once the retention period ends ---------------


def questionnaires_end_for_client(*, client: Client, now: dt.datetime | None = None) -> int:
    """The client's account is closing: their open questionnaire links stop working and their
    every-2-weeks questionnaires stop. Answers and scores are kept with the record. How many
    open requests were withdrawn."""
    now = now or timezone.now()
    with transaction.atomic():
        withdrawn = QuestionnaireRequest.objects.filter(
            client=client, completed_at__isnull=True, withdrawn_at__isnull=True
        ).update(withdrawn_at=now)
        FortnightlyPlan.objects.filter(client=client).update(next_due_at=None)
    return withdrawn


def measures_purge_for_client(*, client_id: int) -> Counter[str]:
    """Erase the client's alerts, questionnaire schedules and requests, answers and session
    ratings (the retention period of their closed account has ended). Alerts go first: they
    protect the answers and ratings that raised them. Rows erased, by model label."""
    deleted: Counter[str] = Counter()
    with transaction.atomic():
        for rows in (
            Alert.objects.filter(client_id=client_id),
            FortnightlyPlan.objects.filter(client_id=client_id),
            QuestionnaireRequest.objects.filter(client_id=client_id),
            Assessment.objects.filter(client_id=client_id),
            SessionRating.objects.filter(client_id=client_id),
        ):
            deleted.update({label: n for label, n in rows.delete()[1].items() if n})
    return deleted

"""What happens after an appointment changes: emails to both parties and reminders 24
hours and an hour before the session (CAREMATCH_REMINDER_HOURS; each only when still ahead
at the booking, see reminders.py). And what
happens when a person asks to be contacted from the crisis page or API: every coordinator
is emailed at once, and every coordinator and admin again if nobody has tried to reach the
person within CAREMATCH_CRISIS_ESCALATE_MINUTES.

Services call `appointment_event` once their transaction has committed, so nothing is
sent for a booking that rolled back. It only queues work; the task worker (`carematch
db_worker`) sends the emails, outside any web request. Logs name appointments by id only.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carematch.measures.services import questionnaires_for_appointment

from . import emails, services, tasks
from .models import Appointment, CrisisRequest, Series, Status

logger = logging.getLogger("carematch.scheduling.notifications")

EVENTS = ("booked", "cancelled", "rescheduled")


def appointment_event(*, event: str, appointment_id: int) -> None:
    """Queue the emails about `event` and, for a new time, the reminder.

    The booking has already committed when this runs: a failure to queue is logged, not
    turned into an error for the person who booked."""
    try:
        _queue(event=event, appointment_id=appointment_id)
    except Exception:
        logger.exception("could not queue the %s emails of appointment %s", event, appointment_id)


def _queue(*, event: str, appointment_id: int) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown appointment event {event!r}")
    appointment = Appointment.objects.filter(pk=appointment_id).only(
        "pk", "start", "status", "reminder_due_at", "client_id"
    ).first()
    if appointment is None:
        return
    questionnaires_for_appointment(event=event, appointment_id=appointment.pk)  # its link rides in the emails
    start = appointment.start.isoformat()
    tasks.send_appointment_email.enqueue(event=event, appointment_id=appointment.pk, start=start)
    if event in ("booked", "rescheduled") and appointment.status == Status.BOOKED:
        reminder_schedule(appointment=appointment)
    if event == "booked" and appointment.status == Status.BOOKED and appointment.client_id is not None:
        _eligibility_on_booking(appointment_id=appointment.pk, client_id=appointment.client_id)


def _eligibility_on_booking(*, appointment_id: int, client_id: int) -> None:
    """The client's coverage is checked with their payer in the worker, when they gave some
    and checks are set up (carematch.coverage); a failure to queue never touches the booking."""
    from carematch.coverage import clearinghouse
    from carematch.coverage import tasks as coverage_tasks

    if not clearinghouse.enabled():
        return
    try:
        coverage_tasks.check_eligibility_on_booking.enqueue(appointment_id=appointment_id, client_id=client_id)
    except Exception:
        logger.exception("could not queue the eligibility check of appointment %s", appointment_id)


def reminder_schedule(*, appointment: Appointment, now: dt.datetime | None = None) -> bool:
    """Queue the next reminder for the moment the booking planned (`reminder_due_at`: 24 hours,
    or an hour, before the start; see reminders.py), or at once if that moment has just passed
    while the session has not begun. None planned (booked too close to the start, or every
    reminder sent), none queued: the confirmation promised none. Whether one was queued."""
    now = now or timezone.now()
    due = appointment.reminder_due_at
    if due is None or appointment.start <= now:
        return False
    reminder = tasks.send_appointment_reminder
    if due > now:
        if not reminder.get_backend().supports_defer:
            logger.warning("the task backend cannot run tasks later: no reminder for appointment %s", appointment.pk)
            return False
        reminder = reminder.using(run_after=due)
    reminder.enqueue(appointment_id=appointment.pk, start=appointment.start.isoformat(), due=due.isoformat())
    return True


def _appointment(appointment_id: int) -> Appointment | None:
    return (
        Appointment.objects.select_related("provider__user", "client__user").filter(pk=appointment_id).first()
    )


def appointment_notice_send(
    *, event: str, appointment_id: int, start: str | None = None, now: dt.datetime | None = None
) -> bool:
    """Send the emails about `event` unless the appointment has moved on since: a later
    change has its own emails. `start` is the appointment's start when the event happened.
    Whether emails were sent."""
    if event not in EVENTS:
        raise ValueError(f"unknown appointment event {event!r}")
    now = now or timezone.now()
    appointment = _appointment(appointment_id)
    if appointment is None or appointment.client is None:
        return False
    if event == "cancelled":
        # Releasing a hold is not a cancellation anyone needs to hear about.
        current = appointment.status == Status.CANCELLED and appointment.booked_at is not None
    else:
        current = appointment.status == Status.BOOKED and appointment.start > now
        if event == "rescheduled" and start is not None:
            current = current and appointment.start == dt.datetime.fromisoformat(start)
    if not current:
        logger.info("appointment %s changed again before its %s emails were sent; skipped", appointment.pk, event)
        return False
    sent = emails.appointment_emails_send(kind=event, appointment=appointment)
    logger.info("sent %s %s emails of appointment %s", sent, event, appointment.pk)
    return sent > 0


def appointment_reminder_send(
    *, appointment_id: int, start: str, due: str | None = None, now: dt.datetime | None = None
) -> bool:
    """Send the reminder due at `due`, once, if the appointment is still booked at `start`, has
    not begun and still plans that reminder. A reminder queued before a reschedule finds a
    different start, and one queued before a cancellation a cancelled session: nothing is sent.
    Once sent, the next planned reminder (an hour before, after the day before) is queued.

    The reminder is recorded before it is sent (so it is never sent twice) and the record is
    taken back if sending fails (so a retry can send it). Whether it was sent."""
    now = now or timezone.now()
    claim = services.appointment_reminder_claim(
        appointment_id=appointment_id, start=dt.datetime.fromisoformat(start), now=now,
        due=dt.datetime.fromisoformat(due) if due else None,
    )
    if claim is None:
        return False
    appointment = _appointment(appointment_id)
    if appointment is None:
        return False
    try:
        emails.appointment_emails_send(kind="reminder", appointment=appointment)
    except Exception:
        services.appointment_reminder_unclaim(appointment_id=appointment_id, claimed_at=now, claim=claim)
        raise
    logger.info("sent the reminder of appointment %s", appointment_id)
    reminder_schedule(appointment=appointment, now=now)
    return True


# --- Crisis follow-up ----------------------------------------------------------------------------


def escalate_after() -> dt.timedelta:
    return dt.timedelta(minutes=settings.CRISIS_ESCALATE_MINUTES)


def crisis_request_arrived(*, crisis_request_id: int, requested_at: dt.datetime) -> None:
    """Queue the coordinators' email now and the escalation for later. The request has already
    committed when this runs: a failure to queue is logged, never turned into an error for
    the person who asked (they have been shown 988 and 911 whatever happens here)."""
    try:
        tasks.send_crisis_request_notice.enqueue(crisis_request_id=crisis_request_id)
    except Exception:
        logger.exception("could not queue the coordinators' email of crisis request %s", crisis_request_id)
    try:
        escalation = tasks.escalate_crisis_request
        if not escalation.get_backend().supports_defer:
            logger.warning("the task backend cannot run tasks later: no escalation for crisis request %s",
                           crisis_request_id)
            return
        escalation.using(run_after=requested_at + escalate_after()).enqueue(crisis_request_id=crisis_request_id)
    except Exception:
        logger.exception("could not queue the escalation of crisis request %s", crisis_request_id)


def crisis_notice_send(*, crisis_request_id: int) -> int:
    """Email every active coordinator that a person asked to be contacted; the number sent."""
    if not CrisisRequest.objects.filter(pk=crisis_request_id).exists():
        return 0
    sent = emails.crisis_emails_send(escalation=False, roles=emails.CRISIS_NOTICE_ROLES)
    if sent is None:
        logger.warning("crisis request %s: there is no coordinator account to email", crisis_request_id)
        return 0
    logger.info("crisis request %s: emailed %s coordinators", crisis_request_id, sent)
    return sent


def crisis_escalation_send(*, crisis_request_id: int, now: dt.datetime | None = None) -> int:
    """Email every active coordinator and admin, once, if the request is still open with no
    contact attempt recorded; the number sent (0 when an attempt was recorded meanwhile)."""
    now = now or timezone.now()
    with transaction.atomic():
        if not services.crisis_escalation_mark(crisis_request_id=crisis_request_id, now=now):
            logger.info("crisis request %s: an attempt was recorded or it was closed; no escalation",
                        crisis_request_id)
            return 0
        # Sent inside the transaction: if sending fails, the mark is taken back and a retry sends.
        sent = emails.crisis_emails_send(escalation=True, roles=emails.CRISIS_ESCALATION_ROLES)
    if sent is None:
        logger.warning("crisis request %s: no attempt after %s minutes and there is no coordinator or admin "
                       "account to email", crisis_request_id, settings.CRISIS_ESCALATE_MINUTES)
        return 0
    logger.warning("crisis request %s: no attempt after %s minutes; emailed %s coordinators and admins",
                   crisis_request_id, settings.CRISIS_ESCALATE_MINUTES, sent)
    return sent


# --- After a no-show -------------------------------------------------------------------------------


def no_show_note_queue(*, appointment_id: int) -> None:
    """Queue the kind note to a client who missed a session. The marking has committed when this
    runs: a failure to queue is logged, not turned into an error for the provider."""
    try:
        tasks.send_no_show_note.enqueue(appointment_id=appointment_id)
    except Exception:
        logger.exception("could not queue the no-show note of appointment %s", appointment_id)


def no_show_note_send(*, appointment_id: int) -> bool:
    """Send the note if the session is still recorded as missed; whether it was sent."""
    appointment = _appointment(appointment_id)
    if appointment is None or appointment.status != Status.NO_SHOW:
        return False
    sent = emails.no_show_note_send(appointment=appointment)
    logger.info("sent the no-show note of appointment %s", appointment_id)
    return sent


# --- A series booked -------------------------------------------------------------------------------


def series_booked(*, series_id: int) -> None:
    """After a series has committed: each session's questionnaire and reminders as for any
    booking, and one email to each party about the whole series (queued). Failures are logged,
    not turned into an error for the provider who booked."""
    try:
        for appointment in Appointment.objects.filter(series_id=series_id, status=Status.BOOKED).only(
            "pk", "start", "status", "reminder_due_at"
        ):
            questionnaires_for_appointment(event="booked", appointment_id=appointment.pk)
            reminder_schedule(appointment=appointment)
        tasks.send_series_email.enqueue(series_id=series_id)
    except Exception:
        logger.exception("could not queue the emails of series %s", series_id)


def series_notice_send(*, series_id: int) -> int:
    """Send both parties the email about a series; the number sent."""
    series = Series.objects.select_related("provider__user", "client__user").filter(pk=series_id).first()
    if series is None:
        return 0
    sent = emails.series_emails_send(series=series)
    logger.info("sent %s emails of series %s", sent, series_id)
    return sent

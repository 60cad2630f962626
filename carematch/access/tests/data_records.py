"""A client with one (or more) of every kind of record carematch holds about clients, for the
export, closing and purge tests. Every text is synthetic and easy to find in a download."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from carematch.access import audit
from carematch.accounts.models import Client, Role, User
from carematch.accounts.tests.factories import UserFactory
from carematch.care import services as care
from carematch.care.models import ProviderNote, ProviderNoteVersion
from carematch.coverage import services as coverage
from carematch.coverage.models import EligibilityCheck
from carematch.directory.models import Provider
from carematch.matching.models import WaitlistEntry
from carematch.measures import links
from carematch.measures import services as measures
from carematch.measures.models import Alert, FortnightlyPlan, QuestionnaireRequest, SessionRating
from carematch.measures.tests.factories import phq9, provider_user
from carematch.messaging import services as messaging
from carematch.scheduling import services as scheduling
from carematch.scheduling.models import (
    Appointment,
    CareRequest,
    CrisisRequest,
    Format,
    IdempotencyRecord,
    Series,
    Status,
)
from carematch.scheduling.tests.factories import ClientFactory

NOW = dt.datetime(2027, 1, 10, 17, 0, tzinfo=dt.UTC)
PAST = dt.datetime(2027, 1, 4, 16, 0, tzinfo=dt.UTC)
FUTURE = dt.datetime(2027, 1, 20, 16, 0, tzinfo=dt.UTC)

MEMBER_ID = "ZX55501234"
CONTACT_NAME = "Robin Contactperson"
CONTACT_PHONE = "+13035550123"
CONTACT_EMAIL = "robin.contact@example.test"
OPEN_CONTACT_PHONE = "+13035550188"
CRISIS_MESSAGE = "Please call after six, my phone is off at work"
CRISIS_NOTE = "Reached them; safety plan reviewed, appointment brought forward"
CHECK_IN_NOTE = "Walked along the creek after lunch"
REMOVED_CHECK_IN_NOTE = "An entry the client later removed"
ALERT_NOTE = "Called the client; they are safe and have a plan"
NOTE_BODY = "Discussed sleep routine; client wants to try a wind-down hour"
REMOVED_NOTE_BODY = "A note its author removed"
GOAL_FIRST = "Sleep through the night more often"
GOAL_REVISED = "Sleep through the night at least four nights a week"
IDEMPOTENCY_KEY = "booking-key-3f9a1c"
MESSAGE_TEXT = "Running late for Thursday, see you at ten past"
JOURNAL_TEXT = "Wrote this after the session: less tight in the chest today"


@dataclass
class Record:
    client: Client
    provider: Provider
    coordinator: User
    past: Appointment
    future: Appointment
    cancelled: Appointment
    hold: Appointment
    care_request: CareRequest
    crisis_closed: CrisisRequest
    crisis_open: CrisisRequest
    waitlist: WaitlistEntry
    open_request: QuestionnaireRequest
    alert: Alert
    removed_check_in: Any
    removed_note: ProviderNote


def _appointment(provider: Provider, client: Client, start: dt.datetime, status: str, **extra: Any) -> Appointment:
    return Appointment.objects.create(
        provider=provider, client=client, start=start, end=start + dt.timedelta(minutes=50),
        format=Format.TELEHEALTH, status=status, **extra,
    )


def full_record(**client_fields: Any) -> Record:
    client_fields.setdefault("user__preferred_name", "Sammy")
    client = ClientFactory.create(**client_fields)
    provider = provider_user()
    coordinator = UserFactory.create(role=Role.COORDINATOR, preferred_name="Casey")
    past = _appointment(provider, client, PAST, Status.COMPLETED, booked_at=PAST - dt.timedelta(days=3))
    future = _appointment(provider, client, FUTURE, Status.BOOKED, booked_at=NOW - dt.timedelta(days=1))
    cancelled = _appointment(provider, client, FUTURE + dt.timedelta(days=1), Status.CANCELLED,
                             booked_at=NOW - dt.timedelta(days=2), cancelled_at=NOW - dt.timedelta(days=1),
                             cancelled_by=provider.user, cancelled_by_role=Role.PROVIDER)
    hold = _appointment(provider, client, FUTURE + dt.timedelta(days=2), Status.HELD,
                        hold_expires_at=NOW + dt.timedelta(minutes=10))
    # The future session stands for a weekly series booked after the past one.
    series = Series.objects.create(provider=provider, client=client, origin=past, every_weeks=1,
                                   local_time=PAST.astimezone(dt.UTC).time(), timezone=provider.timezone, count=2,
                                   skipped=[{"start": (FUTURE + dt.timedelta(weeks=1)).isoformat(),
                                             "reason": "A federal holiday, which the provider does not work."}],
                                   created_at=PAST, created_by=provider.user)
    Appointment.objects.filter(pk=future.pk).update(series=series)
    care_request = CareRequest.objects.create(
        client=client, requested_at=PAST - dt.timedelta(days=4), crisis=True, first_appointment=past, first_start=PAST,
    )
    crisis_closed = scheduling.crisis_request_create(
        channel="page", name=CONTACT_NAME, phone=CONTACT_PHONE, email=CONTACT_EMAIL, state="CO",
        message=CRISIS_MESSAGE, care_request_id=care_request.pk, now=PAST - dt.timedelta(days=4),
    )
    scheduling.crisis_attempt_record(crisis_request=crisis_closed, outcome="reached", note=CRISIS_NOTE,
                                     by=coordinator, now=PAST - dt.timedelta(days=4) + dt.timedelta(minutes=9))
    crisis_open = scheduling.crisis_request_create(channel="api", phone=OPEN_CONTACT_PHONE, state="CO", client=client,
                                                   now=NOW - dt.timedelta(hours=1))
    waitlist = WaitlistEntry.objects.create(
        client=client, care_request=care_request, request={"concerns": ["insomnia"], "state": "CO"},
        created_at=PAST - dt.timedelta(days=4),
    )
    salt = links.new_salt()
    open_request = QuestionnaireRequest.objects.create(
        client=client, provider=provider, instruments=["phq9", "gad7"], reason="on_demand", salt=salt,
        digest=links.digest_for_salt(salt), created_at=NOW - dt.timedelta(days=1),
        expires_at=NOW + dt.timedelta(days=6),
    )
    recorded = measures.assessments_record(
        client=client, responses=[measures.Response("phq9", phq9(12, item9=1), 1)], by=client.user,
        now=PAST - dt.timedelta(hours=2),
    )
    alert = Alert.objects.get(assessment=recorded.assessments[0])
    alert = measures.alert_acknowledge(alert=alert, by=coordinator, note=ALERT_NOTE, now=PAST - dt.timedelta(hours=1))
    SessionRating.objects.create(appointment=past, client=client, provider=provider, score=9,
                                 rated_at=PAST + dt.timedelta(hours=2))
    FortnightlyPlan.objects.create(client=client, provider=provider, next_due_at=NOW + dt.timedelta(days=5))
    goal = care.goal_create(client=client, by=client.user, text=GOAL_FIRST, measure="self_rating", target=7,
                            target_date=dt.date(2027, 4, 1), now=PAST)
    care.goal_revise(goal=goal, by=client.user, text=GOAL_REVISED, measure="self_rating", target=8,
                     target_date=dt.date(2027, 4, 1), now=PAST + dt.timedelta(days=1))
    care.goal_rating_record(goal=goal, by=client.user, rating=5, now=PAST + dt.timedelta(days=2))
    activity = care.activity_add(client=client, by=client.user, kind="exercise", times=3, period="week",
                                 text="a walk", now=PAST)
    care.check_in_record(activity=activity, by=client.user, mood=6, note=CHECK_IN_NOTE,
                         now=PAST + dt.timedelta(days=1))
    removed_check_in = care.check_in_record(activity=activity, by=client.user, mood=4, note=REMOVED_CHECK_IN_NOTE,
                                            now=PAST + dt.timedelta(days=2))
    removed_check_in.deleted_at, removed_check_in.deleted_by = PAST + dt.timedelta(days=3), client.user
    removed_check_in.save(update_fields=["deleted_at", "deleted_by"])
    note = ProviderNote.objects.create(client=client, provider=provider, author=provider.user, appointment=past,
                                       created_at=PAST + dt.timedelta(hours=1))
    ProviderNoteVersion.objects.create(note=note, number=1, body=NOTE_BODY, author=provider.user,
                                       created_at=PAST + dt.timedelta(hours=1))
    conversation, _ = messaging.conversation_start(by=client.user, with_user=provider.user, now=PAST)
    messaging.message_send(conversation=conversation, sender=client.user, body=MESSAGE_TEXT, now=PAST)
    removed_note = ProviderNote.objects.create(client=client, provider=provider, author=provider.user,
                                               created_at=PAST + dt.timedelta(hours=2),
                                               deleted_at=PAST + dt.timedelta(hours=3), deleted_by=provider.user)
    ProviderNoteVersion.objects.create(note=removed_note, number=1, body=REMOVED_NOTE_BODY, author=provider.user,
                                       created_at=PAST + dt.timedelta(hours=2))
    journal_entry = care.journal_entry_write(client=client, by=client.user, body=JOURNAL_TEXT, now=PAST)
    care.journal_entry_share(entry=journal_entry, by=client.user, provider_id=provider.pk, now=PAST)
    IdempotencyRecord.objects.create(user=client.user, key=IDEMPOTENCY_KEY, fingerprint="f" * 64, appointment=future)
    coverage.coverage_set(client=client, payer="aetna", plan_id="GOLD-PPO", member_id=MEMBER_ID,
                          subscriber_first_name="Sam", subscriber_last_name="Rivera",
                          subscriber_birth_date="1985-03-02", relationship="self", today=NOW.date())
    EligibilityCheck.objects.create(
        client=client, reason="staff", requested_by=coordinator, payer="aetna", plan_id="GOLD-PPO",
        relationship="self", status="answered", active=True, in_network={"copay_usd": "25"},
        sentence="Your insurer says your coverage is active for mental health.", requested_at=PAST,
        sent_at=PAST, finished_at=PAST, control_number=None,
    )
    coverage.diagnosis_add(client=client, provider=provider, code="F41.1", by=provider.user, now=PAST)
    audit.record(None, action="view", resource_type="care_record", resource_id=client.pk, client=client,
                 actor=provider.user)
    return Record(client=client, provider=provider, coordinator=coordinator, past=past, future=future,
                  cancelled=cancelled, hold=hold, care_request=care_request, crisis_closed=crisis_closed,
                  crisis_open=crisis_open, waitlist=waitlist,
                  open_request=open_request, alert=alert, removed_check_in=removed_check_in,
                  removed_note=removed_note)

"""Crisis follow-up, the rules: a request to be contacted always has a way to reach the
person; attempts are rows of their own that close the request (reached, referred to
emergency services) or keep it open (no answer); the message and the notes are encrypted at
rest; requests from one address are limited; and the database keeps the history."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from carematch.access.closing import account_close
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import PASSWORD, UserFactory
from carematch.lib import crypto
from carematch.lib.errors import Conflict, Forbidden, InvalidInput, TooManyRequests
from carematch.scheduling import services
from carematch.scheduling.models import CareRequest, CrisisAttempt, CrisisRequest

from .factories import ClientFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 10, 15, 0, tzinfo=dt.UTC)
MESSAGE = "My flatmate is out until ten and I do not want to be alone"
NOTE = "Rang at 15:07, talked for twenty minutes; safety plan agreed, call again tomorrow"


def ask(**fields) -> CrisisRequest:
    fields = {"channel": "page", "name": "Ash", "phone": "(303) 555-0142", "state": "CO", "now": NOW} | fields
    return services.crisis_request_create(**fields)


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed names
        return cursor.fetchone()[0]


@pytest.fixture
def coordinator():
    return UserFactory(role=Role.COORDINATOR)


# --- Asking to be contacted -------------------------------------------------------------------------


def test_a_request_is_open_with_the_number_in_e164_and_the_state():
    request = ask(name="  Ash ", phone="303.555.0142", state="co")
    assert (request.status, request.name, request.phone, request.state, request.channel) == (
        "open", "Ash", "+13035550142", "CO", "page")
    assert request.requested_at == NOW and request.closed_at is None and request.client is None


def test_an_email_address_alone_is_a_way_to_reach_someone_who_cannot_take_a_call():
    request = ask(phone="", email="ash@example.test")
    assert (request.phone, request.email) == ("", "ash@example.test")


@pytest.mark.parametrize(("fields", "field", "problem"), [
    ({"phone": "", "email": ""}, "phone", "give a phone number (or an email address)"),
    ({"phone": "12"}, "phone", "not a phone number we can call"),
    ({"phone": "+1 555 0100"}, "phone", "not a phone number we can call"),
    ({"phone": "x" * 31}, "phone", "at most 30 characters"),
    ({"email": "not an address"}, "email", "not an email address"),
    ({"state": ""}, "state", "choose the state you are in"),
    ({"state": "ZZ"}, "state", "not a US state code"),
    ({"name": "A" * 101}, "name", "at most 100 characters"),
    ({"message": "m" * 2001}, "message", "at most 2000 characters"),
])
def test_a_request_without_a_way_to_reach_the_person_or_with_bad_details_is_refused(fields, field, problem):
    with pytest.raises(InvalidInput) as refused:
        ask(**fields)
    assert problem in refused.value.fields[field]
    assert not CrisisRequest.objects.exists()


def test_the_database_refuses_a_request_with_no_way_to_reach_the_person():
    with pytest.raises(IntegrityError), transaction.atomic():
        CrisisRequest.objects.create(channel="api", requested_at=NOW, state="CO")


def test_the_message_is_encrypted_at_rest_and_read_back():
    request = ask(message=MESSAGE)
    stored = raw("scheduling_crisisrequest", "message", request.pk)
    assert stored.startswith("enc1:") and MESSAGE not in stored
    assert CrisisRequest.objects.get(pk=request.pk).message == MESSAGE


def test_a_request_from_the_intake_flags_its_care_request_and_belongs_to_its_client():
    client = ClientFactory()
    care_request = CareRequest.objects.create(client=client, requested_at=NOW)
    request = ask(care_request_id=care_request.pk)
    care_request.refresh_from_db()
    assert care_request.crisis and request.care_request_id == care_request.pk and request.client == client


def test_signing_up_after_asking_makes_the_request_the_new_clients():
    care_request = CareRequest.objects.create(client=None, requested_at=NOW, crisis=True)
    request = ask(care_request_id=care_request.pk)
    client = ClientFactory()
    services.care_request_attach_client(request_id=care_request.pk, client=client)
    assert CrisisRequest.objects.get(pk=request.pk).client == client


def test_five_requests_an_hour_from_one_address_then_429_with_the_seconds_to_wait():
    for minute in range(5):
        ask(address="203.0.113.9", now=NOW + dt.timedelta(minutes=minute))
    with pytest.raises(TooManyRequests) as refused:
        ask(address="203.0.113.9", now=NOW + dt.timedelta(minutes=10))
    assert refused.value.status == 429 and refused.value.retry_after == 50 * 60
    assert "988" in refused.value.detail and "911" in refused.value.detail
    # Other addresses, callers that are not limited, and the same address an hour on are accepted.
    ask(address="203.0.113.10", now=NOW + dt.timedelta(minutes=10))
    ask(address=None, now=NOW + dt.timedelta(minutes=10))
    ask(address="203.0.113.9", now=NOW + dt.timedelta(minutes=60, seconds=1))
    assert CrisisRequest.objects.count() == 8


# --- Recording attempts -------------------------------------------------------------------------------


def test_no_answer_keeps_the_request_open_and_counts_each_attempt(coordinator):
    request = ask()
    for minutes in (5, 35):
        services.crisis_attempt_record(crisis_request=request, outcome="no_answer", note="No answer, no voicemail",
                                       by=coordinator, now=NOW + dt.timedelta(minutes=minutes))
    request.refresh_from_db()
    assert request.status == "open" and request.closed_at is None
    assert list(request.attempts.values_list("outcome", flat=True)) == ["no_answer", "no_answer"]


@pytest.mark.parametrize("outcome", ["reached", "referred_emergency"])
def test_reached_or_referred_to_emergency_services_closes_the_request_and_keeps_every_attempt(coordinator, outcome):
    request = ask()
    services.crisis_attempt_record(crisis_request=request, outcome="no_answer", note="Voicemail left",
                                   by=coordinator, now=NOW + dt.timedelta(minutes=4))
    attempt = services.crisis_attempt_record(crisis_request=request, outcome=outcome, note=NOTE, by=coordinator,
                                             now=NOW + dt.timedelta(minutes=9))
    request.refresh_from_db()
    assert (request.status, request.closed_at) == ("closed", NOW + dt.timedelta(minutes=9))
    assert [(a.outcome, a.by) for a in request.attempts.all()] == [("no_answer", coordinator), (outcome, coordinator)]
    assert attempt.note == NOTE
    with pytest.raises(Conflict):
        services.crisis_attempt_record(crisis_request=request, outcome="no_answer", note="Again", by=coordinator)
    assert request.attempts.count() == 2


def test_an_attempt_needs_a_known_outcome_and_a_note(coordinator):
    request = ask()
    with pytest.raises(InvalidInput) as refused:
        services.crisis_attempt_record(crisis_request=request, outcome="left_message", note="  ", by=coordinator)
    assert set(refused.value.fields) == {"outcome", "note"}
    with pytest.raises(InvalidInput) as too_long:
        services.crisis_attempt_record(crisis_request=request, outcome="reached", note="n" * 2001, by=coordinator)
    assert "note" in too_long.value.fields
    assert not CrisisAttempt.objects.exists()


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER])
def test_only_coordinators_and_admins_record_attempts(role):
    with pytest.raises(Forbidden):
        services.crisis_attempt_record(crisis_request=ask(), outcome="reached", note=NOTE,
                                       by=UserFactory(role=role))
    services.crisis_attempt_record(crisis_request=ask(), outcome="reached", note=NOTE,
                                   by=UserFactory(role=Role.ADMIN))


def test_the_note_is_encrypted_at_rest(coordinator):
    attempt = services.crisis_attempt_record(crisis_request=ask(), outcome="reached", note=NOTE, by=coordinator)
    stored = raw("scheduling_crisisattempt", "note", attempt.pk)
    assert stored.startswith("enc1:") and NOTE not in stored


def test_the_database_keeps_the_history_of_attempts_and_requests(coordinator):
    request = ask(message=MESSAGE)
    attempt = services.crisis_attempt_record(crisis_request=request, outcome="reached", note=NOTE, by=coordinator,
                                             now=NOW + dt.timedelta(minutes=3))
    for queryset, values in [
        (CrisisAttempt.objects.filter(pk=attempt.pk), {"outcome": "no_answer"}),
        (CrisisAttempt.objects.filter(pk=attempt.pk), {"note": "A different account of the call"}),
        (CrisisAttempt.objects.filter(pk=attempt.pk), {"at": NOW}),
        (CrisisRequest.objects.filter(pk=request.pk), {"message": "Something else"}),
        (CrisisRequest.objects.filter(pk=request.pk), {"requested_at": NOW + dt.timedelta(hours=1)}),
        # Reopening: closed_at is set once.
        (CrisisRequest.objects.filter(pk=request.pk), {"status": "open", "closed_at": None}),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            queryset.update(**values)
    # Clearing the coordinator (their account purged) is the one change allowed to an attempt.
    CrisisAttempt.objects.filter(pk=attempt.pk).update(by=None)


def test_rotate_keys_re_encrypts_the_message_and_notes_past_the_history_guard(coordinator):
    old_keys = list(crypto._keys())
    request = ask(message=MESSAGE)
    attempt = services.crisis_attempt_record(crisis_request=request, outcome="reached", note=NOTE, by=coordinator)

    def stored() -> tuple[str, str]:
        return (raw("scheduling_crisisrequest", "message", request.pk),
                raw("scheduling_crisisattempt", "note", attempt.pk))

    before = stored()
    new_key = Fernet.generate_key().decode()
    with override_settings(ENCRYPTION_KEYS=[new_key, *old_keys]):
        out = io.StringIO()
        call_command("rotate_keys", stdout=out)
    assert "scheduling.CrisisRequest.message: 1 re-encrypted" in out.getvalue()
    assert "scheduling.CrisisAttempt.note: 1 re-encrypted" in out.getvalue()
    assert all(new != old for new, old in zip(stored(), before, strict=True))
    with override_settings(ENCRYPTION_KEYS=[new_key]):  # the old key dropped
        assert CrisisRequest.objects.get(pk=request.pk).message == MESSAGE
        assert CrisisAttempt.objects.get(pk=attempt.pk).note == NOTE


# --- An account closed while a request waits -----------------------------------------------------------


def test_closing_an_account_keeps_an_open_requests_contact_until_a_coordinator_closes_it(coordinator):
    client = ClientFactory(user=UserFactory(role=Role.CLIENT))
    earlier = ask(client=client, now=timezone.now() - dt.timedelta(days=3))
    services.crisis_attempt_record(crisis_request=earlier, outcome="reached", note=NOTE, by=coordinator)
    waiting = ask(client=client, phone="(720) 555-0199", now=timezone.now() - dt.timedelta(minutes=5))

    account_close(user=client.user, password=PASSWORD, confirmation="close my account")

    earlier.refresh_from_db()
    waiting.refresh_from_db()
    assert (earlier.name, earlier.phone, earlier.email) == ("", "", "") and earlier.contact_erased_at is not None
    assert waiting.phone == "+17205550199" and waiting.is_open
    services.crisis_attempt_record(crisis_request=waiting, outcome="reached", note=NOTE, by=coordinator)
    waiting.refresh_from_db()
    assert (waiting.phone, waiting.status) == ("", "closed") and waiting.contact_erased_at is not None

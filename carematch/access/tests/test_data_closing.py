"""Closing a client account: what stops, what is removed, what is kept, and who is told."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.utils import timezone

from carematch.access import closing
from carematch.access.models import AccessEvent
from carematch.accounts import services as accounts
from carematch.accounts.models import ApiToken, Client, MfaDevice, RecoveryCode, User
from carematch.accounts.tests.factories import PASSWORD, UserFactory
from carematch.care.models import CheckIn, GoalVersion, JournalEntry, ProviderNote
from carematch.lib.errors import Conflict, Forbidden, InvalidInput
from carematch.matching.models import WaitlistEntry
from carematch.measures.models import Alert, Assessment, FortnightlyPlan, QuestionnaireRequest, SessionRating
from carematch.measures.tests.factories import at, run_due_tasks
from carematch.scheduling.models import Appointment, CalendarFeed, CareRequest, CrisisRequest, Status
from carematch.scheduling.services import calendar_feed_issue
from carematch.tests.helpers import inline_scripts

from . import data_records as r

pytestmark = pytest.mark.django_db


def _close_page(http, **fields):
    data = {"password": PASSWORD, "confirmation": closing.CONFIRMATION_PHRASE} | fields
    return http.post("/account/data/close/", data)


def test_the_close_page_says_what_is_kept_for_how_long_and_what_is_removed(client):
    record = r.full_record()
    client.force_login(record.client.user)
    page = client.get("/account/data/close/")
    text = page.content.decode()
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert "Health records must be kept for 7 years" in text
    assert "Your upcoming sessions are cancelled and your providers are told" in text
    assert 'href="tel:988"' in text  # crisis resources stay in sight
    assert '<label for="id_password">Your password</label>' in text
    assert 'id="id_code"' not in text  # no authenticator app set up
    assert not inline_scripts(text) and "style=" not in text


def test_closing_from_the_page_does_everything_it_promises(client, django_capture_on_commit_callbacks):
    record = r.full_record()
    person = record.client
    user = person.user
    email = user.email
    _, raw_token = accounts.api_token_issue(user=user)
    calendar_feed_issue(user=user)
    generation = user.session_generation
    mail.outbox.clear()

    with at(r.NOW), django_capture_on_commit_callbacks(execute=True):
        client.force_login(user)
        response = _close_page(client)
    assert response.status_code == 302 and response["Location"] == "/account/data/closed/"
    with at(r.NOW):
        closed_page = client.get("/account/data/closed/")
    assert "Your account is closed" in closed_page.content.decode()
    assert "_auth_user_id" not in client.session  # logged out here

    # Future sessions cancelled through scheduling, holds released, the past left alone.
    future, hold, past = (Appointment.objects.get(pk=a.pk) for a in (record.future, record.hold, record.past))
    assert (future.status, future.cancelled_by_role, future.cancelled_at) == (Status.CANCELLED, "client", r.NOW)
    assert hold.status == Status.RELEASED and hold.booked_at is None and hold.cancelled_at == r.NOW
    assert past.status == Status.COMPLETED
    # The provider is told by the usual email; the closed address gets nothing.
    with at(r.NOW):
        run_due_tasks()
    assert [m.to for m in mail.outbox] == [[record.provider.user.email]]
    assert "The client cancelled a session booked with you" in mail.outbox[0].body
    # Waitlist, tokens, calendar address, questionnaire links, every-2-weeks questionnaires.
    assert not WaitlistEntry.objects.filter(client=person).exists()
    assert ApiToken.objects.get(user=user).revoked_at is not None
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw_token}").status_code == 401
    assert CalendarFeed.objects.get(user=user).revoked_at == r.NOW
    assert QuestionnaireRequest.objects.get(pk=record.open_request.pk).withdrawn_at == r.NOW
    assert FortnightlyPlan.objects.get(client=person).next_due_at is None
    # The login: sessions ended, inactive, no password, the address freed.
    user = User.objects.get(pk=user.pk)
    assert user.session_generation > generation
    assert not user.is_active and not user.has_usable_password()
    assert user.email != email and user.email.endswith(".invalid") and user.preferred_name == ""
    # Contact details and the ZIP removed; the legal record's identity kept.
    assert CareRequest.objects.get(pk=record.care_request.pk).crisis is True
    # A closed crisis request loses its contact details (its message and attempts are kept);
    # one still open keeps them until a coordinator closes it.
    closed = CrisisRequest.objects.get(pk=record.crisis_closed.pk)
    assert (closed.name, closed.phone, closed.email, closed.contact_erased_at) == ("", "", "", r.NOW)
    assert closed.message == r.CRISIS_MESSAGE and closed.attempts.get().note == r.CRISIS_NOTE
    still_open = CrisisRequest.objects.get(pk=record.crisis_open.pk)
    assert (still_open.phone, still_open.status, still_open.contact_erased_at) == (r.OPEN_CONTACT_PHONE, "open", None)
    person = Client.objects.get(pk=person.pk)
    assert person.closed_at == r.NOW and person.zip == ""
    assert (person.first_name, person.date_of_birth) == (record.client.first_name, record.client.date_of_birth)
    # The clinical record is kept for the retention period.
    assert Appointment.objects.filter(client=person).count() == 4
    assert Assessment.objects.filter(client=person).count() == 1
    assert Alert.objects.filter(client=person).count() == 1
    assert SessionRating.objects.filter(client=person).count() == 1
    assert GoalVersion.objects.filter(goal__client=person).count() == 2
    assert CheckIn.objects.filter(activity__client=person).count() == 2
    assert ProviderNote.objects.filter(client=person).count() == 2
    # The journal is kept too, and what was shared from it is private again.
    assert list(JournalEntry.objects.filter(client=person).values_list("shared_with", flat=True)) == [None]
    # And the closing is in the access log.
    event = AccessEvent.objects.get(client_id=person.pk, action="delete")
    assert (event.resource_type, event.actor_id, event.channel) == ("client_account", user.pk, "page")


def test_after_closing_the_person_cannot_log_in_and_can_sign_up_again_with_their_email(client):
    record = r.full_record()
    email = record.client.user.email
    with at(r.NOW):
        closing.account_close(user=record.client.user, password=PASSWORD, confirmation="Close my account")
    assert authenticate(username=email, password=PASSWORD) is None
    client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session

    # The address is free again: signing up with it makes a new account.
    fresh = accounts.user_create(email=email, password="gentle-river-stones", role="client")
    assert User.objects.get(email=email) == fresh
    assert fresh.pk != record.client.user.pk and fresh.is_active
    assert not Client.objects.filter(user=fresh).exists()  # a new account, not the closed record


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"password": "not-my-password"}, "password", "That is not your password."),
        ({"confirmation": "yes"}, "confirmation", 'Type "close my account" to confirm.'),
        ({"confirmation": ""}, "confirmation", "This field is required."),
    ],
)
def test_closing_without_the_password_or_the_typed_confirmation_changes_nothing(client, fields, field, message):
    record = r.full_record()
    with at(r.NOW):
        client.force_login(record.client.user)
        response = _close_page(client, **fields)
    assert response.status_code == 422
    assert message in response.context["form"].errors[field]
    assert f'id="id_{field}_error"' in response.content.decode()
    person = Client.objects.select_related("user").get(pk=record.client.pk)
    assert person.closed_at is None and person.user.is_active
    assert Appointment.objects.get(pk=record.future.pk).status == Status.BOOKED


def test_with_an_authenticator_app_closing_needs_a_current_code(client):
    record = r.full_record()
    user = record.client.user
    device = accounts.mfa_device_start(user=user)
    MfaDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    accounts._recovery_codes_issue(user=user, now=timezone.now())
    client.force_login(user)
    assert 'id="id_code"' in client.get("/account/data/close/").content.decode()

    response = _close_page(client, code="000000" if pyotp.TOTP(device.secret).now() != "000000" else "111111")
    assert response.status_code == 422 and "code" in response.context["form"].errors
    assert Client.objects.get(pk=record.client.pk).closed_at is None

    response = _close_page(client, code=pyotp.TOTP(device.secret).now())
    assert response.status_code == 302
    assert not MfaDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()


def test_closing_hours_before_a_session_is_never_counted_as_a_late_cancellation():
    # A person closing their account may be struggling; it is not held against them.
    record = r.full_record()
    with at(record.future.start - dt.timedelta(hours=2)):
        closing.account_close(user=record.client.user, password=PASSWORD, confirmation=closing.CONFIRMATION_PHRASE)
    future = Appointment.objects.get(pk=record.future.pk)
    assert future.status == Status.CANCELLED and future.late_cancellation is False


def test_closing_twice_is_refused_clearly():
    record = r.full_record()
    with at(r.NOW):
        closing.account_close(user=record.client.user, password=PASSWORD, confirmation=closing.CONFIRMATION_PHRASE)
    user = User.objects.get(pk=record.client.user.pk)
    with pytest.raises(Conflict, match="already closed"):
        closing.account_close(user=user, password=PASSWORD, confirmation=closing.CONFIRMATION_PHRASE)
    assert AccessEvent.objects.filter(client_id=record.client.pk, action="delete").count() == 1


def test_only_client_accounts_are_closed_here():
    provider_user = UserFactory(role="provider")
    with pytest.raises(Forbidden):
        closing.account_close(user=provider_user, password=PASSWORD, confirmation=closing.CONFIRMATION_PHRASE)
    assert User.objects.get(pk=provider_user.pk).is_active


def test_repeated_wrong_passwords_are_throttled():
    record = r.full_record()
    for _ in range(5):
        with pytest.raises(InvalidInput):
            closing.account_close(user=record.client.user, password="wrong-guess", confirmation="close my account",
                                  address="192.0.2.7")
    with pytest.raises(InvalidInput) as refused:
        closing.account_close(user=record.client.user, password=PASSWORD, confirmation="close my account",
                              address="192.0.2.7")
    assert refused.value.code == "throttled"
    assert Client.objects.get(pk=record.client.pk).closed_at is None


# --- The API --------------------------------------------------------------------------------------


def test_the_api_closes_the_token_holders_account(client):
    record = r.full_record()
    _, raw = accounts.api_token_issue(user=record.client.user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    wrong = client.post("/api/v1/me/close", {"password": "nope", "confirmation": "close my account"},
                        content_type="application/json", **auth)
    assert wrong.status_code == 422
    assert wrong.json()["fields"] == {"password": "that is not your password"}

    with at(r.NOW):
        response = client.post("/api/v1/me/close", {"password": PASSWORD, "confirmation": "close my account"},
                               content_type="application/json", **auth)
    assert response.status_code == 200
    body = response.json()
    assert dt.datetime.fromisoformat(body["closed_at"]) == r.NOW
    assert dt.datetime.fromisoformat(body["kept_until"]) == r.NOW + dt.timedelta(days=2557)
    assert (body["cancelled_appointments"], body["released_holds"]) == (1, 1)
    assert AccessEvent.objects.get(client_id=record.client.pk, action="delete").channel == "api"
    # The token went with the account.
    assert client.post("/api/v1/me/close", {"password": PASSWORD, "confirmation": "close my account"},
                       content_type="application/json", **auth).status_code == 401


def test_the_api_refuses_to_close_other_roles(client):
    staff = UserFactory(role="coordinator")
    _, raw = accounts.api_token_issue(user=staff)
    response = client.post("/api/v1/me/close", {"password": PASSWORD, "confirmation": "close my account"},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403
    assert User.objects.get(pk=staff.pk).is_active


# --- What others see afterwards -------------------------------------------------------------------


def test_the_provider_sees_the_client_marked_closed(client):
    record = r.full_record()
    with at(r.NOW):
        closing.account_close(user=record.client.user, password=PASSWORD, confirmation=closing.CONFIRMATION_PHRASE)
    client.force_login(record.provider.user)
    caseload = client.get("/caseload/")
    assert caseload.status_code == 200
    assert "Account closed" in caseload.content.decode()
    progress = client.get(f"/caseload/{record.client.pk}/")
    assert progress.status_code == 200
    assert "Account closed" in progress.content.decode()

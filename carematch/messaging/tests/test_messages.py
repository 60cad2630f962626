"""Messages between a client and their care team: who may write to whom, the text never in
the database in the clear, emails that say only that a message waits (at most one a
conversation per 15 minutes), retraction within 5 minutes (shown and kept), the hourly
limit, crisis phrases, read state and the unread count, the access log, the export, closing
the account and erasing it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse

from carematch.access import closing, export
from carematch.access.models import AccessEvent
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import PASSWORD, UserFactory, auth_header
from carematch.lib.errors import Conflict, NotFound, TooManyRequests
from carematch.measures.models import Alert, AlertKind
from carematch.measures.tests.factories import START, appointment, at, in_care
from carematch.messaging import services
from carematch.messaging.models import Conversation, Kind, Message
from carematch.scheduling.models import Appointment, Format, Status
from carematch.scheduling.tests.factories import ClientFactory
from carematch.tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

# In the past, so that reading (at the real now) always comes after sending.
T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
TEXT = "Running five minutes late on Thursday, sorry"
CRISIS_TEXT = "Honestly I have been thinking about killing myself this week."
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def pair() -> tuple[Any, Any, Conversation]:
    client, provider = in_care(first_name="Avery", last_name="Quill")
    conversation, _ = services.conversation_start(by=client.user, with_user=provider.user, now=T0)
    return client, provider, conversation


def api(user: Any) -> tuple[HttpClient, dict[str, Any]]:
    return HttpClient(), auth_header(user)


def post_json(http: HttpClient, path: str, body: Any, headers: dict[str, Any]) -> Any:
    return http.post(path, data=json.dumps(body), content_type="application/json", **headers)


def raw_body(message_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM messaging_message WHERE id = %s", [message_id])
        return str(cursor.fetchone()[0])


# --- The text at rest -------------------------------------------------------------------------------


def test_the_database_column_holds_no_message_text():
    client, _provider, conversation = pair()
    sent = services.message_send(conversation=conversation, sender=client.user, body=TEXT, now=T0)
    stored = raw_body(sent.message.pk)
    assert stored.startswith("enc1:")
    assert TEXT not in stored and "Thursday" not in stored and "late" not in stored
    assert Message.objects.get(pk=sent.message.pk).body == TEXT


# --- Who may write to whom ----------------------------------------------------------------------------


def test_a_client_writes_only_to_a_provider_they_have_an_appointment_with():
    client, provider, conversation = pair()
    assert conversation.kind == Kind.PROVIDER and conversation.provider == provider
    again, created = services.conversation_start(by=provider.user, with_user=client.user, now=T0)
    assert again == conversation and not created
    stranger = in_care()[1]  # a provider with another client
    with pytest.raises(NotFound):
        services.conversation_start(by=client.user, with_user=stranger.user, now=T0)
    with pytest.raises(NotFound):
        services.conversation_start(by=stranger.user, with_user=client.user, now=T0)
    # A hold is not an appointment.
    held = START + dt.timedelta(days=1)
    Appointment.objects.create(provider=stranger, client=client, start=held, end=held + dt.timedelta(minutes=50),
                               format=Format.TELEHEALTH, status=Status.HELD, hold_expires_at=held)
    with pytest.raises(NotFound):
        services.conversation_start(by=client.user, with_user=stranger.user, now=T0)


def test_the_care_team_conversation_is_the_clients_and_every_coordinators():
    client, _provider, _ = pair()
    coordinator = UserFactory(role=Role.COORDINATOR)
    other_coordinator = UserFactory(role=Role.COORDINATOR)
    team, created = services.conversation_start(by=client.user, with_user=coordinator, now=T0)
    assert created and team.kind == Kind.CARE_TEAM and team.provider is None
    assert services.conversation_start(by=other_coordinator, with_user=client.user, now=T0) == (team, False)
    assert services.conversation_start(by=client.user, care_team=True, now=T0) == (team, False)
    with pytest.raises(NotFound):
        services.conversation_start(by=coordinator, with_user=other_coordinator, now=T0)


def test_the_api_starts_a_conversation_with_201_then_opens_it_with_200_and_hides_others_with_404():
    client, provider = in_care()
    http, headers = api(client.user)
    first = post_json(http, "/api/v1/conversations", {"with_user_id": provider.user.pk}, headers)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["with"] == {"id": provider.user.pk, "name": provider.display_name, "role": "provider"}
    assert post_json(http, "/api/v1/conversations", {"with_user_id": provider.user.pk}, headers).status_code == 200
    other = ClientFactory()
    assert_error_shape(post_json(http, "/api/v1/conversations", {"with_user_id": other.user.pk}, headers), 404)
    listed = http.get("/api/v1/conversations", **headers).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
    assert set(listed["items"][0]) == {"id", "with", "unread", "last_message_at", "closed"}


# --- Sending, and what a bad message is told ------------------------------------------------------


def test_an_empty_or_too_long_message_is_refused_naming_the_body():
    client, _provider, conversation = pair()
    http, headers = api(client.user)
    path = f"/api/v1/conversations/{conversation.pk}/messages"
    empty = assert_error_shape(post_json(http, path, {"body": "   "}, headers), 422)
    assert "body" in empty["fields"]
    long = assert_error_shape(post_json(http, path, {"body": "x" * 4001}, headers), 422)
    assert "4000" in long["fields"]["body"]
    assert not Message.objects.exists()
    ok = post_json(http, path, {"body": "x" * 4000}, headers)
    assert ok.status_code == 201
    assert set(ok.json()) >= {"id", "body", "sent_at", "sender_id"}


def test_polling_with_after_returns_only_newer_messages_and_answers_the_browser_session():
    client, provider, conversation = pair()
    first = services.message_send(conversation=conversation, sender=client.user, body="First", now=T0).message
    services.message_send(conversation=conversation, sender=provider.user, body="Second", now=T0)
    browser = HttpClient()
    browser.force_login(client.user)
    path = f"/api/v1/conversations/{conversation.pk}/messages"
    answer = browser.get(path, {"after": first.pk})
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [m["body"] for m in items] == ["Second"] and items[0]["from_you"] is False
    assert items[0]["sender"] == provider.display_name
    # The session reads; it never sends (that needs the API token).
    assert_error_shape(browser.post(path, data=json.dumps({"body": "Hi"}), content_type="application/json"), 401)


# --- The hourly limit -----------------------------------------------------------------------------


def test_more_than_the_hourly_limit_is_answered_429_in_the_error_shape_and_as_a_form_error(settings, time_machine):
    settings.MESSAGE_RATE_PER_HOUR = 3
    time_machine.move_to(T0, tick=False)
    client, _provider, conversation = pair()
    http, headers = api(client.user)
    path = f"/api/v1/conversations/{conversation.pk}/messages"
    for n in range(3):
        assert post_json(http, path, {"body": f"Message {n}"}, headers).status_code == 201
    refused = post_json(http, path, {"body": "One more"}, headers)
    body = assert_error_shape(refused, 429)
    assert body["error"] == "rate_limited" and "body" in body["fields"]
    assert int(refused["Retry-After"]) == 3600
    page = HttpClient()
    page.force_login(client.user)
    shown = page.post(reverse("messaging:conversation", args=[conversation.pk]), {"body": "And another"})
    assert shown.status_code == 429
    assert "messages in the last hour" in shown.content.decode()
    assert Message.objects.count() == 3
    time_machine.move_to(T0 + dt.timedelta(hours=1, seconds=1), tick=False)
    assert post_json(http, path, {"body": "An hour later"}, headers).status_code == 201


# --- Emails -----------------------------------------------------------------------------------------


def test_a_notice_email_carries_no_content_and_never_the_name_of_the_client_who_wrote(
        django_capture_on_commit_callbacks):
    client, provider, conversation = pair()
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        services.message_send(conversation=conversation, sender=client.user, body=TEXT, now=T0)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [provider.user.email]
    assert email.subject == "You have a new message on carematch"
    whole = email.subject + email.body
    for secret in (TEXT, "Thursday", client.first_name, client.last_name, client.user.email):
        assert secret not in whole
    assert f"/messages/{conversation.pk}/" in email.body
    # The provider's answer: the client is told, and again without the text.
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        services.message_send(conversation=conversation, sender=provider.user, body="See you Friday at 4",
                              now=T0 + dt.timedelta(minutes=1))
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == [client.user.email] and "Friday" not in mail.outbox[1].body


def test_at_most_one_email_per_conversation_per_15_minutes(django_capture_on_commit_callbacks):
    client, _provider, conversation = pair()
    for minutes in (0, 5, 14, 15, 16):
        with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
            services.message_send(conversation=conversation, sender=client.user, body=f"At {minutes}",
                                  now=T0 + dt.timedelta(minutes=minutes))
    # 0 sends; 5 and 14 are inside its window; 15 is the window's end and sends; 16 is inside that one.
    assert len(mail.outbox) == 2


def test_a_client_message_to_the_care_team_tells_every_coordinator_without_the_text(
        django_capture_on_commit_callbacks):
    client, _provider, _ = pair()
    coordinators = [UserFactory(role=Role.COORDINATOR), UserFactory(role=Role.COORDINATOR)]
    team, _ = services.conversation_start(by=client.user, care_team=True, now=T0)
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        services.message_send(conversation=team, sender=client.user, body=TEXT, now=T0)
    assert sorted(email.to[0] for email in mail.outbox) == sorted(c.email for c in coordinators)
    assert all(TEXT not in email.body and client.last_name not in email.body for email in mail.outbox)


# --- Retraction -----------------------------------------------------------------------------------


def test_retraction_within_5_minutes_only_shown_and_kept():
    client, provider, conversation = pair()
    early = services.message_send(conversation=conversation, sender=client.user, body="Wrong day, ignore",
                                  now=T0).message
    late = services.message_send(conversation=conversation, sender=client.user, body=TEXT, now=T0).message
    with pytest.raises(Conflict):
        services.message_retract(message=late, by=client.user, now=T0 + dt.timedelta(minutes=5, seconds=1))
    retracted = services.message_retract(message=early, by=client.user, now=T0 + dt.timedelta(minutes=4))
    assert retracted.retracted_at == T0 + dt.timedelta(minutes=4)
    with pytest.raises(Conflict):
        services.message_retract(message=early, by=client.user, now=T0 + dt.timedelta(minutes=4, seconds=30))
    # Kept: the row and its (encrypted) text stay with the record.
    assert Message.objects.get(pk=early.pk).body == "Wrong day, ignore"
    # Shown as retracted, without its text, to both sides.
    http, headers = api(provider.user)
    items = http.get(f"/api/v1/conversations/{conversation.pk}/messages", **headers).json()["items"]
    assert items[0]["body"] == "" and items[0]["retracted_at"] is not None
    page = HttpClient()
    page.force_login(provider.user)
    html = page.get(reverse("messaging:conversation", args=[conversation.pk])).content.decode()
    assert "Message retracted" in html and "Wrong day" not in html and TEXT in html
    # Only its sender may retract (the API answers 403 to the other party).
    answer = post_json(http, f"/api/v1/messages/{late.pk}/retract", {}, headers)
    assert_error_shape(answer, 403)


# --- Crisis phrases -----------------------------------------------------------------------------


def test_a_client_message_with_a_crisis_phrase_shows_the_resources_and_alerts_provider_and_coordinators(
        django_capture_on_commit_callbacks):
    client, provider, conversation = pair()
    coordinator = UserFactory(role=Role.COORDINATOR)
    page = HttpClient()
    page.force_login(client.user)
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        answer = page.post(reverse("messaging:conversation", args=[conversation.pk]), {"body": CRISIS_TEXT},
                           follow=True)
    html = answer.content.decode()
    assert "You deserve support right now" in html
    assert 'href="tel:988"' in html and "741741" in html
    assert "not watched around the clock" in html
    alert = Alert.objects.get(client=client)
    assert alert.kind == AlertKind.MESSAGE_SELF_HARM and alert.provider == provider and alert.is_open
    assert Message.objects.get().crisis
    told = {email.to[0] for email in mail.outbox if email.subject == "A carematch alert needs your attention"}
    assert told == {provider.user.email, coordinator.email}
    assert all("killing" not in email.body for email in mail.outbox)
    # The resources are shown once, right after sending.
    again = page.get(reverse("messaging:conversation", args=[conversation.pk])).content.decode()
    assert "You deserve support right now" not in again


def test_the_api_answers_a_crisis_message_with_the_resources():
    client, _provider, conversation = pair()
    http, headers = api(client.user)
    answer = post_json(http, f"/api/v1/conversations/{conversation.pk}/messages", {"body": "I want to die"}, headers)
    body = answer.json()
    assert answer.status_code == 201 and body["crisis"] is True
    assert [r["contact"] for r in body["crisis_resources"]] == ["tel:988", "sms:741741", "tel:911"]
    calm = post_json(http, f"/api/v1/conversations/{conversation.pk}/messages", {"body": TEXT}, headers).json()
    assert calm["crisis"] is False and calm["crisis_resources"] is None
    assert Alert.objects.filter(kind=AlertKind.MESSAGE_SELF_HARM).count() == 1


def test_a_provider_quoting_a_crisis_phrase_raises_no_alert():
    _client, provider, conversation = pair()
    sent = services.message_send(conversation=conversation, sender=provider.user,
                                 body="If you ever think about suicide, call or text 988.", now=T0)
    assert not sent.crisis and not Alert.objects.exists()


def test_every_conversation_page_says_how_soon_replies_come_and_not_for_emergencies(settings):
    settings.MESSAGE_REPLY_HOURS = 36
    client, _provider, conversation = pair()
    page = HttpClient()
    page.force_login(client.user)
    for path in (reverse("messaging:conversation", args=[conversation.pk]), reverse("messaging:inbox")):
        html = page.get(path).content.decode()
        assert "within 36 hours" in html and "not for emergencies" in html


# --- Read state and the unread count --------------------------------------------------------------


def test_the_unread_count_and_the_inbox_put_unread_first_and_reading_clears_them():
    client, provider, conversation = pair()
    quiet_client = ClientFactory(first_name="Blake", last_name="Ember")
    appointment(provider, quiet_client, start=START + dt.timedelta(hours=2))
    quiet, _ = services.conversation_start(by=provider.user, with_user=quiet_client.user, now=T0)
    services.message_send(conversation=quiet, sender=provider.user, body="Hello Blake",
                          now=T0 + dt.timedelta(minutes=3))
    services.message_send(conversation=conversation, sender=client.user, body=TEXT, now=T0)
    page = HttpClient()
    page.force_login(provider.user)
    inbox = page.get(reverse("messaging:inbox")).content.decode()
    assert '<span class="visually-hidden"> unread</span>' in inbox
    assert inbox.index("Avery Quill") < inbox.index("Blake Ember")  # unread first, though older
    http, headers = api(provider.user)
    listed = http.get("/api/v1/conversations", **headers).json()["items"]
    assert [(c["with"]["name"], c["unread"]) for c in listed] == [("Avery Quill", 1), ("Blake Ember", 0)]
    page.get(reverse("messaging:conversation", args=[conversation.pk]))
    message = Message.objects.get(conversation=conversation)
    assert message.read_at is not None and message.read_by == provider.user
    assert "visually-hidden\"> unread" not in page.get(reverse("messaging:inbox")).content.decode()


def test_only_the_recipient_marks_a_message_read():
    client, provider, conversation = pair()
    message = services.message_send(conversation=conversation, sender=client.user, body=TEXT, now=T0).message
    http, headers = api(client.user)
    assert_error_shape(post_json(http, f"/api/v1/messages/{message.pk}/read", {}, headers), 403)
    http, headers = api(provider.user)
    read = post_json(http, f"/api/v1/messages/{message.pk}/read", {}, headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None


def test_the_pages_script_marks_what_arrived_on_screen_read_up_to_the_message_it_names():
    client, provider, conversation = pair()
    first = services.message_send(conversation=conversation, sender=client.user, body="One", now=T0).message
    second = services.message_send(conversation=conversation, sender=client.user, body="Two", now=T0).message
    page = HttpClient()
    page.force_login(provider.user)
    path = reverse("messaging:mark_read", args=[conversation.pk])
    assert page.post(path, {"up_to": "not a message"}).status_code == 400
    assert page.post(path, {"up_to": first.pk}).status_code == 204
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


# --- The access log -------------------------------------------------------------------------------


def test_every_read_of_a_conversation_and_every_message_sent_is_in_the_access_log():
    client, provider, conversation = pair()
    page = HttpClient()
    page.force_login(provider.user)
    page.get(reverse("messaging:conversation", args=[conversation.pk]))
    page.post(reverse("messaging:conversation", args=[conversation.pk]), {"body": "See you Friday"})
    events = AccessEvent.objects.filter(client_id=client.pk, actor_id=provider.user.pk)
    assert events.filter(action="view", resource_type="conversation", resource_id=str(conversation.pk)).exists()
    sent = Message.objects.get()
    assert events.filter(action="create", resource_type="message", resource_id=str(sent.pk),
                         result="succeeded").exists()
    stranger = in_care()[1]
    page.force_login(stranger.user)
    assert page.get(reverse("messaging:conversation", args=[conversation.pk])).status_code == 404
    assert AccessEvent.objects.filter(actor_id=stranger.user.pk, outcome="denied",
                                      resource_type="conversation").exists()


# --- Export, closing, erasing -----------------------------------------------------------------------


def test_the_export_holds_the_clients_own_conversations_only_and_no_retracted_text():
    client, provider, conversation = pair()
    services.message_send(conversation=conversation, sender=client.user, body=TEXT, now=T0)
    taken_back = services.message_send(conversation=conversation, sender=provider.user, body="Meant for someone else",
                                       now=T0).message
    services.message_retract(message=taken_back, by=provider.user, now=T0 + dt.timedelta(minutes=1))
    other = ClientFactory()
    appointment(provider, other, start=START + dt.timedelta(hours=2))
    theirs, _ = services.conversation_start(by=provider.user, with_user=other.user, now=T0)
    services.message_send(conversation=theirs, sender=other.user, body="Another client's private words", now=T0)
    data = export.client_export_json(client)
    assert [c["id"] for c in data["conversations"]] == [conversation.pk]
    messages = data["conversations"][0]["messages"]
    assert [m["body"] for m in messages] == [TEXT, None]
    assert messages[1]["retracted_at"] is not None
    assert messages[0]["sender"] == {"role": "client", "name": "you"}
    assert "Another client's private words" not in json.dumps(data)


def test_closing_the_account_closes_the_conversations_and_erasing_it_removes_them():
    client, provider, conversation = pair()
    services.message_send(conversation=conversation, sender=client.user, body=TEXT, now=T0)
    with at(T0 + dt.timedelta(hours=1)):
        closing.account_close(user=client.user, password=PASSWORD, confirmation=closing.CONFIRMATION_PHRASE)
    conversation.refresh_from_db()
    assert conversation.closed_at is not None
    with pytest.raises(Conflict):
        services.message_send(conversation=conversation, sender=provider.user, body="Are you there?",
                              now=T0 + dt.timedelta(hours=2))
    http, headers = api(provider.user)
    refused = post_json(http, f"/api/v1/conversations/{conversation.pk}/messages", {"body": "Hello?"}, headers)
    assert_error_shape(refused, 409)
    # Kept, read-only, for the retention period; then erased with the rest of the record.
    assert http.get(f"/api/v1/conversations/{conversation.pk}/messages", **headers).json()["count"] == 1
    report = closing.purge_expired(now=T0 + closing.retention_period() + dt.timedelta(days=1))
    assert report.clients == 1 and report.deleted["messaging.Message"] == 1
    assert not Conversation.objects.exists() and not Message.objects.exists()


def test_a_rate_limited_sender_waits_for_the_oldest_message_to_leave_the_hour(settings):
    settings.MESSAGE_RATE_PER_HOUR = 2
    client, _provider, conversation = pair()
    services.message_send(conversation=conversation, sender=client.user, body="one", now=T0)
    services.message_send(conversation=conversation, sender=client.user, body="two", now=T0 + dt.timedelta(minutes=10))
    with pytest.raises(TooManyRequests) as refused:
        services.message_send(conversation=conversation, sender=client.user, body="three",
                              now=T0 + dt.timedelta(minutes=20))
    assert refused.value.retry_after == 40 * 60


def test_a_spanish_client_message_with_a_crisis_phrase_raises_the_same_alert_and_shows_spanish_help(
        django_capture_on_commit_callbacks):
    client, provider, conversation = pair()
    page = HttpClient(HTTP_ACCEPT_LANGUAGE="es")
    page.force_login(client.user)
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        answer = page.post(reverse("messaging:conversation", args=[conversation.pk]),
                           {"body": "Ya no aguanto, a veces pienso en quitarme la vida."}, follow=True)
    html = answer.content.decode()
    assert "Usted merece apoyo ahora mismo" in html and 'href="tel:988"' in html
    alert = Alert.objects.get(client=client)
    assert alert.kind == AlertKind.MESSAGE_SELF_HARM and alert.provider == provider and alert.is_open
    assert Message.objects.get().crisis


def test_the_new_message_email_is_in_the_readers_own_language(django_capture_on_commit_callbacks):
    client, provider, conversation = pair()
    client.user.language = "es"
    client.user.save(update_fields=["language"])
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        services.message_send(conversation=conversation, sender=provider.user, body=TEXT, now=T0)
    [email] = [e for e in mail.outbox if e.to == [client.user.email]]
    assert email.subject == "Tiene un mensaje nuevo en carematch"
    assert "Inicie sesión para leerlo" in email.body and "988" in email.body and TEXT not in email.body

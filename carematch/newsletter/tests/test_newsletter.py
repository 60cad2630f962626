"""The newsletter: double opt-in, consent kept word for word, resumable sending to confirmed
subscribers only, and RFC 8058 one-click unsubscribe (no session, no CSRF token) where
nothing else works without them."""

from __future__ import annotations

import datetime as dt
import json
import re
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import CommandError, call_command
from django.test import Client, TestCase, override_settings
from django.utils import timezone

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.learn.tests.factories import article
from carematch.newsletter import services
from carematch.newsletter.models import (
    CONSENT_TEXT,
    Consent,
    Delivery,
    DeliveryStatus,
    Subscriber,
    SubscriberStatus,
)
from carematch.tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
SITE = "https://care.example.org"


def _subscribe(client: Client, email: str, topics: list[str] | None = None, address: str = "203.0.113.7") -> Any:
    return client.post("/api/v1/newsletter/subscriptions", json.dumps({"email": email, "topics": topics or ["coping"]}),
                       content_type="application/json", REMOTE_ADDR=address)


def _link(message: Any) -> str:
    return re.search(r"https?://\S+/newsletter/confirm/\S+/", message.body).group(0)


def _confirmed(email: str, topics: list[str] | None = None) -> Subscriber:
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.subscription_request(email=email, topics=topics or ["coping", "new_articles"],
                                      address="198.51.100.1")
    token = _link(mail.outbox[-1]).rstrip("/").rsplit("/", 1)[1]
    return services.subscription_confirm(token=token, address="198.51.100.1")


@override_settings(SITE_URL=SITE)
def test_subscribing_twice_sends_one_confirmation_and_the_same_answer(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _subscribe(client, "Sam@Example.org")
        second = _subscribe(client, "sam@example.org")
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["sam@example.org"]
    assert _link(mail.outbox[0]).startswith(SITE + "/newsletter/confirm/")
    # A known, confirmed address gets the same answer and no email either.
    subscriber = Subscriber.objects.get()
    token = _link(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    client.post(f"/newsletter/confirm/{token}/", REMOTE_ADDR="203.0.113.9")
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED
    with django_capture_on_commit_callbacks(execute=True):
        again = _subscribe(client, "sam@example.org", address="203.0.113.8")
    assert again.json() == first.json() and len(mail.outbox) == 1


@override_settings(SITE_URL=SITE)
def test_the_consent_keeps_the_words_the_time_and_the_address(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _subscribe(client, "ana@example.org", ["coping", "starting_therapy"], address="203.0.113.7")
    token = _link(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/newsletter/confirm/{token}/").status_code == 200  # asks; a mail scanner confirms nothing
    assert Subscriber.objects.get().status == SubscriberStatus.PENDING
    client.post(f"/newsletter/confirm/{token}/", REMOTE_ADDR="203.0.113.9")
    requested, confirmed = Consent.objects.order_by("id")
    assert requested.text.startswith(CONSENT_TEXT) and "Ways to cope between sessions" in requested.text
    assert (requested.kind, str(requested.address)) == ("requested", "203.0.113.7")
    assert (confirmed.kind, str(confirmed.address), confirmed.text) == ("confirmed", "203.0.113.9", requested.text)
    assert confirmed.at is not None
    # The link is single use.
    assert client.post(f"/newsletter/confirm/{token}/").status_code == 410


def test_a_confirmation_link_lasts_seven_days():
    now = timezone.now()
    services.subscription_request(email="late@example.org", topics=["coping"], address="198.51.100.1", now=now)
    assert services.confirmation_valid(token="nothing") is None
    pending = Subscriber.objects.get()
    later = now + dt.timedelta(days=7, seconds=1)
    # After seven days a new sign-up sends a new link.
    assert services.subscription_request(email="late@example.org", topics=["coping"], address="198.51.100.2",
                                         now=later)
    assert pending.confirmations.count() == 2


def test_bad_input_is_a_422_naming_the_field(client):
    body = assert_error_shape(_subscribe(client, "not-an-email", ["astrology"]), 422, "invalid_input")
    assert set(body["fields"]) == {"email", "topics"}
    assert not Subscriber.objects.exists()


@override_settings(NEWSLETTER_SIGNUPS_PER_HOUR=2)
def test_sign_ups_are_rate_limited_per_address(client):
    assert _subscribe(client, "a@example.org").status_code == 202
    assert _subscribe(client, "b@example.org").status_code == 202
    refused = _subscribe(client, "c@example.org")
    assert_error_shape(refused, 429, "rate_limited")
    assert int(refused["Retry-After"]) > 0
    assert _subscribe(client, "d@example.org", address="203.0.113.99").status_code == 202


def test_the_page_form_works_without_javascript_and_needs_its_csrf_token():
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/learn/").content.decode()
    assert 'action="/newsletter/"' in page
    token = browser.cookies["csrftoken"].value
    assert browser.post("/newsletter/", {"email": "x@example.org", "topics": ["coping"]}).status_code == 403
    response = browser.post("/newsletter/", {"email": "x@example.org", "topics": ["coping"],
                                             "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/newsletter/sent/"
    assert Subscriber.objects.get().email == "x@example.org"
    invalid = browser.post("/newsletter/", {"email": "nope", "csrfmiddlewaretoken": token})
    assert invalid.status_code == 200 and "Enter an email address" in invalid.content.decode()


def _send(*args: str) -> str:
    out = StringIO()
    with override_settings(TASKS=IMMEDIATE, SITE_URL=SITE):
        call_command("newsletter_send", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_an_unconfirmed_address_gets_no_newsletter():
    article(slug="breathing")
    confirmed = _confirmed("yes@example.org")
    services.subscription_request(email="pending@example.org", topics=["coping"], address="198.51.100.3")
    left = _confirmed("left@example.org")
    services.subscription_end(subscriber=left, address="198.51.100.3")
    mail.outbox.clear()
    _send("--subject", "This month", "--articles", "breathing")
    assert [m.to for m in mail.outbox] == [[confirmed.email]]


def test_every_message_carries_both_unsubscribe_headers_and_a_link_in_its_text():
    article(slug="breathing")
    subscriber = _confirmed("yes@example.org")
    mail.outbox.clear()
    _send("--subject", "This month", "--articles", "breathing")
    (message,) = mail.outbox
    token = services.manage_token(subscriber)
    assert message.extra_headers["List-Unsubscribe"] == f"<{SITE}/newsletter/unsubscribe/{token}/one-click/>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"{SITE}/newsletter/unsubscribe/{token}/" in message.body
    assert f"{SITE}/learn/breathing/" in message.body
    assert "988" in message.body


def test_the_topic_chooses_the_recipients_and_a_dry_run_sends_nothing():
    article(slug="breathing")
    _confirmed("coping@example.org", ["coping"])
    _confirmed("news@example.org", ["service_news"])
    mail.outbox.clear()
    assert "would go to 1 confirmed subscriber" in _send("--subject", "S", "--articles", "breathing", "--topic",
                                                         "coping", "--dry-run")
    assert mail.outbox == []
    _send("--subject", "S", "--articles", "breathing", "--topic", "coping")
    assert [m.to for m in mail.outbox] == [["coping@example.org"]]


def test_drafts_and_unknown_articles_are_refused():
    article(slug="draft", publish=False)
    with pytest.raises(CommandError, match=r"The articles are not all published \(not found or drafts: draft, nope\)"):
        _send("--subject", "S", "--articles", "draft,nope")


class FailsOnThird(EmailBackend):
    """The email server goes away after two messages, as a crash in the middle of a send."""

    sent = 0

    def send_messages(self, messages: Any) -> int:
        if FailsOnThird.sent >= 2:
            raise ConnectionError("the email server went away")
        FailsOnThird.sent += len(messages)
        return super().send_messages(messages)


def test_an_interrupted_send_resumed_sends_each_confirmed_subscriber_exactly_once():
    article(slug="breathing")
    people = [_confirmed(f"person{i}@example.org") for i in range(5)]
    mail.outbox.clear()
    FailsOnThird.sent = 0
    with override_settings(EMAIL_BACKEND=f"{__name__}.FailsOnThird", NEWSLETTER_BATCH_SIZE=10):
        first = _send("--subject", "This month", "--articles", "breathing")
    assert "2 sent, 1 failed" in first
    assert len(mail.outbox) == 2
    statuses = dict(Delivery.objects.values_list("subscriber__email", "status"))
    assert list(statuses.values()).count(DeliveryStatus.SENT) == 2
    # The second run resumes the same issue: only those who did not get it.
    second = _send("--subject", "This month", "--articles", "breathing")
    assert "Resuming issue" in second and "5 sent, 0 failed" in second
    received = sorted(m.to[0] for m in mail.outbox)
    assert received == sorted(p.email for p in people)
    # And a third run sends nobody anything.
    assert "nobody left to send to" in _send("--subject", "This month", "--articles", "breathing")
    assert len(mail.outbox) == 5


def test_a_claimed_recipient_is_never_sent_twice_even_if_the_run_died_after_sending():
    article(slug="breathing")
    people = [_confirmed(f"person{i}@example.org") for i in range(2)]
    issue, _ = services.issue_prepare(subject="S", slugs=["breathing"])
    # A run that sent to the first person and died before recording it leaves the claim behind.
    Delivery.objects.create(issue=issue, subscriber=people[0], status=DeliveryStatus.SENDING,
                            claimed_at=timezone.now())
    mail.outbox.clear()
    _send("--subject", "S", "--articles", "breathing")
    assert [m.to for m in mail.outbox] == [[people[1].email]]


def test_one_click_unsubscribe_works_without_session_or_csrf_token():
    subscriber = _confirmed("yes@example.org")
    token = services.manage_token(subscriber)
    mail_client = Client(enforce_csrf_checks=True)  # no cookies, no session, no token: what a mail client sends
    response = mail_client.post(f"/newsletter/unsubscribe/{token}/one-click/", "List-Unsubscribe=One-Click",
                                content_type="application/x-www-form-urlencoded", REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    withdrawn = Consent.objects.filter(subscriber=subscriber).latest("id")
    assert (withdrawn.kind, str(withdrawn.address)) == ("unsubscribed", "192.0.2.10")


def test_one_click_needs_the_subscribers_own_token_and_only_unsubscribes():
    subscriber = _confirmed("yes@example.org")
    other = _confirmed("other@example.org")
    mail_client = Client(enforce_csrf_checks=True)
    token = services.manage_token(subscriber)
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    assert mail_client.post(f"/newsletter/unsubscribe/{forged}/one-click/").status_code == 404
    assert mail_client.post(f"/newsletter/unsubscribe/{other.pk}-{token.split('-')[1]}/one-click/").status_code == 404
    assert mail_client.get(f"/newsletter/unsubscribe/{token}/one-click/").status_code == 405
    assert set(Subscriber.objects.values_list("status", flat=True)) == {SubscriberStatus.CONFIRMED}


def test_nothing_else_works_without_a_csrf_token():
    subscriber = _confirmed("yes@example.org")
    token = services.manage_token(subscriber)
    mail_client = Client(enforce_csrf_checks=True)
    for path, data in ((f"/newsletter/unsubscribe/{token}/", {}),
                       (f"/newsletter/manage/{token}/", {"topics": ["service_news"]}),
                       ("/newsletter/", {"email": "z@example.org", "topics": ["coping"]})):
        response = mail_client.post(path, data)
        assert response.status_code == 403, path
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.topics) == (SubscriberStatus.CONFIRMED, ["new_articles", "coping"])


def test_the_link_in_the_text_asks_then_unsubscribes_and_topics_can_be_changed(client):
    subscriber = _confirmed("yes@example.org")
    token = services.manage_token(subscriber)
    assert "Stop sending the newsletter" in client.get(f"/newsletter/unsubscribe/{token}/").content.decode()
    client.post(f"/newsletter/manage/{token}/", {"topics": ["service_news"]})
    subscriber.refresh_from_db()
    assert subscriber.topics == ["service_news"]
    client.post(f"/newsletter/unsubscribe/{token}/")
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert list(Consent.objects.filter(subscriber=subscriber).values_list("kind", flat=True)) == [
        "requested", "confirmed", "topics", "unsubscribed"]


def test_a_clients_account_page_shows_their_subscription(client):
    user = UserFactory(role=Role.CLIENT, email="client@example.org")
    client.force_login(user)
    assert "You do not get the newsletter" in client.get("/accounts/").content.decode()
    subscriber = _confirmed("client@example.org", ["coping"])
    page = client.get("/accounts/").content.decode()
    assert "Ways to cope between sessions" in page
    assert f"/newsletter/manage/{services.manage_token(subscriber)}/" in page


def test_consents_cannot_be_rewritten():
    from django.db import DatabaseError, transaction

    _confirmed("yes@example.org")
    with pytest.raises(DatabaseError), transaction.atomic():
        Consent.objects.update(text="I agreed to everything.")


def test_closing_a_client_account_ends_the_newsletter_to_its_address():
    from carematch.access import closing
    from carematch.accounts.tests.factories import PASSWORD
    from carematch.scheduling.tests.factories import ClientFactory

    person = ClientFactory(user__email="leaving@example.org")
    subscriber = _confirmed("leaving@example.org")
    closing.account_close(user=person.user, password=PASSWORD, confirmation=closing.CONFIRMATION_PHRASE)
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED and subscriber.unsubscribed_at is not None
    assert subscriber.consents.order_by("-at", "-pk").first().text.startswith("Unsubscribed when the carematch account")
    assert services.subscription_end_for_account(email="leaving@example.org") is False  # twice changes nothing


def test_a_clients_data_export_holds_their_subscription_and_its_consents():
    from carematch.access.export import client_export_json
    from carematch.scheduling.tests.factories import ClientFactory

    person = ClientFactory(user__email="reader@example.org")
    assert client_export_json(person)["newsletter_subscription"] is None
    _confirmed("reader@example.org", ["coping"])
    exported = client_export_json(person)["newsletter_subscription"]
    assert exported["status"] == "confirmed" and exported["topics"] == ["coping"]
    assert [consent["kind"] for consent in exported["consents"]] == ["requested", "confirmed"]
    assert exported["consents"][0]["text"] and exported["consents"][0]["address"] == "198.51.100.1"


def test_an_address_that_never_confirmed_is_erased_after_its_link_ran_out_and_confirmed_ones_stay():
    from carematch.access.closing import purge_expired

    now = timezone.now()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.subscription_request(email="never@example.org", topics=["coping"], address="198.51.100.9",
                                      now=now - dt.timedelta(days=40))
        services.subscription_request(email="lately@example.org", topics=["coping"], address="198.51.100.9",
                                      now=now - dt.timedelta(days=3))
    _confirmed("kept@example.org")
    report = purge_expired(now=now, dry_run=True)
    assert report.deleted["newsletter.Subscriber"] == 1 and Subscriber.objects.count() == 3  # counted, kept
    report = purge_expired(now=now)
    assert report.deleted["newsletter.Subscriber"] == 1 and report.deleted["newsletter.Consent"] == 1
    assert sorted(Subscriber.objects.values_list("email", flat=True)) == ["kept@example.org", "lately@example.org"]
    assert purge_expired(now=now).deleted["newsletter.Subscriber"] == 0  # again: nothing more


def test_a_page_offers_the_sign_up_once(client):
    """The footer offers the newsletter, except where the page itself already does (the library,
    the account page of a client) or is the newsletter's own (after signing up)."""
    signup = 'action="/newsletter/"'
    assert client.get("/toolkit/").content.decode().count(signup) == 1  # the footer
    assert client.get("/learn/").content.decode().count(signup) == 1  # the page's own form
    assert client.get("/newsletter/sent/").content.decode().count(signup) == 0
    client.force_login(UserFactory(role=Role.CLIENT, email="reader@example.org"))
    assert client.get("/accounts/").content.decode().count(signup) == 1  # the account page's own


@override_settings(SITE_URL=SITE)
def test_a_subscriber_keeps_the_language_they_signed_up_in_for_every_email(client,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/newsletter/", {"email": "lu@example.org", "topics": ["coping"]},
                             HTTP_ACCEPT_LANGUAGE="es", REMOTE_ADDR="203.0.113.7", follow=True)
    assert answer.status_code == 200 and "Gracias." in answer.content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.language == "es"
    [confirmation] = mail.outbox
    assert confirmation.subject == "Confirme su suscripción al boletín de carematch"
    assert "Para confirmar, abra este enlace" in confirmation.body
    token = _link(confirmation).rstrip("/").rsplit("/", 1)[1]
    client.post(f"/newsletter/confirm/{token}/", REMOTE_ADDR="203.0.113.9", HTTP_ACCEPT_LANGUAGE="es")
    consent = Consent.objects.order_by("id").last()
    assert consent is not None and consent.text.startswith("Sí, envíenme por correo el boletín de carematch")
    published = article(slug="breathing-basics")
    issue, _ = services.issue_prepare(subject="New this week", slugs=[published.slug])
    mail.outbox.clear()
    assert services.issue_deliver(issue_id=issue.pk, subscriber_ids=[subscriber.pk]) == 1
    [sent] = mail.outbox
    assert "Si está en crisis" in sent.body and "Darse de baja:" in sent.body
    assert published.title in sent.body  # the article itself stays in its own language

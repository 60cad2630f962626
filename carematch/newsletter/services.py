"""The newsletter's writes: asking to subscribe, confirming, topics, leaving, and sending an
issue one recipient at a time."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections import Counter
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import get_language, gettext

from carematch.accounts.throttle import window_retry_after
from carematch.learn.models import Article
from carematch.lib.errors import InvalidInput, NotFound, TooManyRequests
from carematch.lib.language import language_of, speaking

from .models import (
    CONFIRMATION_DAYS,
    CONSENT_TEXT,
    TOPICS,
    Confirmation,
    Consent,
    ConsentKind,
    Delivery,
    DeliveryStatus,
    Issue,
    SignupAttempt,
    Subscriber,
    SubscriberStatus,
)
from .selectors import subscriber_by_email

logger = logging.getLogger("carematch.newsletter")

SIGNUP_WINDOW = dt.timedelta(hours=1)


# --- Links ---------------------------------------------------------------------------------

def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def manage_token(subscriber: Subscriber) -> str:
    """The key in a subscriber's preference and unsubscribe links: their id and a keyed digest
    of their secret (a new secret ends every earlier link)."""
    mac = salted_hmac("carematch.newsletter.manage", f"{subscriber.pk}:{subscriber.secret}",
                      algorithm="sha256").hexdigest()[:40]
    return f"{subscriber.pk}-{mac}"


def subscriber_for_token(token: str) -> Subscriber | None:
    """The subscriber whose link holds `token`, or None for anything else."""
    head, _, mac = token.partition("-")
    if not head.isdigit() or len(head) > 18 or not mac:
        return None
    subscriber = Subscriber.objects.filter(pk=int(head)).first()
    if subscriber is None or not constant_time_compare(manage_token(subscriber), token):
        return None
    return subscriber


def manage_url(subscriber: Subscriber) -> str:
    return settings.SITE_URL + reverse("newsletter:preferences", args=[manage_token(subscriber)])


def unsubscribe_url(subscriber: Subscriber) -> str:
    return settings.SITE_URL + reverse("newsletter:unsubscribe", args=[manage_token(subscriber)])


def one_click_url(subscriber: Subscriber) -> str:
    return settings.SITE_URL + reverse("newsletter:one_click", args=[manage_token(subscriber)])


# --- Subscribing ---------------------------------------------------------------------------

def _clean(email: str, topics: Sequence[str]) -> tuple[str, list[str]]:
    problems = {}
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        problems["email"] = "must be an email address, like name@example.org"
    unknown = sorted(set(topics) - set(TOPICS))
    if unknown:
        problems["topics"] = f"holds topics carematch does not send: {', '.join(unknown)[:200]}"
    elif not topics:
        problems["topics"] = "must name at least one topic"
    if problems:
        raise InvalidInput.for_fields(problems, listing="names_and_problems")
    return email, [t for t in TOPICS if t in set(topics)]


def consent_text(topics: Sequence[str]) -> str:
    """The exact words a person agrees to, with the topics they chose."""
    return gettext("%(consent)s Topics: %(topics)s.") % {
        "consent": gettext(CONSENT_TEXT), "topics": "; ".join(str(TOPICS[t]) for t in topics)}


def subscription_request(*, email: str, topics: Sequence[str], address: str,
                         now: dt.datetime | None = None, language: str = "") -> bool:
    """Someone asks for the newsletter. The same answer for every address (the caller shows
    it whatever happens here); a confirmation link is emailed only when the address has none
    still valid and is not already subscribed. True when a link was sent (for tests and logs;
    never shown to the person). The subscriber keeps `language` (the page's, when not given)
    for the confirmation and every newsletter."""
    now = now or timezone.now()
    language = language_of(language or get_language())
    email, topics = _clean(email, topics)
    recent = SignupAttempt.objects.filter(address=address, at__gt=now - SIGNUP_WINDOW).values_list("at", flat=True)
    wait = window_retry_after(recent, limit=settings.NEWSLETTER_SIGNUPS_PER_HOUR, window=SIGNUP_WINDOW, now=now)
    if wait is not None:
        raise TooManyRequests(gettext("Too many sign-ups from this address. Please wait and try again."),
                              retry_after=wait)
    with transaction.atomic():
        SignupAttempt.objects.filter(at__lt=now - SIGNUP_WINDOW).delete()
        SignupAttempt.objects.create(address=address, at=now)
        subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
        if subscriber is not None and subscriber.status == SubscriberStatus.CONFIRMED:
            return False
        if (
            subscriber is not None
            and subscriber.confirmations.filter(used_at__isnull=True, expires_at__gt=now).exists()
        ):
            return False
        if subscriber is None:
            subscriber = Subscriber.objects.create(
                email=email, topics=topics, secret=secrets.token_urlsafe(32), created_at=now, language=language
            )
        else:
            subscriber.status = SubscriberStatus.PENDING
            subscriber.topics = topics
            subscriber.language = language
            subscriber.save(update_fields=["status", "topics", "language"])
        Consent.objects.create(
            subscriber=subscriber,
            kind=ConsentKind.REQUESTED,
            text=consent_text(topics),
            topics=topics,
            at=now,
            address=address or None,
        )
        token = secrets.token_urlsafe(32)
        Confirmation.objects.create(
            subscriber=subscriber,
            token_digest=token_digest(token),
            created_at=now,
            expires_at=now + dt.timedelta(days=CONFIRMATION_DAYS),
        )
        transaction.on_commit(lambda: _send_confirmation(email, token, language))
    return True


def _send_confirmation(email: str, token: str, language: str) -> None:
    url = settings.SITE_URL + reverse("newsletter:confirm", args=[token])
    with speaking(language):
        body = render_to_string("newsletter/email/confirm.txt", {"url": url, "days": CONFIRMATION_DAYS})
        subject = gettext("Confirm your carematch newsletter")
    EmailMessage(subject, body, to=[email]).send()


def confirmation_valid(*, token: str, now: dt.datetime | None = None) -> Confirmation | None:
    now = now or timezone.now()
    return (
        Confirmation.objects.select_related("subscriber")
        .filter(token_digest=token_digest(token), used_at__isnull=True, expires_at__gt=now)
        .first()
    )


def subscription_confirm(*, token: str, address: str, now: dt.datetime | None = None) -> Subscriber:
    """The emailed link used: the subscription starts, and the link is spent."""
    now = now or timezone.now()
    with transaction.atomic():
        confirmation = Confirmation.objects.select_for_update().filter(token_digest=token_digest(token)).first()
        if confirmation is None or confirmation.used_at is not None or confirmation.expires_at <= now:
            raise NotFound(
                gettext("This link has been used or has expired. Sign up again to get a new one."), code="link_expired"
            )
        confirmation.used_at = now
        confirmation.save(update_fields=["used_at"])
        subscriber = Subscriber.objects.select_for_update().get(pk=confirmation.subscriber_id)
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.confirmed_at = now
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["status", "confirmed_at", "unsubscribed_at"])
        Consent.objects.create(
            subscriber=subscriber,
            kind=ConsentKind.CONFIRMED,
            text=consent_text(subscriber.topics),
            topics=subscriber.topics,
            at=now,
            address=address or None,
        )
    return subscriber


def subscription_topics_set(
    *, subscriber: Subscriber, topics: Sequence[str], address: str, now: dt.datetime | None = None
) -> Subscriber:
    """New topics for a subscriber (at least one: leaving is unsubscribing)."""
    now = now or timezone.now()
    _, topics = _clean(subscriber.email, topics)
    with transaction.atomic():
        locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        locked.topics = topics
        locked.save(update_fields=["topics"])
        Consent.objects.create(
            subscriber=locked,
            kind=ConsentKind.TOPICS,
            text=consent_text(topics),
            topics=topics,
            at=now,
            address=address or None,
        )
    return locked


def subscription_end(
    *,
    subscriber: Subscriber,
    address: str,
    now: dt.datetime | None = None,
    reason: str = "Unsubscribed: send me no more newsletters.",
) -> Subscriber:
    """Unsubscribed: nothing more is sent; the consent record keeps `reason`. Doing it twice
    changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if locked.status == SubscriberStatus.UNSUBSCRIBED:
            return locked
        locked.status = SubscriberStatus.UNSUBSCRIBED
        locked.unsubscribed_at = now
        locked.save(update_fields=["status", "unsubscribed_at"])
        locked.confirmations.filter(used_at__isnull=True).update(used_at=now)
        Consent.objects.create(
            subscriber=locked, kind=ConsentKind.UNSUBSCRIBED, text=reason, topics=[], at=now, address=address or None
        )
    return locked


def subscription_end_for_account(*, email: str, now: dt.datetime | None = None) -> bool:
    """A client closed their carematch account: their address gets no more newsletters (the
    safer reading of "close my account"; they may sign up again). Whether one was ended."""
    subscriber = subscriber_by_email(email=email)
    if subscriber is None or subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        return False
    subscription_end(
        subscriber=subscriber,
        address="",
        now=now,
        reason="Unsubscribed when the carematch account of this address was closed.",
    )
    return True


# An address that never confirmed is kept this long after its last link ran out, then erased
# with its consents: it never agreed to anything, and nobody should keep it. Sign-up attempts
# (addresses counted for the rate limit) are kept a day.
UNCONFIRMED_KEPT = dt.timedelta(days=30)
ATTEMPTS_KEPT = dt.timedelta(days=1)


def unconfirmed_purge(*, now: dt.datetime | None = None) -> Counter[str]:
    """Erase subscribers who never confirmed and whose links all ran out UNCONFIRMED_KEPT ago,
    and sign-up attempts older than ATTEMPTS_KEPT. Rows erased, by model label."""
    now = now or timezone.now()
    cutoff = now - UNCONFIRMED_KEPT
    stale = Subscriber.objects.filter(status=SubscriberStatus.PENDING, created_at__lt=cutoff).exclude(
        confirmations__expires_at__gte=cutoff
    )
    counts: Counter[str] = Counter()
    with transaction.atomic():
        ids = list(stale.values_list("pk", flat=True))
        if ids:
            counts["newsletter.Consent"] = Consent.objects.filter(subscriber_id__in=ids).delete()[0]
            counts["newsletter.Confirmation"] = Confirmation.objects.filter(subscriber_id__in=ids).delete()[0]
            counts["newsletter.Subscriber"] = Subscriber.objects.filter(pk__in=ids).delete()[0]
        attempts = SignupAttempt.objects.filter(at__lt=now - ATTEMPTS_KEPT).delete()[0]
        if attempts:
            counts["newsletter.SignupAttempt"] = attempts
    return +counts


# --- Sending -------------------------------------------------------------------------------


def issue_prepare(
    *, subject: str, slugs: Sequence[str], topic: str = "", now: dt.datetime | None = None
) -> tuple[Issue, bool]:
    """The issue with this subject, articles and topic: made the first time, found again on the
    next run (to resume). The articles must all be published. (issue, made)."""
    from carematch.learn.selectors import published_articles_by_slug

    now = now or timezone.now()
    subject = subject.strip()
    slugs = [s.strip() for s in slugs if s.strip()]
    problems = {}
    if not subject or len(subject) > 200:
        problems["subject"] = "must be 1 to 200 characters"
    if not slugs:
        problems["articles"] = "must name at least one published article"
    else:
        _, missing = published_articles_by_slug(slugs=slugs)
        if missing:
            problems["articles"] = f"are not all published (not found or drafts: {', '.join(missing)})"
    if topic and topic not in TOPICS:
        problems["topic"] = f"must be one of {', '.join(TOPICS)}"
    if problems:
        raise InvalidInput.for_fields(
            problems, labels={"subject": "The subject", "articles": "The articles", "topic": "The topic"}
        )
    key = hashlib.sha256("\x1f".join([subject, ",".join(slugs), topic]).encode()).hexdigest()
    try:
        with transaction.atomic():
            return Issue.objects.create(
                key=key, subject=subject, article_slugs=slugs, topic=topic, created_at=now
            ), True
    except IntegrityError:
        return Issue.objects.get(key=key), False


def _message(issue: Issue, articles: list[Article], subscriber: Subscriber, connection: object) -> EmailMessage:
    with speaking(subscriber.language):
        body = render_to_string(
            "newsletter/email/issue.txt",
            {
                "issue": issue,
                "site": settings.SITE_URL,
                "articles": [
                    {"article": a, "url": settings.SITE_URL + reverse("learn:article", args=[a.slug])} for a in articles
                ],
                "manage_url": manage_url(subscriber),
                "unsubscribe_url": unsubscribe_url(subscriber),
            },
        )
    return EmailMessage(
        issue.subject,
        body,
        to=[subscriber.email],
        connection=connection,
        headers={
            # RFC 2369 and RFC 8058: a mail client may offer "Unsubscribe", which POSTs to this address.
            "List-Unsubscribe": f"<{one_click_url(subscriber)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _claim(issue: Issue, subscriber_id: int, now: dt.datetime) -> bool:
    """Whether this run may send to `subscriber_id`: a new delivery row, or one that failed before."""
    try:
        with transaction.atomic():
            Delivery.objects.create(
                issue=issue, subscriber_id=subscriber_id, status=DeliveryStatus.SENDING, claimed_at=now
            )
        return True
    except IntegrityError:
        return bool(
            Delivery.objects.filter(issue=issue, subscriber_id=subscriber_id, status=DeliveryStatus.FAILED).update(
                status=DeliveryStatus.SENDING, claimed_at=now
            )
        )


def issue_deliver(*, issue_id: int, subscriber_ids: Sequence[int]) -> int:
    """Send `issue_id` to those of `subscriber_ids` who are still confirmed (and want its topic)
    and have not had it: each claimed first, so that nobody gets it twice. A message the email
    back end refuses is marked failed and the batch stops (the error is raised); the next run
    tries it again. The number sent."""
    from carematch.learn.selectors import published_articles_by_slug

    issue = Issue.objects.get(pk=issue_id)
    articles, _ = published_articles_by_slug(slugs=issue.article_slugs)
    recipients = Subscriber.objects.filter(pk__in=list(subscriber_ids), status=SubscriberStatus.CONFIRMED)
    sent = 0
    connection = get_connection()
    for subscriber in recipients.order_by("pk"):
        if issue.topic and issue.topic not in subscriber.topics:
            continue
        now = timezone.now()
        if not _claim(issue, subscriber.pk, now):
            continue
        try:
            _message(issue, articles, subscriber, connection).send()
        except Exception:
            Delivery.objects.filter(issue=issue, subscriber=subscriber).update(status=DeliveryStatus.FAILED)
            logger.warning("newsletter issue %s: the email back end refused a message; stopping this batch", issue.pk)
            raise
        Delivery.objects.filter(issue=issue, subscriber=subscriber).update(
            status=DeliveryStatus.SENT, sent_at=timezone.now()
        )
        sent += 1
    return sent

"""Every write of the messaging app: starting a conversation, sending, reading and retracting
a message, and messaging's part of closing a client's account and of erasing it once the
retention period ends.

The pages and the API call the same functions. Who may take part is decided by the one
access policy (carematch.access.policy); the checks here refuse anything else as if the
conversation did not exist. A client's message that mentions suicide or self-harm opens a
safety alert through the measures app's alert path, in the same transaction as the message.
Emails are queued for the task worker once the message is committed, and say only that a
message is waiting. Logs name records by id only, never text or names.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from carematch.access import policy
from carematch.accounts.models import Client, Role, User
from carematch.accounts.throttle import window_retry_after
from carematch.directory.models import Provider
from carematch.lib.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from carematch.measures import services as measures

from . import safety, tasks
from .models import BODY_MAX, Conversation, Kind, Message

logger = logging.getLogger("carematch.messaging")

RETRACT_WINDOW = dt.timedelta(minutes=5)
NOTICE_INTERVAL = dt.timedelta(minutes=15)
RATE_WINDOW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Sent:
    message: Message
    # The text mentioned suicide or self-harm: the sender is shown the crisis resources now.
    crisis: bool


# --- Starting a conversation ----------------------------------------------------------------------


def _not_allowed() -> NotFound:
    return NotFound(
        gettext("There is nobody with that id you can write to."), fields={"with_user_id": gettext("not found")}
    )


def conversation_start(
    *, by: User, with_user: User | None = None, care_team: bool = False, now: dt.datetime | None = None
) -> tuple[Conversation, bool]:
    """The conversation between `by` and `with_user` (created when there is none yet) and
    whether it was created. A client writes to a provider they have or had an appointment
    with, or to any coordinator or to the care team (`care_team`) for the care team's
    conversation; a provider to a client in their care; a coordinator or admin to any client.
    Anyone else is NotFound, as if not there."""
    now = now or timezone.now()
    client: Client | None = None
    provider: Provider | None = None
    if care_team and with_user is None:
        client = getattr(by, "client", None) if policy.has_role(by, Role.CLIENT) else None
        if client is None or not policy.may_message_care_team(by, client):
            raise _not_allowed()
        return _conversation_get_or_create(client=client, provider=None, kind=Kind.CARE_TEAM, now=now)
    if with_user is None or not with_user.is_active or with_user.pk == by.pk:
        raise _not_allowed()
    if policy.has_role(by, Role.CLIENT) and getattr(by, "client", None) is not None:
        client = by.client
        if policy.has_role(with_user, Role.PROVIDER) and getattr(with_user, "provider", None) is not None:
            provider = with_user.provider
            allowed = policy.may_message_provider(by, client, provider)
        else:
            allowed = policy.is_staff_member(with_user) and policy.may_message_care_team(by, client)
    elif policy.has_role(with_user, Role.CLIENT) and getattr(with_user, "client", None) is not None:
        client = with_user.client
        if policy.has_role(by, Role.PROVIDER) and getattr(by, "provider", None) is not None:
            provider = by.provider
            allowed = policy.may_message_provider(by, client, provider)
        else:
            allowed = policy.may_message_care_team(by, client)
    else:
        allowed = False
    if not allowed or client is None:
        raise _not_allowed()
    kind = Kind.PROVIDER if provider is not None else Kind.CARE_TEAM
    return _conversation_get_or_create(client=client, provider=provider, kind=kind, now=now)


def _conversation_get_or_create(
    *, client: Client, provider: Provider | None, kind: str, now: dt.datetime
) -> tuple[Conversation, bool]:
    found = Conversation.objects.filter(client=client, provider=provider, kind=kind).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(client=client, provider=provider, kind=kind, created_at=now)
    except IntegrityError:
        # Started at the same moment by the other side: the database kept one.
        return Conversation.objects.get(client=client, provider=provider, kind=kind), False
    logger.info("conversation %s started", conversation.pk)
    return conversation, True


# --- Sending ----------------------------------------------------------------------------------


def clean_body(body: Any) -> str:
    """The text of a message as it will be stored, or InvalidInput naming `body`."""
    if not isinstance(body, str):
        raise InvalidInput(gettext("Write your message as text."), fields={"body": gettext("must be text")})
    text = body.strip()
    if not text:
        raise InvalidInput(
            gettext("Write a message before sending it."), fields={"body": gettext("this field is required")}
        )
    if "\x00" in text:
        raise InvalidInput(
            gettext("The message holds a NUL character, which is not allowed."),
            fields={"body": gettext("must not contain NUL characters")},
        )
    if len(text) > BODY_MAX:
        raise InvalidInput(
            gettext("The message is too long: keep it to %(max)s characters or split it.") % {"max": BODY_MAX},
            fields={"body": gettext("at most %(max)s characters") % {"max": BODY_MAX}},
        )
    return text


def rate_limit_retry_after(*, sender: User, now: dt.datetime) -> int | None:
    """None when `sender` may send one more message now; otherwise the seconds to wait."""
    times = Message.objects.filter(sender=sender, sent_at__gt=now - RATE_WINDOW).values_list("sent_at", flat=True)
    return window_retry_after(times, limit=settings.MESSAGE_RATE_PER_HOUR, window=RATE_WINDOW, now=now)


def _may_write(user: User, conversation: Conversation) -> bool:
    if conversation.kind == Kind.CARE_TEAM:
        return policy.may_message_care_team(user, conversation.client)
    return conversation.provider is not None and policy.may_message_provider(
        user, conversation.client, conversation.provider
    )


def message_send(*, conversation: Conversation, sender: User, body: Any, now: dt.datetime | None = None) -> Sent:
    """Send `body` in `conversation` as `sender`, one of its parties.

    Refused: a conversation `sender` is not in (NotFound), one that is closed (Conflict), an
    empty or too long text (InvalidInput), more than MESSAGE_RATE_PER_HOUR messages in the
    last hour (TooManyRequests). A client's text that matches the crisis phrase list opens a
    safety alert for their provider and the coordinators, in the same transaction. The other
    side is emailed (without the text) at most once a conversation per NOTICE_INTERVAL."""
    now = now or timezone.now()
    if not policy.conversation_visible(sender, conversation):
        raise NotFound(gettext("No conversation with that id."), fields={"conversation_id": gettext("not found")})
    if conversation.is_closed or conversation.client.closed_at is not None:
        raise Conflict(
            gettext("This conversation is closed: the client's account was closed."),
            fields={"conversation": gettext("closed")},
            code="conversation_closed",
        )
    text = clean_body(body)
    retry_after = rate_limit_retry_after(sender=sender, now=now)
    if retry_after is not None:
        raise TooManyRequests(
            gettext(
                "You have sent %(count)s messages in the last hour. Please wait a little before "
                "sending more. If you are in crisis, call or text 988 or call 911."
            )
            % {"count": settings.MESSAGE_RATE_PER_HOUR},
            retry_after=retry_after,
            fields={"body": gettext("too many messages in the last hour")},
        )
    from_client = policy.is_client_side(sender, conversation)
    if not _may_write(sender, conversation):
        # Visible but no longer open to this sender (e.g. the provider's link to the client ended).
        raise Conflict(
            gettext("You can no longer write in this conversation."),
            fields={"conversation": gettext("closed")},
            code="conversation_closed",
        )
    crisis = from_client and safety.mentions_crisis(text)
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if locked.closed_at is not None:
            raise Conflict(
                gettext("This conversation is closed: the client's account was closed."),
                fields={"conversation": gettext("closed")},
                code="conversation_closed",
            )
        message = Message.objects.create(
            conversation=locked, sender=sender, from_client=from_client, body=text, sent_at=now, crisis=crisis
        )
        Conversation.objects.filter(pk=locked.pk).update(last_message_at=now)
        if crisis:
            measures.message_alert_raise(client=locked.client, provider=locked.provider, now=now)
        _notice_claim(conversation=locked, to_client=not from_client, now=now)
    logger.info("message %s sent in conversation %s", message.pk, conversation.pk)
    return Sent(message=message, crisis=crisis)


def _notice_claim(*, conversation: Conversation, to_client: bool, now: dt.datetime) -> None:
    """Queue the email to the other side unless one went in the last NOTICE_INTERVAL. The
    claim is one conditional UPDATE, so two messages at once queue one email."""
    field = "client_notified_at" if to_client else "team_notified_at"
    due = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lte": now - NOTICE_INTERVAL})
    claimed = Conversation.objects.filter(due, pk=conversation.pk).update(**{field: now})
    if claimed:
        conversation_id = conversation.pk
        transaction.on_commit(lambda: _queue_notice(conversation_id, to_client))


def _queue_notice(conversation_id: int, to_client: bool) -> None:
    """A failure to queue is logged, never an error for the sender whose message is stored."""
    try:
        tasks.send_message_notice.enqueue(conversation_id=conversation_id, to_client=to_client)
    except Exception:
        logger.exception("could not queue the notice of conversation %s", conversation_id)


# --- Reading and retracting ----------------------------------------------------------------------


def _incoming(user: User, conversation: Conversation) -> Q:
    return Q(conversation=conversation, from_client=not policy.is_client_side(user, conversation))


def messages_read(
    *, conversation: Conversation, by: User, up_to: Message | None = None, now: dt.datetime | None = None
) -> int:
    """Mark the messages sent to `by` in `conversation` read (those up to `up_to` when given);
    how many were unread."""
    now = now or timezone.now()
    if not policy.conversation_visible(by, conversation):
        raise NotFound(gettext("No conversation with that id."), fields={"conversation_id": gettext("not found")})
    unread = Message.objects.filter(_incoming(by, conversation), read_at__isnull=True, sent_at__lte=now)
    if up_to is not None:
        unread = unread.filter(pk__lte=up_to.pk)
    return unread.update(read_at=now, read_by=by)


def message_read(*, message: Message, by: User, now: dt.datetime | None = None) -> Message:
    """Mark `message` (and the earlier ones sent to `by` in its conversation) read. Only the
    side it was sent to may (Forbidden for its own sender's side)."""
    if not policy.conversation_visible(by, message.conversation):
        raise NotFound(gettext("No message with that id."), fields={"message_id": gettext("not found")})
    if not policy.may_mark_read(by, message):
        raise Forbidden(gettext("Only the person a message was sent to can mark it read."))
    with transaction.atomic():
        messages_read(conversation=message.conversation, by=by, up_to=message, now=now)
    message.refresh_from_db()
    return message


def message_retract(*, message: Message, by: User, now: dt.datetime | None = None) -> Message:
    """Retract `message`: its sender, within RETRACT_WINDOW of sending. The row and its text
    are kept with the record; pages, the API and the export show only when it was retracted."""
    now = now or timezone.now()
    if not policy.conversation_visible(by, message.conversation):
        raise NotFound(gettext("No message with that id."), fields={"message_id": gettext("not found")})
    if not policy.may_retract_message(by, message):
        raise Forbidden(gettext("Only the person who sent a message can retract it."))
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.retracted_at is not None:
            raise Conflict(
                gettext("This message has already been retracted."),
                fields={"message": gettext("already retracted")},
                code="already_retracted",
            )
        if now - locked.sent_at > RETRACT_WINDOW:
            minutes = int(RETRACT_WINDOW.total_seconds() // 60)
            raise Conflict(
                gettext("A message can be retracted only within %(minutes)s minutes of sending it.")
                % {"minutes": minutes},
                fields={"message": gettext("too late to retract")},
                code="too_late",
            )
        locked.retracted_at = now
        locked.save(update_fields=["retracted_at"])
    logger.info("message %s retracted", locked.pk)
    return locked


# --- A client closing their account, and erasing it once the retention period ends ---------------


def conversations_close_for_client(*, client: Client, now: dt.datetime | None = None) -> int:
    """The client's account is closing: their conversations become read-only for everyone
    (messages are kept with the record). How many were closed."""
    now = now or timezone.now()
    return Conversation.objects.filter(client=client, closed_at__isnull=True).update(closed_at=now)


def messages_purge_for_client(*, client_id: int) -> Counter[str]:
    """Erase the client's conversations and their messages (the retention period has ended)."""
    deleted: Counter[str] = Counter()
    with transaction.atomic():
        for rows in (
            Message.objects.filter(conversation__client_id=client_id),
            Conversation.objects.filter(client_id=client_id),
        ):
            deleted.update({label: n for label, n in rows.delete()[1].items() if n})
    return deleted

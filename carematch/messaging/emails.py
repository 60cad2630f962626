"""The email that says a message is waiting. It carries no content and never names the
sender of a client's message (nor, to keep one rule, anyone at all): only that there is a
new message and the link to the conversation, where the reader signs in to see it."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy

from carematch.accounts.models import Role, User
from carematch.lib.language import speaking

from .models import Conversation, Kind

logger = logging.getLogger("carematch.messaging.emails")

SUBJECT = gettext_lazy("You have a new message on carematch")


def notice_recipients(conversation: Conversation, *, to_client: bool) -> list[str]:
    """The client; or the provider of a provider conversation; or every active coordinator
    for the care team's."""
    return [user.email for user in _notice_readers(conversation, to_client=to_client)]


def _notice_readers(conversation: Conversation, *, to_client: bool) -> list[User]:
    if to_client:
        user = conversation.client.user
        return [user] if user.is_active and user.email else []
    if conversation.kind == Kind.PROVIDER and conversation.provider is not None:
        provider_user = conversation.provider.user
        return [provider_user] if provider_user is not None and provider_user.is_active and provider_user.email else []
    people = User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("pk")
    return [user for user in people if user.email]


def message_notice_send(*, conversation_id: int, to_client: bool) -> int:
    """Email the side of `conversation_id` that a message waits for; the number sent."""
    conversation = (Conversation.objects.select_related("client__user", "provider__user")
                    .filter(pk=conversation_id).first())
    if conversation is None or conversation.closed_at is not None:
        return 0
    readers = _notice_readers(conversation, to_client=to_client)
    if not readers:
        logger.warning("conversation %s has nobody to tell by email", conversation_id)
        return 0
    url = settings.SITE_URL + reverse("messaging:conversation", args=[conversation.pk])
    messages = []
    for reader in readers:  # each in their own account's language
        with speaking(reader):
            body = render_to_string("messaging/email/new_message.txt", {"url": url})
            messages.append(EmailMessage(subject=str(SUBJECT), body=body, to=[reader.email]))
    with get_connection() as connection:
        sent = int(connection.send_messages(messages) or 0)
    logger.info("sent %s notices of conversation %s", sent, conversation_id)
    return sent

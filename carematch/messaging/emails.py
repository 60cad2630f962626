"""The email that says a message is waiting. It carries no content and never names the
sender of a client's message (nor, to keep one rule, anyone at all): only that there is a
new message and the link to the conversation, where the reader signs in to see it."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse

from carematch.accounts.models import Role, User
from carematch.lib.crisis import CRISIS_LINE

from .models import Conversation, Kind

logger = logging.getLogger("carematch.messaging.emails")

SUBJECT = "You have a new message on carematch"


def notice_recipients(conversation: Conversation, *, to_client: bool) -> list[str]:
    """The client; or the provider of a provider conversation; or every active coordinator
    for the care team's."""
    if to_client:
        user = conversation.client.user
        return [user.email] if user.is_active and user.email else []
    if conversation.kind == Kind.PROVIDER and conversation.provider is not None:
        provider = conversation.provider
        email = provider.user.email if provider.user is not None and provider.user.is_active else ""
        return [email] if email else []
    people = User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("pk")
    return [user.email for user in people if user.email]


def message_notice_send(*, conversation_id: int, to_client: bool) -> int:
    """Email the side of `conversation_id` that a message waits for; the number sent."""
    conversation = (Conversation.objects.select_related("client__user", "provider__user")
                    .filter(pk=conversation_id).first())
    if conversation is None or conversation.closed_at is not None:
        return 0
    recipients = notice_recipients(conversation, to_client=to_client)
    if not recipients:
        logger.warning("conversation %s has nobody to tell by email", conversation_id)
        return 0
    body = render_to_string("messaging/email/new_message.txt", {
        "url": settings.SITE_URL + reverse("messaging:conversation", args=[conversation.pk]),
        "crisis_line": CRISIS_LINE,
    })
    messages = [EmailMessage(subject=SUBJECT, body=body, to=[address]) for address in recipients]
    with get_connection() as connection:
        sent = int(connection.send_messages(messages) or 0)
    logger.info("sent %s notices of conversation %s", sent, conversation_id)
    return sent

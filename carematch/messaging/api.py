"""Conversations and messages on the JSON API: the same selectors and services as the pages.
Every read of a conversation's messages and every message sent, read or retracted is an
event in the access log."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from ninja import Query, Router, Status

from carematch.access import audit, policy
from carematch.access.models import Action
from carematch.accounts.http import AuthedHttpRequest
from carematch.accounts.models import User
from carematch.api_base import TOKEN_OR_SESSION
from carematch.lib.crisis import crisis_resources
from carematch.lib.errors import NotFound
from carematch.lib.ids import RecordId
from carematch.openapi import errors

from . import selectors, services
from .models import Conversation, Message
from .schemas import (
    AfterQuery,
    ConversationIn,
    ConversationOut,
    ConversationsOut,
    MessageIn,
    MessageOut,
    MessagesOut,
    SentOut,
)

router = Router(tags=["messages"])

CRISIS_MESSAGE = (
    "If you are thinking about suicide or hurting yourself, please reach out now: call or text 988, or call 911 if "
    "you are in immediate danger. Messages are not watched around the clock. We have let your care team know."
)


def conversation_out(conversation: Conversation, viewer: User, unread: int) -> dict[str, Any]:
    party = selectors.other_party(conversation=conversation, viewer=viewer)
    return {"id": conversation.pk, "with": {"id": party.user_id, "name": party.name, "role": party.role},
            "unread": unread, "last_message_at": conversation.last_message_at, "closed": conversation.is_closed}


def message_out(message: Message, viewer: User) -> dict[str, Any]:
    return {
        "id": message.pk, "body": "" if message.is_retracted else message.body, "sent_at": message.sent_at,
        "sender_id": message.sender_id, "sender": selectors.sender_label(message=message, viewer=viewer),
        "from_you": message.sender_id == viewer.pk, "read_at": message.read_at, "retracted_at": message.retracted_at,
    }


def _conversation(request: AuthedHttpRequest, conversation_id: int, action: str) -> Conversation:
    """The conversation, when the caller takes part in it; NotFound (recorded) otherwise."""
    conversation = selectors.conversation_by_id(conversation_id=conversation_id)
    if conversation is None or not policy.conversation_visible(request.user, conversation):
        audit.denied(request, action=action, resource_type="conversation", resource_id=conversation_id,
                     client=conversation.client_id if conversation else None)
        raise NotFound(
            gettext("No conversation with that id."), fields={"conversation_id": gettext("not found")}, recorded=True
        )
    return conversation


def _message(request: AuthedHttpRequest, message_id: int) -> Message:
    message = selectors.message_by_id(message_id=message_id)
    if message is None or not policy.conversation_visible(request.user, message.conversation):
        audit.denied(
            request,
            action=Action.UPDATE,
            resource_type="message",
            resource_id=message_id,
            client=message.conversation.client_id if message else None,
        )
        raise NotFound(gettext("No message with that id."), fields={"message_id": gettext("not found")}, recorded=True)
    return message


@router.get("/conversations", response={200: ConversationsOut}, by_alias=True)
def list_conversations(request: AuthedHttpRequest) -> Any:
    """The caller's conversations, unread first, each with who it is with and how many
    messages wait unread."""
    conversations = list(selectors.conversations_of(user=request.user))
    audit.record_many(
        request,
        action=Action.VIEW,
        resource_type="conversation_summary",
        items=[(c.pk, c.client_id) for c in conversations],
    )
    items = [conversation_out(c, request.user, getattr(c, "unread", 0)) for c in conversations]
    return {"items": items, "count": len(items)}


@router.post("/conversations", response={200: ConversationOut, 201: ConversationOut, **errors(404)}, by_alias=True)
def start_conversation(request: AuthedHttpRequest, payload: ConversationIn) -> Any:
    """Start (201) or open (200) the conversation with `with_user_id`: for a client, a provider
    they have or had an appointment with, or any coordinator (the care team); for a provider, a
    client in their care; for staff, a client. Anyone else: 404."""
    with audit.write(request, action=Action.CREATE, resource_type="conversation") as change:
        conversation, created = services.conversation_start(
            by=request.user, with_user=selectors.user_by_id(user_id=payload.with_user_id)
        )
        change.resource_id, change.client = conversation.pk, conversation.client_id
    conversation = selectors.conversation_by_id(conversation_id=conversation.pk) or conversation
    body = conversation_out(conversation, request.user, 0)
    return Status(201 if created else 200, body)


@router.get(
    "/conversations/{conversation_id}/messages", auth=TOKEN_OR_SESSION, response={200: MessagesOut, **errors(404)}
)
def list_messages(request: AuthedHttpRequest, conversation_id: RecordId, query: Query[AfterQuery]) -> Any:
    """The conversation's messages, oldest first; with `after`, only those newer than that
    message id (what a conversation page asks for every few seconds). Also answers a signed-in
    browser session, for the page's own script."""
    conversation = _conversation(request, conversation_id, Action.VIEW)
    messages = selectors.messages_in(conversation=conversation, after=query.after)
    if query.after is None or messages:
        # A read of the conversation; a poll that finds nothing new shows nothing and is not one.
        audit.record(
            request,
            action=Action.VIEW,
            resource_type="conversation",
            resource_id=conversation.pk,
            client=conversation.client_id,
        )
    items = [message_out(m, request.user) for m in messages]
    return {"items": items, "count": len(items)}


@router.post("/conversations/{conversation_id}/messages", response={201: SentOut, **errors(404, 409, 429)})
def send_message(request: AuthedHttpRequest, conversation_id: RecordId, payload: MessageIn) -> Any:
    """Send a message (plain text, at most 4,000 characters). When a client's message mentions
    suicide or self-harm, the answer carries the crisis resources, and their provider and the
    coordinators are alerted. Messages are not for emergencies."""
    conversation = _conversation(request, conversation_id, Action.CREATE)
    with audit.write(request, action=Action.CREATE, resource_type="message", client=conversation.client_id) as change:
        sent = services.message_send(conversation=conversation, sender=request.user, body=payload.body)
        change.resource_id = sent.message.pk
    body = message_out(sent.message, request.user) | {
        "crisis": sent.crisis,
        "crisis_message": CRISIS_MESSAGE if sent.crisis else None,
        "crisis_resources": crisis_resources() if sent.crisis else None,
    }
    return Status(201, body)


@router.post("/messages/{message_id}/read", response={200: MessageOut, **errors(403, 404)})
def read_message(request: AuthedHttpRequest, message_id: RecordId) -> Any:
    """Mark a message sent to the caller (and the earlier ones in its conversation) read."""
    message = _message(request, message_id)
    with audit.write(
        request,
        action=Action.UPDATE,
        resource_type="message",
        resource_id=message.pk,
        client=message.conversation.client_id,
    ):
        message = services.message_read(message=message, by=request.user)
    return message_out(message, request.user)


@router.post("/messages/{message_id}/retract", response={200: MessageOut, **errors(403, 404, 409)})
def retract_message(request: AuthedHttpRequest, message_id: RecordId) -> Any:
    """Retract one's own message within 5 minutes of sending it. It stays in the conversation,
    shown as retracted."""
    message = _message(request, message_id)
    with audit.write(
        request,
        action=Action.UPDATE,
        resource_type="message",
        resource_id=message.pk,
        client=message.conversation.client_id,
    ):
        message = services.message_retract(message=message, by=request.user)
    message = selectors.message_by_id(message_id=message.pk) or message
    return message_out(message, request.user)

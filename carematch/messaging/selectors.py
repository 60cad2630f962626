"""Reads of the messaging app for the pages, the API and the navigation."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext

from carematch.access import policy
from carematch.accounts.models import Client, Role, User
from carematch.directory.models import Provider
from carematch.scheduling.models import WAS_BOOKED

from .models import Conversation, Kind, Message

CARE_TEAM_NAME = "Care team (coordinators)"


def _visible(user: User) -> Q | None:
    """The conversations `user` takes part in, as a filter; None for none."""
    if policy.has_role(user, Role.CLIENT):
        return Q(client__user=user)
    if policy.is_staff_member(user):
        return Q(kind=Kind.CARE_TEAM)
    if policy.has_role(user, Role.PROVIDER):
        return Q(kind=Kind.PROVIDER, provider__user=user)
    return None


def _unread_for(user: User) -> Q:
    """Messages sent to `user`'s side, not read, not retracted (relative to Conversation)."""
    to_client = policy.has_role(user, Role.CLIENT)
    return Q(messages__from_client=not to_client, messages__read_at__isnull=True,
             messages__retracted_at__isnull=True)


def conversations_of(*, user: User) -> QuerySet[Conversation]:
    """`user`'s conversations, each with `unread`, unread ones first, then the latest."""
    visible = _visible(user)
    if visible is None:
        return Conversation.objects.none()
    return (Conversation.objects.filter(visible)
            .select_related("client__user", "provider__user")
            .annotate(unread=Count("messages", filter=_unread_for(user)))
            .order_by(F("unread").desc(), F("last_message_at").desc(nulls_last=True), "-id"))


def unread_count(*, user: User) -> int:
    """How many messages wait unread for `user` (the navigation's count)."""
    visible = _visible(user)
    if visible is None:
        return 0
    to_client = policy.has_role(user, Role.CLIENT)
    conversations = Conversation.objects.filter(visible)
    return Message.objects.filter(conversation__in=conversations, from_client=not to_client, read_at__isnull=True,
                                  retracted_at__isnull=True).count()


def conversation_by_id(*, conversation_id: int) -> Conversation | None:
    return Conversation.objects.select_related("client__user", "provider__user").filter(pk=conversation_id).first()


def message_by_id(*, message_id: int) -> Message | None:
    return (Message.objects.select_related("conversation__client__user", "conversation__provider__user")
            .filter(pk=message_id).first())


def messages_in(*, conversation: Conversation, after: int | None = None) -> list[Message]:
    """The conversation's messages, oldest first (only those after the id `after` when given)."""
    rows = Message.objects.filter(conversation=conversation).select_related("sender")
    if after is not None:
        rows = rows.filter(pk__gt=after)
    return list(rows.order_by("sent_at", "id"))


def message_in(*, conversation: Conversation, message_id: str) -> Message | None:
    """The message of `conversation` whose id is the text `message_id`, or None."""
    if not message_id.isdigit() or len(message_id) > 18:
        return None
    return Message.objects.filter(conversation=conversation, pk=int(message_id)).first()


def user_by_id(*, user_id: int) -> User | None:
    return User.objects.select_related("client", "provider").filter(pk=user_id).first()


# --- Names -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """Who a conversation is with, seen by one of its parties."""

    user_id: int | None
    name: str
    role: str


def other_party(*, conversation: Conversation, viewer: User) -> Party:
    if not policy.is_client_side(viewer, conversation):
        client = conversation.client
        return Party(client.user_id, f"{client.first_name} {client.last_name}", Role.CLIENT)
    if conversation.kind == Kind.CARE_TEAM or conversation.provider is None:
        return Party(None, CARE_TEAM_NAME, Role.COORDINATOR)
    provider = conversation.provider
    return Party(provider.user_id, provider.display_name, Role.PROVIDER)


def sender_label(*, message: Message, viewer: User) -> str:
    """"You" for the viewer's own messages; the client's or provider's name; a coordinator's
    preferred name with "care team"."""
    if message.sender_id == viewer.pk:
        return gettext("You")
    conversation = message.conversation
    if message.from_client:
        return f"{conversation.client.first_name} {conversation.client.last_name}"
    if conversation.kind == Kind.PROVIDER and conversation.provider is not None:
        return conversation.provider.display_name
    sender = message.sender
    if sender.preferred_name:
        return gettext("%(name)s (care team)") % {"name": sender.preferred_name}
    return gettext("Care team")


# --- Who one may start a conversation with ------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str  # a user id, or "care_team"
    label: str
    client_id: int | None = None  # the client named, when the choice is a client


def start_choices(*, user: User) -> list[Choice]:
    """Who `user` may start a conversation with on the page: for a client, their providers and
    the care team; for a provider, the clients in their care; for staff, every open client."""
    if policy.has_role(user, Role.CLIENT):
        client = getattr(user, "client", None)
        if client is None or client.closed_at is not None:
            return []
        providers = (Provider.objects.filter(appointments__client=client, appointments__status__in=WAS_BOOKED,
                                             user__isnull=False, user__is_active=True)
                     .distinct().order_by("last_name", "first_name", "pk"))
        return [Choice(str(p.user_id), p.display_name) for p in providers] + [Choice("care_team", CARE_TEAM_NAME)]
    if policy.has_role(user, Role.PROVIDER):
        provider = getattr(user, "provider", None)
        if provider is None:
            return []
        clients = policy.care_clients_of(provider).filter(closed_at__isnull=True, user__is_active=True)
    elif policy.is_staff_member(user):
        clients = Client.objects.filter(closed_at__isnull=True, user__is_active=True)
    else:
        return []
    return [Choice(str(c.user_id), f"{c.first_name} {c.last_name}", c.pk)
            for c in clients.order_by("last_name", "first_name", "pk")]

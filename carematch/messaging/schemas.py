from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from carematch.lib.ids import RecordId

from .models import BODY_MAX


class PartyOut(Schema):
    id: int | None = Field(description="The user id to write to (None for the care team: any coordinator's id "
                                       "starts or opens that conversation)")
    name: str
    role: Literal["client", "provider", "coordinator"]


class ConversationOut(Schema):
    id: int
    with_: PartyOut = Field(alias="with")
    unread: int = Field(description="Messages sent to the caller that they have not read")
    last_message_at: dt.datetime | None
    closed: bool = Field(description="The client's account was closed: the conversation is read-only")


class ConversationsOut(Schema):
    items: list[ConversationOut]
    count: int


class ConversationIn(Schema):
    with_user_id: RecordId = Field(description="The user to write to: a provider, a client, or a coordinator "
                                               "(for a client, the care team)")


class MessageIn(Schema):
    body: str = Field(max_length=BODY_MAX * 4, description=f"Plain text, at most {BODY_MAX} characters")


class MessageOut(Schema):
    id: int
    body: str = Field(description="The text; empty once the message was retracted")
    sent_at: dt.datetime
    sender_id: int
    sender: str = Field(description='"You", or who wrote it')
    from_you: bool
    read_at: dt.datetime | None
    retracted_at: dt.datetime | None


class CrisisResourceOut(Schema):
    name: str
    how: str
    contact: str


class SentOut(MessageOut):
    crisis: bool = Field(description="The message mentions suicide or self-harm: show crisis_resources now")
    crisis_message: str | None
    crisis_resources: list[CrisisResourceOut] | None


class MessagesOut(Schema):
    items: list[MessageOut]
    count: int


class AfterQuery(Schema):
    after: RecordId | None = Field(None, description="Only messages with a greater id than this one")

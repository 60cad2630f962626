from __future__ import annotations

from ninja import Field, Schema


class SubscriptionIn(Schema):
    email: str = Field(max_length=254, description="The address to send the newsletter to.")
    topics: list[str] = Field(min_length=1, max_length=10, description="Topics: new_articles, coping, "
                                                                       "starting_therapy, service_news.")


class SubscriptionAcceptedOut(Schema):
    detail: str

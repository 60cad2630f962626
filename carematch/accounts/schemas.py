from datetime import datetime
from typing import Literal

from ninja import Field, Schema


class UserOut(Schema):
    id: int
    email: str
    role: str
    preferred_name: str
    is_active: bool


class UserIn(Schema):
    email: str = Field(max_length=254, description="The person's email address; it is their login.")
    role: Literal["client", "provider", "coordinator", "admin"]
    preferred_name: str = Field("", max_length=80)


class TokenOut(Schema):
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class OwnTokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart; never the whole token.")
    created_at: datetime
    last_used_at: datetime | None


class OwnTokenList(Schema):
    items: list[OwnTokenOut]
    count: int

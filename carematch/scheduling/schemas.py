import datetime as dt
from typing import Literal

from ninja import Field, Schema

from carematch.lib.ids import RecordId


class ClientIn(Schema):
    email: str = Field(max_length=254)
    first_name: str = Field(max_length=200)
    last_name: str = Field(max_length=200)
    date_of_birth: dt.date
    state: str = Field(max_length=10, description="USPS code of where the client will be during sessions")
    zip: str = Field("", max_length=10)
    timezone: str = Field(max_length=64, description="IANA time zone, e.g. America/New_York")


class ClientOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    state: str
    zip: str
    timezone: str


class AppointmentIn(Schema):
    provider_id: RecordId
    client_id: RecordId
    start: dt.datetime = Field(description="ISO 8601 with a UTC offset, e.g. 2027-01-04T09:00:00-07:00")
    format: Literal["telehealth", "in_person"]


class RescheduleIn(Schema):
    start: dt.datetime


class AppointmentOut(Schema):
    id: int
    provider_id: int
    client_id: int
    start: dt.datetime
    end: dt.datetime
    format: str
    status: str
    late_cancellation: bool


class HoldOut(Schema):
    id: int
    provider_id: int
    client_id: int
    start: dt.datetime
    end: dt.datetime
    format: str
    status: str
    expires_at: dt.datetime


class OpeningOut(Schema):
    start: dt.datetime
    end: dt.datetime
    formats: list[str]


class OpeningsOut(Schema):
    provider_id: int
    timezone: str
    openings: list[OpeningOut]

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import field_validator

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
    format: Literal["telehealth", "in_person", "phone"] = Field(
        description="telehealth or in_person for a session; phone or telehealth for a consultation, as the "
                    "provider offers it")
    kind: Literal["session", "consultation"] = Field(
        "session", description="session (an hour) or consultation (a free 15-minute call)")


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
    kind: str


class HoldOut(Schema):
    id: int
    provider_id: int
    client_id: int
    start: dt.datetime
    end: dt.datetime
    format: str
    status: str
    expires_at: dt.datetime
    kind: str


class OpeningOut(Schema):
    start: dt.datetime
    end: dt.datetime
    formats: list[str]


class OpeningsOut(Schema):
    provider_id: int
    timezone: str
    kind: str
    openings: list[OpeningOut]


# --- Crisis follow-up ----------------------------------------------------------------------------


def _phone(value: str) -> str:
    from carematch.lib.phones import NotAPhoneNumber, phone_e164

    try:
        return phone_e164(value)
    except NotAPhoneNumber as exc:
        raise ValueError(str(exc)) from None


def _state(value: str) -> str:
    from carematch.lib import vocab

    if value.strip().upper() not in vocab.STATES:
        raise ValueError(f"'{value[:10]}' is not a US state code (the 50 states and DC)")
    return value.strip().upper()


class CrisisContactIn(Schema):
    """How a coordinator can reach the person."""

    name: str = Field(max_length=100, description="What to call them (a first name is enough; may be empty)")
    phone: str = Field(max_length=30, description="A number a coordinator can call back, e.g. (303) 555-0142 "
                                                  "or +13035550142; US numbers need no country code")

    @field_validator("phone")
    @classmethod
    def _callable(cls, value: str) -> str:
        return _phone(value)


class CrisisRequestIn(CrisisContactIn):
    state: str = Field(max_length=10, description="USPS code of the state the person is in")
    message: str = Field("", max_length=2000, description="What they would like the coordinator to know (optional)")

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        return _state(value)


class CrisisResourceOut(Schema):
    name: str
    how: str
    contact: str


class CrisisRequestCreatedOut(Schema):
    id: int
    status: Literal["open", "closed"]
    callback_hours: str = Field(description="When coordinators call back, as the deployment set it ('' if not set)")
    crisis_resources: list[CrisisResourceOut] = Field(
        description="Where to get help now: if the person is in danger, they must not wait for the call back")


class CrisisFilter(Schema):
    status: Literal["open", "closed"] = "open"
    limit: int = Field(100, ge=1, le=500, description="At most this many, open oldest first, closed newest first")


class CrisisRequestOut(Schema):
    id: int
    name: str
    phone: str = Field(description="E.164; '' when they gave only an email address (or it was erased)")
    email: str
    state: str
    channel: Literal["page", "api"]
    status: Literal["open", "closed"]
    requested_at: dt.datetime
    minutes_waiting: int = Field(description="Open: minutes since asking; closed: minutes from asking to closing")
    attempts: int = Field(description="Contact attempts recorded")


class CrisisRequestsOut(Schema):
    items: list[CrisisRequestOut]
    count: int = Field(description="How many requests have this status (items holds at most `limit` of them)")


class CrisisOutcomeIn(Schema):
    outcome: Literal["reached", "no_answer", "referred_emergency"] = Field(
        description="reached and referred_emergency close the request; no_answer keeps it open")
    note: str = Field(max_length=2000, description="What was done. Required.")


class JoinOut(Schema):
    url: str = Field(description="The session's video room, for the caller only: on Jitsi Meet with their own "
                                 "signed token, or the provider's own video link. Do not store or forward it.")
    opens_at: dt.datetime = Field(description="The room opens 10 minutes before the start.")
    closes_at: dt.datetime = Field(description="The room closes 30 minutes after the end.")
# --- Ongoing sessions ------------------------------------------------------------------------


class SeriesIn(Schema):
    every_weeks: int = Field(description="1 (weekly) or 2 (every two weeks).")
    count: int | None = Field(None, description="How many dates (at most 26); give this, `until`, or both.")
    until: dt.date | None = Field(None, description="The last date, on the provider's clock.")


class SeriesSkipOut(Schema):
    start: dt.datetime
    reason: str


class SeriesOut(Schema):
    series_id: int
    booked: list[AppointmentOut]
    skipped: list[SeriesSkipOut]


class SeriesCancelledOut(Schema):
    cancelled: list[AppointmentOut]


class AttendanceIn(Schema):
    attended: bool = Field(description="true: the client came; false: a no-show.")

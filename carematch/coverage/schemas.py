"""A client's coverage and eligibility checks on the JSON API. Types only: the services judge the values."""

import datetime as dt

from ninja import Field, Schema


class CoverageIn(Schema):
    payer: str = Field(description="The payer's slug (see the payers this service knows)")
    plan_id: str = Field("", description="The plan's id, if known")
    member_id: str = Field(description="As printed on the insurance card")
    subscriber_first_name: str
    subscriber_last_name: str
    subscriber_birth_date: str = Field(description="YYYY-MM-DD")
    relationship: str = Field(description="Who the client is to the subscriber: self, spouse, child or other")


class CoverageOut(CoverageIn):
    client_id: int
    updated_at: dt.datetime


class NetworkOut(Schema):
    copay_usd: str | None = Field(None, description="Per session, in dollars (a decimal string)")
    coinsurance_pct: str | None = Field(None, description="The share of the allowed fee the client pays, 0-100")
    deductible_usd: str | None = Field(None, description="The deductible for the year")
    deductible_left_usd: str | None = Field(None, description="What is left of it")
    oop_max_usd: str | None = Field(None, description="The out-of-pocket maximum for the year")
    oop_left_usd: str | None = Field(None, description="What is left of it")


class CheckOut(Schema):
    id: int
    status: str = Field(description="queued, running (waiting for the payer), answered or failed")
    reason: str = Field(description="booking, staff or api: what asked for it")
    payer: str
    plan_id: str
    active: bool | None = Field(description="Whether the payer says the coverage is active; null if not said")
    in_network: NetworkOut
    out_of_network: NetworkOut
    rejection_codes: list[str] = Field(description="X12 AAA03 reject reasons, if the payer rejected the inquiry")
    sentence: str = Field(description="What the answer means, for the person")
    requested_at: dt.datetime
    sent_at: dt.datetime | None
    finished_at: dt.datetime | None


class EligibilityOut(Schema):
    client_id: int
    coverage_on_file: bool
    latest: CheckOut | None = Field(description="The newest check, or null when none was made")


class CheckQueuedOut(Schema):
    id: int
    status: str
    url: str = Field(description="Where to read the result: GET it until the status is answered or failed")

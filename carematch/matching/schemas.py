import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import BaseModel, SerializerFunctionWrapHandler, ValidationInfo, field_validator, model_serializer

from carematch.directory import payers
from carematch.lib import geo, vocab
from carematch.lib.ids import RecordId
from carematch.lib.languages import LANGUAGES
from carematch.scheduling.schemas import CrisisContactIn


class MatchIn(Schema):
    state: str = Field(description="USPS code of where the client will be during sessions")
    zip: str | None = Field(None, description="5-digit ZIP; required for in_person or any")
    age: Annotated[int, Field(ge=0, le=120)]
    concerns: list[str] = Field(min_length=1, max_length=20)
    approaches: list[str] = Field(default_factory=list, max_length=16)
    format: Literal["telehealth", "in_person", "any"] = "any"
    max_distance_miles: Annotated[float, Field(gt=0, le=500)] = 25
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1, max_length=10)
    provider_gender: Literal["female", "male", "nonbinary"] | None = None
    insurance: str | None = None
    self_pay_max: Annotated[int, Field(ge=0, le=10_000)] | None = None
    plan_id: Annotated[str, Field(min_length=1, max_length=60)] | None = Field(
        None, description="With insurance: the person's plan (one of that payer's plans loaded by a coordinator), "
                          "for the cost estimate of each match")
    deductible_left_usd: Annotated[Decimal, Field(ge=0, lt=1_000_000, decimal_places=2)] | None = Field(
        None, description="With a plan_id: what is left of the person's deductible this year, if they know it")
    oop_left_usd: Annotated[Decimal, Field(ge=0, lt=1_000_000, decimal_places=2)] | None = Field(
        None, description="With a plan_id: what is left of their out-of-pocket maximum this year, if they know it")
    earliest: dt.datetime | None = Field(None, description="ISO 8601 with offset; default now")
    within_hours: Annotated[int, Field(ge=1, le=168)] = 48
    limit: Annotated[int, Field(ge=1, le=20)] = 5
    times_of_day: list[Literal["morning", "afternoon", "evening"]] = Field(default_factory=list)
    crisis: bool = Field(False, description="The person said they are in danger: crisis resources are returned "
                                            "and the request is flagged for a coordinator")
    contact: CrisisContactIn | None = Field(
        None, description="With crisis: the person asks a coordinator to call them back; a crisis request joins "
                          "the coordinators' queue (its id is in the answer)")
    client_id: RecordId | None = Field(None, description="Coordinators: the client this request is for")

    @field_validator("contact")
    @classmethod
    def _contact_with_crisis(cls, value: CrisisContactIn | None, info: ValidationInfo) -> CrisisContactIn | None:
        if value is not None and not info.data.get("crisis"):
            raise ValueError('a contact is taken only with "crisis": true (the person said they are in danger)')
        return value

    @field_validator("state")
    @classmethod
    def _state(cls, value: str) -> str:
        if value.upper() not in vocab.STATES:
            raise ValueError(f"'{value}' is not a US state code (the 50 states and DC)")
        return value.upper()

    @field_validator("zip")
    @classmethod
    def _zip(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if geo.zip_location(value) is None:
            raise ValueError(f"'{value}' is not a known 5-digit US ZIP code")
        return value

    @field_validator("concerns", "approaches")
    @classmethod
    def _slugs(cls, values: list[str], info: ValidationInfo) -> list[str]:
        known = vocab.CONCERNS if info.field_name == "concerns" else vocab.APPROACHES
        noun = "concern" if info.field_name == "concerns" else "approach"
        cleaned = [v.lower() for v in values]
        unknown = [v for v in cleaned if v not in known]
        if unknown:
            raise ValueError(f"unknown {noun} '{unknown[0]}'")
        return list(dict.fromkeys(cleaned))

    @field_validator("languages")
    @classmethod
    def _languages(cls, values: list[str]) -> list[str]:
        cleaned = [v.lower() for v in values]
        unknown = [v for v in cleaned if v not in LANGUAGES]
        if unknown:
            raise ValueError(f"'{unknown[0]}' is not an ISO 639-1 language code (e.g. en, es)")
        return list(dict.fromkeys(cleaned))

    @field_validator("insurance")
    @classmethod
    def _insurance(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in payers.KNOWN:
            raise ValueError(f"unknown payer '{value}'")
        return value.lower() if value else None

    @field_validator("earliest")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("must include a UTC offset, e.g. 2027-01-04T09:00:00-07:00")
        return value


# The answer's models are plain pydantic models: their values are the view's own dicts, never
# database objects, so they need not ninja's attribute lookup, which cost more than the rest
# of validating an answer.
class ProviderRef(BaseModel):
    id: int
    npi: str
    name: str
    credentials: list[str]


class OpeningOut(BaseModel):
    start: dt.datetime
    end: dt.datetime
    formats: list[str]


class CostOut(BaseModel):
    first_session_usd: int | None = Field(description="About what the first session (CPT 90791) will cost the "
                                                      "person, in whole dollars; null when it cannot be estimated")
    per_session_usd: int | None = Field(description="About what each session after it will cost; null when unknown")
    basis: Literal["self_pay", "plan", "eligibility", "unknown"] = Field(
        description="self_pay: the provider's own fee; plan: the plan's benefits and fee schedule; eligibility: "
                    "the benefits the payer reported; unknown: no estimate")
    assumptions: list[str] = Field(description="What the estimate assumed, in plain sentences")

    @model_serializer(mode="wrap")
    def _keep_nulls(self, handler: SerializerFunctionWrapHandler):
        # An unknown figure is said as null, never left out, even where the answer leaves out
        # other empty fields.
        return {"first_session_usd": None, "per_session_usd": None, **handler(self)}


class MatchOut(BaseModel):
    provider: ProviderRef
    score: float
    reasons: list[str] = Field(description="What sets this provider apart for this request, most telling first "
                                           "(never empty); what every match shares is in `shared_reasons`")
    openings: list[OpeningOut] = Field(description="Up to 3: those at the times of day asked for first, then the "
                                                   "soonest others")
    cost: CostOut = Field(description="What a session with this provider will cost the person, as far as known")


class SuggestionOut(BaseModel):
    change: dict[str, object]
    more_matches: int


class CrisisResource(BaseModel):
    name: str
    how: str
    contact: str


class MatchAnswerOut(BaseModel):
    crisis_resources: list[CrisisResource] | None = None
    matches: list[MatchOut]
    shared_reasons: list[str] = Field(description="Reasons true of every match (with two or more), said once "
                                                  "instead of on each match, e.g. \"In network with Aetna\"")
    suggestions: list[SuggestionOut]
    care_request_id: int | None = None
    crisis_request_id: int | None = Field(None, description="The crisis request made from `contact`, if one was given")

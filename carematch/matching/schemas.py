import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import ValidationInfo, field_validator

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


class ProviderRef(Schema):
    id: int
    npi: str
    name: str
    credentials: list[str]


class OpeningOut(Schema):
    start: dt.datetime
    end: dt.datetime
    formats: list[str]


class MatchOut(Schema):
    provider: ProviderRef
    score: float
    reasons: list[str] = Field(description="What sets this provider apart for this request, most telling first "
                                           "(never empty); what every match shares is in `shared_reasons`")
    openings: list[OpeningOut] = Field(description="Up to 3: those at the times of day asked for first, then the "
                                                   "soonest others")


class SuggestionOut(Schema):
    change: dict[str, object]
    more_matches: int


class CrisisResource(Schema):
    name: str
    how: str
    contact: str


class MatchAnswerOut(Schema):
    crisis_resources: list[CrisisResource] | None = None
    matches: list[MatchOut]
    shared_reasons: list[str] = Field(description="Reasons true of every match (with two or more), said once "
                                                  "instead of on each match, e.g. \"In network with Aetna\"")
    suggestions: list[SuggestionOut]
    care_request_id: int | None = None
    crisis_request_id: int | None = Field(None, description="The crisis request made from `contact`, if one was given")

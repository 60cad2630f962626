import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import StrictInt

InstrumentCode = Literal["phq9", "gad7"]


class AssessmentIn(Schema):
    instrument: str = Field(max_length=20, description='"phq9" or "gad7"')
    answers: list[StrictInt] = Field(
        max_length=50, description="Each item's answer in item order: 0 not at all, 1 several days, "
        "2 more than half the days, 3 nearly every day. 9 answers for the PHQ-9, 7 for the GAD-7.",
    )
    difficulty: StrictInt | None = Field(
        None, description="The difficulty question (not scored): 0 not difficult at all to 3 extremely difficult",
    )


class AssessmentFilter(Schema):
    instrument: InstrumentCode | None = Field(None, description="Only this instrument's scores")


class AlertFilter(Schema):
    status: Literal["open", "acknowledged", "all"] = "open"


class CrisisResourceOut(Schema):
    name: str
    how: str
    contact: str


class AssessmentAlertOut(Schema):
    code: str
    alert_id: int
    message: str
    crisis_resources: list[CrisisResourceOut]


class AssessmentOut(Schema):
    id: int
    instrument: str
    total: int
    severity: str
    alerts: list[AssessmentAlertOut]
    completed_at: dt.datetime


class AssessmentHistoryItemOut(Schema):
    id: int
    instrument: str
    total: int
    severity: str
    completed_at: dt.datetime
    baseline: bool = Field(description="The client's first score on this instrument")
    change: int | None = Field(description="Points above (positive) or below (negative) the baseline")
    flags: list[str] = Field(
        description="reliable_improvement, reliable_deterioration, response, remission (against the baseline)"
    )


class AssessmentHistoryOut(Schema):
    client_id: int
    assessments: list[AssessmentHistoryItemOut]


class QuestionnaireRequestIn(Schema):
    instruments: list[str] = Field(["phq9", "gad7"], max_length=5, description='e.g. ["phq9", "gad7"]')


class QuestionnaireRequestOut(Schema):
    id: int
    client_id: int
    instruments: list[str]
    reason: str
    created_at: dt.datetime
    expires_at: dt.datetime


class AlertOut(Schema):
    id: int
    code: str
    status: Literal["open", "acknowledged"]
    client_id: int
    provider_id: int | None
    assessment_id: int | None
    session_rating_id: int | None
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None = Field(description="The email of the person who acknowledged it")
    note: str


class AlertsOut(Schema):
    alerts: list[AlertOut]


class AcknowledgeIn(Schema):
    note: str = Field(max_length=10_000, description="What was done. Required.")


class SessionRatingIn(Schema):
    score: StrictInt = Field(description="How well did this session work for you? 0 (not at all) to 10 (very well)")


class SessionRatingOut(Schema):
    appointment_id: int
    score: int
    rated_at: dt.datetime

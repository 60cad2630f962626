"""Goals, the plan, check-ins and provider notes on the JSON API. Types only: the services judge the values."""

import datetime as dt

from ninja import Field, Schema


class GoalIn(Schema):
    text: str = Field(description="The goal in the client's words, up to 500 characters")
    measure: str = Field(description="'questionnaire' (a score below the target) or 'self_rating' (0-10)")
    instrument: str = Field("", description="For a questionnaire goal: 'phq9' or 'gad7'")
    target: int = Field(
        description="Questionnaire: met by a score below this (PHQ-9 1-27, GAD-7 1-21). Self-rating: met by a "
        "rating of at least this (1-10)"
    )
    target_date: dt.date = Field(description="Today or later, in the client's time zone")


class GoalVersionOut(Schema):
    version: int
    text: str
    measure: str
    instrument: str
    target: int
    target_date: dt.date
    status: str = Field(description="in_progress, achieved, not_achieved, or revised for earlier versions")
    created_at: dt.datetime


class MeasurementOut(Schema):
    on: dt.date
    value: int


class GoalOut(Schema):
    id: int
    client_id: int
    status: str = Field(description="in_progress, achieved or not_achieved: from the measurements")
    current: GoalVersionOut
    history: list[GoalVersionOut] = Field(description="Earlier versions, newest first")
    measurements: list[MeasurementOut] = Field(
        description="Scores or ratings the current version is measured by, in time order"
    )
    created_at: dt.datetime


class RatingIn(Schema):
    rating: int = Field(description="0 to 10")
    rated_on: dt.date | None = Field(None, description="Defaults to today in the client's time zone")


class RatingOut(Schema):
    id: int
    goal_id: int
    rating: int
    rated_on: dt.date
    recorded_at: dt.datetime


class ActivityIn(Schema):
    kind: str = Field(
        description="exercise, meditation, deep_breathing, creative_expression, reaching_out, or own"
    )
    text: str = Field("", description="In the client's words; required when kind is 'own'")
    times: int = Field(description="How many times per period, 1 to 14")
    period: str = Field(description="'day' or 'week'")


class CheckInIn(Schema):
    mood: int = Field(description="How the client felt, 0 to 10")
    done_on: dt.date | None = Field(None, description="Defaults to today in the client's time zone")
    note: str = Field("", description="Optional, up to 2,000 characters")


class CheckInOut(Schema):
    id: int
    activity_id: int
    done_on: dt.date
    mood: int
    note: str
    recorded_at: dt.datetime


class ActivityOut(Schema):
    id: int
    client_id: int
    kind: str
    text: str
    label: str
    times: int
    period: str
    frequency: str
    active: bool
    created_at: dt.datetime
    ended_at: dt.datetime | None
    check_ins: list[CheckInOut] = Field(description="Newest first")


class NoteIn(Schema):
    body: str = Field(description="The note, up to 10,000 characters")
    appointment_id: int | None = Field(None, description="The session the note is about: one of yours with the client")


class NoteReviseIn(Schema):
    body: str = Field(description="The whole new text of the note, up to 10,000 characters")


class NoteVersionOut(Schema):
    version: int
    body: str
    author_id: int | None
    created_at: dt.datetime


class NoteOut(Schema):
    id: int
    client_id: int
    provider_id: int
    appointment_id: int | None
    current: NoteVersionOut
    history: list[NoteVersionOut] = Field(description="Earlier versions, newest first")
    created_at: dt.datetime


class RemovedOut(Schema):
    id: int
    removed_at: dt.datetime = Field(description="Hidden from now on; kept until the retention period ends")

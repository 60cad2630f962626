import datetime as dt

from ninja import Field, Schema


class LicenseOut(Schema):
    id: int
    state: str
    license_type: str
    number: str
    expires: dt.date
    status: str


class ProviderOut(Schema):
    id: int
    npi: str
    first_name: str
    last_name: str
    credentials: list[str]
    taxonomy: str
    gender: str
    languages: list[str]
    concerns: list[str]
    approaches: list[str]
    populations: list[str]
    formats: list[str]
    insurance: list[str]
    self_pay_rate: int | None = Field(None, description="whole USD; absent until an imported provider states it")
    accepting_new: bool
    timezone: str
    zip: str
    published: bool = Field(description="matched and bookable; false while an imported profile is incomplete")
    licenses: list[LicenseOut] | None = None


class ProviderPage(Schema):
    items: list[ProviderOut]
    count: int
    page: int
    pages: int


class LicenseStatusIn(Schema):
    status: str


class ApproachOut(Schema):
    slug: str
    label: str
    explanation: str


class LicenseBriefOut(Schema):
    state: str
    type: str
    verified: bool


class SlidingScaleOut(Schema):
    min: int
    max: int


class ProviderProfileOut(Schema):
    """A provider's public profile: what the profile page shows anyone."""

    id: int
    npi: str
    name: str
    credentials: list[str]
    pronouns: str
    photo_url: str | None
    statement: str
    first_session: str
    specialties: list[str]
    concerns: list[str]
    approaches: list[ApproachOut]
    communities: list[str]
    languages: list[str]
    formats: list[str]
    licenses: list[LicenseBriefOut]
    self_pay_rate: int | None
    sliding_scale: SlidingScaleOut | None
    insurance: list[str]
    accepting_new: bool


class PhotoOut(Schema):
    photo_url: str | None


class VideoLinkIn(Schema):
    video_link: str = Field(
        description="An https:// address of the provider's own video room, used for all their online sessions "
                    "instead of carematch's Jitsi Meet rooms; empty to remove it. No user name or password in it; "
                    "at most 500 characters."
    )


class VideoLinkOut(Schema):
    video_link: str

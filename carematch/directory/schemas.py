import datetime as dt

from ninja import Schema


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
    self_pay_rate: int
    accepting_new: bool
    timezone: str
    zip: str
    licenses: list[LicenseOut] | None = None


class ProviderPage(Schema):
    items: list[ProviderOut]
    count: int
    page: int
    pages: int


class LicenseStatusIn(Schema):
    status: str

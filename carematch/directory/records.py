"""Plain, validated provider data: what roster and FHIR imports produce and the upsert writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LicenseRecord:
    state: str
    license_type: str
    number: str
    expires: dt.date
    # The source vouches that the license was verified (a credentialing roster's `:verified`,
    # a FHIR VerificationResult). It never undoes a coordinator's rejection.
    verified: bool = False
    issued: dt.date | None = None  # the start of its period, where the source gives it


@dataclass(frozen=True)
class WindowRecord:
    weekday: int  # 0 = Monday
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class ProviderRecord:
    npi: str
    first_name: str
    last_name: str
    credentials: tuple[str, ...]
    taxonomy: str  # "" when missing
    gender: str
    languages: tuple[str, ...]
    concerns: tuple[str, ...]
    approaches: tuple[str, ...]
    populations: tuple[str, ...]
    formats: tuple[str, ...]
    insurance: tuple[str, ...]
    self_pay_rate: int | None  # None when missing
    accepting_new: bool
    timezone: str  # "" when missing
    licenses: tuple[LicenseRecord, ...]
    windows: tuple[WindowRecord, ...] = ()
    min_notice_hours: int = 2
    zip: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    bio: str = ""
    latitude: float | None = field(default=None, compare=False)
    longitude: float | None = field(default=None, compare=False)
    # What the source left out (validation.COMPLETABLE): the provider is incomplete, and an
    # update keeps what is stored for these fields.
    missing: tuple[str, ...] = field(default=(), compare=False)
    # Fields an update keeps as stored though the record has them (e.g. insurance implied by a
    # payer's networks, applied with the networks).
    kept: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with an input: where (line, for files), which field, and what."""

    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.field}: {self.message}"

"""Field rules for provider data, shared by the roster import, the FHIR import, the API and
the pages. Each `clean_*` returns the normalised value or raises FieldError with a message
a person can act on."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from carematch.lib import geo, npi, vocab
from carematch.lib.languages import is_language
from carematch.lib.timezones import is_time_zone

from . import payers
from .records import FieldProblem, LicenseRecord, ProviderRecord, WindowRecord

MAX_SELF_PAY = 10_000
# What a profile may hold (the limits): the provider's own words are read in full, so
# they are kept short enough to be read.
MAX_BIO_CHARS = 1500
MAX_FIRST_SESSION_CHARS = 600
MAX_PRONOUNS_CHARS = 40
MAX_EDUCATION_CHARS = 300
MAX_SPECIALTIES = 3
MAX_YEARS_IN_PRACTICE = 80
MAX_NOTICE_HOURS = 24 * 14
EMAIL_MAX_LENGTH = 254  # the column's length; addresses up to 320 characters pass Django's validator
_CREDENTIAL = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,11}$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_WINDOW = re.compile(r"^([A-Za-z]{3})\s+(\S+)\s*-\s*(\S+)$")


class FieldError(ValueError):
    pass


VOCABULARIES: Mapping[str, tuple[Mapping[str, str], str]] = {
    "concerns": (vocab.CONCERNS, "concern"),
    "approaches": (vocab.APPROACHES, "approach"),
    "populations": (vocab.POPULATIONS, "population"),
    "formats": (vocab.FORMATS, "format"),
    "insurance": (payers.KNOWN, "payer"),
}
PAYER_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


def clean_consultation_formats(items: Iterable[str]) -> tuple[str, ...]:
    """How a free consultation call happens (vocab.CONSULTATION_FORMATS), each once; may be empty."""
    result: list[str] = []
    for item in items:
        slug = item.strip().lower()
        if not slug:
            continue
        if slug not in vocab.CONSULTATION_FORMATS:
            raise FieldError(f"unknown consultation format '{item.strip()}' (phone or telehealth)")
        if slug not in result:
            result.append(slug)
    return tuple(result)


def clean_npi(value: str) -> str:
    value = value.strip()
    problem = npi.npi_problem(value)
    if problem:
        raise FieldError(f"'{value}' is not a valid NPI: {problem}")
    return value


def clean_name(value: str, *, what: str = "name") -> str:
    value = " ".join(value.split())
    if not value:
        raise FieldError(f"{what} is required")
    if len(value) > 100:
        raise FieldError(f"{what} is longer than 100 characters")
    return value


def clean_credentials(items: Iterable[str]) -> tuple[str, ...]:
    result: list[str] = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        if not _CREDENTIAL.match(item):
            raise FieldError(f"'{item}' is not a credential (letters, e.g. LPC, LCSW, PsyD)")
        spelled = vocab.credential_spelling(item)
        if spelled not in result:
            result.append(spelled)
    if not result:
        raise FieldError("at least one credential is required, e.g. LPC")
    return tuple(result)


def clean_taxonomy(value: str) -> str:
    code = value.strip().upper()
    if code not in vocab.TAXONOMY:
        raise FieldError(f"'{value.strip()}' is not a known NUCC behavioural-health taxonomy code")
    return code


def clean_gender(value: str) -> str:
    slug = value.strip().lower().replace("-", "_").replace(" ", "_") or "not_stated"
    if slug not in vocab.GENDERS:
        raise FieldError(f"'{value.strip()}' is not one of: {', '.join(vocab.GENDERS)}")
    return slug


def clean_languages(items: Iterable[str]) -> tuple[str, ...]:
    result: list[str] = []
    for item in items:
        code = item.strip().lower()
        if not code:
            continue
        if not is_language(code):
            raise FieldError(f"'{item.strip()}' is not an ISO 639-1 language code (e.g. en, es)")
        if code not in result:
            result.append(code)
    if not result:
        raise FieldError("at least one language is required, e.g. en")
    return tuple(result)


def clean_slugs(kind: str, items: Iterable[str], *, required: bool) -> tuple[str, ...]:
    vocabulary, noun = VOCABULARIES[kind]
    result: list[str] = []
    for item in items:
        slug = item.strip().lower()
        if not slug:
            continue
        if slug not in vocabulary:
            raise FieldError(f"unknown {noun} '{item.strip()}'")
        if slug not in result:
            result.append(slug)
    if required and not result:
        raise FieldError(f"at least one {noun} is required")
    return tuple(result)


def clean_text(value: str, *, limit: int, one_line: bool = False) -> str:
    """Text a provider wrote: trimmed (and, with `one_line`, its whitespace made single
    spaces); refused when longer than `limit` characters."""
    text = " ".join(value.split()) if one_line else value.strip()
    if len(text) > limit:
        raise FieldError(f"is longer than {limit:,} characters ({len(text):,})")
    return text


def clean_video_link(value: str, *, limit: int) -> str:
    """A provider's own video room: a real https:// address with a host name, no user name or
    password in it (anyone who sees the link would see them), at most `limit` characters.
    Empty removes it."""
    text = str(value).strip()
    if not text:
        return ""
    if len(text) > limit:
        raise FieldError(f"is longer than {limit:,} characters ({len(text):,})")
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in text):
        raise FieldError("must be one web address with no spaces in it")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise FieldError("is not a web address carematch can open") from None
    if parts.scheme.lower() != "https" or not text.lower().startswith("https://"):
        raise FieldError("must start with https:// (a secure video link)")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise FieldError("must not contain a user name or password")
    text = "https://" + text[len("https://"):]
    try:
        URLValidator(schemes=["https"])(text)
    except ValidationError:
        raise FieldError("is not a web address carematch can open, e.g. https://meet.example.org/your-room") from None
    if not parts.hostname or "." not in parts.hostname:
        raise FieldError("needs the video service's full host name, e.g. https://meet.example.org/your-room")
    return text


def clean_communities(items: Iterable[str]) -> tuple[str, ...]:
    result: list[str] = []
    for item in items:
        slug = item.strip().lower()
        if not slug:
            continue
        if slug not in vocab.COMMUNITIES:
            raise FieldError(f"unknown community '{item.strip()}'")
        if slug not in result:
            result.append(slug)
    return tuple(result)


def clean_specialties(items: Iterable[str], *, concerns: Iterable[str]) -> tuple[str, ...]:
    """Up to MAX_SPECIALTIES of the provider's own concerns, in the order given."""
    own = set(concerns)
    result: list[str] = []
    for item in items:
        slug = item.strip().lower()
        if not slug:
            continue
        if slug not in vocab.CONCERNS:
            raise FieldError(f"unknown concern '{item.strip()}'")
        if slug not in own:
            raise FieldError(f"'{vocab.CONCERNS[slug]}' is not one of the concerns you help with; "
                             "add it to those first")
        if slug not in result:
            result.append(slug)
    if len(result) > MAX_SPECIALTIES:
        raise FieldError(f"choose at most {MAX_SPECIALTIES} specialties ({len(result)} chosen)")
    return tuple(result)


def clean_optional_number(value: str | int | None, *, what: str, maximum: int) -> int | None:
    """A whole number from 0 to `maximum`, or None when blank."""
    if value is None or not str(value).strip():
        return None
    return clean_whole_number(value, what=what, maximum=maximum)


def clean_whole_number(value: str | int, *, what: str, maximum: int) -> int:
    text = str(value).strip()
    if text.startswith("$"):
        text = text[1:]
    if not text.isdigit() or not text.isascii():
        raise FieldError(f"'{value}' is not a whole number of {what}")
    if len(text.lstrip("0")) > len(str(maximum)):
        raise FieldError(f"is more than the most allowed ({maximum} {what})")
    number = int(text)
    if number > maximum:
        raise FieldError(f"{number} is more than the most allowed ({maximum} {what})")
    return number


_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}


def clean_bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldError(f"'{value.strip()}' is not one of true/false/yes/no/1/0")


def clean_timezone(value: str) -> str:
    name = value.strip()
    if not is_time_zone(name):
        raise FieldError(f"'{name}' is not an IANA time zone (e.g. America/Denver)")
    return name


def clean_zip(value: str) -> tuple[str, float, float] | None:
    """A 5-digit ZIP (ZIP+4 accepted) with its centroid, or None when blank."""
    text = value.strip()
    if not text:
        return None
    five = text.split("-")[0]
    if not re.fullmatch(r"\d{5}", five) or (text != five and not re.fullmatch(r"\d{5}-\d{4}", text)):
        raise FieldError(f"'{text}' is not a 5-digit ZIP code")
    located = geo.zip_location(five)
    if located is None:
        raise FieldError(f"'{five}' is not a known US ZIP code")
    return five, located[0], located[1]


def clean_email(value: str) -> str:
    text = value.strip().lower()
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        raise FieldError(f"'{value.strip()}' is not a valid email address") from None
    if len(text) > EMAIL_MAX_LENGTH:
        raise FieldError(f"is longer than {EMAIL_MAX_LENGTH} characters")
    return text


def clean_phone(value: str) -> str:
    text = value.strip()
    if not text:
        return ""
    try:
        parsed = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        raise FieldError(f"'{text}' is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise FieldError(f"'{text}' is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def clean_date(value: str, *, what: str = "date") -> dt.date:
    text = value.strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        article = "an" if what[:1] in ("a", "e", "i", "o", "u") else "a"
        raise FieldError(f"'{text}' is not {article} {what} in the form YYYY-MM-DD") from None


def clean_license(state: str, license_type: str, number: str, expires: str | dt.date) -> LicenseRecord:
    code = state.strip().upper()
    if code not in vocab.STATES:
        raise FieldError(f"'{state.strip()}' is not a US state code (the 50 states and DC)")
    kind = license_type.strip().upper()
    if not kind or len(kind) > 20:
        raise FieldError("license type is required (e.g. LPC), at most 20 characters")
    ident = number.strip()
    if not ident or len(ident) > 40:
        raise FieldError("license number is required, at most 40 characters")
    day = expires if isinstance(expires, dt.date) else clean_date(expires, what="expiry date")
    return LicenseRecord(code, kind, ident, day)


def clean_time(value: str) -> dt.time:
    match = _TIME.match(value.strip())
    if not match:
        raise FieldError(f"'{value.strip()}' is not a time HH:MM")
    return dt.time(int(match.group(1)), int(match.group(2)))


def clean_window(day: str, start: str, end: str) -> WindowRecord:
    key = day.strip().lower()[:3]
    if key not in vocab.WEEKDAYS or len(day.strip()) < 3:
        raise FieldError(f"'{day.strip()}' is not a day (mon, tue, wed, thu, fri, sat, sun)")
    begin, finish = clean_time(start), clean_time(end)
    if begin >= finish:
        raise FieldError(f"{day.strip()} {start.strip()}-{end.strip()} ends before it starts")
    return WindowRecord(vocab.WEEKDAYS.index(key), begin, finish)


def parse_window(text: str) -> WindowRecord:
    """`mon 09:00-12:00`."""
    match = _WINDOW.match(text.strip())
    if not match:
        raise FieldError(f"'{text.strip()}' is not a window like 'mon 09:00-12:00'")
    return clean_window(*match.groups())


def check_windows(windows: Iterable[WindowRecord]) -> tuple[WindowRecord, ...]:
    ordered = sorted(set(windows), key=lambda w: (w.weekday, w.start))
    for before, after in itertools.pairwise(ordered):
        if before.weekday == after.weekday and after.start < before.end:
            day = vocab.WEEKDAYS[before.weekday]
            raise FieldError(
                f"{day} {before.start:%H:%M}-{before.end:%H:%M} overlaps {day} {after.start:%H:%M}-{after.end:%H:%M}"
            )
    return tuple(ordered)


_EMPTY: dict[str, Any] = {"taxonomy": "", "timezone": "", "self_pay_rate": None}

# What a directory may leave out and the provider completes when they claim their profile:
# an imported provider without them is stored incomplete (unpublished), never matched.
COMPLETABLE = ("taxonomy", "languages", "concerns", "populations", "approaches", "formats", "availability",
               "timezone", "self_pay_rate", "licenses")


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Iterable):
        return not any(str(item).strip() if isinstance(item, str) else True for item in value)
    return False


def build_provider_record(
    values: Mapping[str, Any], *, completable: Iterable[str] = (),
) -> tuple[ProviderRecord | None, list[FieldProblem]]:
    """Validate every field of one provider; all problems are reported, not just the first.

    `values` holds strings for single fields, iterables of strings for list fields,
    and already-built LicenseRecord / WindowRecord tuples (or FieldError lists) for
    licenses and availability, whose text form differs between formats.

    A field named in `completable` (of COMPLETABLE) may be absent: the record then leaves it
    empty and names it in `missing`, instead of a problem. What is there is still checked.
    """
    problems: list[FieldProblem] = []
    cleaned: dict[str, Any] = {}
    may_miss = set(completable) & set(COMPLETABLE)
    missing = tuple(name for name in COMPLETABLE if name in may_miss and _is_blank(values.get(name)))

    def take(name: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        if name in missing:
            cleaned[name] = _EMPTY.get(name, ())
            return
        try:
            cleaned[name] = fn(*args, **kwargs)
        except FieldError as exc:
            problems.append(FieldProblem(name, str(exc)))

    take("npi", clean_npi, values.get("npi", ""))
    take("first_name", clean_name, values.get("first_name", ""), what="first name")
    take("last_name", clean_name, values.get("last_name", ""), what="last name")
    take("credentials", clean_credentials, values.get("credentials", ()))
    take("taxonomy", clean_taxonomy, values.get("taxonomy", ""))
    take("gender", clean_gender, values.get("gender", ""))
    take("languages", clean_languages, values.get("languages", ()))
    for kind in VOCABULARIES:
        take(kind, clean_slugs, kind, values.get(kind, ()), required=kind not in {"approaches", "insurance"})
    take("self_pay_rate", clean_whole_number, values.get("self_pay_rate", ""), what="US dollars",
         maximum=MAX_SELF_PAY)
    take("accepting_new", clean_bool, values.get("accepting_new", ""))
    take("timezone", clean_timezone, values.get("timezone", ""))
    notice = values.get("min_notice_hours", "")
    if str(notice).strip():
        take("min_notice_hours", clean_whole_number, notice, what="hours", maximum=MAX_NOTICE_HOURS)
    take("zip", clean_zip, values.get("zip", ""))
    take("email", clean_email, values.get("email", ""))
    take("phone", clean_phone, values.get("phone", ""))
    address = " ".join(str(values.get("address", "")).split())
    if len(address) > 200:
        problems.append(FieldProblem("address", "is longer than 200 characters"))
    bio = str(values.get("bio", "")).strip()
    try:
        clean_text(bio, limit=MAX_BIO_CHARS)
    except FieldError as exc:
        problems.append(FieldProblem("bio", str(exc)))

    licenses = tuple(dict.fromkeys(values.get("licenses", ())))
    if not licenses and "licenses" not in missing:
        problems.append(FieldProblem("licenses", "at least one license is required"))
    seen: dict[tuple[str, str, str], LicenseRecord] = {}
    for lic in licenses:
        key = (lic.state, lic.license_type, lic.number)
        first = seen.setdefault(key, lic)
        if first is not lic:
            differ = "expiry dates" if first.expires != lic.expires else "verification (once verified, once not)"
            problems.append(FieldProblem("licenses", f"{':'.join(key)} is listed twice with different {differ}"))
    windows: tuple[WindowRecord, ...] = ()
    try:
        windows = check_windows(values.get("availability", ()))
    except FieldError as exc:
        problems.append(FieldProblem("availability", str(exc)))

    position = values.get("position")
    if position is not None and "zip" in cleaned and cleaned["zip"] is None:
        cleaned["zip"] = ("", position[0], position[1])  # the office's published position, its ZIP unknown
    if "in_person" in cleaned.get("formats", ()) and "zip" in cleaned and cleaned["zip"] is None:
        problems.append(FieldProblem("zip", "is required when formats include in_person"))

    if problems:
        return None, problems
    located = cleaned["zip"]
    record = ProviderRecord(
        npi=cleaned["npi"],
        first_name=cleaned["first_name"],
        last_name=cleaned["last_name"],
        credentials=cleaned["credentials"],
        taxonomy=cleaned["taxonomy"],
        gender=cleaned["gender"],
        languages=cleaned["languages"],
        concerns=cleaned["concerns"],
        approaches=cleaned["approaches"],
        populations=cleaned["populations"],
        formats=cleaned["formats"],
        insurance=cleaned["insurance"],
        self_pay_rate=cleaned["self_pay_rate"],
        accepting_new=cleaned["accepting_new"],
        timezone=cleaned["timezone"],
        licenses=licenses,
        windows=windows,
        min_notice_hours=cleaned.get("min_notice_hours", 2),
        zip=located[0] if located else "",
        latitude=located[1] if located else None,
        longitude=located[2] if located else None,
        address=address,
        email=cleaned["email"],
        phone=cleaned["phone"],
        bio=bio,
        missing=missing,
    )
    return record, []

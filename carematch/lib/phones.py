"""Phone numbers a coordinator can call back: checked with `phonenumbers` (Google's
libphonenumber metadata) and kept in E.164 form (+13035550142), so every number is stored,
shown and dialled the same way however it was typed."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "US"  # a number typed without a country code is a US number
MAX_LENGTH = 30
NOT_CALLABLE = "not a phone number we can call"


class NotAPhoneNumber(ValueError):
    """The text is not a valid, callable phone number."""


def phone_e164(text: str, *, region: str = DEFAULT_REGION) -> str:
    """The number in E.164 form, or NotAPhoneNumber (with a sentence naming the problem)."""
    text = (text or "").strip()
    if not text:
        raise NotAPhoneNumber("give a phone number")
    if len(text) > MAX_LENGTH:
        raise NotAPhoneNumber(f"a phone number has at most {MAX_LENGTH} characters")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise NotAPhoneNumber(NOT_CALLABLE) from None
    if not phonenumbers.is_valid_number(parsed):
        raise NotAPhoneNumber(NOT_CALLABLE)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_label(e164: str) -> str:
    """How a stored number is shown to a coordinator: national form for US numbers,
    international otherwise; '' for ''."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    kind = (phonenumbers.PhoneNumberFormat.NATIONAL if parsed.country_code == 1
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(parsed, kind)

"""Field rules for provider data: each cleaner normalises good input and names the problem in bad
input, and building a record reports every problem at once."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carematch.directory.records import FieldProblem, LicenseRecord, WindowRecord
from carematch.directory.validation import (
    FieldError,
    build_provider_record,
    check_windows,
    clean_bool,
    clean_credentials,
    clean_date,
    clean_email,
    clean_gender,
    clean_license,
    clean_phone,
    clean_slugs,
    clean_taxonomy,
    clean_whole_number,
    clean_zip,
    parse_window,
)

GOOD = {
    "npi": "1234567893",
    "first_name": "Avery",
    "last_name": "Sample",
    "credentials": ["lpc"],
    "taxonomy": "101yp2500x",
    "gender": "",
    "languages": ["EN"],
    "concerns": ["Anxiety", " grief "],
    "approaches": [],
    "populations": ["adults"],
    "formats": ["telehealth"],
    "insurance": [],
    "self_pay_rate": "$120",
    "accepting_new": "yes",
    "timezone": "America/Denver",
    "zip": "",
    "licenses": [LicenseRecord("CO", "LPC", "1", dt.date(2031, 1, 31))],
    "availability": [WindowRecord(0, dt.time(9), dt.time(12))],
}


def test_a_good_provider_builds_a_normalised_record():
    record, problems = build_provider_record(GOOD)

    assert problems == []
    assert record is not None
    assert (record.credentials, record.taxonomy, record.gender) == (("LPC",), "101YP2500X", "not_stated")
    assert (record.languages, record.concerns) == (("en",), ("anxiety", "grief"))
    assert (record.self_pay_rate, record.accepting_new, record.min_notice_hours) == (120, True, 2)
    assert (record.zip, record.latitude, record.longitude) == ("", None, None)


def test_every_problem_of_a_provider_is_reported_at_once_by_field():
    values = {
        **GOOD, "npi": "1234567890", "languages": ["xx"], "self_pay_rate": "lots", "formats": ["in_person"],
        "licenses": [],
    }

    record, problems = build_provider_record(values)

    assert record is None
    assert problems == [
        FieldProblem("npi", "'1234567890' is not a valid NPI: check digit is wrong"),
        FieldProblem("languages", "'xx' is not an ISO 639-1 language code (e.g. en, es)"),
        FieldProblem("self_pay_rate", "'lots' is not a whole number of US dollars"),
        FieldProblem("licenses", "at least one license is required"),
        FieldProblem("zip", "is required when formats include in_person"),
    ]


def test_an_in_person_provider_gets_the_location_of_their_zip():
    record, problems = build_provider_record({**GOOD, "formats": ["in_person"], "zip": "80202-1234"})

    assert problems == [] and record is not None
    assert (record.zip, record.latitude, record.longitude) == ("80202", 39.7491, -104.9946)


def test_the_same_license_twice_with_different_expiry_dates_is_a_problem():
    first = LicenseRecord("CO", "LPC", "1", dt.date(2031, 1, 31))
    renewed = LicenseRecord("CO", "LPC", "1", dt.date(2032, 1, 31))
    record, problems = build_provider_record({**GOOD, "licenses": [first, first, renewed]})

    assert record is None
    assert problems == [FieldProblem("licenses", "CO:LPC:1 is listed twice with different expiry dates")]


@pytest.mark.parametrize(
    ("text", "number"), [("120", 120), ("$95", 95), (" 0 ", 0), ("0010000", 10_000)],
)
def test_whole_numbers_accept_digits_and_a_dollar_sign(text, number):
    assert clean_whole_number(text, what="US dollars", maximum=10_000) == number


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12.50", "'12.50' is not a whole number of US dollars"),
        ("-5", "'-5' is not a whole number of US dollars"),
        ("", "'' is not a whole number of US dollars"),
        ("²", "'²' is not a whole number of US dollars"),
        ("10001", "10001 is more than the most allowed (10000 US dollars)"),
        ("9" * 5000, "is more than the most allowed (10000 US dollars)"),
    ],
)
def test_bad_whole_numbers_say_what_is_wrong(text, message):
    with pytest.raises(FieldError) as caught:
        clean_whole_number(text, what="US dollars", maximum=10_000)
    assert str(caught.value) == message


@given(st.text(max_size=6000))
def test_a_whole_number_of_any_text_is_a_number_or_a_field_error_never_a_crash(text):
    try:
        number = clean_whole_number(text, what="hours", maximum=336)
    except FieldError:
        return
    assert 0 <= number <= 336


def test_emails_are_lowercased_and_must_fit_the_column():
    assert clean_email(" Avery@Example.TEST ") == "avery@example.test"
    assert clean_email("") == ""
    with pytest.raises(FieldError, match="is not a valid email address"):
        clean_email("avery@")
    long_but_valid_shape = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".test"
    assert 254 < len(long_but_valid_shape) <= 320
    with pytest.raises(FieldError, match="is longer than 254 characters"):
        clean_email(long_but_valid_shape)


def test_phones_are_normalised_to_e164_and_invalid_ones_are_refused():
    assert clean_phone("(303) 555-0123") == "+13035550123"
    assert clean_phone("+1 720 555 0199") == "+17205550199"
    for bad in ("555-1234", "call me", "+1 303 555 01234567"):
        with pytest.raises(FieldError, match="phone number"):
            clean_phone(bad)


def test_expiry_dates_must_be_real_dates_in_iso_form_and_the_message_reads_well():
    assert clean_date("2031-06-30") == dt.date(2031, 6, 30)
    for bad in ("2031-13-01", "2031-02-30", "06/30/2031", "2031-6-30", "٢٠٣١-٠٦-٣٠"):
        with pytest.raises(FieldError) as caught:
            clean_date(bad, what="expiry date")
        assert str(caught.value) == f"'{bad}' is not an expiry date in the form YYYY-MM-DD"
    with pytest.raises(FieldError, match="is not a date in the form"):
        clean_date("soon")


def test_licenses_are_normalised_and_their_state_must_be_a_us_state():
    assert clean_license(" co ", "lpc", " 0012 ", "2031-06-30") == LicenseRecord("CO", "LPC", "0012",
                                                                                  dt.date(2031, 6, 30))
    with pytest.raises(FieldError, match="'XX' is not a US state code"):
        clean_license("XX", "LPC", "1", "2031-06-30")
    with pytest.raises(FieldError, match="license type is required"):
        clean_license("CO", "", "1", "2031-06-30")
    with pytest.raises(FieldError, match="license number is required"):
        clean_license("CO", "LPC", " ", "2031-06-30")


def test_windows_read_a_day_and_two_times():
    assert parse_window("Mon 9:00 - 12:30") == WindowRecord(0, dt.time(9), dt.time(12, 30))
    assert parse_window("sun 00:00-23:59") == WindowRecord(6, dt.time(0), dt.time(23, 59))
    cases = {
        "monday 09:00-12:00": "'monday 09:00-12:00' is not a window like 'mon 09:00-12:00'",
        "xyz 09:00-12:00": "'xyz' is not a day (mon, tue, wed, thu, fri, sat, sun)",
        "mon 9-12": "'9' is not a time HH:MM",
        "mon 09:00-24:00": "'24:00' is not a time HH:MM",
        "fri 10:00-09:00": "fri 10:00-09:00 ends before it starts",
    }
    for text, message in cases.items():
        with pytest.raises(FieldError) as caught:
            parse_window(text)
        assert str(caught.value) == message


def test_overlapping_windows_on_one_day_are_named():
    morning, late_morning = WindowRecord(0, dt.time(9), dt.time(12)), WindowRecord(0, dt.time(11), dt.time(13))
    with pytest.raises(FieldError, match="mon 09:00-12:00 overlaps mon 11:00-13:00"):
        check_windows([late_morning, morning])
    assert check_windows([WindowRecord(1, dt.time(9), dt.time(12)), morning]) == (
        morning, WindowRecord(1, dt.time(9), dt.time(12))
    )


def test_vocabulary_fields_accept_known_slugs_in_any_case_and_name_unknown_ones():
    assert clean_slugs("concerns", ["Anxiety", "anxiety", " OCD "], required=True) == ("anxiety", "ocd")
    with pytest.raises(FieldError, match="unknown concern 'hoarding'"):
        clean_slugs("concerns", ["anxiety", "hoarding"], required=True)
    with pytest.raises(FieldError, match="at least one population is required"):
        clean_slugs("populations", ["", " "], required=True)
    assert clean_slugs("insurance", [], required=False) == ()


def test_single_choice_fields_normalise_or_name_the_value():
    assert clean_taxonomy(" 101yp2500x ") == "101YP2500X"
    with pytest.raises(FieldError, match="'999X00000X' is not a known NUCC"):
        clean_taxonomy("999X00000X")
    assert clean_gender("Not stated") == "not_stated"
    assert clean_gender("non-binary".replace("-", "")) == "nonbinary"
    assert [clean_bool(v) for v in ("TRUE", "yes", "1", "n", "No", "0")] == [True, True, True, False, False, False]
    with pytest.raises(FieldError, match="'maybe' is not one of true/false/yes/no/1/0"):
        clean_bool("maybe")
    assert clean_credentials(["psyd", "LP", "PsyD"]) == ("PsyD", "LP")


def test_zips_must_be_known_us_zips():
    assert clean_zip("") is None
    with pytest.raises(FieldError, match="'00000' is not a known US ZIP code"):
        clean_zip("00000")
    with pytest.raises(FieldError, match="'8020' is not a 5-digit ZIP code"):
        clean_zip("8020")

"""The NPI check digit (CMS: the Luhn formula over 80840 and the first nine digits)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carematch.directory.validation import FieldError, clean_npi
from carematch.lib.npi import is_valid_npi, make_npi, npi_check_digit, npi_problem

NINE_DIGITS = st.text(alphabet="0123456789", min_size=8, max_size=8).flatmap(
    lambda rest: st.sampled_from([f"1{rest}", f"2{rest}"])
)


def test_the_published_example_npi_is_valid():
    # The worked example in CMS's "Requirements for NPI check digit": 123456789 has check digit 3.
    assert npi_check_digit("123456789") == 3
    assert is_valid_npi("1234567893")
    assert npi_problem("1234567894") == "check digit is wrong"


@given(NINE_DIGITS)
def test_make_npi_always_gives_a_valid_npi(first_nine):
    npi = make_npi(first_nine)
    assert len(npi) == 10 and npi.startswith(first_nine)
    assert is_valid_npi(npi)
    assert clean_npi(f"  {npi} ") == npi


@given(NINE_DIGITS, st.integers(0, 9), st.integers(1, 9))
def test_changing_any_single_digit_of_a_valid_npi_makes_it_invalid(first_nine, position, shift):
    npi = make_npi(first_nine)
    changed = npi[:position] + str((int(npi[position]) + shift) % 10) + npi[position + 1:]
    assert changed != npi
    assert not is_valid_npi(changed)
    with pytest.raises(FieldError, match="is not a valid NPI"):
        clean_npi(changed)


@given(NINE_DIGITS, st.integers(1, 8))
def test_swapping_two_neighbouring_digits_is_caught_unless_they_are_0_and_9_or_equal(first_nine, position):
    npi = make_npi(first_nine)
    a, b = npi[position], npi[position + 1]
    swapped = npi[:position] + b + a + npi[position + 2:]
    assert is_valid_npi(swapped) == (a == b or {a, b} == {"0", "9"})


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("123456789", "must be 10 digits"),
        ("12345678901", "must be 10 digits"),
        ("123456789X", "must be 10 digits"),
        ("١٢٣٤٥٦٧٨٩٣", "must be 10 digits"),  # Arabic-Indic digits are not ASCII digits
        ("3234567893", "must start with 1 or 2"),
    ],
)
def test_npis_of_the_wrong_shape_say_what_is_wrong(value, problem):
    assert npi_problem(value) == problem
    with pytest.raises(FieldError, match=problem):
        clean_npi(value)

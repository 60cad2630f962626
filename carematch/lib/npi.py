"""National Provider Identifier check digit (CMS, "Requirements for NPI check digit":
the Luhn formula over the prefix 80840 followed by the first nine digits)."""

from __future__ import annotations


def npi_check_digit(first_nine: str) -> int:
    digits = [int(d) for d in "80840" + first_nine]
    total = 0
    # Double every other digit starting from the rightmost of the fourteen.
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def npi_problem(value: str) -> str | None:
    """Why `value` is not a valid NPI, or None when it is."""
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        return "must be 10 digits"
    if value[0] not in "12":
        return "must start with 1 or 2"
    if npi_check_digit(value[:9]) != int(value[9]):
        return "check digit is wrong"
    return None


def is_valid_npi(value: str) -> bool:
    return npi_problem(value) is None


def make_npi(first_nine: str) -> str:
    """A valid NPI from nine digits (synthetic data and tests)."""
    return first_nine + str(npi_check_digit(first_nine))

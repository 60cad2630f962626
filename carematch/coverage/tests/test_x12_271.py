"""271 answers are read into the figures carematch uses and a sentence a person understands."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carematch.coverage.x12.read import Answer271Invalid, read_271

from .x12_fixtures import answer_271


def test_active_coverage_with_a_copay() -> None:
    reading = read_271(answer_271("active_copay", trace=77))
    assert reading.trace == "77" and reading.active is True and not reading.rejected
    assert reading.in_network.copay_usd == Decimal(25)
    assert reading.out_of_network.copay_usd == Decimal(60)
    assert reading.in_network.deductible_usd == Decimal(0)
    assert (reading.in_network.oop_max_usd, reading.in_network.oop_left_usd) == (Decimal(3000), Decimal(2450))
    assert reading.sentence() == (
        "Your insurer says your coverage is active for mental health. In network you pay a $25 copay a session. "
        "$2,450 is left before you reach your out-of-pocket maximum."
    )


def test_coinsurance_with_a_deductible_left_prefers_the_person_over_the_family() -> None:
    reading = read_271(answer_271("coinsurance_deductible", trace=78))
    net, out = reading.in_network, reading.out_of_network
    assert net.coinsurance_pct == Decimal(20) and out.coinsurance_pct == Decimal(40)
    assert (net.deductible_usd, net.deductible_left_usd) == (Decimal(1500), Decimal(400))  # IND, not FAM 2600
    assert (net.oop_max_usd, net.oop_left_usd) == (Decimal(6000), Decimal(4100))
    assert out.deductible_usd == Decimal(3000) and out.deductible_left_usd is None
    assert "20% of the allowed fee" in reading.sentence()
    assert "$400 of $1,500 of your deductible is left to meet" in reading.sentence()


def test_inactive_coverage_says_so_plainly() -> None:
    reading = read_271(answer_271("inactive", trace=79))
    assert reading.active is False
    assert reading.sentence().startswith("Your insurer says this coverage is not active.")


def test_aaa_72_invalid_member_id_tells_the_person_what_to_fix() -> None:
    reading = read_271(answer_271("aaa72_invalid_member_id", trace=80))
    assert [(r.code, r.follow_up, r.loop, r.retryable) for r in reading.rejections] == [("72", "C", "2100C", False)]
    assert reading.sentence() == (
        "Your insurer did not recognise the member ID we have on file. Please check it against your insurance "
        "card and correct it in your coverage details."
    )


def test_aaa_42_is_a_moment_to_wait_not_a_problem_with_the_details() -> None:
    reading = read_271(answer_271("aaa42_unable_to_respond", trace=81))
    assert reading.retryable
    assert "Nothing is wrong with your details" in reading.sentence()


def test_a_dependents_answer_is_read_from_the_dependent_loop() -> None:
    reading = read_271(answer_271("dependent_child_active", trace=82))
    assert reading.active is True and reading.in_network.copay_usd == Decimal(30)


@pytest.mark.parametrize("text", [
    "",
    "<html>502 Bad Gateway</html>",
    "ISA*00*broken~",
])
def test_what_is_not_a_271_is_refused(text: str) -> None:
    with pytest.raises(Answer271Invalid):
        read_271(text)


def test_a_271_that_breaks_the_guide_is_refused() -> None:
    text = answer_271("active_copay", trace=83).replace("SE*18*0001~", "SE*17*0001~")
    with pytest.raises(Answer271Invalid):
        read_271(text)

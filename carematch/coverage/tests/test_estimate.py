"""The estimate of what a session costs: the issue's formulas over a table of cases, and the
rules that hold for every input (never negative, never above the allowed fee A, never above
the out-of-pocket left M)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carematch.coverage.estimate import (
    Benefits,
    Fee,
    FeeRow,
    PlanTerms,
    estimate_plan,
    estimate_self_pay,
    estimate_unknown,
    estimate_with_plan,
    fee_pick,
    is_cpt,
    ongoing_cpt,
    session_share,
    whole_dollars,
)
from carematch.lib.sessions import SESSION

D = Decimal


def benefits(*, copay=None, coinsurance=None, applies=True, deductible_left=None, oop_left=None,
             source="plan") -> Benefits:
    return Benefits(copay_usd=None if copay is None else D(copay),
                    coinsurance_pct=None if coinsurance is None else D(coinsurance), deductible_applies=applies,
                    deductible_left_usd=None if deductible_left is None else D(deductible_left),
                    oop_left_usd=None if oop_left is None else D(oop_left), source=source)


@pytest.mark.parametrize(("case", "plan", "allowed", "expected"), [
    ("copay, deductible does not apply", benefits(copay=30, applies=False, deductible_left=500), 150, 30),
    ("copay, deductible applies, none left", benefits(copay=30, deductible_left=0), 150, 30),
    ("copay, deductible applies, part left", benefits(copay=30, deductible_left=100), 150, 130),
    ("copay, deductible left more than A", benefits(copay=30, deductible_left=500), 150, 150),
    ("copay, deductible left just under A: never more than A", benefits(copay=30, deductible_left=140), 150, 150),
    ("coinsurance, deductible left 0", benefits(coinsurance=20, deductible_left=0), 150, 30),
    ("coinsurance, deductible part left", benefits(coinsurance=20, deductible_left=50), 150, 70),
    ("coinsurance, deductible left more than A", benefits(coinsurance=20, deductible_left=1000), 150, 150),
    ("coinsurance, deductible does not apply", benefits(coinsurance=20, applies=False, deductible_left=1000), 150,
     30),
    ("out-of-pocket cap", benefits(coinsurance=20, deductible_left=1000, oop_left=40), 150, 40),
    ("out-of-pocket reached", benefits(copay=30, deductible_left=0, oop_left=0), 150, 0),
    ("half a dollar rounds up", benefits(coinsurance=10, deductible_left=0), 145, 15),
    ("cents round half up", benefits(coinsurance=15, deductible_left=0), D("143.30"), 21),
    ("copay above the fee: the fee", benefits(copay=60, applies=False), 40, 40),
    ("both copay and coinsurance: the larger", benefits(copay=25, coinsurance=20, deductible_left=0), 150, 30),
])
def test_the_share_of_one_session_follows_the_formulas(case, plan, allowed, expected):
    share = session_share(D(allowed), plan, deductible_left=plan.deductible_left_usd, oop_left=plan.oop_left_usd)
    assert share is not None and whole_dollars(share) == expected, case


def test_a_deductible_nobody_gave_is_read_as_the_whole_fee_never_as_met():
    assert session_share(D(150), benefits(coinsurance=20), deductible_left=None, oop_left=None) == D(150)
    assert session_share(D(150), benefits(copay=30), deductible_left=None, oop_left=None) == D(150)


def test_an_unknown_fee_is_no_figure_unless_a_copay_alone_decides():
    assert session_share(None, benefits(coinsurance=20, deductible_left=0), deductible_left=D(0), oop_left=None) \
        is None
    assert session_share(None, benefits(copay=30, deductible_left=50), deductible_left=D(50), oop_left=None) is None
    assert session_share(None, benefits(copay=30, applies=False), deductible_left=None, oop_left=None) == D(30)
    assert session_share(None, benefits(copay=30, coinsurance=20, applies=False), deductible_left=None,
                         oop_left=None) is None


def fee(cpt, allowed):
    return Fee(cpt, D(allowed), f"the fee Aetna allows in Colorado ({cpt})")


def test_the_first_session_pays_toward_the_deductible_and_the_later_ones_cost_less():
    found = estimate_plan(benefits=benefits(coinsurance=20, deductible_left=12),
                          first_fee=fee("90791", 180), ongoing_fee=fee("90837", 150))
    assert (found.first_session_usd, found.per_session_usd, found.basis) == (46, 30, "plan")
    assert any("first session counted toward your deductible" in s for s in found.assumptions)
    assert "You told us $12 of your deductible is left." in found.assumptions
    assert "We used the fee Aetna allows in Colorado (90837) for an ongoing session (CPT 90837): $150." \
        in found.assumptions


def test_without_the_deductible_left_the_whole_deductible_is_assumed_and_said():
    found = estimate_plan(benefits=benefits(coinsurance=20), first_fee=fee("90791", 180),
                          ongoing_fee=fee("90837", 150), plan_deductible_usd=D(1500), plan_oop_max_usd=D(4000))
    assert (found.first_session_usd, found.per_session_usd) == (180, 150)
    assert "We assumed none of your $1,500 deductible has been met yet, so we do not show less than you may pay." \
        in found.assumptions
    assert "We assumed you have not paid toward your $4,000 out-of-pocket maximum this year." in found.assumptions


def test_the_out_of_pocket_left_caps_the_first_session_and_what_is_left_caps_the_next():
    found = estimate_plan(benefits=benefits(coinsurance=20, deductible_left=1000, oop_left=200),
                          first_fee=fee("90791", 180), ongoing_fee=fee("90837", 150))
    assert (found.first_session_usd, found.per_session_usd) == (180, 20)


def test_no_fee_and_no_copay_alone_is_unknown_with_the_reason():
    found = estimate_plan(benefits=benefits(coinsurance=20, deductible_left=0), first_fee=None, ongoing_fee=None)
    assert (found.first_session_usd, found.per_session_usd, found.basis) == (None, None, "unknown")
    assert "We do not know the fee your plan allows for a first session." in found.assumptions


def test_an_eligibility_answer_is_its_own_basis():
    found = estimate_plan(benefits=benefits(copay=25, deductible_left=0, oop_left=900, source="eligibility"),
                          first_fee=fee("90791", 180), ongoing_fee=fee("90837", 150))
    assert (found.first_session_usd, found.per_session_usd, found.basis) == (25, 25, "eligibility")


def test_no_plan_is_unknown():
    found = estimate_unknown("Choose your plan to see what a session would cost with it.")
    assert (found.first_session_usd, found.per_session_usd, found.basis) == (None, None, "unknown")


def test_self_pay_is_the_rate_or_the_sliding_scale_when_the_person_qualifies():
    assert (estimate_self_pay(rate=140).per_session_usd, estimate_self_pay(rate=140).basis) == (140, "self_pay")
    assert estimate_self_pay(rate=140, sliding_scale=(60, 110), self_pay_max=200).sliding_scale_usd is None
    scaled = estimate_self_pay(rate=140, sliding_scale=(60, 110), self_pay_max=80)
    assert (scaled.per_session_usd, scaled.sliding_scale_usd) == (110, (60, 110))
    assert estimate_self_pay(rate=140, sliding_scale=(60, 110), self_pay_max=50).sliding_scale_usd is None


def test_the_most_specific_fee_row_wins():
    rows = [FeeRow("*", "90837", "*", D(100)), FeeRow("*", "90837", "CO", D(110)),
            FeeRow("P1", "90837", "*", D(120)), FeeRow("P1", "90837", "CO", D(130)),
            FeeRow("P1", "90834", "CO", D(90)), FeeRow("P2", "90837", "CO", D(999))]
    assert fee_pick(rows, cpt="90837", plan_id="P1", state="CO").allowed_usd == D(130)
    assert fee_pick(rows, cpt="90837", plan_id="P1", state="NY").allowed_usd == D(120)
    assert fee_pick(rows, cpt="90837", plan_id="P3", state="CO").allowed_usd == D(110)
    assert fee_pick(rows, cpt="90837", plan_id="P3", state="NY").allowed_usd == D(100)
    assert fee_pick(rows, cpt="90791", plan_id="P1", state="CO") is None


def test_sessions_of_an_hour_are_90837_and_of_45_minutes_90834():
    assert ongoing_cpt(SESSION.seconds // 60) == "90837"
    assert ongoing_cpt(45) == "90834"
    assert ongoing_cpt(60) == "90837"
    assert is_cpt("90791") and is_cpt("0362T") and not is_cpt("9083") and not is_cpt("90837x")


def test_a_plan_with_a_copay_estimates_alike_in_every_state_it_has_fees_for():
    terms = PlanTerms(payer="aetna", payer_name="Aetna", plan_id="P1", plan_name="Choice POS II",
                      copay_usd=D(30), coinsurance_pct=None, deductible_usd=D(500), deductible_applies=True,
                      oop_max_usd=D(3000), fees=(FeeRow("*", "90791", "CO", D(180)),
                                                 FeeRow("P1", "90837", "*", D(150))))
    found = estimate_with_plan(terms, state="CO", state_name="Colorado", session_minutes=60,
                               deductible_left_usd=D(0))
    assert (found.first_session_usd, found.per_session_usd) == (30, 30)
    assert "We used the fee Aetna allows in Colorado for a first session (CPT 90791): $180." in found.assumptions
    assert "We used the fee Aetna Choice POS II allows in any state for an ongoing session (CPT 90837): $150." \
        in found.assumptions


money = st.decimals(min_value=0, max_value=20000, places=2, allow_nan=False, allow_infinity=False)
maybe_money = st.none() | money


@given(allowed=money.filter(lambda a: a > 0), copay=maybe_money,
       coinsurance=st.none() | st.decimals(min_value=0, max_value=100, places=2),
       applies=st.booleans(), deductible_left=maybe_money, oop_left=maybe_money)
def test_a_session_never_costs_less_than_nothing_more_than_the_fee_or_more_than_the_out_of_pocket_left(
        allowed, copay, coinsurance, applies, deductible_left, oop_left):
    plan = Benefits(copay, coinsurance, applies, deductible_left, oop_left, "plan")
    share = session_share(allowed, plan, deductible_left=deductible_left, oop_left=oop_left)
    if copay is None and coinsurance is None:
        assert share is None
        return
    assert share is not None
    assert 0 <= share <= allowed
    assert 0 <= whole_dollars(share) <= whole_dollars(allowed)
    if oop_left is not None:
        assert share <= oop_left and whole_dollars(share) <= whole_dollars(oop_left)


@given(first=money.filter(lambda a: a > 0), ongoing=money.filter(lambda a: a > 0), copay=maybe_money,
       coinsurance=st.none() | st.decimals(min_value=0, max_value=100, places=2), applies=st.booleans(),
       deductible_left=maybe_money, oop_left=maybe_money, deductible=money, oop_max=money)
def test_an_estimate_is_never_negative_above_the_fee_or_above_the_out_of_pocket_left(
        first, ongoing, copay, coinsurance, applies, deductible_left, oop_left, deductible, oop_max):
    if copay is None and coinsurance is None:
        copay = D(0)
    found = estimate_plan(benefits=Benefits(copay, coinsurance, applies, deductible_left, oop_left, "plan"),
                          first_fee=fee("90791", first), ongoing_fee=fee("90837", ongoing),
                          plan_deductible_usd=deductible, plan_oop_max_usd=oop_max)
    cap = oop_left if oop_left is not None else oop_max
    for figure, allowed in ((found.first_session_usd, first), (found.per_session_usd, ongoing)):
        assert figure is not None
        assert 0 <= figure <= whole_dollars(allowed)
        assert figure <= whole_dollars(cap)

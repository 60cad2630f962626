"""What a session will cost the person: a pure function over plain data (no Django), so the
match API, the pages and an eligibility answer all estimate alike.

For a session whose allowed amount is A, with deductible left D, coinsurance c (a fraction),
copay k and out-of-pocket left M:

- self-pay: the provider's rate (or their sliding-scale range when the client qualifies);
- coinsurance plan: min(A, D) + c * max(0, A - D);
- copay plan: k, or min(A, D) + (k if A > D else 0) when the deductible applies first;
- never more than A (a plan never makes a person pay more than the fee it allows) and never
  more than M when M is known; whole dollars, rounded half up.

Anything not known is None, never a guess. What had to be assumed is said in plain sentences,
and every assumption is the one that does not understate what the person will pay: a
deductible left that the person did not give is taken to be all of it (the whole deductible
of the plan, or, when even that is unknown, at least the whole fee), and an out-of-pocket
amount left that they did not give is taken to be the plan's whole maximum (or no cap).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal


def _(message: str) -> str:
    """`message` in the reader's language when the site's translations are at hand (a page, an
    email, the API), as written otherwise: the arithmetic here needs nothing of Django."""
    try:
        from django.conf import settings
        from django.utils.translation import gettext
    except ImportError:  # pragma: no cover - the estimate used on its own
        return message
    return gettext(message) if settings.configured else message

# CPT codes of outpatient psychotherapy that the estimate prices (AMA CPT, Psychiatry section).
CPT_FIRST_SESSION = "90791"  # psychiatric diagnostic evaluation: the first session
CPT_PSYCHOTHERAPY_60 = "90837"  # psychotherapy, 60 minutes (53 minutes or more)
CPT_PSYCHOTHERAPY_45 = "90834"  # psychotherapy, 45 minutes (38 to 52 minutes)
CPT_PSYCHOTHERAPY_30 = "90832"  # psychotherapy, 30 minutes (16 to 37 minutes)
KNOWN_CPT = {
    CPT_FIRST_SESSION: "Psychiatric diagnostic evaluation (a first session)",
    CPT_PSYCHOTHERAPY_30: "Psychotherapy, 30 minutes",
    CPT_PSYCHOTHERAPY_45: "Psychotherapy, 45 minutes",
    CPT_PSYCHOTHERAPY_60: "Psychotherapy, 60 minutes",
    "90846": "Family psychotherapy without the patient, 50 minutes",
    "90847": "Family psychotherapy with the patient, 50 minutes",
    "90853": "Group psychotherapy",
}
# A CPT code: five digits (Category I), or four digits and F or T (Categories II and III).
CPT_FORM = re.compile(r"\d{4}[0-9FT]")

ANY = "*"  # a fee row's plan_id or state that applies to every plan or state
Basis = Literal["self_pay", "plan", "eligibility", "unknown"]
ONE_DOLLAR = Decimal("1")
HUNDRED = Decimal("100")


def is_cpt(code: str) -> bool:
    return CPT_FORM.fullmatch(code) is not None


def ongoing_cpt(minutes: int) -> str:
    """The psychotherapy code of an ongoing session of this many minutes (CPT's time rule:
    16-37 minutes is 90832, 38-52 is 90834, 53 or more is 90837)."""
    if minutes >= 53:
        return CPT_PSYCHOTHERAPY_60
    if minutes >= 38:
        return CPT_PSYCHOTHERAPY_45
    if minutes >= 16:
        return CPT_PSYCHOTHERAPY_30
    raise ValueError(f"a psychotherapy session lasts at least 16 minutes, not {minutes}")


def whole_dollars(amount: Decimal) -> int:
    """Rounded to whole dollars, half up ($29.50 is $30)."""
    return int(amount.quantize(ONE_DOLLAR, rounding=ROUND_HALF_UP))


def dollars(amount: Decimal) -> str:
    """$1,500 or $42.50: cents only when there are some."""
    if amount == amount.to_integral_value():
        return f"${int(amount):,}"
    return f"${amount:,.2f}"


@dataclass(frozen=True)
class Benefits:
    """What the person's plan pays for outpatient mental health, in network: from the plan
    loaded by a coordinator ("plan") or from the payer's eligibility answer ("eligibility")."""

    copay_usd: Decimal | None
    coinsurance_pct: Decimal | None  # 0-100
    deductible_applies: bool
    deductible_left_usd: Decimal | None  # None = unknown
    oop_left_usd: Decimal | None  # None = unknown
    source: str  # "plan" | "eligibility"


@dataclass(frozen=True)
class FeeRow:
    """One row of a fee schedule, as the lookup needs it."""

    plan_id: str  # or ANY
    cpt: str
    state: str  # or ANY
    allowed_usd: Decimal


@dataclass(frozen=True)
class Fee:
    """The fee a payer allows for one code, and where it applies, in words."""

    cpt: str
    allowed_usd: Decimal
    where: str  # "the fee Aetna allows in Colorado"


def fee_pick(rows: Iterable[FeeRow], *, cpt: str, plan_id: str, state: str) -> FeeRow | None:
    """The most specific fee row for this code: the plan's in the state, the plan's in any
    state, any plan's in the state, then any plan's in any state; None when none applies."""
    ranked = {(plan_id, state): 0, (plan_id, ANY): 1, (ANY, state): 2, (ANY, ANY): 3}
    best: tuple[int, FeeRow] | None = None
    for row in rows:
        rank = ranked.get((row.plan_id, row.state)) if row.cpt == cpt else None
        if rank is not None and (best is None or rank < best[0]):
            best = (rank, row)
    return best[1] if best else None


def fee_where(row: FeeRow, *, payer_name: str, plan_name: str, state_name: str) -> str:
    """Where a fee row applies, as the assumptions say it."""
    who = f"{payer_name} {plan_name}" if row.plan_id != ANY else payer_name
    if row.state != ANY:
        return _("the fee %(who)s allows in %(state)s") % {"who": who, "state": state_name}
    return _("the fee %(who)s allows in any state") % {"who": who}


@dataclass(frozen=True)
class Estimate:
    first_session_usd: int | None
    per_session_usd: int | None
    basis: Basis
    assumptions: tuple[str, ...] = ()
    # Self-pay on a sliding scale: the range the person's fee is agreed within (the figures
    # above are its top).
    sliding_scale_usd: tuple[int, int] | None = None


def session_share(allowed: Decimal | None, benefits: Benefits, *, deductible_left: Decimal | None,
                  oop_left: Decimal | None) -> Decimal | None:
    """What the person pays for one session with allowed amount `allowed` (None when it cannot
    be known), before rounding. `deductible_left` None means unknown and is read as at least
    the whole fee (the assumption that never understates); `oop_left` None means no cap is known."""
    if not benefits.deductible_applies:
        deductible_left = Decimal(0)
    shares: list[Decimal] = []
    if benefits.copay_usd is not None:
        if deductible_left == 0:
            shares.append(benefits.copay_usd)  # the copay is owed whatever the fee (capped below when known)
        elif allowed is not None:
            d = allowed if deductible_left is None else deductible_left
            shares.append(min(allowed, d) + (benefits.copay_usd if allowed > d else Decimal(0)))
    if benefits.coinsurance_pct is not None and allowed is not None:
        d = allowed if deductible_left is None else deductible_left
        shares.append(min(allowed, d) + benefits.coinsurance_pct / HUNDRED * max(Decimal(0), allowed - d))
    expected = (benefits.copay_usd is not None) + (benefits.coinsurance_pct is not None)
    if not shares or len(shares) < expected:
        return None  # a part that cannot be priced could be the larger: no figure rather than too low a one
    share = max(shares)  # a plan with both a copay and coinsurance: the larger, never the smaller
    if allowed is not None:
        share = min(share, allowed)
    if oop_left is not None:
        share = min(share, oop_left)
    return max(share, Decimal(0))


def estimate_plan(*, benefits: Benefits, first_fee: Fee | None, ongoing_fee: Fee | None,
                  plan_deductible_usd: Decimal | None = None, plan_oop_max_usd: Decimal | None = None) -> Estimate:
    """The first session (CPT 90791) and each ongoing session with a plan's benefits (or an
    eligibility answer's). The plan's whole deductible and out-of-pocket maximum stand in for
    what is left of them when the person did not say (the amounts that never understate)."""
    said: list[str] = []
    deductible_left = benefits.deductible_left_usd
    if benefits.deductible_applies and deductible_left is None:
        if plan_deductible_usd is not None:
            deductible_left = plan_deductible_usd
            if plan_deductible_usd > 0:
                said.append(_("We assumed none of your %(amount)s deductible has been met yet, so we do not show "
                              "less than you may pay") % {"amount": dollars(plan_deductible_usd)})
        else:
            said.append(_("We assumed none of your deductible has been met yet, so you may pay the whole fee your "
                          "plan allows"))
    if benefits.source == "plan":
        if benefits.deductible_applies and benefits.deductible_left_usd is not None:
            said.append(_("You told us %(amount)s of your deductible is left")
                        % {"amount": dollars(benefits.deductible_left_usd)})
        if benefits.oop_left_usd is not None:
            said.append(_("You told us %(amount)s of your out-of-pocket maximum is left")
                        % {"amount": dollars(benefits.oop_left_usd)})
    oop_left = benefits.oop_left_usd
    if oop_left is None and plan_oop_max_usd is not None:
        oop_left = plan_oop_max_usd
    if benefits.oop_left_usd is None and benefits.source == "plan" and plan_oop_max_usd:
        said.append(_("We assumed you have not paid toward your %(amount)s out-of-pocket maximum this year")
                    % {"amount": dollars(plan_oop_max_usd)})
    first = session_share(first_fee.allowed_usd if first_fee else None, benefits,
                          deductible_left=deductible_left, oop_left=oop_left)
    # The sessions after the first: what the first paid toward the deductible and the
    # out-of-pocket maximum is no longer left. Without the first session's fee nothing is
    # taken off (a larger deductible left never lowers the estimate).
    next_deductible, next_oop = deductible_left, oop_left
    if first is not None and first_fee is not None:
        if deductible_left is not None and benefits.deductible_applies:
            next_deductible = max(Decimal(0), deductible_left - min(first_fee.allowed_usd, deductible_left))
        if oop_left is not None:
            next_oop = max(Decimal(0), oop_left - first)
    ongoing = session_share(ongoing_fee.allowed_usd if ongoing_fee else None, benefits,
                            deductible_left=next_deductible, oop_left=next_oop)
    if next_deductible != deductible_left and deductible_left and ongoing is not None:
        said.append(_("The later sessions assume your first session counted toward your deductible"))
    for fee, used, unknown in (
        (first_fee, _("We used %(where)s for a first session (CPT %(cpt)s): %(amount)s"),
         _("We do not know the fee your plan allows for a first session")),
        (ongoing_fee, _("We used %(where)s for an ongoing session (CPT %(cpt)s): %(amount)s"),
         _("We do not know the fee your plan allows for an ongoing session")),
    ):
        if fee is not None:
            said.append(used % {"where": fee.where, "cpt": fee.cpt, "amount": dollars(fee.allowed_usd)})
        else:
            said.append(unknown)
    if benefits.copay_usd is not None and benefits.coinsurance_pct is not None:
        said.append(_("Your plan has both a copay and coinsurance; we used whichever costs you more"))
    if benefits.source == "eligibility":
        said.append(_("Your benefits are as your insurer reported them when we checked your coverage"))
    sentences = tuple(f"{sentence}." for sentence in said)
    if first is None and ongoing is None:
        return Estimate(None, None, "unknown", sentences)
    return Estimate(
        first_session_usd=whole_dollars(first) if first is not None else None,
        per_session_usd=whole_dollars(ongoing) if ongoing is not None else None,
        basis="eligibility" if benefits.source == "eligibility" else "plan",
        assumptions=sentences,
    )


def estimate_self_pay(*, rate: int, sliding_scale: tuple[int, int] | None = None,
                      self_pay_max: int | None = None) -> Estimate:
    """Paying for sessions oneself: the provider's rate, or their sliding-scale range when the
    person qualifies (the most they can pay is below the rate and within the scale)."""
    if sliding_scale is not None and self_pay_max is not None and sliding_scale[0] <= self_pay_max < rate:
        low, high = sliding_scale
        return Estimate(high, high, "self_pay", (
            _("The therapist's fee is $%(rate)s a session; on their sliding scale you agree a fee from $%(low)s to "
              "$%(high)s with them, and we show the top of that range.") % {"rate": rate, "low": low, "high": high},
        ), sliding_scale_usd=(low, high))
    return Estimate(rate, rate, "self_pay", (_("You pay the therapist's own fee; insurance is not used."),))


def estimate_unknown(reason: str) -> Estimate:
    """No estimate: `reason` says why in a sentence ("Choose your plan to see ...")."""
    return Estimate(None, None, "unknown", (reason,))


@dataclass(frozen=True)
class PlanTerms:
    """A loaded plan and the fee rows that may apply to it (its own and its payer's `*`
    rows), read once for every provider of a match."""

    payer: str
    payer_name: str
    plan_id: str
    plan_name: str
    copay_usd: Decimal | None
    coinsurance_pct: Decimal | None
    deductible_usd: Decimal
    deductible_applies: bool
    oop_max_usd: Decimal
    fees: tuple[FeeRow, ...]


def estimate_with_plan(terms: PlanTerms, *, state: str, state_name: str, session_minutes: int,
                       deductible_left_usd: Decimal | None = None, oop_left_usd: Decimal | None = None,
                       benefits: Benefits | None = None) -> Estimate:
    """The estimate for a person with this plan, seen in `state`, who said what is left of their
    deductible and out-of-pocket maximum (None: they did not say). `benefits`, when given, are
    what the person's insurer answered (an eligibility check) and stand in for the plan's own."""
    if benefits is None:
        benefits = Benefits(
            copay_usd=terms.copay_usd, coinsurance_pct=terms.coinsurance_pct,
            deductible_applies=terms.deductible_applies, deductible_left_usd=deductible_left_usd,
            oop_left_usd=oop_left_usd, source="plan",
        )
    return estimate_with_fees(benefits, fees=terms.fees, plan_id=terms.plan_id, payer_name=terms.payer_name,
                              plan_name=terms.plan_name, state=state, state_name=state_name,
                              session_minutes=session_minutes, plan_deductible_usd=terms.deductible_usd,
                              plan_oop_max_usd=terms.oop_max_usd)


def estimate_with_fees(benefits: Benefits, *, fees: Iterable[FeeRow], plan_id: str, payer_name: str, plan_name: str,
                       state: str, state_name: str, session_minutes: int, plan_deductible_usd: Decimal | None = None,
                       plan_oop_max_usd: Decimal | None = None) -> Estimate:
    """The estimate with `benefits` and the most specific of `fees` for each session (a
    `plan_id` of "" takes the payer's rows for every plan). Without the plan's deductible and
    out-of-pocket maximum, what is not known of them is said, never taken as 0."""
    rows = tuple(fees)

    def fee(cpt: str) -> Fee | None:
        row = fee_pick(rows, cpt=cpt, plan_id=plan_id, state=state)
        if row is None:
            return None
        return Fee(cpt, row.allowed_usd, fee_where(row, payer_name=payer_name, plan_name=plan_name,
                                                   state_name=state_name))

    return estimate_plan(benefits=benefits, first_fee=fee(CPT_FIRST_SESSION),
                         ongoing_fee=fee(ongoing_cpt(session_minutes)),
                         plan_deductible_usd=plan_deductible_usd, plan_oop_max_usd=plan_oop_max_usd)


def cost_sentence(estimate: Estimate) -> str:
    """The estimate as the pages say it: "About $30 a session with your plan; your first
    session about $42"."""
    first, each = estimate.first_session_usd, estimate.per_session_usd
    if estimate.basis == "self_pay":
        if estimate.sliding_scale_usd is not None:
            low, high = estimate.sliding_scale_usd
            return _("$%(low)s to $%(high)s a session on a sliding scale, paid yourself") % {"low": low, "high": high}
        return _("$%(each)s a session, paid yourself") % {"each": each}
    if estimate.basis == "unknown" or (first is None and each is None):
        return _("We can't estimate the cost with your plan yet")
    amounts = {"first": first, "each": each}
    if estimate.basis == "plan":
        if each is None:
            return _("Your first session about $%(first)s with your plan; "
                     "we can't estimate the later sessions yet") % amounts
        if first is None:
            return _("About $%(each)s a session with your plan; we can't estimate your first session yet") % amounts
        if first == each:
            return _("About $%(each)s a session with your plan, the first session too") % amounts
        return _("About $%(each)s a session with your plan; your first session about $%(first)s") % amounts
    if each is None:
        return _("Your first session about $%(first)s with your coverage; "
                 "we can't estimate the later sessions yet") % amounts
    if first is None:
        return _("About $%(each)s a session with your coverage; we can't estimate your first session yet") % amounts
    if first == each:
        return _("About $%(each)s a session with your coverage, the first session too") % amounts
    return _("About $%(each)s a session with your coverage; your first session about $%(first)s") % amounts

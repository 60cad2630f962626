"""Reading a 271 eligibility answer (005010X279A1) into figures and a sentence a person understands.

pyx12 validates the answer and says which loop each segment belongs to (validate.py); here
the benefits (EB) of the patient's loop (2110C for the subscriber, 2110D for a dependent) are
sorted into what carematch needs: whether coverage is active, and the in-network and
out-of-network copay, coinsurance, deductible and out-of-pocket figures for mental health,
each as the total for the year and what is left. A rejection (AAA) becomes a sentence that
says what to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .validate import Found, validated

# EB03 service types that answer for outpatient mental health: mental health itself, its
# outpatient and professional variants, and the plan's coverage in general (30), in that order.
MENTAL_HEALTH_TYPES = ("MH", "A8", "A6", "CF", "30")
ACTIVE_CODES = frozenset({"1", "2", "3", "4", "5"})
INACTIVE_CODES = frozenset({"6", "7", "8"})
REMAINING = "29"  # EB06: what is left of the amount

# AAA03 reject reasons, as a person would want to hear them, and whether trying again later helps.
REJECTIONS: dict[str, tuple[str, bool]] = {
    "42": ("Your insurer's system could not answer just now. Nothing is wrong with your details.", True),
    "80": ("Your insurer did not answer in time. Nothing is wrong with your details.", True),
    "72": ("Your insurer did not recognise the member ID we have on file. Please check it against your "
           "insurance card and correct it in your coverage details.", False),
    "75": ("Your insurer could not find a member with these details. Please check the member ID, name and "
           "date of birth against your insurance card.", False),
    "73": ("Your insurer says the subscriber's name does not match their records. Please enter the name "
           "exactly as it is printed on the insurance card.", False),
    "58": ("Your insurer says the date of birth does not match their records. Please check the date of "
           "birth of the person named on the card.", False),
    "71": ("Your insurer says the patient's date of birth does not match their records. Please check it.",
           False),
    "76": ("Your insurer found more than one member with this ID. Please call the number on your card; "
           "a coordinator can help too.", False),
    "64": ("Your insurer could not find the patient under this subscriber's plan. Please check who the "
           "patient is to the subscriber and the patient's name and date of birth.", False),
    "65": ("Your insurer says the patient's name does not match their records. Please enter it exactly "
           "as it is on the insurance card.", False),
    "67": ("Your insurer could not find the patient under this subscriber's plan. Please check the "
           "patient's name and date of birth, and who they are to the subscriber.", False),
    "15": ("Your insurer needs more details than we sent. A coordinator will look at it with you.", False),
    "41": ("Your insurer did not let our practice check coverage. A coordinator will look into it.", False),
    "43": ("Your insurer did not recognise our practice. A coordinator will look into it.", False),
    "79": ("Your insurer did not recognise our practice. A coordinator will look into it.", False),
    "57": ("Your insurer could not check coverage for that date. A coordinator will look into it.", False),
    "62": ("Your insurer could not check coverage for that date. A coordinator will look into it.", False),
    "63": ("Your insurer does not answer for dates this far ahead.", True),
}
UNKNOWN_REJECTION = ("Your insurer could not confirm your coverage. Please check your details against your "
                     "insurance card; a coordinator can help.", False)


class Answer271Invalid(ValueError):
    """The answer is not a valid 271: the clearinghouse sent something carematch cannot trust."""


@dataclass(frozen=True)
class Rejection:
    code: str
    follow_up: str  # AAA04: C correct and resubmit, N no, R resubmission allowed, W/X wait, Y do not
    loop: str
    sentence: str
    retryable: bool


@dataclass
class Network:
    """The figures of one side of the network, None where the answer said nothing."""

    copay_usd: Decimal | None = None
    coinsurance_pct: Decimal | None = None
    deductible_usd: Decimal | None = None
    deductible_left_usd: Decimal | None = None
    oop_max_usd: Decimal | None = None
    oop_left_usd: Decimal | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {name: (str(value) if value is not None else None) for name, value in vars(self).items()}


@dataclass
class Reading:
    """What a 271 said about the patient's mental-health coverage."""

    trace: str = ""
    active: bool | None = None  # None: the answer did not say
    plan_name: str = ""
    in_network: Network = field(default_factory=Network)
    out_of_network: Network = field(default_factory=Network)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return bool(self.rejections)

    @property
    def retryable(self) -> bool:
        return self.rejected and all(r.retryable for r in self.rejections)

    def sentence(self) -> str:
        if self.rejections:
            return " ".join(dict.fromkeys(r.sentence for r in self.rejections))
        if self.active is False:
            return ("Your insurer says this coverage is not active. If you have new insurance, please update "
                    "your coverage details; otherwise sessions would be self-pay.")
        if self.active is None:
            return ("Your insurer answered but did not say whether your coverage is active. A coordinator "
                    "will look into it.")
        parts = ["Your insurer says your coverage is active for mental health."]
        net = self.in_network
        if net.copay_usd is not None:
            parts.append(f"In network you pay a ${_money(net.copay_usd)} copay a session.")
        if net.coinsurance_pct is not None:
            parts.append(f"In network you pay {_number(net.coinsurance_pct)}% of the allowed fee.")
        if net.deductible_left_usd is not None:
            if net.deductible_left_usd == 0:
                parts.append("Your deductible is met.")
            else:
                total = f" of ${_money(net.deductible_usd)}" if net.deductible_usd is not None else ""
                parts.append(f"${_money(net.deductible_left_usd)}{total} of your deductible is left to meet.")
        if net.oop_left_usd is not None:
            parts.append(f"${_money(net.oop_left_usd)} is left before you reach your out-of-pocket maximum.")
        return " ".join(parts)


def _money(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _decimal(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _percent(fraction: Decimal) -> Decimal:
    """EB08 is a fraction (0.2 is 20%)."""
    value = fraction * 100
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.quantize(Decimal("0.01"))


def _rejection(found: Found) -> Rejection:
    code = found.value("AAA03")
    sentence, retryable = REJECTIONS.get(code, UNKNOWN_REJECTION)
    return Rejection(code=code, follow_up=found.value("AAA04"), loop=found.loop, sentence=sentence,
                     retryable=retryable)


def _service_types(found: Found) -> list[str]:
    raw = found.segment.get_value("EB03")
    if not raw:
        return []
    return [part for part in str(raw).replace(":", "^").split("^") if part]


def _rank(types: list[str]) -> int | None:
    """How closely an EB answers for mental health (lower is closer); None when it does not.
    An EB without a service type applies to every service."""
    if not types:
        return len(MENTAL_HEALTH_TYPES)
    ranks = [MENTAL_HEALTH_TYPES.index(t) for t in types if t in MENTAL_HEALTH_TYPES]
    return min(ranks) if ranks else None


def read_271(text: str) -> Reading:
    """The reading of a 271, validated by pyx12 first (Answer271Invalid if it is not one)."""
    from .validate import X12Invalid

    try:
        segments = validated(text, transaction="271")
    except X12Invalid as exc:
        raise Answer271Invalid(str(exc)) from None
    reading = Reading()
    # The patient's loops: 2000D's when the answer has a dependent, else 2000C's.
    patient_level = "D" if any(found.loop.endswith("D") and found.loop[:4] in {"2000", "2100", "2110"}
                               for found in segments) else "C"
    best: dict[tuple[str, str], tuple[int, int, Decimal]] = {}
    for found in segments:
        if found.id == "TRN" and found.value("TRN01") == "2" and not reading.trace:
            reading.trace = found.value("TRN02")
        elif found.id == "AAA" and found.value("AAA01") == "N":
            reading.rejections.append(_rejection(found))
        elif found.id == "EB" and found.loop == f"2110{patient_level}":
            rank = _rank(_service_types(found))
            if rank is None:
                continue
            code = found.value("EB01")
            if code in ACTIVE_CODES:
                reading.active = True if reading.active is None or reading.active else reading.active
                reading.plan_name = reading.plan_name or found.value("EB05")
            elif code in INACTIVE_CODES:
                reading.active = False if reading.active is None else reading.active
            _figure(best, found, code, rank)
    for (network, name), (_closeness, _level, value) in sorted(best.items()):
        side = reading.in_network if network == "in" else reading.out_of_network
        setattr(side, name, value)
    return reading


def _figure(best: dict[tuple[str, str], tuple[int, int, Decimal]], found: Found, code: str, rank: int) -> None:
    """Keep, for each network side and figure, the value of the EB closest to mental health
    and to the person (IND before FAM)."""
    network = found.value("EB12")
    sides = {"Y": ("in",), "N": ("out",)}.get(network, ("in", "out"))
    period = found.value("EB06")
    level = 0 if found.value("EB02") in {"IND", ""} else 1
    if code == "B":
        names_values = [("copay_usd", _decimal(found.value("EB07")))]
    elif code == "A":
        percent = _decimal(found.value("EB08"))
        names_values = [("coinsurance_pct", _percent(percent) if percent is not None else None)]
    elif code == "C":
        names_values = [("deductible_left_usd" if period == REMAINING else "deductible_usd",
                         _decimal(found.value("EB07")))]
    elif code == "G":
        names_values = [("oop_left_usd" if period == REMAINING else "oop_max_usd", _decimal(found.value("EB07")))]
    else:
        return
    for name, value in names_values:
        if value is None:
            continue
        for side in sides:
            key = (side, name)
            score = (rank, level)
            if key not in best or score < best[key][:2]:
                best[key] = (rank, level, value)

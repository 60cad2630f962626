"""Demo data of coverage: a few synthetic plans of the demo payers and their fee schedules, so
the demo client sees what a session would cost with a plan. Loaded through the same checked
import as a coordinator's files; running it again changes nothing. The plans and amounts are
invented: they are no payer's real benefits or fees."""

from __future__ import annotations

from .tables import BENEFITS_COLUMNS, FEES_COLUMNS, ImportReport, benefits_import, fees_import

DEMO_PLANS = (
    # payer, plan_id, plan_name, copay_usd, coinsurance_pct, deductible_usd, deductible_applies, oop_max_usd
    ("aetna", "DEMO-AET-PPO", "Demo Open Access PPO", "30", "", "500", "no", "4000"),
    ("aetna", "DEMO-AET-HDHP", "Demo High Deductible HSA", "", "20", "2000", "yes", "6000"),
    ("bcbs", "DEMO-BCBS-BLUE", "Demo Blue Choice", "25", "", "250", "yes", "3500"),
    ("bcbs", "DEMO-BCBS-SILVER", "Demo Silver 80", "", "20", "1500", "yes", "7000"),
    ("cigna", "DEMO-CIG-OAP", "Demo Open Access Plus", "40", "", "0", "no", "5000"),
    ("uhc", "DEMO-UHC-CHOICE", "Demo Choice Plus", "", "10", "750", "yes", "4500"),
    ("medicaid", "DEMO-MCD", "Demo Medicaid", "0", "", "0", "no", "0"),
)
DEMO_FEES = (
    # payer, plan_id, cpt, allowed_usd, state
    ("aetna", "*", "90791", "175", "*"), ("aetna", "*", "90837", "145", "*"), ("aetna", "*", "90834", "110", "*"),
    ("aetna", "*", "90837", "160", "NY"), ("aetna", "*", "90837", "150", "CO"),
    ("bcbs", "*", "90791", "165", "*"), ("bcbs", "*", "90837", "135", "*"), ("bcbs", "*", "90834", "102", "*"),
    ("cigna", "*", "90791", "180", "*"), ("cigna", "*", "90837", "150", "*"), ("cigna", "*", "90834", "115", "*"),
    ("uhc", "*", "90791", "170", "*"), ("uhc", "*", "90837", "140", "*"), ("uhc", "*", "90834", "105", "*"),
    ("medicaid", "*", "90791", "120", "*"), ("medicaid", "*", "90837", "95", "*"),
    ("medicaid", "*", "90834", "75", "*"),
)


def _csv(columns: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> str:
    return "\n".join([",".join(columns), *(",".join(row) for row in rows)]) + "\n"


def seed_demo_coverage() -> str:
    """Load the demo plans and fees; what happened, in a line."""
    plans = benefits_import(source=_csv(BENEFITS_COLUMNS, DEMO_PLANS))
    fees = fees_import(source=_csv(FEES_COLUMNS, DEMO_FEES))
    for report in (plans, fees):
        if report.problems:
            raise ValueError(f"the demo coverage data has problems: {report.problems[0]}")
    return f"Demo plans: {_counts(plans)}; demo fees: {_counts(fees)}."


def _counts(report: ImportReport) -> str:
    return f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged"

"""NUCC Health Care Provider Taxonomy: the behavioural-health codes carematch knows, with NUCC's names.

The codes, groupings and display names are NUCC's own, read from the data file shipped beside this
module (`data/nucc_behavioural_health.csv`, whose header names the code-set version and source).
Deactivated codes are kept so that an old record or a payer's directory still shows NUCC's name for
them, but they are not accepted as a provider's taxonomy.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

VERSION = "25.1"
SYSTEM = "http://nucc.org/provider-taxonomy"
DATA_FILE = Path(__file__).with_name("data") / "nucc_behavioural_health.csv"


@dataclass(frozen=True, slots=True)
class TaxonomyCode:
    code: str
    grouping: str
    classification: str
    specialization: str
    display_name: str
    active: bool


@cache
def codes() -> MappingProxyType[str, TaxonomyCode]:
    """Every code of the data file, deactivated ones included, in NUCC's order."""
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        table = {
            row["code"]: TaxonomyCode(
                code=row["code"],
                grouping=row["grouping"],
                classification=row["classification"],
                specialization=row["specialization"],
                display_name=row["display_name"],
                active=row["status"] == "active",
            )
            for row in rows
        }
    return MappingProxyType(table)


@cache
def behavioural() -> MappingProxyType[str, str]:
    """Active behavioural-health codes -> NUCC's display name."""
    return MappingProxyType({code: entry.display_name for code, entry in codes().items() if entry.active})


def display(code: str) -> str:
    """NUCC's display name for a code of the shipped set (deactivated ones included), else ''."""
    entry = codes().get(code)
    return entry.display_name if entry else ""


def is_behavioural(code: str) -> bool:
    """True for an active code of the shipped behavioural-health set."""
    return code in behavioural()


def is_deactivated(code: str) -> bool:
    entry = codes().get(code)
    return entry is not None and not entry.active

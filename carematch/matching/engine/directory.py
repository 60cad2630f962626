"""The directory as the engine reads it: what matching needs of every bookable provider, in arrays.

Built once from plain rows (carematch/matching/snapshot.py reads them from the database)
and then only read. Providers who are not accepting new clients are left out: no
request can match them. List attributes are bit masks over the shipped vocabularies;
licenses become, per state, the latest expiry among the provider's licenses there whose
verification lets them count (carematch/lib/licenses.py: verified, or also not yet
verified where the deployment allows it; never rejected), so that a license counts on a
date exactly when that expiry has not passed by then (lib.licenses.unexpired_on); weekly
windows become slot templates (a weekday and a wall-clock start on the provider's own
clock, one per whole session that fits in the window).
Outcome estimates (carematch.measures.selectors.provider_effects) become, per measured
concern, each provider's value of the outcomes part (engine/scoring.py).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from carematch.lib import vocab
from carematch.lib.licenses import status_counts
from carematch.lib.sessions import SESSION_SECONDS

from .scoring import MEASURED_CONCERNS, NETWORK_MEAN_OUTCOME, Effect, outcome_value
from .zones import day_number

CONCERN_BITS = {slug: 1 << i for i, slug in enumerate(vocab.CONCERNS)}
APPROACH_BITS = {slug: 1 << i for i, slug in enumerate(vocab.APPROACHES)}
POPULATION_BITS = {slug: 1 << i for i, slug in enumerate(vocab.POPULATIONS)}
FORMAT_BITS = {"telehealth": 1, "in_person": 2}
GENDER_CODES = {slug: i for i, slug in enumerate(vocab.GENDERS)}


class ProviderRow(NamedTuple):
    """One provider as stored (the fields matching reads)."""

    id: int
    npi: str
    first_name: str
    last_name: str
    credentials: list[str]
    gender: str
    languages: list[str]
    concerns: list[str]
    approaches: list[str]
    populations: list[str]
    formats: list[str]
    insurance: list[str]
    self_pay_rate: int
    accepting_new: bool
    timezone: str
    min_notice_hours: int
    works_holidays: bool
    latitude: float | None
    longitude: float | None
    specialties: list[str] = []  # the NamedTuple's default, never changed


class LicenseRow(NamedTuple):
    provider_id: int
    state: str
    expires: dt.date
    status: str  # verified, unverified or rejected (carematch/lib/licenses.py)


class WindowRow(NamedTuple):
    provider_id: int
    weekday: int
    start: dt.time
    end: dt.time


IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class StateLicenses:
    """Providers (positions, ascending) licensed in one state, with their latest expiry there."""

    providers: npt.NDArray[np.int32]
    expires: npt.NDArray[np.int32]  # day numbers


@dataclass(frozen=True, eq=False)
class Directory:
    ids: IntArray
    # Lists when built here; compact sequences over mapped files when loaded (engine/store.py).
    npis: Sequence[str]
    names: Sequence[str]
    credentials: Sequence[tuple[str, ...]]
    concerns: npt.NDArray[np.uint32]
    specialties: npt.NDArray[np.uint32]  # concern bits: the (up to 3) concerns the provider specialises in
    approaches: npt.NDArray[np.uint32]
    populations: npt.NDArray[np.uint32]
    payers: npt.NDArray[np.uint64]  # (providers, words): bit i of the mask is payer_codes[i]
    payer_codes: dict[str, int]  # payers are data (directory.models.Payer): numbered per snapshot
    formats: npt.NDArray[np.uint8]
    languages: npt.NDArray[np.uint64]  # (providers, words): bit i of the mask is language_codes[i]
    language_codes: dict[str, int]
    gender: npt.NDArray[np.int8]
    self_pay: npt.NDArray[np.int32]
    notice_seconds: IntArray
    works_holidays: npt.NDArray[np.bool_]
    zone_index: npt.NDArray[np.int16]
    zone_names: list[str]
    latitude: npt.NDArray[np.float64]  # radians; NaN when the provider has no office location
    longitude: npt.NDArray[np.float64]
    latitude_degrees: npt.NDArray[np.float64]
    longitude_degrees: npt.NDArray[np.float64]
    licenses: dict[str, StateLicenses]
    # Slot templates, grouped by provider: those of provider i are [slot_ptr[i], slot_ptr[i + 1]).
    slot_ptr: IntArray
    slot_weekday: npt.NDArray[np.int8]
    slot_start: npt.NDArray[np.int32]  # seconds after local midnight
    slot_window_end: npt.NDArray[np.int32]  # the window's end, seconds after local midnight
    # Per measured concern, each provider's value of the outcomes part (0.5 without an estimate).
    outcomes: dict[str, npt.NDArray[np.float64]]

    @property
    def size(self) -> int:
        return len(self.ids)

    def nbytes(self) -> int:
        """Memory held, roughly: arrays exactly, Python strings and lists by their object sizes."""
        total = 0
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, np.ndarray):
                total += value.nbytes
            elif hasattr(value, "nbytes"):  # strings packed in arrays (engine/store.py)
                total += int(value.nbytes)
            elif isinstance(value, list):
                total += sys.getsizeof(value) + sum(_object_size(item) for item in value)
            elif isinstance(value, dict):
                total += sys.getsizeof(value) + sum(
                    sys.getsizeof(key) + (item.providers.nbytes + item.expires.nbytes
                                          if isinstance(item, StateLicenses) else
                                          item.nbytes if isinstance(item, np.ndarray) else sys.getsizeof(item))
                    for key, item in value.items()
                )
        return total


def _object_size(item: object) -> int:
    if isinstance(item, tuple):
        return sys.getsizeof(item) + sum(sys.getsizeof(part) for part in item)
    return sys.getsizeof(item)


def _mask(items: Iterable[str], bits: dict[str, int]) -> int:
    mask = 0
    for item in items:
        mask |= bits.get(item, 0)
    return mask


def _seconds(moment: dt.time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def build_directory(
    *, providers: Iterable[ProviderRow], licenses: Iterable[LicenseRow], windows: Iterable[WindowRow],
    effects: Mapping[int, Mapping[str, Effect]] | None = None, match_unverified: bool = False,
) -> Directory:
    """The directory from its rows, each read once (they may come straight from a database
    cursor), and the providers' outcome estimates ({provider_id: {concern: (estimate, n, sd)}}).
    `match_unverified` is the deployment's choice to let licenses not yet verified count."""
    columns: dict[str, list[object]] = {name: [] for name in (
        "ids", "npis", "names", "credentials", "concerns", "specialties", "approaches", "populations", "payers",
        "formats", "languages", "gender", "self_pay", "notice", "holidays", "zone", "latitude", "longitude",
    )}
    codes: dict[str, int] = {}
    payer_codes: dict[str, int] = {}
    zone_of: dict[str, int] = {}
    for row in providers:
        if not row.accepting_new:
            continue
        language_mask = 0
        for code in row.languages:
            language_mask |= 1 << codes.setdefault(code, len(codes))
        payer_mask = 0
        for slug in row.insurance:
            payer_mask |= 1 << payer_codes.setdefault(slug, len(payer_codes))
        located = row.latitude is not None and row.longitude is not None
        for name, value in (
            ("ids", row.id), ("npis", row.npi), ("names", f"{row.first_name} {row.last_name}"),
            ("credentials", tuple(row.credentials)), ("concerns", _mask(row.concerns, CONCERN_BITS)),
            # A specialty counts only among the concerns the provider treats.
            ("specialties", _mask(row.specialties, CONCERN_BITS) & _mask(row.concerns, CONCERN_BITS)),
            ("approaches", _mask(row.approaches, APPROACH_BITS)),
            ("populations", _mask(row.populations, POPULATION_BITS)),
            ("payers", payer_mask), ("formats", _mask(row.formats, FORMAT_BITS)),
            ("languages", language_mask), ("gender", GENDER_CODES.get(row.gender, -1)),
            ("self_pay", row.self_pay_rate), ("notice", row.min_notice_hours * 3600), ("holidays", row.works_holidays),
            ("zone", zone_of.setdefault(row.timezone, len(zone_of))),
            ("latitude", row.latitude if located else np.nan), ("longitude", row.longitude if located else np.nan),
        ):
            columns[name].append(value)
    order = np.argsort(np.array(columns["ids"], dtype=np.int64), kind="stable")
    count = len(order)

    def column(name: str, dtype: npt.DTypeLike) -> npt.NDArray[Any]:
        return np.array(columns[name], dtype=dtype)[order] if count else np.zeros(0, dtype=dtype)

    def objects(name: str) -> list[Any]:
        values = columns[name]
        return [values[i] for i in order.tolist()]

    ids = column("ids", np.int64)
    languages = _words(objects("languages"), len(codes))
    payers = _words(objects("payers"), len(payer_codes))
    latitude_degrees, longitude_degrees = column("latitude", np.float64), column("longitude", np.float64)

    best: dict[tuple[str, int], int] = {}
    for lic in licenses:
        if not status_counts(lic.status, match_unverified=match_unverified):
            continue
        key = (lic.state, lic.provider_id)
        expires = day_number(lic.expires)
        if best.get(key, -(10**9)) < expires:
            best[key] = expires
    by_state: dict[str, tuple[list[int], list[int]]] = {}
    for (state, provider_id), expires in best.items():
        listed = by_state.setdefault(state, ([], []))
        listed[0].append(provider_id)
        listed[1].append(expires)
    state_licenses = {}
    for state, (provider_ids, expiries) in by_state.items():
        at, known = _positions(ids, np.array(provider_ids, dtype=np.int64))
        sequence = np.argsort(at[known], kind="stable")
        state_licenses[state] = StateLicenses(
            providers=at[known][sequence].astype(np.int32),
            expires=np.array(expiries, dtype=np.int32)[known][sequence],
        )

    window_rows = [(w.provider_id, w.weekday, _seconds(w.start), _seconds(w.end)) for w in windows]
    table = np.array(window_rows, dtype=np.int64).reshape(-1, 4)
    at, known = _positions(ids, table[:, 0])
    table, at = table[known], at[known]
    # As carematch.scheduling.openings steps through a window: every whole session from its
    # start while the step is still before the window's end (always the same day: ends are
    # times of day).
    steps = np.maximum(0, -(-(table[:, 3] - table[:, 2]) // SESSION_SECONDS))
    owner = np.repeat(at, steps)
    first_of_window = np.repeat(np.cumsum(steps) - steps, steps)
    start = np.repeat(table[:, 2], steps) + (np.arange(int(steps.sum())) - first_of_window) * SESSION_SECONDS
    weekday, window_end = np.repeat(table[:, 1], steps), np.repeat(table[:, 3], steps)
    sequence = np.lexsort((start, weekday, owner))
    slot_ptr = np.searchsorted(owner[sequence], np.arange(count + 1), side="left").astype(np.int64)

    outcomes = {concern: np.full(count, NETWORK_MEAN_OUTCOME) for concern in MEASURED_CONCERNS}
    estimated = np.array(sorted(effects or {}), dtype=np.int64)
    at, known = _positions(ids, estimated)
    for position, provider_id in zip(at[known].tolist(), estimated[known].tolist(), strict=True):
        by_concern = (effects or {})[provider_id]
        for concern, values in outcomes.items():
            # Computed one at a time as the reference matcher computes them, to the last bit.
            values[position] = outcome_value(by_concern.get(concern))

    return Directory(
        ids=ids,
        npis=objects("npis"),
        names=objects("names"),
        credentials=objects("credentials"),
        concerns=column("concerns", np.uint32),
        specialties=column("specialties", np.uint32),
        approaches=column("approaches", np.uint32),
        populations=column("populations", np.uint32),
        payers=payers,
        payer_codes=payer_codes,
        formats=column("formats", np.uint8),
        languages=languages,
        language_codes=codes,
        gender=column("gender", np.int8),
        self_pay=column("self_pay", np.int32),
        notice_seconds=column("notice", np.int64),
        works_holidays=column("holidays", np.bool_),
        zone_index=column("zone", np.int16),
        zone_names=list(zone_of),
        latitude=np.radians(latitude_degrees),
        longitude=np.radians(longitude_degrees),
        latitude_degrees=latitude_degrees,
        longitude_degrees=longitude_degrees,
        licenses=state_licenses,
        slot_ptr=slot_ptr,
        slot_weekday=weekday[sequence].astype(np.int8),
        slot_start=start[sequence].astype(np.int32),
        slot_window_end=window_end[sequence].astype(np.int32),
        outcomes=outcomes,
    )


def _words(masks: Sequence[int], bits: int) -> npt.NDArray[np.uint64]:
    """Python integer bit masks (one per provider) as rows of 64-bit words, as many as `bits` needs."""
    words = max(1, (bits + 63) // 64)
    packed = np.zeros((len(masks), words), dtype=np.uint64)
    for word in range(words):
        packed[:, word] = np.array([(mask >> (64 * word)) & (2**64 - 1) for mask in masks], dtype=np.uint64)
    return packed


def _positions(ids: IntArray, wanted: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Where each of `wanted` is in the sorted `ids`, and whether it is there at all."""
    at = np.searchsorted(ids, wanted).astype(np.int64)
    known = at < len(ids)
    known[known] = ids[at[known]] == wanted[known]
    return np.where(known, at, 0), known

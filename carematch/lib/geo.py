"""US ZIP code centroids, time zones and cities (offline, from the `zipcodes` package) and
great-circle distances.

The `zipcodes` package holds each ZIP code as a Python dict: about 145 MB in every process that
reads it. Here they become a compact table (`ZipTable`: sorted ZIP numbers, latitudes,
longitudes, state and zone numbers, city names packed in one byte array; about 1.5 MB), built
once per machine and kept as `.npy` files in a folder that every process maps read-only
(`use_folder`, set from CAREMATCH_VAR_DIR when Django starts: carematch/matching/apps.py).
Without a folder (plain scripts, pure tests) the table is built in memory, once per process,
and the package's dicts are let go.
"""

from __future__ import annotations

import json
import math
import os
import threading
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import zipcodes

EARTH_RADIUS_MILES = 3958.7613
_TABLE_FORMAT = 1


class ZipTable:
    """Every ZIP code the package knows, as arrays sorted by the ZIP code's number."""

    def __init__(self, arrays: dict[str, npt.NDArray[Any]], states: list[str], zones: list[str]):
        # Plain views of mapped files (np.memmap's subclass makes each single look-up slower).
        arrays = {name: np.asarray(array) for name, array in arrays.items()}
        self.codes = arrays["codes"]  # int32, ascending
        self.latitude, self.longitude = arrays["latitude"], arrays["longitude"]  # float64, NaN when unknown
        self.state = arrays["state"]  # int16 into `states`, -1 when unknown
        self.zone = arrays["zone"]  # int16 into `zones`, -1 when unknown
        self.city_data, self.city_offsets = arrays["city_data"], arrays["city_offsets"]
        self.states, self.zones = states, zones

    def at(self, zip_code: str) -> int | None:
        """The row of a 5-digit ZIP code, or None if unknown."""
        if len(zip_code) != 5 or not zip_code.isdigit():
            return None
        number = int(zip_code)
        row = int(np.searchsorted(self.codes, number))
        return row if row < len(self.codes) and int(self.codes[row]) == number else None

    def city(self, row: int) -> str:
        return self.city_data[int(self.city_offsets[row]):int(self.city_offsets[row + 1])].tobytes().decode()

    def located(self) -> npt.NDArray[np.bool_]:
        return ~np.isnan(self.latitude) & ~np.isnan(self.longitude) & (self.state >= 0)


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _entries() -> list[dict[str, Any]]:
    """The package's records, read without leaving its cache of them in this process."""
    native = getattr(zipcodes, "_zipcodes", None)
    if native is not None and hasattr(native, "list_all"):
        return list(native.list_all())
    return list(zipcodes.list_all())


def build_table() -> tuple[dict[str, npt.NDArray[Any]], list[str], list[str]]:
    """The table's arrays (and the names of states and zones) from the `zipcodes` package."""
    rows: dict[int, tuple[float, float, str, str, str]] = {}
    for entry in _entries():
        code = str(entry.get("zip_code") or "")
        if len(code) != 5 or not code.isdigit() or int(code) in rows:
            continue
        lat, lon = _number(entry.get("lat")), _number(entry.get("long"))
        if math.isnan(lat) or math.isnan(lon):
            lat = lon = math.nan
        rows[int(code)] = (lat, lon, str(entry.get("state") or ""), str(entry.get("timezone") or ""),
                           str(entry.get("city") or ""))
    codes = sorted(rows)
    states = sorted({rows[c][2] for c in codes if rows[c][2]})
    zones = sorted({rows[c][3] for c in codes if rows[c][3]})
    state_of, zone_of = {s: i for i, s in enumerate(states)}, {z: i for i, z in enumerate(zones)}
    cities = [rows[c][4].encode() for c in codes]
    offsets = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum([len(city) for city in cities], out=offsets[1:])
    arrays: dict[str, npt.NDArray[Any]] = {
        "codes": np.array(codes, dtype=np.int32),
        "latitude": np.array([rows[c][0] for c in codes], dtype=np.float64),
        "longitude": np.array([rows[c][1] for c in codes], dtype=np.float64),
        "state": np.array([state_of.get(rows[c][2], -1) for c in codes], dtype=np.int16),
        "zone": np.array([zone_of.get(rows[c][3], -1) for c in codes], dtype=np.int16),
        "city_data": np.frombuffer(b"".join(cities), dtype=np.uint8),
        "city_offsets": offsets,
    }
    return arrays, states, zones


_folder: Path | None = None
_lock = threading.Lock()
_table: ZipTable | None = None


def use_folder(folder: Path | None) -> None:
    """Keep the table in `folder` (shared by every process of the machine), from the next use on."""
    global _folder, _table
    with _lock:
        _folder, _table = folder, None
    _clear_caches()


def _clear_caches() -> None:
    zip_location.cache_clear()
    zips_in_state.cache_clear()
    zip_match_for_states.cache_clear()


def _table_folder(base: Path) -> Path:
    version = str(getattr(zipcodes, "__version__", "unknown")).replace("/", "_")
    return base / f"zips-{version}-v{_TABLE_FORMAT}"


def _save(folder: Path, arrays: dict[str, npt.NDArray[Any]], states: list[str], zones: list[str]) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    staged = folder.parent / f".{folder.name}-{uuid.uuid4().hex[:8]}.part"
    staged.mkdir()
    for name, array in arrays.items():
        np.save(staged / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
    (staged / "names.json").write_text(json.dumps({"states": states, "zones": zones}))
    try:
        os.rename(staged, folder)  # complete, or not there at all
    except OSError:  # another process got there first: its table is the same
        for part in staged.iterdir():
            part.unlink()
        staged.rmdir()


def _load(folder: Path) -> ZipTable:
    names = json.loads((folder / "names.json").read_text())
    arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
              for name in ("codes", "latitude", "longitude", "state", "zone", "city_data", "city_offsets")}
    return ZipTable(arrays, list(names["states"]), list(names["zones"]))


def zip_table() -> ZipTable:
    """The table: mapped from the machine's folder (written first if it is not there yet), or
    built in memory when no folder is set."""
    global _table
    table = _table
    if table is not None:
        return table
    with _lock:
        if _table is not None:
            return _table
        if _folder is None:
            _table = ZipTable(*build_table())
        else:
            folder = _table_folder(_folder)
            if not (folder / "names.json").exists():
                _save(folder, *build_table())
            _table = _load(folder)
        return _table


def _centroids() -> dict[str, tuple[float, float, str]]:
    """{ZIP code: (latitude, longitude, state)} of every located ZIP code (for seeding demos)."""
    table = zip_table()
    return {f"{int(table.codes[row]):05d}": (float(table.latitude[row]), float(table.longitude[row]),
                                             table.states[int(table.state[row])])
            for row in np.flatnonzero(table.located()).tolist()}


@lru_cache(maxsize=4096)
def zip_location(zip_code: str) -> tuple[float, float, str] | None:
    """(latitude, longitude, state) of a 5-digit ZIP's centroid, or None if unknown."""
    table = zip_table()
    row = table.at(zip_code)
    if row is None:
        return None
    lat, lon, state = float(table.latitude[row]), float(table.longitude[row]), int(table.state[row])
    if math.isnan(lat) or math.isnan(lon) or state < 0:
        return None
    return lat, lon, table.states[state]


def zip_in_other_state(zip_code: str, state: str) -> str | None:
    """The plain question to ask when a known ZIP code lies in another state than the one
    chosen ("80202 is in Colorado; you chose New York."), or None when they agree or either
    is unknown."""
    from .vocab import STATES

    found = zip_location(zip_code[:5]) if zip_code else None
    if found is None or state not in STATES or found[2] == state:
        return None
    from django.utils.translation import gettext

    return gettext("%(zip)s is in %(zip_state)s; you chose %(chosen)s.") % {
        "zip": zip_code[:5], "zip_state": STATES.get(found[2], found[2]), "chosen": STATES[state]}


def miles_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine great-circle distance in miles."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(1.0, a)))


def zip_timezone(zip_code: str) -> str | None:
    """The IANA time zone of a ZIP code, or None if unknown."""
    table = zip_table()
    row = table.at(zip_code)
    if row is None or int(table.zone[row]) < 0:
        return None
    return table.zones[int(table.zone[row])]


def zip_city(zip_code: str) -> str | None:
    """The city (the postal place name) of a 5-digit ZIP code, or None if unknown."""
    table = zip_table()
    row = table.at(zip_code)
    if row is None:
        return None
    return table.city(row) or None


@lru_cache(maxsize=64)
def zips_in_state(state: str) -> frozenset[str]:
    """Every known 5-digit ZIP code whose centroid is in the state (a USPS code)."""
    table = zip_table()
    if state not in table.states:
        return frozenset()
    rows = np.flatnonzero(table.located() & (table.state == table.states.index(state)))
    return frozenset(f"{int(code):05d}" for code in table.codes[rows].tolist())


@lru_cache(maxsize=64)
def zip_match_for_states(states: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """How to find the ZIP codes of some states in a query of bounded size: (3-digit prefixes all of
    whose known ZIP codes are in the states, the states' other ZIP codes). A few prefixes cross a
    state line; their ZIP codes are named one by one."""
    by_prefix: dict[str, set[str]] = {}
    table = zip_table()
    for code in (f"{int(code):05d}" for code in table.codes[table.located()].tolist()):
        by_prefix.setdefault(code[:3], set()).add(code)
    wanted = frozenset().union(*(zips_in_state(state) for state in states))
    whole = frozenset(prefix for prefix, codes in by_prefix.items() if codes <= wanted)
    return whole, frozenset(code for code in wanted if code[:3] not in whole)

"""A directory (engine/directory.py) as files in one folder, written once and mapped read-only.

`save_directory` writes every array of a `Directory` as a `.npy` file and the few small
tables (payer and language codes, zone names, which states' licenses are where) as
`meta.json`; strings (NPIs, names, credentials) become one UTF-8 byte array and its offsets.
`load_directory` maps the files with `numpy.load(mmap_mode="r")`: nothing is copied, so
every process of a machine that loads the same folder shares the same pages of the page
cache, and a process pays in its own memory only for the little it builds per request.

The folder is written under a temporary name and renamed into place when complete
(carematch/matching/snapshot.py), so a reader never sees half of one. Files are never
changed once written; a newer directory goes to a new folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from .directory import Directory, StateLicenses

FORMAT = 1
_ARRAYS = (
    "ids", "concerns", "specialties", "approaches", "populations", "payers", "formats", "languages", "gender",
    "self_pay", "notice_seconds", "works_holidays", "zone_index", "latitude", "longitude", "latitude_degrees",
    "longitude_degrees", "slot_ptr", "slot_weekday", "slot_start", "slot_window_end",
)
_SEPARATOR = "\x1f"  # between a provider's credentials: a control character no credential holds


class Texts(Sequence[str]):
    """Strings kept as one UTF-8 byte array and the offsets of each: `texts[i]` decodes one."""

    def __init__(self, data: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int64]):
        self.data, self.offsets = data, offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        low, high = int(self.offsets[index]), int(self.offsets[index + 1])
        return self.data[low:high].tobytes().decode()

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes + self.offsets.nbytes)


class TextTuples(Sequence[tuple[str, ...]]):
    """Tuples of strings (a provider's credentials), each kept as its parts joined by a separator."""

    def __init__(self, texts: Texts):
        self.texts = texts

    def __len__(self) -> int:
        return len(self.texts)

    @overload
    def __getitem__(self, index: int) -> tuple[str, ...]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, ...]]: ...
    def __getitem__(self, index: int | slice) -> tuple[str, ...] | list[tuple[str, ...]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        joined = self.texts[index]
        return tuple(joined.split(_SEPARATOR)) if joined else ()

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        return (self[i] for i in range(len(self)))

    @property
    def nbytes(self) -> int:
        return self.texts.nbytes


def _pack(strings: Sequence[str]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    encoded = [text.encode() for text in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    if encoded:
        np.cumsum([len(part) for part in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def _packed(strings: Sequence[str] | Sequence[tuple[str, ...]]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """Strings (or tuples of strings) as one byte array and offsets, without decoding them when
    they are already kept that way."""
    if isinstance(strings, TextTuples):
        strings = strings.texts
    if isinstance(strings, Texts):
        return strings.data, strings.offsets
    return _pack([item if isinstance(item, str) else _SEPARATOR.join(item) for item in strings])


def _ranges(lows: npt.NDArray[np.int64], counts: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64],
                                                                                  npt.NDArray[np.int64]]:
    """The indexes of the ranges [lows[i], lows[i] + counts[i]) one after another, and where each
    range starts among them (its pointer array)."""
    ptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    index = np.arange(int(ptr[-1]), dtype=np.int64) + np.repeat(lows - ptr[:-1], counts)
    return index, ptr


def _merged_codes(old: dict[str, int], fresh: dict[str, int]) -> tuple[dict[str, int], list[tuple[int, int]]]:
    """The old codes with the fresh ones not among them after, and (fresh bit, merged bit) pairs."""
    merged = dict(old)
    moves = []
    for code, bit in sorted(fresh.items(), key=lambda item: item[1]):
        moves.append((bit, merged.setdefault(code, len(merged))))
    return merged, moves


def _rebit(words: npt.NDArray[np.uint64], moves: list[tuple[int, int]], width: int) -> npt.NDArray[np.uint64]:
    out = np.zeros((len(words), width), dtype=np.uint64)
    for bit, to in moves:
        has = (words[:, bit // 64] >> np.uint64(bit % 64)) & np.uint64(1)
        out[:, to // 64] |= has << np.uint64(to % 64)
    return out


def _widen(words: npt.NDArray[np.uint64], width: int) -> npt.NDArray[np.uint64]:
    if words.shape[1] == width:
        return np.asarray(words)
    out = np.zeros((len(words), width), dtype=np.uint64)
    out[:, :words.shape[1]] = words
    return out


def patch_directory(old: Directory, changed: npt.NDArray[np.int64], fresh: Directory) -> Directory:
    """`old` with the providers whose ids are in `changed` replaced by those of `fresh` (their
    rows read again: a provider of `changed` absent from `fresh` is gone or no longer
    bookable). The same directory, provider for provider, as one built from every row
    afresh; only the numbering of payer and language codes and zones may differ (the old
    numbering is kept, new ones are added after it)."""
    keep = np.flatnonzero(~np.isin(old.ids, changed))
    ids = np.concatenate([old.ids[keep], fresh.ids]).astype(np.int64)
    order = np.argsort(ids, kind="stable")
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.arange(len(order))
    kept = len(keep)

    def rows(old_values: npt.NDArray[Any], fresh_values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return np.concatenate([old_values[keep], fresh_values])[order]

    payer_codes, payer_moves = _merged_codes(old.payer_codes, fresh.payer_codes)
    language_codes, language_moves = _merged_codes(old.language_codes, fresh.language_codes)
    payer_width = max(1, (len(payer_codes) + 63) // 64)
    language_width = max(1, (len(language_codes) + 63) // 64)
    zone_names = list(old.zone_names)
    zone_map = np.zeros(max(1, len(fresh.zone_names)), dtype=np.int16)
    for at, name in enumerate(fresh.zone_names):
        if name not in zone_names:
            zone_names.append(name)
        zone_map[at] = zone_names.index(name)

    def texts(old_values: Sequence[Any], fresh_values: Sequence[Any]) -> Texts:
        old_data, old_offsets = _packed(old_values)
        fresh_data, fresh_offsets = _packed(fresh_values)
        lows = np.concatenate([old_offsets[keep], fresh_offsets[:-1] + len(old_data)])[order]
        counts = np.concatenate([np.diff(old_offsets)[keep], np.diff(fresh_offsets)])[order]
        index, offsets = _ranges(lows, counts)
        return Texts(np.concatenate([old_data, fresh_data])[index], offsets)

    old_slots = len(old.slot_weekday)
    slot_lows = np.concatenate([old.slot_ptr[keep], fresh.slot_ptr[:-1] + old_slots])[order]
    slot_counts = np.concatenate([np.diff(old.slot_ptr)[keep], np.diff(fresh.slot_ptr)])[order]
    slot_index, slot_ptr = _ranges(slot_lows, slot_counts)

    def slots(old_values: npt.NDArray[Any], fresh_values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return np.concatenate([old_values, fresh_values])[slot_index]

    old_to_concat = np.full(old.size, -1, dtype=np.int64)
    old_to_concat[keep] = np.arange(kept)
    licenses = {}
    for state in sorted(set(old.licenses) | set(fresh.licenses)):
        positions, expires = [], []
        if state in old.licenses:
            held = old.licenses[state]
            concat = old_to_concat[held.providers]
            still = concat >= 0
            positions.append(inverse[concat[still]])
            expires.append(np.asarray(held.expires)[still])
        if state in fresh.licenses:
            held = fresh.licenses[state]
            positions.append(inverse[kept + held.providers.astype(np.int64)])
            expires.append(np.asarray(held.expires))
        where, until = np.concatenate(positions), np.concatenate(expires)
        if not len(where):
            continue
        sequence = np.argsort(where, kind="stable")
        licenses[state] = StateLicenses(providers=where[sequence].astype(np.int32),
                                        expires=until[sequence].astype(np.int32))

    return Directory(
        ids=ids[order],
        npis=texts(old.npis, fresh.npis),
        names=texts(old.names, fresh.names),
        credentials=TextTuples(texts(old.credentials, fresh.credentials)),
        concerns=rows(old.concerns, fresh.concerns),
        specialties=rows(old.specialties, fresh.specialties),
        approaches=rows(old.approaches, fresh.approaches),
        populations=rows(old.populations, fresh.populations),
        payers=rows(_widen(old.payers, payer_width), _rebit(fresh.payers, payer_moves, payer_width)),
        payer_codes=payer_codes,
        formats=rows(old.formats, fresh.formats),
        languages=rows(_widen(old.languages, language_width),
                       _rebit(fresh.languages, language_moves, language_width)),
        language_codes=language_codes,
        gender=rows(old.gender, fresh.gender),
        self_pay=rows(old.self_pay, fresh.self_pay),
        notice_seconds=rows(old.notice_seconds, fresh.notice_seconds),
        works_holidays=rows(old.works_holidays, fresh.works_holidays),
        zone_index=rows(old.zone_index, zone_map[fresh.zone_index] if fresh.size else fresh.zone_index),
        zone_names=zone_names,
        latitude=rows(old.latitude, fresh.latitude),
        longitude=rows(old.longitude, fresh.longitude),
        latitude_degrees=rows(old.latitude_degrees, fresh.latitude_degrees),
        longitude_degrees=rows(old.longitude_degrees, fresh.longitude_degrees),
        licenses=licenses,
        slot_ptr=slot_ptr,
        slot_weekday=slots(old.slot_weekday, fresh.slot_weekday),
        slot_start=slots(old.slot_start, fresh.slot_start),
        slot_window_end=slots(old.slot_window_end, fresh.slot_window_end),
        outcomes={concern: rows(values, fresh.outcomes[concern]) for concern, values in old.outcomes.items()},
    )


def directory_rows(directory: Directory) -> list[tuple[Any, ...]]:
    """Every provider of `directory` as plain values, codes by name: what two directories of
    the same providers share however they were built (a test compares them)."""
    payers = sorted(directory.payer_codes.items(), key=lambda item: item[1])
    languages = sorted(directory.language_codes.items(), key=lambda item: item[1])

    def named(words: npt.NDArray[np.uint64], table: list[tuple[str, int]]) -> tuple[str, ...]:
        return tuple(sorted(code for code, bit in table if int(words[bit // 64]) >> (bit % 64) & 1))

    licensed: dict[int, list[tuple[str, int]]] = {}
    for state, held in directory.licenses.items():
        for position, expires in zip(held.providers.tolist(), held.expires.tolist(), strict=True):
            licensed.setdefault(position, []).append((state, expires))
    out = []
    for p in range(directory.size):
        low, high = int(directory.slot_ptr[p]), int(directory.slot_ptr[p + 1])
        out.append((
            int(directory.ids[p]), directory.npis[p], directory.names[p], tuple(directory.credentials[p]),
            int(directory.concerns[p]), int(directory.specialties[p]), int(directory.approaches[p]),
            int(directory.populations[p]), named(directory.payers[p], payers), int(directory.formats[p]),
            named(directory.languages[p], languages), int(directory.gender[p]), int(directory.self_pay[p]),
            int(directory.notice_seconds[p]), bool(directory.works_holidays[p]),
            directory.zone_names[int(directory.zone_index[p])],
            *(repr(float(getattr(directory, name)[p]))
              for name in ("latitude", "longitude", "latitude_degrees", "longitude_degrees")),
            tuple(sorted(licensed.get(p, []))),
            tuple(zip(directory.slot_weekday[low:high].tolist(), directory.slot_start[low:high].tolist(),
                      directory.slot_window_end[low:high].tolist(), strict=True)),
            tuple((concern, repr(float(values[p]))) for concern, values in sorted(directory.outcomes.items())),
        ))
    return out


def save_directory(directory: Directory, folder: Path, *, meta: dict[str, Any] | None = None) -> None:
    """Write `directory` into `folder` (created; it must not hold another directory), and
    `meta` (plain JSON values: what the caller wants to know about it later) beside it."""
    folder.mkdir(parents=True, exist_ok=True)

    def put(name: str, array: npt.NDArray[Any]) -> None:
        np.save(folder / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)

    for name in _ARRAYS:
        put(name, getattr(directory, name))
    for name, strings in (("npis", directory.npis), ("names", directory.names),
                          ("credentials", directory.credentials)):
        data, offsets = _packed(strings)
        put(f"{name}.data", data)
        put(f"{name}.offsets", offsets)
    states = sorted(directory.licenses)
    license_ptr = np.zeros(len(states) + 1, dtype=np.int64)
    if states:
        np.cumsum([len(directory.licenses[state].providers) for state in states], out=license_ptr[1:])
    put("license_providers", np.concatenate([directory.licenses[s].providers for s in states])
        if states else np.zeros(0, dtype=np.int32))
    put("license_expires", np.concatenate([directory.licenses[s].expires for s in states])
        if states else np.zeros(0, dtype=np.int32))
    concerns = sorted(directory.outcomes)
    put("outcomes", np.stack([directory.outcomes[c] for c in concerns]) if concerns
        else np.zeros((0, directory.size), dtype=np.float64))
    description = {
        "format": FORMAT,
        "payer_codes": directory.payer_codes,
        "language_codes": directory.language_codes,
        "zone_names": list(directory.zone_names),
        "license_states": states,
        "license_ptr": license_ptr.tolist(),
        "outcome_concerns": concerns,
        "meta": meta or {},
    }
    # meta.json last: a folder with it is complete.
    temporary = folder / "meta.json.part"
    temporary.write_text(json.dumps(description, sort_keys=True))
    os.replace(temporary, folder / "meta.json")


def read_meta(folder: Path) -> dict[str, Any]:
    """What `save_directory` was given as `meta` for the directory in `folder`."""
    description = json.loads((folder / "meta.json").read_text())
    meta: dict[str, Any] = description["meta"]
    return meta


def load_directory(folder: Path) -> Directory:
    """The directory in `folder`, its arrays mapped read-only (never copied)."""
    description = json.loads((folder / "meta.json").read_text())
    if description.get("format") != FORMAT:
        raise ValueError(f"{folder} holds a directory in another format ({description.get('format')!r}).")

    def get(name: str) -> npt.NDArray[Any]:
        # A plain array over the mapped pages (np.memmap's subclass slows every index taken of it).
        return np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False))

    def texts(name: str) -> Texts:
        return Texts(get(f"{name}.data"), get(f"{name}.offsets"))

    ptr = description["license_ptr"]
    providers, expires = get("license_providers"), get("license_expires")
    licenses = {state: StateLicenses(providers=providers[ptr[i]:ptr[i + 1]], expires=expires[ptr[i]:ptr[i + 1]])
                for i, state in enumerate(description["license_states"])}
    outcomes_table = get("outcomes")
    outcomes = {concern: outcomes_table[i] for i, concern in enumerate(description["outcome_concerns"])}
    return Directory(
        **{name: get(name) for name in _ARRAYS},
        npis=texts("npis"),
        names=texts("names"),
        credentials=TextTuples(texts("credentials")),
        payer_codes={str(k): int(v) for k, v in description["payer_codes"].items()},
        language_codes={str(k): int(v) for k, v in description["language_codes"].items()},
        zone_names=[str(name) for name in description["zone_names"]],
        licenses=licenses,
        outcomes=outcomes,
    )

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


def save_directory(directory: Directory, folder: Path, *, meta: dict[str, Any] | None = None) -> None:
    """Write `directory` into `folder` (created; it must not hold another directory), and
    `meta` (plain JSON values: what the caller wants to know about it later) beside it."""
    folder.mkdir(parents=True, exist_ok=True)

    def put(name: str, array: npt.NDArray[Any]) -> None:
        np.save(folder / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)

    for name in _ARRAYS:
        put(name, getattr(directory, name))
    for name, strings in (("npis", directory.npis), ("names", directory.names),
                          ("credentials", [_SEPARATOR.join(parts) for parts in directory.credentials])):
        data, offsets = _pack(list(strings))
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

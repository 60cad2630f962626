"""The crisis phrase check on what clients write: a pure function over plain text.

The phrases live in data files in `phrases/`, one per language (`en.txt`, `es.txt`);
every file is used for every message, whatever language the
page is shown in. A message matches a phrase when the phrase's words appear in it, in order
and next to each other, as whole words: text and phrases are both normalised the same way
(Unicode compatibility forms, accents and case folded, apostrophes dropped so "don't" is
"dont", every other character that is not a letter or digit a word break). So "Kill myself!"
matches "kill myself", while "skill" never matches "kill" and "therapist" never matches
"the rapist".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

PHRASES_DIR = Path(__file__).parent / "phrases"

_APOSTROPHES = re.compile(r"['\u2019\u2018\u02bc`]")
_BREAKS = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """`text` as space-separated words: folded case and accents, no apostrophes, no punctuation."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    plain = _APOSTROPHES.sub("", plain)
    return " ".join(_BREAKS.sub(" ", plain).split())


def read_phrases(path: Path) -> tuple[str, ...]:
    """The normalised phrases of one list file (blank lines and `#` comments left out)."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        phrase = normalise(line.split("#", 1)[0])
        if phrase:
            found.append(phrase)
    return tuple(dict.fromkeys(found))


@functools.lru_cache(maxsize=4)
def phrase_lists(folder: Path = PHRASES_DIR) -> dict[str, tuple[str, ...]]:
    """Every list in `folder`, by language code (the file's name)."""
    return {path.stem: read_phrases(path) for path in sorted(folder.glob("*.txt"))}


def matched_phrases(text: str, phrases: Iterable[str] | None = None) -> list[str]:
    """The phrases (normalised) that `text` holds as whole words; every list's when not given."""
    if phrases is None:
        phrases = [phrase for listed in phrase_lists().values() for phrase in listed]
    padded = f" {normalise(text)} "
    return [phrase for phrase in phrases if f" {phrase} " in padded]


def mentions_crisis(text: str) -> bool:
    return bool(matched_phrases(text))

"""ISO 639-1 language codes and English names, from pycountry's ISO 639-3 tables."""

from __future__ import annotations

import pycountry

LANGUAGES: dict[str, str] = {
    lang.alpha_2: lang.name for lang in pycountry.languages if getattr(lang, "alpha_2", None)
}


def is_language(code: str) -> bool:
    return code in LANGUAGES

"""ISO 639-1 language codes and English names, from pycountry's ISO 639-3 tables."""

from __future__ import annotations

import gettext as gettext_module
from functools import lru_cache

import pycountry
from django.utils.translation import get_language, gettext, gettext_noop

LANGUAGES: dict[str, str] = {
    lang.alpha_2: lang.name for lang in pycountry.languages if getattr(lang, "alpha_2", None)
}


def is_language(code: str) -> bool:
    return code in LANGUAGES


# The languages the intake offers first, named in carematch's catalogue (reviewed wording);
# any other is named from pycountry's translations.
COMMON_NAMES = (
    gettext_noop("English"), gettext_noop("Spanish"), gettext_noop("Chinese"), gettext_noop("Vietnamese"),
    gettext_noop("Tagalog"), gettext_noop("Arabic"), gettext_noop("French"), gettext_noop("Korean"),
    gettext_noop("Russian"), gettext_noop("Portuguese"), gettext_noop("German"), gettext_noop("Hindi"),
)


@lru_cache(maxsize=8)
def _names_in(language: str) -> gettext_module.NullTranslations:
    """pycountry's own translations of the ISO 639-3 names (the Debian iso-codes project's)."""
    return gettext_module.translation("iso639-3", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def language_name(code: str) -> str:
    """A language's name in the active language: "Spanish", or "español" on a Spanish page."""
    english = LANGUAGES.get(code, code)
    active = (get_language() or "en").split("-")[0]
    if active == "en" or code not in LANGUAGES:
        return english
    if english in COMMON_NAMES:
        return gettext(english)
    return _names_in(active).gettext(english)

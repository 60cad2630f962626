"""The language a message is written in: the reader's, whatever page or task sends it.

Pages take theirs from the request (LocaleMiddleware); an email, a calendar file or a
reminder sent by the task worker has no request, so it is rendered inside `speaking(...)`
with its reader's account language (or a subscriber's), English when they have none.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from django.conf import settings
from django.utils import translation


class _HasLanguage(Protocol):
    language: str


def language_of(reader: _HasLanguage | str | None) -> str:
    """A reader's language code if it is one carematch offers, else the site's default."""
    code = reader if isinstance(reader, str) or reader is None else getattr(reader, "language", "")
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


@contextmanager
def speaking(reader: _HasLanguage | str | None) -> Iterator[str]:
    """Render what is inside in `reader`'s language (an account, a code, or None for English)."""
    code = language_of(reader)
    with translation.override(code):
        yield code

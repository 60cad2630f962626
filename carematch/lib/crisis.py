"""How to reach help now. Shown before anything else to anyone who says they are in danger.

Each line's words in another language are only what the line itself publishes. In Spanish
(checked against the lines' own pages): the 988 Lifeline answers in Spanish when you call 988
and press 2, and in Spanish by text when you text AYUDA to 988 (988lifeline.org, "What to
expect"); the Crisis Text Line answers in Spanish when you text AYUDA to 741741
(crisistextline.org, "Hola! Crisis Text Line is now available in Spanish"). 911 is 911.
The address of the 988 Spanish chat could not be confirmed, so it is not linked.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

# The line that ends every email, as written (English); crisis_line() gives it in the reader's language.
CRISIS_LINE = gettext_noop("If you are in crisis, call or text 988 (Suicide & Crisis Lifeline) or call 911.")


def crisis_line() -> str:
    """CRISIS_LINE in the active language (a page's, or a reader's inside `speaking`)."""
    return gettext(CRISIS_LINE)


def crisis_resources() -> list[dict[str, str]]:
    """How to reach each line in the active language (a page's, or the API caller's
    Accept-Language): the names are the lines' own, the ways to reach them are those each
    line publishes for that language."""
    return [
        {"name": "988 Suicide & Crisis Lifeline", "how": gettext("Call or text 988"), "contact": "tel:988"},
        {"name": "Crisis Text Line", "how": gettext("Text HOME to 741741"), "contact": "sms:741741"},
        {"name": gettext("Emergency services"), "how": gettext("Call 911 if you are in immediate danger"),
         "contact": "tel:911"},
    ]

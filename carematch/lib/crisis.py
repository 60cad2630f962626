"""How to reach help now. Shown before anything else to anyone who says they are in danger."""

from __future__ import annotations

CRISIS_LINE = "If you are in crisis, call or text 988 (Suicide & Crisis Lifeline) or call 911."

CRISIS_RESOURCES = (
    {"name": "988 Suicide & Crisis Lifeline", "how": "Call or text 988", "contact": "tel:988"},
    {"name": "Crisis Text Line", "how": "Text HOME to 741741", "contact": "sms:741741"},
    {"name": "Emergency services", "how": "Call 911 if you are in immediate danger", "contact": "tel:911"},
)

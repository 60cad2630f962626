"""The unread message count shown in every signed-in person's navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def unread_messages(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    from .selectors import unread_count

    return {"unread_messages_count": unread_count(user=user)}

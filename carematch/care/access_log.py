"""Looking up one care record (and changing it) with the access recorded in the access log,
for the pages and the API alike (carematch.access.audit writes the events)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from carematch.access import audit
from carematch.access.models import Outcome
from carematch.lib.errors import Forbidden, NotFound


def audited(request: HttpRequest, lookup: Callable[[], Any], *, action: str, resource_type: str, resource_id: int,
            owner: Callable[[], Any], client: Callable[[Any], Any], write: Callable[[Any], Any] | None = None) -> Any:
    """Look a record up and (optionally) change it, recording the access as allowed, or as
    denied when the record is not visible (NotFound) or the change is not the caller's to make
    (Forbidden). `owner()` names the client of a record the caller may not see, when it exists."""
    try:
        found = lookup()
    except NotFound:
        audit.record(request, action=action, resource_type=resource_type, resource_id=resource_id, client=owner(),
                     outcome=Outcome.DENIED)
        raise
    try:
        result = write(found) if write is not None else found
    except Forbidden:
        audit.record(request, action=action, resource_type=resource_type, resource_id=resource_id,
                     client=client(found), outcome=Outcome.DENIED)
        raise
    audit.record(request, action=action, resource_type=resource_type, resource_id=resource_id, client=client(found))
    return result


def note_lookup(request: HttpRequest, note_id: int, action: str, write: Callable[[Any], Any] | None = None) -> Any:
    """A provider note the caller may see (then `write(note)`'s result), recorded."""
    from . import selectors
    from .models import ProviderNote

    return audited(
        request, lambda: selectors.visible_note(user=request.user, note_id=note_id), action=action,
        resource_type="provider_note", resource_id=note_id,
        owner=lambda: ProviderNote.objects.filter(pk=note_id).values_list("client_id", flat=True).first(),
        client=lambda found: found.client_id, write=write,
    )


def check_in_lookup(request: HttpRequest, check_in_id: int, action: str,
                    write: Callable[[Any], Any] | None = None) -> Any:
    """A check-in the caller may see (then `write(check_in)`'s result), recorded."""
    from . import selectors
    from .models import CheckIn

    return audited(
        request, lambda: selectors.visible_check_in(user=request.user, check_in_id=check_in_id), action=action,
        resource_type="check_in", resource_id=check_in_id,
        owner=lambda: CheckIn.objects.filter(pk=check_in_id).values_list("activity__client_id", flat=True).first(),
        client=lambda found: found.activity.client_id, write=write,
    )

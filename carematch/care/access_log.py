"""Looking up one care record (and changing it) with the access recorded in the access log,
for the pages and the API alike (carematch.access.audit writes the events)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from carematch.access import audit
from carematch.access.models import WRITE_ACTIONS
from carematch.accounts.http import AuthedHttpRequest
from carematch.lib.errors import NotFound


def audited(request: HttpRequest, lookup: Callable[[], Any], *, action: str, resource_type: str, resource_id: int,
            owner: Callable[[], Any], client: Callable[[Any], Any], write: Callable[[Any], Any] | None = None,
            form: Any = None) -> Any:
    """Look a record up and read it, or change it with `write(record)`, recorded once.

    A record the caller may not see (NotFound) is recorded as denied, naming the client it
    belongs to when it exists (`owner()`). A change runs inside audit.write(): denied when it
    raises Forbidden, rejected when it raises anything else or `form` is not valid at its end,
    succeeded otherwise."""
    try:
        found = lookup()
    except NotFound as exc:
        audit.denied(request, action=action, resource_type=resource_type, resource_id=resource_id, client=owner())
        exc.recorded = True
        raise
    if write is None:
        if action in WRITE_ACTIONS:
            raise ValueError("a change is made through `write`, so that it is recorded with its result")
        audit.record(request, action=action, resource_type=resource_type, resource_id=resource_id,
                     client=client(found))
        return found
    with audit.write(request, action=action, resource_type=resource_type, resource_id=resource_id,
                     client=client(found), form=form):
        return write(found)


def _of_client(found: Any, client_id: int | None, client_of: Callable[[Any], int], what: str) -> Any:
    """`found`, when it belongs to `client_id` (a page addressed by client and record id)."""
    if client_id is not None and client_of(found) != client_id:
        raise NotFound(f"No {what} with that id.")
    return found


def note_lookup(request: AuthedHttpRequest, note_id: int, action: str, write: Callable[[Any], Any] | None = None,
                form: Any = None, of_client: int | None = None) -> Any:
    """A provider note the caller may see (of the client `of_client`, when given), then
    `write(note)`'s result, recorded."""
    from . import selectors
    from .models import ProviderNote

    return audited(
        request, lambda: _of_client(selectors.visible_note(user=request.user, note_id=note_id), of_client,
                                    lambda note: note.client_id, "note"), action=action,
        resource_type="provider_note", resource_id=note_id,
        owner=lambda: ProviderNote.objects.filter(pk=note_id).values_list("client_id", flat=True).first(),
        client=lambda found: found.client_id, write=write, form=form,
    )


def check_in_lookup(request: AuthedHttpRequest, check_in_id: int, action: str,
                    write: Callable[[Any], Any] | None = None, of_client: int | None = None) -> Any:
    """A check-in the caller may see (of the client `of_client`, when given), then
    `write(check_in)`'s result, recorded."""
    from . import selectors
    from .models import CheckIn

    return audited(
        request, lambda: _of_client(selectors.visible_check_in(user=request.user, check_in_id=check_in_id), of_client,
                                    lambda check_in: check_in.activity.client_id, "check-in"), action=action,
        resource_type="check_in", resource_id=check_in_id,
        owner=lambda: CheckIn.objects.filter(pk=check_in_id).values_list("activity__client_id", flat=True).first(),
        client=lambda found: found.activity.client_id, write=write,
    )

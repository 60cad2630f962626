"""Looking up one appointment for its page or its API operation, with the access recorded in
the access log (carematch.access.audit writes the events): the one rule both front doors use."""

from __future__ import annotations

from carematch.access import audit, policy
from carematch.access.models import Action
from carematch.accounts.http import AuthedHttpRequest
from carematch.lib.errors import NotFound

from .models import Appointment
from .selectors import booked_appointment
from .video import Party


def visible_appointment(request: AuthedHttpRequest, appointment_id: int, *, action: str = Action.VIEW) -> Appointment:
    """The appointment `appointment_id` (one that was booked, never a hold), when the access
    policy lets the caller see it (policy.appointment_visible). A read is recorded here; for a
    change (`action` update) only a refusal is, and the change records itself with its result
    (audit.write). Anyone else gets NotFound, as if there were no such appointment, recorded."""
    found = booked_appointment(appointment_id=appointment_id)
    visible = found is not None and policy.appointment_visible(request.user, found)
    if not visible or action == Action.VIEW:
        audit.checked(request, visible, action=action, resource_type="appointment", resource_id=appointment_id,
                      client=found.client_id if found else None)
    if found is None or not visible:
        raise NotFound("No appointment with that id.", recorded=True)
    return found


def joining_party(request: AuthedHttpRequest, appointment_id: int) -> tuple[Appointment, Party]:
    """The appointment `appointment_id` and which of its two parties the caller is, for its
    video room: only the client themself and the provider. Anyone else, coordinators and
    admins too (they see the session, but are not in it), gets NotFound, recorded as denied;
    a party's look is recorded as a read of the appointment."""
    found = booked_appointment(appointment_id=appointment_id)
    party: Party | None = None
    if found is not None:
        user_id = request.user.pk
        if found.client is not None and found.client.user_id == user_id:
            party = Party.CLIENT
        elif found.provider.user_id is not None and found.provider.user_id == user_id:
            party = Party.PROVIDER
    audit.checked(request, party is not None, action=Action.VIEW, resource_type="appointment",
                  resource_id=appointment_id, client=found.client_id if found else None)
    if found is None or party is None:
        raise NotFound("No appointment with that id.", recorded=True)
    return found, party

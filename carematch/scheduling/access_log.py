"""Looking up one appointment for its page or its API operation, with the access recorded in
the access log (carematch.access.audit writes the events): the one rule both front doors use."""

from __future__ import annotations

from carematch.access import audit, policy
from carematch.access.models import Action
from carematch.accounts.http import AuthedHttpRequest
from carematch.lib.errors import NotFound

from .models import Appointment
from .selectors import booked_appointment


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

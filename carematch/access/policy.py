"""Who may do what. Pages, the API and exports ask here rather than checking roles themselves."""

from __future__ import annotations

from typing import Any

from carematch.accounts.models import STAFF_ROLES, Role
from carematch.lib.errors import Forbidden


def has_role(user: Any, *roles: str) -> bool:
    return bool(user and getattr(user, "is_authenticated", False) and user.is_active and user.role in roles)


def is_staff_member(user: Any) -> bool:
    """Coordinators and admins: staff pages and the Django admin."""
    return has_role(user, *STAFF_ROLES)


def require_role(user: Any, *roles: str) -> None:
    if not has_role(user, *roles):
        raise Forbidden("Your account is not allowed to do this.")


def require_staff(user: Any) -> None:
    require_role(user, Role.COORDINATOR, Role.ADMIN)


def roles_user_may_create(user: Any) -> frozenset[str]:
    """Coordinators bring in clients and providers; only admins create staff accounts."""
    if has_role(user, Role.ADMIN):
        return frozenset(Role.values)
    if has_role(user, Role.COORDINATOR):
        return frozenset({Role.CLIENT, Role.PROVIDER})
    return frozenset()


def require_may_create_role(user: Any, role: str) -> None:
    require_staff(user)
    if role in Role.values and role not in roles_user_may_create(user):
        raise Forbidden(f"Your account may not create {role} accounts.")


# --- Clients and appointments ------------------------------------------------------------
# Records a caller may not see are answered as if they did not exist (404), so that their
# existence does not leak.


def client_visible(user: Any, client: Any) -> bool:
    """Clients see themselves; providers see clients they have (or had) an appointment with;
    staff see everyone."""
    if is_staff_member(user):
        return True
    if has_role(user, Role.CLIENT):
        return bool(client.user_id == user.pk)
    if has_role(user, Role.PROVIDER):
        provider = getattr(user, "provider", None)
        return provider is not None and client.appointments.filter(provider=provider).exists()
    return False


def may_act_for_client(user: Any, client: Any) -> bool:
    """Book, hold and cancel for this client: the client themselves, or staff."""
    return is_staff_member(user) or (has_role(user, Role.CLIENT) and client.user_id == user.pk)


def appointment_visible(user: Any, appointment: Any) -> bool:
    if is_staff_member(user):
        return True
    if has_role(user, Role.CLIENT):
        return bool(appointment.client.user_id == user.pk)
    if has_role(user, Role.PROVIDER):
        provider = getattr(user, "provider", None)
        return provider is not None and appointment.provider_id == provider.pk
    return False


# --- Care: goals, plans, check-ins and progress --------------------------------------------
# A client's care record is health information: a provider sees it only for clients they have
# an appointment with (booked, completed, missed or cancelled; a hold is not an appointment).


def care_clients_of(provider: Any) -> Any:
    """The clients whose care record `provider` may see: their caseload."""
    from carematch.accounts.models import Client
    from carematch.scheduling.models import Status

    return Client.objects.filter(
        pk__in=provider.appointments.exclude(status__in=(Status.HELD, Status.LAPSED))
        .filter(client__isnull=False).values("client_id")
    )


def _care_provider_of(user: Any, client: Any) -> bool:
    provider = getattr(user, "provider", None) if has_role(user, Role.PROVIDER) else None
    return provider is not None and care_clients_of(provider).filter(pk=client.pk).exists()


def care_visible(user: Any, client: Any) -> bool:
    """See goals, plan, check-ins and scores: the client, their provider, staff."""
    if is_staff_member(user):
        return True
    if has_role(user, Role.CLIENT):
        return bool(client.user_id == user.pk)
    return _care_provider_of(user, client)


def may_plan_care(user: Any, client: Any) -> bool:
    """Add and revise goals and plan steps: the client, or their provider with them."""
    if has_role(user, Role.CLIENT):
        return bool(client.user_id == user.pk)
    return _care_provider_of(user, client)


def may_check_in(user: Any, client: Any) -> bool:
    """Record check-ins of the plan's activities: the client themselves."""
    return has_role(user, Role.CLIENT) and bool(client.user_id == user.pk)


# --- Measures: questionnaires, scores and safety alerts ------------------------------------
# Answers, scores and alerts are part of the same clinical record as the care record, seen by
# the same people.


def clinical_record_visible(user: Any, client: Any) -> bool:
    """See a client's questionnaires, scores and alerts: the client, a provider who has or had
    an appointment with them, staff."""
    return care_visible(user, client)


def may_record_assessment(user: Any, client: Any) -> bool:
    """Answer a questionnaire: the client themselves, or staff entering a client's answers."""
    return is_staff_member(user) or (has_role(user, Role.CLIENT) and bool(client.user_id == user.pk))


def may_send_questionnaire(user: Any, client: Any) -> bool:
    """Send a client a questionnaire now: their provider, or staff."""
    return is_staff_member(user) or _care_provider_of(user, client)


def sees_alerts(user: Any) -> bool:
    """The alerts list: providers (their clients' safety alerts) and staff (every alert)."""
    return is_staff_member(user) or has_role(user, Role.PROVIDER)


def alert_visible(user: Any, alert: Any) -> bool:
    """Staff see every alert; a provider sees the safety alerts of their clients."""
    from carematch.measures.models import PROVIDER_ALERT_KINDS

    if is_staff_member(user):
        return True
    return alert.kind in PROVIDER_ALERT_KINDS and _care_provider_of(user, alert.client)

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

"""Who may do what. Pages, the API and exports ask here rather than checking roles themselves.

carematch is self-hosted: one deployment is one organisation (a group practice, a clinic, a
counselling centre), so "their organisation" is everyone in the deployment.

- A client sees only their own records.
- A provider sees the clients in their care: those they have or had an appointment with that
  was booked (booked, completed, missed or cancelled). A hold is not an appointment: holding an
  opening, or a hold that lapsed or was released (by a new hold, or by closing the account),
  shows the provider nothing. A waitlist assignment books an
  appointment, so a client assigned to a provider is in their care.
- Coordinators (staff) see everyone in the organisation.
- Admins manage accounts and are staff: they see what coordinators see, through the same pages
  and API, which record who read what. The Django admin holds accounts and tokens only, never
  clinical content (goals, plans, check-ins, questionnaire answers, scores, alerts, notes).

Two kinds of refusal:
- A record the caller may not see (a client, an appointment, a goal, an alert, a license, a
  questionnaire request...) is answered 404, as if it did not exist, so that its existence
  does not leak.
- A page or operation for another role, decided by the role alone and never by a record
  (the staff pages for a client, creating accounts as a provider), is answered 403; anonymous
  callers are sent to log in (pages) or answered 401 (API).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from carematch.accounts.models import STAFF_ROLES, Client, Role, User
from carematch.lib.errors import Forbidden

if TYPE_CHECKING:
    from carematch.care.models import CheckIn, JournalEntry, ProviderNote
    from carematch.directory.models import Provider
    from carematch.measures.models import Alert
    from carematch.messaging.models import Conversation, Message
    from carematch.scheduling.models import Appointment

# Who is asking, signed in or not. Only has_role() is asked about anyone (pages and operations
# that anyone may open ask it); every other rule is about a signed-in User: callers turn
# anonymous visitors away first (login_required, the page decorators, the API's token), which
# AuthedHttpRequest (carematch.accounts.http) or `request.user.is_authenticated` tells the type checker.
Caller = User | AnonymousUser


def has_role(user: Caller | None, *roles: str) -> bool:
    return user is not None and user.is_authenticated and user.is_active and user.role in roles


def is_staff_member(user: User) -> bool:
    """Coordinators and admins: staff pages and the Django admin."""
    return has_role(user, *STAFF_ROLES)


def require_role(user: User, *roles: str) -> None:
    if not has_role(user, *roles):
        raise Forbidden("Your account is not allowed to do this.")


def require_staff(user: User) -> None:
    require_role(user, Role.COORDINATOR, Role.ADMIN)


def roles_user_may_create(user: User) -> frozenset[str]:
    """Coordinators bring in clients and providers; only admins create staff accounts."""
    if has_role(user, Role.ADMIN):
        return frozenset(Role.values)
    if has_role(user, Role.COORDINATOR):
        return frozenset({Role.CLIENT, Role.PROVIDER})
    return frozenset()


def require_may_create_role(user: User, role: str) -> None:
    require_staff(user)
    if role in Role.values and role not in roles_user_may_create(user):
        raise Forbidden(f"Your account may not create {role} accounts.")


# --- Clients and appointments ------------------------------------------------------------
# Records a caller may not see are answered as if they did not exist (404), so that their
# existence does not leak.


def client_visible(user: User, client: Client) -> bool:
    """Clients see themselves; providers see the clients in their care (a hold is not an
    appointment); staff see everyone. The same rule as the care record's."""
    return care_visible(user, client)


def may_act_for_client(user: User, client: Client) -> bool:
    """Book, hold and cancel for this client: the client themselves, or staff."""
    return is_staff_member(user) or (has_role(user, Role.CLIENT) and client.user_id == user.pk)


def appointment_visible(user: User, appointment: Appointment) -> bool:
    if is_staff_member(user):
        return True
    if has_role(user, Role.CLIENT):
        return appointment.client is not None and bool(appointment.client.user_id == user.pk)
    if has_role(user, Role.PROVIDER):
        provider = getattr(user, "provider", None)
        return provider is not None and appointment.provider_id == provider.pk
    return False


# --- Insurance coverage and eligibility checks -----------------------------------------------------
# The member id and the subscriber's name and date of birth identify a person to their insurer:
# the client and staff (who check coverage and help correct it) see and change them; a provider
# does not need them to give care, so they do not see them (a superbill names no member id).


def coverage_visible(user: User, client: Client) -> bool:
    """See, change and check a client's insurance coverage: the client themselves, or staff."""
    return is_staff_member(user) or (has_role(user, Role.CLIENT) and bool(client.user_id == user.pk))


# --- Care: goals, plans, check-ins and progress --------------------------------------------
# A client's care record is health information: a provider sees it only for clients they have
# an appointment with (booked, completed, missed or cancelled; a hold is not an appointment).


def care_clients_of(provider: Provider) -> QuerySet[Client]:
    """The clients whose care record `provider` may see: their caseload."""
    from carematch.scheduling.models import WAS_BOOKED

    # Only what was booked counts (booked, completed, missed, cancelled after booking): a
    # hold, live, lapsed or released, never does. The database keeps "cancelled" to rows
    # that were booked first (scheduling.models).
    return Client.objects.filter(
        pk__in=provider.appointments.filter(status__in=WAS_BOOKED, client__isnull=False).values("client_id")
    )


def _care_provider_of(user: User, client: Client) -> bool:
    provider = getattr(user, "provider", None) if has_role(user, Role.PROVIDER) else None
    return provider is not None and care_clients_of(provider).filter(pk=client.pk).exists()


def care_visible(user: User, client: Client) -> bool:
    """See goals, plan, check-ins and scores: the client, their provider, staff."""
    if is_staff_member(user):
        return True
    if has_role(user, Role.CLIENT):
        return bool(client.user_id == user.pk)
    return _care_provider_of(user, client)


def may_plan_care(user: User, client: Client) -> bool:
    """Add and revise goals and plan steps: the client, or their provider with them."""
    if has_role(user, Role.CLIENT):
        return bool(client.user_id == user.pk)
    return _care_provider_of(user, client)


def may_check_in(user: User, client: Client) -> bool:
    """Record check-ins of the plan's activities: the client themselves."""
    return has_role(user, Role.CLIENT) and bool(client.user_id == user.pk)


def may_remove_check_in(user: User, check_in: CheckIn) -> bool:
    """Remove a check-in (a journal entry) from view: the client who wrote it."""
    return may_check_in(user, check_in.activity.client)


# --- The client's private journal -----------------------------------------------------------------
# The client's own writing, not part of the care record: the client alone reads and writes it.
# They may share one entry at a time with one of their providers, who then sees that entry
# while the client is on their caseload. Nobody else sees an entry, shared or not: not other
# providers, not coordinators, not admins (unlike provider notes, which admins may read), so
# that what a person writes for themselves never becomes the organisation's reading.


def may_keep_journal(user: User, client: Client) -> bool:
    """Write, share, stop sharing and remove journal entries: the client themselves."""
    return has_role(user, Role.CLIENT) and bool(client.user_id == user.pk)


def journal_entry_visible(user: User, entry: JournalEntry) -> bool:
    """One entry: its client, or the provider it is shared with while the client is in their care."""
    if may_keep_journal(user, entry.client):
        return True
    provider = getattr(user, "provider", None) if has_role(user, Role.PROVIDER) else None
    return (provider is not None and entry.shared_with_id == provider.pk
            and _care_provider_of(user, entry.client))


def shared_journal_visible(user: User, client: Client) -> bool:
    """Open the page of a client's entries shared with the caller: a provider of the client."""
    return has_role(user, Role.PROVIDER) and _care_provider_of(user, client)


# --- Provider notes ------------------------------------------------------------------------------
# A provider's clinical notes are their working record, kept apart from the shared care record:
# they are seen by the provider who wrote them and by admins (who answer for the records of the
# practice), and by no one else in the app. Another provider of the same client, a coordinator
# (who runs the directory and the clock, not care) and the client do not see them; a client who
# wants their record asks the practice, which answers such requests outside these pages.


def may_write_notes(user: User, client: Client) -> bool:
    """Write notes about a client: a provider who has or had an appointment with them."""
    return _care_provider_of(user, client)


def notes_visible(user: User, client: Client) -> bool:
    """Open a client's notes page: admins (every note), or a provider who may write notes about
    the client (who then sees only the notes they wrote themselves; see note_visible)."""
    return has_role(user, Role.ADMIN) or may_write_notes(user, client)


def note_for_therapist_provider(user: User) -> Provider | None:
    """Whose note for their therapist this caller may read: only the booked therapist's (the
    provider of the client's first session; scheduling.selectors.note_for_therapist finds it
    for that provider alone), so this is the caller's provider record when they are a provider,
    else None. Coordinators and admins never read it: the person wrote it for their therapist."""
    return getattr(user, "provider", None) if has_role(user, Role.PROVIDER) else None


def note_visible(user: User, note: ProviderNote) -> bool:
    """One note: its author's provider record, while the client is on their caseload, or an admin."""
    if has_role(user, Role.ADMIN):
        return True
    provider = getattr(user, "provider", None) if has_role(user, Role.PROVIDER) else None
    return provider is not None and note.provider_id == provider.pk and may_write_notes(user, note.client)


def may_revise_note(user: User, note: ProviderNote) -> bool:
    """Revise or remove a note: only its author's provider record (admins read, never write)."""
    return has_role(user, Role.PROVIDER) and note_visible(user, note)


# --- Measures: questionnaires, scores and safety alerts ------------------------------------
# Answers, scores and alerts are part of the same clinical record as the care record, seen by
# the same people.


def clinical_record_visible(user: User, client: Client) -> bool:
    """See a client's questionnaires, scores and alerts: the client, a provider who has or had
    an appointment with them, staff."""
    return care_visible(user, client)


def may_record_assessment(user: User, client: Client) -> bool:
    """Answer a questionnaire: the client themselves, or staff entering a client's answers."""
    return is_staff_member(user) or (has_role(user, Role.CLIENT) and bool(client.user_id == user.pk))


def may_send_questionnaire(user: User, client: Client) -> bool:
    """Send a client a questionnaire now: their provider, or staff."""
    return is_staff_member(user) or _care_provider_of(user, client)


def sees_alerts(user: User) -> bool:
    """The alerts list: providers (their clients' safety alerts) and staff (every alert)."""
    return is_staff_member(user) or has_role(user, Role.PROVIDER)


def alert_visible(user: User, alert: Alert) -> bool:
    """Staff see every alert; a provider sees the safety alerts of their clients."""
    from carematch.measures.models import PROVIDER_ALERT_KINDS

    if is_staff_member(user):
        return True
    return alert.kind in PROVIDER_ALERT_KINDS and _care_provider_of(user, alert.client)


# --- Messages ------------------------------------------------------------------------------------
# A client writes to each of their providers (one they have or had a booked appointment with,
# the same caseload rule as the care record) and to the care team (the coordinators). A
# conversation with a provider is seen by its two parties only: staff are not in it (they have
# their own conversation with the client). The care team's conversation is seen by the client
# and by staff (coordinators and admins).


def may_message_provider(user: User, client: Client, provider: Provider) -> bool:
    """Start or write in the conversation of `client` and `provider`: the client, or the
    provider, while the client is in the provider's care and their account is open."""
    if client.closed_at is not None:
        return False
    if has_role(user, Role.CLIENT):
        party = bool(client.user_id == user.pk)
    elif has_role(user, Role.PROVIDER):
        party = provider.user_id is not None and bool(provider.user_id == user.pk)
    else:
        return False
    return party and care_clients_of(provider).filter(pk=client.pk).exists()


def may_message_care_team(user: User, client: Client) -> bool:
    """Start or write in the care team's conversation with `client`: the client, or staff."""
    if client.closed_at is not None:
        return False
    return is_staff_member(user) or (has_role(user, Role.CLIENT) and bool(client.user_id == user.pk))


def conversation_visible(user: User, conversation: Conversation) -> bool:
    """Read a conversation: its client; its provider (a provider conversation) or staff (the
    care team's)."""
    from carematch.messaging.models import Kind

    if has_role(user, Role.CLIENT):
        return bool(conversation.client.user_id == user.pk)
    if conversation.kind == Kind.CARE_TEAM:
        return is_staff_member(user)
    provider = conversation.provider
    return (has_role(user, Role.PROVIDER) and provider is not None and provider.user_id is not None
            and bool(provider.user_id == user.pk))


def is_client_side(user: User, conversation: Conversation) -> bool:
    """Whether `user` writes in `conversation` as its client (else as the care team's side)."""
    return has_role(user, Role.CLIENT) and bool(conversation.client.user_id == user.pk)


def may_retract_message(user: User, message: Message) -> bool:
    """Retract a message: its sender only."""
    return bool(message.sender_id == user.pk)


def may_mark_read(user: User, message: Message) -> bool:
    """Mark a message read: the side it was sent to (the client, or their provider or staff)."""
    return is_client_side(user, message.conversation) != bool(message.from_client)

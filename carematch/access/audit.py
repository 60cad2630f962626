"""Recording every access to a client's record in the append-only access log.

`record()` writes one event. Pages, the API and commands call it through the choke points
below, which look the record up, ask carematch.access.policy whether the caller may see it,
record the access as allowed or denied, and answer a denied caller as if the record did not
exist (NotFound, which the API answers 404 and the pages turn into their 404):

- `clinical_client_or_404()` for anything addressed by client id (/clients/{id}/goals, ...);
- `recorded_lookup()` around a selector that finds a record or raises NotFound (a goal, an
  activity), so that a denied attempt is recorded with the client the record belongs to;
- `checked()` where a view has already looked the record up and decided (appointments, alerts).

An event says who (id, email and role, as plain values), what (resource type and id, and the
client whose record it is), the action, when, from which address and whether it was allowed.
It never holds the record's content, a query string, a path (private links carry tokens in
theirs) or any secret: resource ids must be short identifiers, and anything else is refused.

When recording fails the access fails with it: nothing is shown or exported unrecorded.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest

from carematch.access import policy
from carematch.lib.errors import Forbidden, NotFound

from .models import ANONYMOUS, SYSTEM, AccessEvent, Action, Channel, Outcome

T = TypeVar("T")

_RESOURCE_TYPE = re.compile(r"^[a-z][a-z_]{0,39}$")
_RESOURCE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")
API_PREFIX = "/api/"


# --- Recording one event -------------------------------------------------------------------------


def _actor(request: HttpRequest | None, actor: Any) -> tuple[int | None, str, str]:
    person = actor if actor is not None else getattr(request, "user", None)
    if person is not None and getattr(person, "is_authenticated", False):
        return int(person.pk), str(person.email), str(person.role)
    if request is None and actor is None:
        return None, "", SYSTEM
    return None, "", ANONYMOUS


def _client_id(client: Any) -> int | None:
    if client is None:
        return None
    if isinstance(client, bool):
        raise TypeError("client must be a Client, a client id or None")
    if isinstance(client, int):
        return client
    if isinstance(client, str) and client.isdigit():
        return int(client)
    pk = getattr(client, "pk", None)
    if isinstance(pk, int):
        return pk
    raise TypeError("client must be a Client, a client id or None")


def _resource_id(resource_id: Any) -> str:
    if resource_id is None:
        return ""
    if isinstance(resource_id, bool):
        raise ValueError("resource_id must be an identifier")
    text = str(resource_id)
    if not _RESOURCE_ID.match(text):
        # Only identifiers: this is what keeps content out of the log.
        raise ValueError("resource_id must be a short identifier (letters, digits, '_', '.', ':' or '-')")
    return text


def _channel(request: HttpRequest | None) -> str:
    if request is None:
        return Channel.COMMAND
    return Channel.API if request.path.startswith(API_PREFIX) else Channel.PAGE


def _address(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    from carematch.accounts.throttle import client_address

    return client_address(request)


def event_for(request: HttpRequest | None, *, action: str, resource_type: str, resource_id: Any = None,
              client: Any = None, outcome: str = Outcome.ALLOWED, actor: Any = None) -> AccessEvent:
    """The event `record()` would write, unsaved (for writing many at once)."""
    if action not in Action.values:
        raise ValueError(f"action must be one of {', '.join(Action.values)}")
    if outcome not in Outcome.values:
        raise ValueError(f"outcome must be one of {', '.join(Outcome.values)}")
    if not _RESOURCE_TYPE.match(resource_type):
        raise ValueError("resource_type must be lower-case letters and '_', at most 40")
    actor_id, email, role = _actor(request, actor)
    return AccessEvent(
        actor_id=actor_id, actor_email=email, actor_role=role, action=action, resource_type=resource_type,
        resource_id=_resource_id(resource_id), client_id=_client_id(client), outcome=outcome,
        address=_address(request), channel=_channel(request),
    )


def record(request: HttpRequest | None, *, action: str, resource_type: str, resource_id: Any = None,
           client: Any = None, outcome: str = Outcome.ALLOWED, actor: Any = None) -> AccessEvent:
    """Write one access event and return it.

    `request` may be None (commands, background tasks): the actor is then `actor`, or the
    system. `client` is a Client, a client id or None. `action` is view, create, update,
    export or delete; `outcome` allowed or denied.
    """
    event = event_for(request, action=action, resource_type=resource_type, resource_id=resource_id, client=client,
                      outcome=outcome, actor=actor)
    event.save()
    return event


def record_many(request: HttpRequest | None, *, action: str, resource_type: str,
                items: Iterable[tuple[Any, Any]], actor: Any = None) -> int:
    """One allowed event per (resource id, client) shown on a list page; returns how many."""
    events = [event_for(request, action=action, resource_type=resource_type, resource_id=resource_id,
                        client=client, actor=actor) for resource_id, client in items]
    AccessEvent.objects.bulk_create(events)
    return len(events)


# --- The choke points: look up, decide, record, answer ---------------------------------------------


def checked(request: HttpRequest, allowed: bool, *, action: str, resource_type: str, resource_id: Any,
            client: Any) -> bool:
    """Record an access the caller has just decided on; returns `allowed`, so that
    `if not checked(...): raise NotFound(...)` keeps the view's own answer."""
    record(request, action=action, resource_type=resource_type, resource_id=resource_id, client=client,
           outcome=Outcome.ALLOWED if allowed else Outcome.DENIED)
    return allowed


def clinical_client_or_404(request: HttpRequest, client_id: int, *, resource_type: str, action: str = Action.VIEW,
                           rule: Callable[[Any, Any], bool] = policy.clinical_record_visible,
                           may: Callable[[Any, Any], bool] | None = None, forbidden: str = "") -> Any:
    """The client `client_id` when `rule` lets the caller see their record, with the access
    recorded (the resource id is the client id asked for). Anyone else gets NotFound, as if
    there were no such client, and a denied event. With `may`, a caller who sees the record
    but may not do `action` gets Forbidden(`forbidden`), also recorded as denied."""
    from carematch.accounts.models import Client

    client = Client.objects.select_related("user").filter(pk=client_id).first()
    visible = client is not None and rule(request.user, client)
    permitted = visible and (may is None or may(request.user, client))
    record(request, action=action, resource_type=resource_type, resource_id=client_id, client=client,
           outcome=Outcome.ALLOWED if permitted else Outcome.DENIED)
    if not visible:
        raise NotFound("No client with that id.", fields={"client_id": "not found"})
    if not permitted:
        raise Forbidden(forbidden or "Your account is not allowed to do this.")
    return client


def recorded_lookup(request: HttpRequest, lookup: Callable[[], T], *, action: str, resource_type: str,
                    resource_id: Any, owners: QuerySet[Any], client_field: str = "client_id") -> T:
    """Run `lookup` (a selector that returns the record or raises NotFound) and record the
    access. `owners` is the record's queryset filtered to the id asked for: a denied event
    names the client the record belongs to, when it exists."""
    try:
        found = lookup()
    except NotFound:
        owner = owners.values_list(client_field, flat=True).first()
        record(request, action=action, resource_type=resource_type, resource_id=resource_id, client=owner,
               outcome=Outcome.DENIED)
        raise
    record(request, action=action, resource_type=resource_type, resource_id=resource_id,
           client=getattr(found, client_field, None))
    return found


# --- Emptying a whole test database ------------------------------------------------------------------
# The triggers refuse every UPDATE and DELETE of access events (SQLite) and every UPDATE,
# DELETE and TRUNCATE (PostgreSQL). The one exception is emptying the whole database between
# tests (Django's `flush`), which the test harness does inside `whole_log_erasure()`. Nothing
# in carematch itself calls it.

_erasure_allowed: ContextVar[bool] = ContextVar("carematch_audit_erasure_allowed", default=False)
PG_ERASURE_SETTING = "carematch.audit_erasable"


def _erasable() -> int:
    return 1 if _erasure_allowed.get() else 0


def sqlite_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Gives each SQLite connection the function the DELETE trigger asks."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("carematch_audit_erasable", 0, _erasable)


@contextmanager
def whole_log_erasure(using: str = "default") -> Iterator[None]:
    """Lets the access log be emptied with the rest of a test database, for the test harness's
    flush between tests only."""
    connection = connections[using]
    token = _erasure_allowed.set(True)
    on_postgres = connection.vendor == "postgresql"
    try:
        if on_postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', false)", [PG_ERASURE_SETTING])
        yield
    finally:
        _erasure_allowed.reset(token)
        if on_postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, '', false)", [PG_ERASURE_SETTING])


# --- Searching the log ---------------------------------------------------------------------------

PAGE_SIZE = 50


def parse_since(text: str) -> dt.datetime:
    """`2027-01-04` (from the start of that day, UTC) or an ISO 8601 moment with its offset."""
    text = text.strip()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a date such as 2027-01-04, or a moment with its UTC offset") from None
    if moment.utcoffset() is None:
        raise ValueError("a moment must include its UTC offset, e.g. 2027-01-04T09:00:00+00:00")
    return moment


def events_matching(*, client_id: int | None = None, user: str | None = None,
                    since: dt.datetime | None = None) -> QuerySet[AccessEvent]:
    """Events about one client, by one user (their id, or their email in any case) and from a
    moment on; newest first."""
    events = AccessEvent.objects.all()
    if client_id is not None:
        events = events.filter(client_id=client_id)
    if user:
        user = user.strip()
        events = events.filter(actor_id=int(user)) if user.isdigit() else events.filter(actor_email=user.lower())
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    return events.order_by("-occurred_at", "-id")

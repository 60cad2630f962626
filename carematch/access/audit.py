"""Recording every access to a client's record in the append-only access log.

`record()` writes one event. Pages, the API and commands call it through the choke points
below, which look the record up, ask carematch.access.policy whether the caller may see it,
record the access as allowed or denied, and answer a denied caller as if the record did not
exist (NotFound, which the API answers 404 and the pages turn into their 404):

- `clinical_client_or_404()` for reading anything addressed by client id (/clients/{id}/goals, ...),
  and `client_write()` for changing it;
- `checked()` where a view has already looked the record up and decided (appointments, alerts);
  `denied()` for a refused change.

A change is recorded once, after the service has run, with what became of it: `write()` is
a context manager around the service call that records the change as allowed and
`succeeded` when the block completes (in the same transaction as the change), `rejected`
when the service raised (invalid input, a conflict) or the form it watches has errors, and
denied when the block raised Forbidden (not the caller's to change). Whether the caller may
see the record at all is decided before the block, by the choke points. `record()` refuses
an allowed change without a result, so a change can only be recorded through `write()`.

An event says who (id, email and role, as plain values), what (resource type and id, and the
client whose record it is), the action, when, from which address, whether it was allowed and,
for an allowed change, its result. It never holds the record's content, a query string, a
path (private links carry tokens in theirs) or any secret: resource ids must be short
identifiers, and anything else is refused.

When recording fails the access fails with it: nothing is shown or exported unrecorded, and a
change whose event cannot be written is rolled back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from carematch.access import policy
from carematch.lib.errors import DomainError, Forbidden, NotFound

from .models import ANONYMOUS, SYSTEM, WRITE_ACTIONS, AccessEvent, Action, Channel, Outcome, Result

RESOURCE_TYPE = re.compile(r"^[a-z][a-z_]{0,39}$")
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


def _check_result(action: str, outcome: str, result: str) -> None:
    if result and result not in Result.values:
        raise ValueError(f"result must be one of {', '.join(Result.values)}, or empty")
    if action in WRITE_ACTIONS and outcome == Outcome.ALLOWED:
        if not result:
            raise ValueError("an allowed change is recorded with its result: make it inside audit.write()")
    elif result:
        raise ValueError("result is only for an allowed change (create, update or delete)")


def event_for(request: HttpRequest | None, *, action: str, resource_type: str, resource_id: Any = None,
              client: Any = None, outcome: str = Outcome.ALLOWED, result: str = "",
              actor: Any = None) -> AccessEvent:
    """The event `record()` would write, unsaved (for writing many at once)."""
    if action not in Action.values:
        raise ValueError(f"action must be one of {', '.join(Action.values)}")
    if outcome not in Outcome.values:
        raise ValueError(f"outcome must be one of {', '.join(Outcome.values)}")
    _check_result(action, outcome, result)
    if not RESOURCE_TYPE.match(resource_type):
        raise ValueError("resource_type must be lower-case letters and '_', at most 40")
    actor_id, email, role = _actor(request, actor)
    return AccessEvent(
        actor_id=actor_id, actor_email=email, actor_role=role, action=action, resource_type=resource_type,
        resource_id=_resource_id(resource_id), client_id=_client_id(client), outcome=outcome, result=result,
        address=_address(request), channel=_channel(request),
    )


def record(request: HttpRequest | None, *, action: str, resource_type: str, resource_id: Any = None,
           client: Any = None, outcome: str = Outcome.ALLOWED, result: str = "", actor: Any = None) -> AccessEvent:
    """Write one access event and return it.

    `request` may be None (commands, background tasks): the actor is then `actor`, or the
    system. `client` is a Client, a client id or None. `action` is view, create, update,
    export or delete; `outcome` allowed or denied. An allowed create, update or delete needs
    its `result` (succeeded or rejected): pages and the API record changes through `write()`.
    """
    event = event_for(request, action=action, resource_type=resource_type, resource_id=resource_id, client=client,
                      outcome=outcome, result=result, actor=actor)
    event.save()
    return event


def denied(request: HttpRequest | None, *, action: str, resource_type: str, resource_id: Any = None,
           client: Any = None, actor: Any = None) -> AccessEvent:
    """Record an attempt the caller was refused (a read, or a change that was never tried)."""
    return record(request, action=action, resource_type=resource_type, resource_id=resource_id, client=client,
                  outcome=Outcome.DENIED, actor=actor)


def record_many(request: HttpRequest | None, *, action: str, resource_type: str,
                items: Iterable[tuple[Any, Any]], actor: Any = None) -> int:
    """One allowed event per (resource id, client) shown on a list page; returns how many."""
    events = [event_for(request, action=action, resource_type=resource_type, resource_id=resource_id,
                        client=client, actor=actor) for resource_id, client in items]
    AccessEvent.objects.bulk_create(events)
    return len(events)


# --- Changes: recorded once they have run, with their result ---------------------------------------


@dataclass
class WriteAttempt:
    """A change being made inside `write()`. What the event names may be filled in as the
    change goes (the id of a record just created); `watch(form)` or `reject()` tells a refusal
    that raised nothing (a form re-shown with its errors, a problem shown as a message)."""

    resource_type: str
    resource_id: Any = None
    client: Any = None
    form: Any = None
    rejected: bool = False

    def watch(self, form: Any) -> Any:
        """The form whose errors, when the block ends, mean the change was rejected."""
        self.form = form
        return form

    def reject(self) -> None:
        self.rejected = True

    @property
    def refused(self) -> bool:
        # An unbound form (a POST without any of its fields) is refused as well.
        return self.rejected or (self.form is not None and not self.form.is_valid())


@contextmanager
def write(request: HttpRequest | None, *, action: str, resource_type: str, resource_id: Any = None,
          client: Any = None, form: Any = None, actor: Any = None) -> Iterator[WriteAttempt]:
    """Make a change inside the block and record it once, after it has run:

    - the block completes: allowed, `succeeded`, recorded in the same transaction as the change
      (when the event cannot be written, the change is rolled back);
    - the block raises Forbidden (the caller may not make this change): denied, and the
      exception goes on;
    - the block raises anything else (invalid input, a conflict, a record named in the input
      that does not exist), or completes with `reject()` called or the watched form not valid:
      allowed, `rejected`; nothing of it is kept.

    Look the record up and decide whether the caller may see it before the block (the choke
    points below): a record the caller may not see is a denied access, not a rejected change.
    """
    if action not in WRITE_ACTIONS:
        raise ValueError(f"write() is for changes: action must be one of {', '.join(sorted(WRITE_ACTIONS))}")
    attempt = WriteAttempt(resource_type=resource_type, resource_id=resource_id, client=client, form=form)

    def recorded(outcome: str, result: str = "") -> None:
        record(request, action=action, resource_type=attempt.resource_type, resource_id=attempt.resource_id,
               client=attempt.client, outcome=outcome, result=result, actor=actor)

    try:
        with transaction.atomic():
            yield attempt
            if not attempt.refused:
                recorded(Outcome.ALLOWED, Result.SUCCEEDED)
    except Forbidden as exc:
        if not exc.recorded:
            recorded(Outcome.DENIED)
            exc.recorded = True
        raise
    except Exception as exc:
        recorded(Outcome.ALLOWED, Result.REJECTED)
        if isinstance(exc, DomainError):
            exc.recorded = True
        raise
    if attempt.refused:
        recorded(Outcome.ALLOWED, Result.REJECTED)


# --- The choke points: look up, decide, record, answer ---------------------------------------------


def checked(request: HttpRequest, allowed: bool, *, action: str, resource_type: str, resource_id: Any,
            client: Any) -> bool:
    """Record a read (or a refused change) the caller has just decided on; returns `allowed`,
    so that `if not checked(...): raise NotFound(...)` keeps the view's own answer. An allowed
    change is recorded by `write()` instead, with its result."""
    record(request, action=action, resource_type=resource_type, resource_id=resource_id, client=client,
           outcome=Outcome.ALLOWED if allowed else Outcome.DENIED)
    return allowed


def _client_decided(request: HttpRequest, client_id: int, *, resource_type: str, action: str,
                    rule: Callable[[Any, Any], bool], may: Callable[[Any, Any], bool] | None,
                    forbidden: str) -> tuple[Any, bool]:
    """The client `client_id` and whether the caller may do `action`; a refusal is recorded
    and raised (NotFound when the caller may not see the record, Forbidden when they see it
    but may not do this)."""
    from carematch.accounts.models import Client

    client = Client.objects.select_related("user").filter(pk=client_id).first()
    visible = client is not None and rule(request.user, client)
    permitted = visible and (may is None or may(request.user, client))
    if not permitted:
        denied(request, action=action, resource_type=resource_type, resource_id=client_id, client=client)
    if not visible:
        raise NotFound("No client with that id.", fields={"client_id": "not found"}, recorded=True)
    if not permitted:
        raise Forbidden(forbidden or "Your account is not allowed to do this.", recorded=True)
    return client, permitted


def clinical_client_or_404(request: HttpRequest, client_id: int, *, resource_type: str, action: str = Action.VIEW,
                           rule: Callable[[Any, Any], bool] = policy.clinical_record_visible,
                           may: Callable[[Any, Any], bool] | None = None, forbidden: str = "") -> Any:
    """The client `client_id` when `rule` lets the caller see their record, with the access
    recorded (the resource id is the client id asked for). Anyone else gets NotFound, as if
    there were no such client, and a denied event. With `may`, a caller who sees the record
    but may not do `action` gets Forbidden(`forbidden`), also recorded as denied. For reads
    and exports; a change goes through `client_write()`."""
    if action in WRITE_ACTIONS:
        raise ValueError("a change to a client's record goes through client_write(), which records its result")
    client, _ = _client_decided(request, client_id, resource_type=resource_type, action=action, rule=rule, may=may,
                                forbidden=forbidden)
    record(request, action=action, resource_type=resource_type, resource_id=client_id, client=client)
    return client


@contextmanager
def client_write(request: HttpRequest, client_id: int, *, resource_type: str, action: str = Action.CREATE,
                 rule: Callable[[Any, Any], bool] = policy.clinical_record_visible,
                 may: Callable[[Any, Any], bool] | None = None, forbidden: str = "") -> Iterator[WriteAttempt]:
    """`clinical_client_or_404()` for a change: refusals are recorded and raised before the
    block; a caller who may make the change gets a `write()` whose `client` is the client."""
    client, _ = _client_decided(request, client_id, resource_type=resource_type, action=action, rule=rule, may=may,
                                forbidden=forbidden)
    with write(request, action=action, resource_type=resource_type, resource_id=client_id, client=client) as attempt:
        yield attempt


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

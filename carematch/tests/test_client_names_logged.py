"""Every staff and provider page that names a client records the view in the access log, one
event per client shown, as the caseload does.

The pages are not listed by hand: every page of the URL resolver (as the authorisation matrix
enumerates them) and every list of the Django admin is opened by each provider and staff
caller, in a world whose clients have names found nowhere else. A page whose answer names a
seeded client (by first or last name, or by email address) must be in NAMING_PAGES with the
resource type its events carry, and the events it records must name exactly the clients it
shows: a new page that shows clients fails here until it records them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import reverse

from carematch.access.models import AccessEvent

from .test_authorisation_matrix import (
    ADMIN,
    ADMIN_PAGES,
    COORDINATOR,
    PROVIDER_A,
    PROVIDER_B,
    Endpoint,
    World,
    build_world,
    page_endpoints,
)

CALLERS = (PROVIDER_A, PROVIDER_B, COORDINATOR, ADMIN)


@dataclass(frozen=True)
class Logged:
    """What a page records for the clients it names: `resource_type` view events, one per
    client shown (`per="client"`), or one per record shown, each naming its client
    (`per="record"`, for a list of records such as alerts, where a client may have several)."""

    resource_type: str
    per: str = "client"


# Every page that names a client, with what it records. A page missing here that names a
# client fails `test_a_page_naming_clients_records_one_view_per_client_shown`.
NAMING_PAGES: dict[str, Logged] = {
    "care:caseload": Logged("caseload"),
    "coverage:staff_client": Logged("coverage"),
    "coverage:diagnoses": Logged("diagnoses"),
    "care:client_progress": Logged("care_record"),
    "care:client_goal_add": Logged("goals"),
    "care:client_goal_revise": Logged("goal"),
    "care:client_goal_rating": Logged("goal_ratings"),
    "care:client_activity_add": Logged("plan"),
    "care:client_check_in": Logged("check_ins"),
    "care:client_notes": Logged("provider_notes"),
    "care:client_journal": Logged("journal_entries"),
    "measures:alerts": Logged("alert", per="record"),
    "measures:staff_alerts": Logged("alert", per="record"),
    "measures:provider_questionnaires": Logged("client_list"),
    "scheduling:clock": Logged("clock"),
    "matching:appointment_series": Logged("appointment"),
    "scheduling:crisis_queue": Logged("crisis_request"),
    "matching:staff_waitlist": Logged("waitlist_entry"),
    "messaging:inbox": Logged("message_contacts"),
    "messaging:conversation": Logged("conversation"),
    "admin:accounts_user_changelist": Logged("account_list"),
    "admin:accounts_user_change": Logged("account"),
    "admin:accounts_apitoken_changelist": Logged("api_token_list"),
    "admin:accounts_mfadevice_changelist": Logged("mfa_device_list"),
    "admin:measures_questionnairerequest_changelist": Logged("questionnaire_request_list"),
    "admin:measures_questionnairerequest_change": Logged("questionnaire_request"),
}

NAMES = {"client_a": ("Zinnia", "Quarrington"), "client_b": ("Ysolde", "Brackenridge"),
         "waiting": ("Wystan", "Pemberley")}


@dataclass
class NamedWorld:
    world: World
    clients: dict[int, tuple[str, ...]]  # client id -> what identifies them on a page
    admin_objects: dict[str, Any]  # admin change page -> its object id


def _admin_endpoints() -> list[Endpoint]:
    """Every list of the Django admin (the matrix opens two of its pages), and the pages of one
    client's account and of one questionnaire request (admin_objects)."""
    lists = [f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist" for model in admin.site._registry]
    return [Endpoint(name, False, ()) for name in sorted(set(lists) - set(ADMIN_PAGES))] + [
        Endpoint("admin:accounts_user_change", False, ()),
        Endpoint("admin:measures_questionnairerequest_change", False, ()),
    ]


def endpoints() -> list[Endpoint]:
    """Every page a person opens (GET) from the resolver, and the Django admin's."""
    pages = [e for e in page_endpoints() if e.method == "GET"]
    return pages + _admin_endpoints()


ENDPOINTS = endpoints()
CASES = [pytest.param(endpoint, role, id=f"{endpoint.key}|{role}") for endpoint in ENDPOINTS for role in CALLERS]


def build_named_world() -> NamedWorld:
    from django.utils import timezone

    from carematch.accounts.models import Client
    from carematch.matching.models import WaitlistEntry
    from carematch.measures.models import QuestionnaireRequest
    from carematch.scheduling import services as scheduling
    from carematch.scheduling.models import CrisisRequest
    from carematch.scheduling.tests.factories import ClientFactory

    world = build_world()
    client_a = Client.objects.select_related("user").get(pk=world.ids["client_id"])
    client_b = Client.objects.select_related("user").get(user=world.users["client_b"])
    waiting = ClientFactory()  # asked for care, no session yet: on the 48-hour clock only
    for person, key in ((client_a, "client_a"), (client_b, "client_b"), (waiting, "waiting")):
        person.first_name, person.last_name = NAMES[key]
        person.save(update_fields=["first_name", "last_name"])
    client_a.user.preferred_name = NAMES["client_a"][0]
    client_a.user.save(update_fields=["preferred_name"])
    scheduling.care_request_open(client=client_a)
    scheduling.care_request_open(client=waiting)
    WaitlistEntry.objects.create(client=waiting, request={"state": "CO", "age": 30, "concerns": ["anxiety"]},
                                 created_at=timezone.now())  # nothing fitted yet: on the waitlist
    # Client A (in the matrix's world) and client B asked to be called back, under their own
    # names: the crisis queue shows both.
    CrisisRequest.objects.filter(client=client_a).update(name=NAMES["client_a"][0])
    scheduling.crisis_request_create(channel="page", name=NAMES["client_b"][0], phone="(303) 555-0143",
                                     state="CO", client=client_b)
    return NamedWorld(
        world=world,
        clients={person.pk: (*NAMES[key], person.user.email)
                 for person, key in ((client_a, "client_a"), (client_b, "client_b"), (waiting, "waiting"))},
        admin_objects={
            "admin:accounts_user_change": client_a.user.pk,
            "admin:measures_questionnairerequest_change": QuestionnaireRequest.objects.get(
                pk=world.ids["request_id"]).pk,
        },
    )


@pytest.fixture(scope="module")
def named(django_db_setup: Any, django_db_blocker: Any) -> Iterator[NamedWorld]:
    """Built once for the module inside a transaction that is rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_named_world()
        transaction.set_rollback(True)


def open_page(endpoint: Endpoint, role: str, named: NamedWorld) -> Any:
    http = HttpClient()
    http.force_login(named.world.users[role])
    if endpoint.key in named.admin_objects:
        path = reverse(endpoint.key, args=[named.admin_objects[endpoint.key]])
    elif endpoint.key.startswith("admin:"):
        path = ADMIN_PAGES.get(endpoint.key) or reverse(endpoint.key)
    else:
        path = reverse(endpoint.key, kwargs=named.world.kwargs_for(endpoint))
    return http.get(path)


def clients_named(text: str, named: NamedWorld) -> set[int]:
    return {client_id for client_id, marks in named.clients.items() if any(mark in text for mark in marks)}


def test_the_walk_covers_the_pages_that_name_clients() -> None:
    keys = {endpoint.key for endpoint in ENDPOINTS}
    assert set(NAMING_PAGES) <= keys, f"pages in NAMING_PAGES that no longer exist: {sorted(set(NAMING_PAGES) - keys)}"
    assert len(ENDPOINTS) >= 50


@pytest.mark.django_db
def test_the_walk_sees_the_names_where_they_are(named: NamedWorld) -> None:
    """The check above only means something if names are found where they are shown."""
    ids = {name: client_id for client_id, (first, *_) in named.clients.items()
           for name, names in NAMES.items() if names[0] == first}
    by_key = {endpoint.key: endpoint for endpoint in ENDPOINTS}

    def seen(key: str, role: str) -> set[int]:
        return clients_named(open_page(by_key[key], role, named).content.decode(), named)

    assert seen("scheduling:clock", COORDINATOR) == {ids["client_a"], ids["waiting"]}
    assert seen("care:caseload", COORDINATOR) == {ids["client_a"], ids["client_b"]}
    assert seen("care:caseload", PROVIDER_A) == {ids["client_a"]}
    assert seen("scheduling:crisis_queue", COORDINATOR) == {ids["client_a"], ids["client_b"]}
    assert seen("matching:staff_waitlist", COORDINATOR) == {ids["waiting"]}
    assert seen("admin:accounts_user_changelist", ADMIN) == set(ids.values())


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "role"), CASES)
def test_a_page_naming_clients_records_one_view_per_client_shown(endpoint: Endpoint, role: str,
                                                                 named: NamedWorld) -> None:
    before = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = open_page(endpoint, role, named)
    assert response.status_code < 500
    text = response.content.decode(errors="replace") if not getattr(response, "streaming", False) else ""
    shown = clients_named(text, named)
    logged = NAMING_PAGES.get(endpoint.key)
    if logged is None:
        assert not shown, (
            f"{endpoint.key} as {role} names clients {sorted(shown)} but records no view of them. Record one view "
            "event per client shown (carematch.access.audit.record_many), and add the page to NAMING_PAGES in "
            "carematch/tests/test_client_names_logged.py with the resource type it records."
        )
        return
    user = named.world.users[role]
    events = Counter(AccessEvent.objects.filter(
        pk__gt=before, actor_id=user.pk, action="view", outcome="allowed", resource_type=logged.resource_type,
    ).values_list("client_id", flat=True))
    if logged.per == "client":
        assert events == Counter(shown), (
            f"{endpoint.key} as {role} shows clients {sorted(shown)}; its '{logged.resource_type}' view events name "
            f"{dict(events)} (one each expected)"
        )
    else:
        assert set(events) == shown, (
            f"{endpoint.key} as {role} shows clients {sorted(shown)}; its '{logged.resource_type}' view events name "
            f"{sorted(events, key=str)}"
        )
